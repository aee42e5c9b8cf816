/**
 * Deliberately naive reference implementations of the lexical diversity metrics (string keys,
 * whole-corpus strings, O(n^2) loops), written straight from design section 4 to check the
 * streaming, fingerprinted implementations against.
 */
import { pythonGzipLength } from './referenceGzip.js';

/** Design section 4: `text.trim().split(/\s+/)`, empty text -> no tokens. */
export function naiveTokens(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed.split(/\s+/);
}

function ngrams(tokens: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join('\u0001'));
  return out;
}

export function naiveDistinctN(
  texts: string[],
  n: number,
): { value: number | null; distinct: number; total: number } {
  const seen = new Set<string>();
  let total = 0;
  for (const text of texts) {
    for (const gram of ngrams(naiveTokens(text), n)) {
      seen.add(gram);
      total++;
    }
  }
  return { value: total === 0 ? null : seen.size / total, distinct: seen.size, total };
}

export function naiveNgramDiversity(texts: string[]): {
  value: number | null;
  orders: { n: number; unique: number; total: number }[];
} {
  const tokens = naiveTokens(texts.join(' '));
  const orders = [1, 2, 3, 4].map((n) => {
    const grams = ngrams(tokens, n);
    return { n, unique: new Set(grams).size, total: grams.length };
  });
  if (tokens.length === 0) return { value: null, orders };
  let value = 0;
  for (const order of orders) if (order.total > 0) value += order.unique / order.total;
  return { value, orders };
}

export function naiveCompressionRatio(texts: string[]): {
  value: number | null;
  inputBytes: number;
  compressedBytes: number;
} {
  const input = Buffer.from(texts.join(' '), 'utf8');
  const compressedBytes = pythonGzipLength(texts.join(' '));
  return {
    value: input.length === 0 ? null : input.length / compressedBytes,
    inputBytes: input.length,
    compressedBytes,
  };
}

export function naiveSelfRepetition(texts: string[]): { value: number | null; perSample: number[] } {
  const sets = texts.map((text) => new Set(ngrams(naiveTokens(text), 4)));
  const perSample = sets.map((mine, i) => {
    let s = 0;
    for (const gram of mine) {
      for (let j = 0; j < sets.length; j++) if (j !== i && sets[j]!.has(gram)) s++;
    }
    return Math.log(1 + s);
  });
  if (perSample.length === 0) return { value: null, perSample };
  return { value: perSample.reduce((a, b) => a + b, 0) / perSample.length, perSample };
}
