/**
 * The metrics bench corpus: N samples {prompt, response, reference, source} as JSONL, made from the
 * real rows in ../shared/datasets and varied so that responses, which the metrics read by default,
 * are not the same few thousand texts repeated.
 *
 * Base rows (about 11.5k): GSM8K train (reference = the number after "####"), Code Alpaca 2k (no
 * reference), and the Self-Instruct human-eval predictions of 8 models (reference = the human
 * `target`). Each output row draws a random base row and varies it the way regenerating with
 * another seed or model would:
 * - the prompt gets a persona prefix and a style suffix (as bench/ingest does);
 * - with probability 0.6, every integer in prompt, response and reference is remapped by one
 *   per-row map (a "same problem, other numbers" variant; the reference stays consistent), and for
 *   10% of GSM8K rows the response's final answer is then made wrong;
 * - each word that has an entry in a small synonym table is swapped with probability 0.3;
 * - with probability 0.1, one inner line of a multi-line response is dropped;
 * - with probability 0.35 an assistant-style opener is prepended and with 0.2 a closer appended.
 * 1% of rows are exact repeats of the previous row. Deterministic: the same N and seed give the
 * same bytes, and the first M rows of the N-row corpus are the M-row corpus.
 */
import { loadBaseRows, rng, writeJsonlCorpus, type BaseRow } from '../datasets.js';

const PERSONAS = [
  'a teacher',
  'a student',
  'an engineer',
  'a curious child',
  'a reviewer',
  'a data scientist',
  'a chef',
  'a lawyer',
];
const STYLES = [
  'Answer briefly.',
  'Explain step by step.',
  'Be precise.',
  'Show your work.',
  'Use plain words.',
  '',
];
const OPENERS = [
  'Sure!',
  'Certainly.',
  "Let's think step by step.",
  'Here is the answer:',
  'Great question.',
  'Of course. Here you go:',
  'Okay, let me work through this.',
  'Here is one way to do it:',
];
const CLOSERS = [
  'I hope this helps!',
  'Let me know if you have any other questions.',
  'Feel free to ask for more details.',
  'That is the final answer.',
  'Hope that clarifies things.',
];
/** Word -> alternatives (both directions are listed where they make sense). */
const SYNONYMS: Record<string, string[]> = {
  total: ['sum', 'overall amount'],
  altogether: ['in total', 'combined'],
  buys: ['purchases', 'gets'],
  bought: ['purchased', 'got'],
  each: ['every', 'per'],
  then: ['next', 'after that'],
  so: ['thus', 'therefore'],
  has: ['owns', 'holds'],
  have: ['own', 'hold'],
  makes: ['earns', 'gets'],
  left: ['remaining', 'still there'],
  need: ['require', 'must have'],
  use: ['utilize', 'employ'],
  returns: ['gives back', 'outputs'],
  function: ['method', 'routine'],
  list: ['array', 'sequence'],
  number: ['value', 'figure'],
  example: ['instance', 'sample'],
  important: ['crucial', 'key'],
  good: ['great', 'fine'],
  help: ['assist', 'support'],
  quickly: ['fast', 'rapidly'],
  large: ['big', 'huge'],
  small: ['little', 'tiny'],
  because: ['since', 'as'],
  however: ['but', 'still'],
  also: ['too', 'as well'],
  many: ['lots of', 'numerous'],
  first: ['initially', 'to begin with'],
  finally: ['lastly', 'in the end'],
};

const INTEGER = /\b\d+\b/g;
const WORD = /\b[a-z]+\b/g;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A per-row integer remapping: small numbers move a little, large ones scale. */
function numberMapper(random: () => number): (text: string) => string {
  const map = new Map<string, string>();
  const scale = 1 + Math.floor(random() * 4); // 1..4
  return (text) =>
    text.replace(INTEGER, (digits) => {
      let mapped = map.get(digits);
      if (mapped === undefined) {
        const value = Number(digits);
        const next =
          value < 10 ? value + Math.floor(random() * 5) : value * scale + Math.floor(random() * 7) - 3;
        mapped = String(Math.max(0, next));
        map.set(digits, mapped);
      }
      return mapped;
    });
}

function swapSynonyms(text: string, random: () => number): string {
  return text.replace(WORD, (word) => {
    const alternatives = SYNONYMS[word];
    return alternatives && random() < 0.3 ? pick(random, alternatives) : word;
  });
}

export interface CorpusRow {
  prompt: string;
  response: string;
  reference: string | null;
  source: string;
}

export function varyRow(base: BaseRow, random: () => number): CorpusRow {
  let { prompt, response, reference } = base;
  if (random() < 0.6) {
    const remap = numberMapper(random);
    prompt = remap(prompt);
    response = remap(response);
    if (reference !== null) reference = remap(reference);
    if (base.source === 'gsm8k' && random() < 0.1) {
      response = response.replace(
        /####\s*(\S+)\s*$/,
        (_, answer: string) =>
          `#### ${/^\d+$/.test(answer) ? Number(answer) + 1 + Math.floor(random() * 9) : `${answer}0`}`,
      );
    }
  }
  response = swapSynonyms(response, random);
  if (random() < 0.1) {
    const lines = response.split('\n');
    if (lines.length >= 3) {
      lines.splice(1 + Math.floor(random() * (lines.length - 2)), 1);
      response = lines.join('\n');
    }
  }
  if (random() < 0.35) response = `${pick(random, OPENERS)}${random() < 0.5 ? '\n' : ' '}${response}`;
  if (random() < 0.2) response = `${response}\n\n${pick(random, CLOSERS)}`;
  const style = pick(random, STYLES);
  prompt = `As ${pick(random, PERSONAS)}: ${prompt}${style ? ` ${style}` : ''}`;
  return { prompt, response, reference, source: base.source };
}

/** Writes `count` rows to `path`; returns the bytes written. */
export async function writeCorpus(path: string, count: number, seed = 7): Promise<number> {
  const base = loadBaseRows();
  const random = rng(seed);
  return writeJsonlCorpus(path, count, random, () => JSON.stringify(varyRow(pick(random, base), random)));
}
