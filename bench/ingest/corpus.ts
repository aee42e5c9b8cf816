/**
 * Builds the bench corpus: N samples as JSONL in the catalog's `prompt_response` shape, made from
 * the real rows in ../shared/datasets (see ../datasets.ts),
 * repeated and varied so every row is distinct except a deliberate 1% of exact repeats.
 * Deterministic: the same N always gives the same bytes.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { loadBaseRows, rng } from '../datasets.js';

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
