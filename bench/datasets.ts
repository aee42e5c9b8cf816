/**
 * The real rows of ../shared/datasets that the bench corpora are built from: GSM8K train
 * (reference = the number after "####"), Code Alpaca 2k (no reference) and the Self-Instruct
 * human-eval predictions of 8 models (reference = the human `target`). Also the corpora's PRNG.
 */
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'datasets');

export interface BaseRow {
  prompt: string;
  response: string;
  reference: string | null;
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
    rows.push({
      prompt: String(r.question),
      response: answer,
      reference: answer.split('####').pop()!.trim(),
      source: 'gsm8k',
    });
  }
  const alpaca = JSON.parse(
    readFileSync(join(SHARED, 'code-alpaca', 'code_alpaca_2k.json'), 'utf8'),
  ) as Record<string, string>[];
  for (const r of alpaca) {
    rows.push({
      prompt: r.input ? `${r.instruction}\n\n${r.input}` : r.instruction!,
      response: r.output!,
      reference: null,
      source: 'code-alpaca',
    });
  }
  const humanEval = join(SHARED, 'self-instruct', 'human-eval');
  for (const file of readdirSync(humanEval)
    .filter((f) => f.endsWith('_predictions.jsonl'))
    .sort()) {
    for (const r of jsonl(join(humanEval, file))) {
      const input = String(r.input ?? '');
      const target = typeof r.target === 'string' && r.target.trim() ? r.target.trim() : null;
      rows.push({
        prompt: input ? `${String(r.instruction).trim()}\n\n${input}` : String(r.instruction).trim(),
        response: String(r.response ?? '').trim(),
        reference: target,
        source: `self-instruct/${file.replace('_predictions.jsonl', '')}`,
      });
    }
  }
  return rows.filter((r) => r.prompt.trim() && r.response.trim());
}

/** The corpora's deterministic PRNG (mulberry32). */
export { mulberry32 as rng } from '../src/mulberry32.js';

/**
 * Writes `count` JSONL lines to `path` in 1 MiB chunks: each line is `makeLine(i)`, except that 1%
 * of lines (drawn from `random`) repeat the previous line exactly, as real generated data does.
 * Returns the bytes written.
 */
export async function writeJsonlCorpus(
  path: string,
  count: number,
  random: () => number,
  makeLine: (i: number) => string,
): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let chunk = '';
  let previous = '';
  for (let i = 0; i < count; i += 1) {
    const line = i > 0 && random() < 0.01 ? previous : makeLine(i);
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
