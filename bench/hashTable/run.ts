/**
 * bench/hashTable: the project's hash tables against a plain JS Map/Set doing the same job with
 * the same key identity, on the workloads they serve, over seeded synthetic text (Zipf-distributed
 * words). Per workload and variant: median time over interleaved rounds, and the heap +
 * ArrayBuffer bytes the filled structure retains (after a full GC). Ratios are against the
 * project's table in the same run; absolute times do not carry over between machines. Every pair
 * of variants must agree on the result (distinct counts, first ordinals, per-text ids), else the
 * bench exits 1: that is a correctness check, never a timing one.
 *
 *   npm run bench:hashtable -- [--samples 100000] [--tokens 60] [--vocab 50000] [--rounds 5]
 *                              [--hashes 1000000] [--only <workload name substring>]
 *
 * Workloads:
 *   - ngrams (distinct_n, ngram_diversity): count the 64-bit fingerprints of every bigram of the
 *     corpus (NgramTable.addAll) vs Map<bigint, number> (the exact 64-bit key) and vs
 *     Map<string, number> keyed by the bigram text (no fingerprints at all).
 *   - documentFrequency (self_repetition's prepass): per sample, the unique 4-gram fingerprints
 *     (FingerprintSet, cleared per sample) added to a document-frequency table; the Map/Set side
 *     uses Set<bigint> and Map<bigint, number>.
 *   - duplicates (ingest, versionWriter): first ordinal of each sha256 hex content hash
 *     (DuplicateSet.add) vs Map<string, number> keyed by the same 96-bit prefix (24 hex chars);
 *     the sha256 of the samples (not timed with either) is printed for scale.
 *   - gopherNgrams (quality.heuristic_quality): per text, the ids of its n-grams of order 2..10
 *     (NgramIds.extend) vs a Map<number, number> keyed by prefix id * tokens + last token id.
 *   - features (the lexical embedder's per-text counter): (key, family) feature counts in
 *     first-occurrence order, reset per text, vs a Map<number, number> keyed by key * 4 + family.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuplicateSet } from '../../src/catalog/duplicateSet.js';
import { fmix32 } from '../../src/fmix32.js';
import { HashTable } from '../../src/metrics/hashTable.js';
import {
  appendNgrams,
  FingerprintSet,
  NgramTable,
  PairBuffer,
  TokenHashBuffer,
} from '../../src/metrics/ngramTable.js';
import { NgramIds } from '../../src/metrics/quality/ngramIds.js';
import { mulberry32 } from '../../src/mulberry32.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '100000' },
    tokens: { type: 'string', default: '60' },
    vocab: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    hashes: { type: 'string', default: '1000000' },
    only: { type: 'string' },
  },
});
const SAMPLES = Number(args.samples);
const TOKENS = Number(args.tokens);
const VOCAB = Number(args.vocab);
const ROUNDS = Math.max(1, Number(args.rounds));
const HASHES = Number(args.hashes);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const log = (message: string) => process.stderr.write(`${message}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------------------------------------
// Corpus: SAMPLES texts of about TOKENS words drawn from a Zipf(1) vocabulary of VOCAB words.
// ---------------------------------------------------------------------------------------------

function makeCorpus(): string[][] {
  const random = mulberry32(20261122);
  const letters = 'etaoinshrdlucmfwypvbgkqjxz';
  const words: string[] = [];
  const seen = new Set<string>();
  while (words.length < VOCAB) {
    const length = 2 + Math.floor(random() * 9);
    let word = '';
    for (let i = 0; i < length; i++) word += letters[Math.floor(random() ** 2 * letters.length)];
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  const cdf = new Float64Array(VOCAB);
  let total = 0;
  for (let i = 0; i < VOCAB; i++) cdf[i] = total += 1 / (i + 1);
  const pick = (): string => {
    const u = random() * total;
    let lo = 0;
    let hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const texts: string[][] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const length = Math.max(1, Math.round(TOKENS * (0.5 + random())));
    texts.push(Array.from({ length }, pick));
  }
  return texts;
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

interface Variant<R> {
  name: string;
  /** Builds the structure and returns it (kept alive for the memory figure) with its result. */
  run(): { keep: unknown; result: R };
}

interface Row {
  workload: string;
  variant: string;
  ms: number;
  ratio: number;
  retainedMB: number;
  result: string;
}

const retained = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function measure<R>(workload: string, variants: Variant<R>[], show: (r: R) => string): Row[] {
  log(`${workload}: ${variants.map((v) => v.name).join(' vs ')} (${ROUNDS} rounds) ...`);
  const times = variants.map((): number[] => []);
  const results: string[] = variants.map(() => '');
  for (let round = 0; round < ROUNDS; round++) {
    const order =
      round % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
    for (const i of order) {
      gc();
      const started = performance.now();
      const { result } = variants[i]!.run();
      times[i]!.push(performance.now() - started);
      results[i] = show(result);
    }
  }
  const bytes = variants.map((v) => {
    const before = retained();
    const { keep } = v.run();
    const after = retained();
    if (keep === undefined) throw new Error('unreachable');
    return after - before;
  });
  for (let i = 1; i < variants.length; i++) {
    if (results[i] !== results[0]) {
      throw new Error(
        `${workload}: ${variants[i]!.name} gave ${results[i]}, ${variants[0]!.name} ${results[0]}`,
      );
    }
  }
  const base = median(times[0]!);
  return variants.map((v, i) => ({
    workload,
    variant: v.name,
    ms: median(times[i]!),
    ratio: median(times[i]!) / base,
    retainedMB: bytes[i]! / 2 ** 20,
    result: results[i]!,
  }));
}

const key64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

function ngrams(texts: string[][]): Row[] {
  const fingerprints = new PairBuffer();
  const hashes = new TokenHashBuffer();
  for (const tokens of texts) {
    hashes.reset();
    hashes.pushTokens(tokens);
    appendNgrams(hashes, 2, fingerprints);
  }
  log(`  ${fmt(fingerprints.length)} bigrams`);
  return measure(
    'ngrams',
    [
      {
        name: 'NgramTable',
        run() {
          const table = new NgramTable();
          table.addAll(fingerprints);
          return { keep: table, result: [table.size, table.total] };
        },
      },
      {
        name: 'Map<bigint>',
        run() {
          const map = new Map<bigint, number>();
          const { hi, lo, length } = fingerprints;
          for (let i = 0; i < length; i++) {
            const key = key64(hi[i]!, lo[i]!);
            map.set(key, (map.get(key) ?? 0) + 1);
          }
          return { keep: map, result: [map.size, length] };
        },
      },
      {
        name: 'Map<string> of the text',
        run() {
          const map = new Map<string, number>();
          let total = 0;
          for (const tokens of texts) {
            for (let i = 0; i + 1 < tokens.length; i++) {
              const key = `${tokens[i]!} ${tokens[i + 1]!}`;
              map.set(key, (map.get(key) ?? 0) + 1);
              total++;
            }
          }
          return { keep: map, result: [map.size, total] };
        },
      },
    ],
    ([size, total]) => `${fmt(size!)} distinct of ${fmt(total!)}`,
  );
}

function documentFrequency(texts: string[][]): Row[] {
  const perText: PairBuffer[] = [];
  const hashes = new TokenHashBuffer();
  for (const tokens of texts) {
    hashes.reset();
    hashes.pushTokens(tokens);
    const out = new PairBuffer(tokens.length);
    appendNgrams(hashes, 4, out);
    perText.push(out);
  }
  return measure(
    'documentFrequency',
    [
      {
        name: 'FingerprintSet + NgramTable',
        run() {
          const seen = new FingerprintSet();
          const unique = new PairBuffer();
          const df = new NgramTable();
          for (const fps of perText) {
            seen.clear();
            unique.reset();
            for (let i = 0; i < fps.length; i++) {
              if (seen.add(fps.hi[i]!, fps.lo[i]!)) unique.push(fps.hi[i]!, fps.lo[i]!);
            }
            df.addAll(unique);
          }
          return { keep: df, result: [df.size, df.total] };
        },
      },
      {
        name: 'Set<bigint> + Map<bigint>',
        run() {
          const seen = new Set<bigint>();
          const df = new Map<bigint, number>();
          let total = 0;
          for (const fps of perText) {
            seen.clear();
            for (let i = 0; i < fps.length; i++) {
              const key = key64(fps.hi[i]!, fps.lo[i]!);
              if (seen.has(key)) continue;
              seen.add(key);
              df.set(key, (df.get(key) ?? 0) + 1);
              total++;
            }
          }
          return { keep: df, result: [df.size, total] };
        },
      },
    ],
    ([size, total]) => `${fmt(size!)} distinct, df sum ${fmt(total!)}`,
  );
}

function duplicates(): Row[] {
  const random = mulberry32(7);
  const hashes: string[] = [];
  const started = performance.now();
  for (let i = 0; i < HASHES; i++) {
    // 5% of the samples repeat an earlier one.
    const source = i > 0 && random() < 0.05 ? Math.floor(random() * i) : i;
    hashes.push(createHash('sha256').update(`sample ${source} of the corpus`).digest('hex'));
  }
  log(`  sha256 of ${fmt(HASHES)} short samples: ${fmt(performance.now() - started)} ms (not timed below)`);
  const firstOrdinalsSum = (add: (hash: string, ordinal: number) => number) => {
    let sum = 0;
    let repeats = 0;
    for (let i = 0; i < hashes.length; i++) {
      const first = add(hashes[i]!, i);
      if (first >= 0) {
        repeats++;
        sum += first;
      }
    }
    return [repeats, sum];
  };
  return measure(
    'duplicates',
    [
      {
        name: 'DuplicateSet',
        run() {
          const set = new DuplicateSet();
          return { keep: set, result: firstOrdinalsSum((hash, ordinal) => set.add(hash, ordinal)) };
        },
      },
      {
        name: 'Map<string> of 24 hex chars',
        run() {
          const map = new Map<string, number>();
          const result = firstOrdinalsSum((hash, ordinal) => {
            const key = hash.slice(0, 24);
            const first = map.get(key);
            if (first !== undefined) return first;
            map.set(key, ordinal);
            return -1;
          });
          return { keep: map, result };
        },
      },
    ],
    ([repeats, sum]) => `${fmt(repeats!)} repeats (first-ordinal sum ${sum})`,
  );
}

/** NgramIds.extend with a Map in place of its table: same ids (first-occurrence order). */
function mapNgramIds(tokens: readonly string[], visit: (ids: Int32Array, positions: number) => void): void {
  const length = tokens.length;
  const ids = new Int32Array(length);
  const tokenIds = new Int32Array(length);
  const interned = new Map<string, number>();
  for (let i = 0; i < length; i++) {
    let id = interned.get(tokens[i]!);
    if (id === undefined) interned.set(tokens[i]!, (id = interned.size));
    ids[i] = tokenIds[i] = id;
  }
  const pairs = new Map<number, number>();
  for (let n = 2, positions = length - 1; n <= 10; n++, positions--) {
    if (positions <= 0) {
      visit(ids, 0);
      continue;
    }
    pairs.clear();
    for (let i = 0; i < positions; i++) {
      const key = ids[i]! * length + tokenIds[i + n - 1]!;
      let id = pairs.get(key);
      if (id === undefined) pairs.set(key, (id = pairs.size));
      ids[i] = id;
    }
    visit(ids, positions);
  }
}

function gopherNgrams(texts: string[][]): Row[] {
  // heuristic_quality runs per sample on longer texts: join every 5 samples into one.
  const long: string[][] = [];
  for (let i = 0; i < texts.length; i += 5) long.push(texts.slice(i, i + 5).flat());
  const checksum = (ids: Int32Array, positions: number, acc: number[]) => {
    let h = acc[0]!;
    for (let i = 0; i < positions; i++) h = (Math.imul(h, 31) + ids[i]!) | 0;
    acc[0] = h;
    acc[1]! += positions;
  };
  return measure(
    'gopherNgrams',
    [
      {
        name: 'NgramIds',
        run() {
          const acc = [0, 0];
          let keep: NgramIds | undefined;
          for (const tokens of long) {
            const ngrams = new NgramIds(tokens);
            while (ngrams.n < 10) {
              ngrams.extend();
              checksum(ngrams.ids, ngrams.positions, acc);
            }
            keep = ngrams;
          }
          return { keep, result: acc };
        },
      },
      {
        name: 'Map<number>',
        run() {
          const acc = [0, 0];
          for (const tokens of long) mapNgramIds(tokens, (ids, positions) => checksum(ids, positions, acc));
          return { keep: acc, result: acc };
        },
      },
    ],
    ([h, positions]) => `${fmt(positions!)} n-gram positions, id checksum ${h}`,
  );
}

/** The (key, family) features the lexical embedder counts per text: words, bigrams, trigrams of `<word>`. */
function featureStreams(texts: string[][]): { keys: Int32Array; families: Uint8Array }[] {
  const fnv = (seed: number, s: string) => {
    let h = seed;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return fmix32(h);
  };
  return texts.map((words) => {
    const keys: number[] = [];
    const families: number[] = [];
    let previous = 0;
    words.forEach((word, w) => {
      const key = fnv(0x811c9dc5, word);
      keys.push(key);
      families.push(0);
      if (w > 0) {
        keys.push(fmix32(Math.imul(previous, 0x9e3779b1) ^ key ^ 0x297a2d39));
        families.push(1);
      }
      const padded = `<${word}>`;
      for (let i = 0; i + 3 <= padded.length; i++) {
        keys.push(fnv(0xad07e1a8, padded.slice(i, i + 3)));
        families.push(2);
      }
      previous = key;
    });
    return { keys: Int32Array.from(keys), families: Uint8Array.from(families) };
  });
}

function features(texts: string[][]): Row[] {
  const streams = featureStreams(texts);
  /** What projectFeatures reads: the entries in first-occurrence order with their counts. */
  const fold = (acc: number[], key: number, family: number, count: number) => {
    acc[0] = (Math.imul(acc[0]!, 31) + key + family * 7 + count) | 0;
    acc[1]!++;
  };
  return measure(
    'features',
    [
      {
        name: 'HashTable (as FeatureCounter)',
        run() {
          const index = new HashTable({ initialCapacity: 512, clearable: true });
          let keys = new Int32Array(256);
          let families = new Uint8Array(256);
          let counts = new Int32Array(256);
          const acc = [0, 0];
          for (const stream of streams) {
            index.clear();
            for (let f = 0; f < stream.keys.length; f++) {
              const key = stream.keys[f]!;
              const family = stream.families[f]!;
              const size = index.size;
              const entry = index.add(key, family, 0);
              if (entry < size) {
                counts[entry]!++;
                continue;
              }
              if (entry === keys.length) {
                const grown = (a: Int32Array) => {
                  const b = new Int32Array(a.length * 2);
                  b.set(a);
                  return b;
                };
                keys = grown(keys);
                counts = grown(counts);
                const f2 = new Uint8Array(families.length * 2);
                f2.set(families);
                families = f2;
              }
              keys[entry] = key;
              families[entry] = family;
              counts[entry] = 1;
            }
            for (let e = 0; e < index.size; e++) fold(acc, keys[e]!, families[e]!, counts[e]!);
          }
          return { keep: index, result: acc };
        },
      },
      {
        name: 'Map<number>',
        run() {
          const map = new Map<number, number>();
          const acc = [0, 0];
          for (const stream of streams) {
            map.clear();
            for (let f = 0; f < stream.keys.length; f++) {
              const id = stream.keys[f]! * 4 + stream.families[f]!;
              map.set(id, (map.get(id) ?? 0) + 1);
            }
            for (const [id, count] of map) {
              const family = ((id % 4) + 4) % 4;
              fold(acc, (id - family) / 4, family, count);
            }
          }
          return { keep: map, result: acc };
        },
      },
    ],
    ([h, entries]) => `${fmt(entries!)} features, checksum ${h}`,
  );
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const WORKLOADS: Record<string, (texts: string[][]) => Row[]> = {
  ngrams,
  documentFrequency,
  duplicates,
  gopherNgrams,
  features,
};

log(`corpus: ${fmt(SAMPLES)} texts of ~${TOKENS} words, vocabulary ${fmt(VOCAB)} (Zipf) ...`);
const texts = makeCorpus();
const rows: Row[] = [];
for (const [name, workload] of Object.entries(WORKLOADS)) {
  if (args.only !== undefined && !name.includes(args.only)) continue;
  rows.push(...workload(texts));
}
console.log(
  `Node ${process.version}; ${fmt(SAMPLES)} texts x ~${TOKENS} words (vocabulary ${fmt(VOCAB)}), ` +
    `${fmt(HASHES)} content hashes; median of ${ROUNDS} rounds\n`,
);
console.log(
  table(
    ['workload', 'variant', 'median ms', 'time / project table', 'retained MB', 'result'],
    rows.map((r) => [
      r.workload,
      r.variant,
      fmt(r.ms),
      `${r.ratio.toFixed(2)}x`,
      r.retainedMB.toFixed(1),
      r.result,
    ]),
  ),
);
