/**
 * Builds the bench corpus: N samples as JSONL in the catalog's `prompt_response` shape, made from
 * the real rows in ../shared/datasets (see ../datasets.ts),
 * repeated and varied so every row is distinct except a deliberate 1% of exact repeats.
 * Deterministic: the same N always gives the same bytes.
 */
import { loadBaseRows, rng, writeJsonlCorpus } from '../datasets.js';

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
];

/** Writes `count` rows to `path`; returns the bytes written. */
export async function writeCorpus(path: string, count: number, seed = 1): Promise<number> {
  const base = loadBaseRows();
  const random = rng(seed);
  return writeJsonlCorpus(path, count, random, (i) => {
    const b = base[Math.floor(random() * base.length)]!;
    const persona = PERSONAS[Math.floor(random() * PERSONAS.length)]!;
    const style = STYLES[Math.floor(random() * STYLES.length)]!;
    return JSON.stringify({
      prompt: `As ${persona}: ${b.prompt} ${style} (variant ${i})`,
      response: b.response,
      reference: b.reference ?? null,
      source: b.source,
      temperature: Math.round(random() * 100) / 100,
    });
  });
}
