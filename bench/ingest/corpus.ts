/**
 * Builds the bench corpus: N samples as JSONL in the catalog's `prompt_response` shape, made from
 * the real rows in ../shared/datasets (GSM8K, Code Alpaca, Self-Instruct predictions of 8 models),
 * repeated and varied so every row is distinct except a deliberate 1% of exact repeats.
 * Deterministic: the same N always gives the same bytes.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');

interface BaseRow {
  prompt: string;
  response: string;
  reference?: string;
  source: string;
}

function jsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function loadBaseRows(): BaseRow[] {
  const rows: BaseRow[] = [];
  for (const r of jsonl(join(SHARED, 'gsm8k', 'train.jsonl'))) {
    const answer = String(r.answer);
    rows.push({ prompt: String(r.question), response: answer, reference: answer.split('####').pop()!.trim(), source: 'gsm8k' });
  }
  const alpaca = JSON.parse(readFileSync(join(SHARED, 'code-alpaca', 'code_alpaca_2k.json'), 'utf8')) as Record<string, string>[];
  for (const r of alpaca) {
    rows.push({ prompt: r.input ? `${r.instruction}\n\n${r.input}` : r.instruction!, response: r.output!, source: 'code-alpaca' });
  }
  const humanEval = join(SHARED, 'self-instruct', 'human-eval');
  for (const file of readdirSync(humanEval).filter((f) => f.endsWith('_predictions.jsonl'))) {
    for (const r of jsonl(join(humanEval, file))) {
      const input = String(r.input ?? '');
      rows.push({
        prompt: input ? `${r.instruction}\n\n${input}` : String(r.instruction),
        response: String(r.response ?? ''),
        source: `self-instruct/${file.replace('_predictions.jsonl', '')}`,
      });
    }
  }
  return rows.filter((r) => r.prompt.trim() && r.response.trim());
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PERSONAS = ['a teacher', 'a student', 'an engineer', 'a curious child', 'a reviewer', 'a data scientist', 'a chef', 'a lawyer'];
const STYLES = ['Answer briefly.', 'Explain step by step.', 'Be precise.', 'Show your work.', 'Use plain words.'];

/** Writes `count` rows to `path`; returns the bytes written. */
export async function writeCorpus(path: string, count: number, seed = 1): Promise<number> {
  const base = loadBaseRows();
  const random = rng(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let chunk = '';
  let previous = '';
  for (let i = 0; i < count; i += 1) {
    let line: string;
    if (i > 0 && random() < 0.01) {
      line = previous; // an exact repeat, as real generated data has
    } else {
      const b = base[Math.floor(random() * base.length)]!;
      const persona = PERSONAS[Math.floor(random() * PERSONAS.length)]!;
      const style = STYLES[Math.floor(random() * STYLES.length)]!;
      line = JSON.stringify({
        prompt: `As ${persona}: ${b.prompt} ${style} (variant ${i})`,
        response: b.response,
        reference: b.reference ?? null,
        source: b.source,
        temperature: Math.round(random() * 100) / 100,
      });
    }
    previous = line;
    chunk += `${line}\n`;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}
