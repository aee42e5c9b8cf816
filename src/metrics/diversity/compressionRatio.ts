/**
 * diversity.compression_ratio (Shaib et al. 2024): UTF-8 bytes of the texts joined with one space,
 * divided by the bytes of their gzip compression at level 9.
 *
 * Texts are the chosen field of EVERY sample in ordinal order, empty ones included, joined as
 * `texts.join(' ')` (so an empty text still adds its separating space). The joined text is never
 * built: each batch's `join(' ')` is written to one `zlib.createGzip({ level: 9 })` stream
 * (preceded by the separating space when samples came before), counting input and output bytes,
 * with back-pressure, so memory stays bounded. Node's deflate output does not depend on how the
 * input is split across writes, so the compressed length equals
 * `zlib.gzipSync(Buffer.from(texts.join(' ')), { level: 9 }).length` exactly (tested).
 *
 * Caveat on comparability: Node bundles Chromium's zlib fork, whose deflate hashes with CRC32C when
 * the CPU has SSE4.2/PCLMUL (x64) or CRC32 (Arm) and with vanilla zlib's Rabin-Karp hash otherwise.
 * The output stays valid gzip but its length can differ slightly from vanilla zlib's (e.g.
 * CPython's `gzip.compress(data, 9)`: 13386 vs 13400 bytes on an 863 kB text), and so between
 * Node versions or CPUs. `details.zlib` records `process.versions.zlib`.
 *
 * Deflate is not decomposable, so merging two shards that both have samples is APPROXIMATE: the
 * input bytes stay exact (plus the separating space), the compressed bytes are the sum of each
 * shard's own gzip output (as if the shards were separate gzip members). An unmerged run, or one
 * whose other shards hold no samples, is EXACT.
 */
import { createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import {
  FIELD_PARAM,
  sampleText,
  type MetricDefinition,
  type MetricOutcome,
  type TextField,
} from '../types.js';

export type CompressionRatioParams = { field: TextField };

interface CompressionRatioState {
  /** Open while this state is still streaming (created at its first sample); null before and after. */
  gzip: Gzip | null;
  /** True once the stream has been ended (by merge or finalize): no more updates. */
  closed: boolean;
  samples: number;
  inputBytes: number;
  compressedBytes: number;
  /** Shards with samples whose separate compressions were summed (0 while unmerged). */
  mergedShards: number;
  error: Error | null;
}

function openGzip(state: CompressionRatioState): Gzip {
  const gzip = createGzip({ level: 9 });
  gzip.on('data', (chunk: Buffer) => {
    state.compressedBytes += chunk.length;
  });
  gzip.on('error', (error: Error) => {
    state.error ??= error;
  });
  return gzip;
}

/** Ends the state's stream, if any, and waits until all its output has been counted. */
async function finish(state: CompressionRatioState): Promise<void> {
  const gzip = state.gzip;
  state.closed = true;
  if (gzip) {
    state.gzip = null;
    gzip.end();
    await finished(gzip);
  }
  if (state.error) throw state.error;
}

export const compressionRatio: MetricDefinition<CompressionRatioParams, CompressionRatioState> = {
  key: 'diversity.compression_ratio',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'LOWER_IS_BETTER',
  description:
    "UTF-8 bytes of all texts joined with one space (texts.join(' '), empty texts included) divided by the bytes " +
    'of their gzip compression at level 9. Higher = more repetitive. Exact on one shard; merged shards ' +
    'sum their separate compressions (APPROXIMATE).',
  citation: 'Shaib et al. 2024, Standardizing the Measurement of Text Diversity (arXiv 2403.00553)',
  params: { field: FIELD_PARAM },
  exactMerge: false,
  create(params) {
    const field = params.field;
    return {
      init: () => ({
        gzip: null,
        closed: false,
        samples: 0,
        inputBytes: 0,
        compressedBytes: 0,
        mergedShards: 0,
        error: null,
      }),
      async update(state, batch) {
        if (batch.length === 0) return;
        if (state.closed) throw new Error('compression_ratio: cannot update a merged or finalized state');
        if (state.error) throw state.error;
        // Opened at the first sample even if its text is empty, so that every shard with samples
        // has a compressed size to sum when shards are merged.
        const gzip = (state.gzip ??= openGzip(state));
        let text = batch.map((sample) => sampleText(sample, field)).join(' ');
        if (state.samples > 0) text = ` ${text}`;
        state.samples += batch.length;
        const bytes = Buffer.from(text, 'utf8');
        if (bytes.length === 0) return;
        state.inputBytes += bytes.length;
        if (!gzip.write(bytes)) await once(gzip, 'drain');
      },
      async merge(left, right) {
        // A shard without samples changes nothing: keep the other stream open (still exact).
        if (right.samples === 0) return left;
        if (left.samples === 0) return right;
        await Promise.all([finish(left), finish(right)]);
        return {
          gzip: null,
          closed: true,
          samples: left.samples + right.samples,
          // The whole text is left + ' ' + right.
          inputBytes: left.inputBytes + 1 + right.inputBytes,
          compressedBytes: left.compressedBytes + right.compressedBytes,
          mergedShards: Math.max(1, left.mergedShards) + Math.max(1, right.mergedShards),
          error: null,
        };
      },
      async finalize(state): Promise<MetricOutcome> {
        await finish(state);
        const { inputBytes, compressedBytes, mergedShards } = state;
        const approximate = mergedShards > 0;
        const details: Record<string, unknown> = { inputBytes, compressedBytes, zlib: process.versions.zlib };
        if (approximate) details.mergedShards = mergedShards;
        const estimator = approximate ? 'APPROXIMATE' : 'EXACT';
        if (inputBytes === 0) {
          return {
            value: null,
            reason: state.samples === 0 ? 'no samples' : 'no text: every text is empty (0 bytes)',
            n: state.samples,
            estimator,
            details,
          };
        }
        return { value: inputBytes / compressedBytes, n: state.samples, estimator, details };
      },
    };
  },
};
