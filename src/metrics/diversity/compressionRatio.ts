/**
 * diversity.compression_ratio (Shaib et al. 2024): UTF-8 bytes of the texts joined with one space,
 * divided by the bytes of their gzip compression at level 9.
 *
 * Texts are the chosen field of EVERY sample in ordinal order, empty ones included, joined as
 * `texts.join(' ')` (so an empty text still adds its separating space). The joined text is never
 * built: each batch's `join(' ')` is pushed into one streaming deflater (preceded by the
 * separating space when samples came before), counting input and output bytes, so memory stays
 * bounded. Deflate's output does not depend on how its input is split across pushes, so the
 * compressed length equals that of compressing the whole join at once (tested).
 *
 * The deflater is pako 2.1.0, a JavaScript port of zlib whose output is byte-identical to
 * reference zlib 1.2.x at the same level, so the value equals CPython's
 * `len(raw) / len(gzip.compress(raw, 9))` (the `diversity` package's definition; both write a
 * 10-byte gzip header and an 8-byte trailer) on every machine. Version 1 used Node's bundled zlib,
 * Chromium's fork, whose deflate hashes differently on CPUs with SSE4.2 and emits slightly
 * different (shorter) output: 5,292 instead of 5,357 bytes on the 175 Self-Instruct seed
 * instructions, a ratio 1.2% too high. pako is pinned exactly for that reason.
 *
 * Deflate is not decomposable, so merging two shards that both have samples is APPROXIMATE: the
 * input bytes stay exact (plus the separating space), the compressed bytes are the sum of each
 * shard's own gzip output (as if the shards were separate gzip members). An unmerged run, or one
 * whose other shards hold no samples, is EXACT.
 */
import { Deflate } from 'pako';
import {
  FIELD_PARAM,
  sampleText,
  type MetricDefinition,
  type MetricOutcome,
  type TextField,
} from '../types.js';

/** Recorded in every result's details: which deflate produced the compressed length. */
export const DEFLATE_IMPLEMENTATION = 'pako 2.1.0 (zlib 1.2 port), gzip level 9';

export type CompressionRatioParams = { field: TextField };

interface CompressionRatioState {
  /** Open while this state is still streaming (created at its first sample); null before and after. */
  deflate: Deflate | null;
  /** True once the stream has been ended (by merge or finalize): no more updates. */
  closed: boolean;
  samples: number;
  inputBytes: number;
  compressedBytes: number;
  /** Shards with samples whose separate compressions were summed (0 while unmerged). */
  mergedShards: number;
}

function openDeflate(state: CompressionRatioState): Deflate {
  const deflate = new Deflate({ level: 9, gzip: true });
  // Count the output instead of keeping it. Without the `to: 'string'` option pako hands out
  // Uint8Array chunks.
  deflate.onData = (chunk) => {
    state.compressedBytes += (chunk as Uint8Array).byteLength;
  };
  return deflate;
}

function push(deflate: Deflate, data: Uint8Array, last: boolean): void {
  if (!deflate.push(data, last)) {
    throw new Error(`compression_ratio: deflate failed (${deflate.msg || `code ${deflate.err}`})`);
  }
}

/** Ends the state's stream, if any, so that all its output has been counted. */
function finish(state: CompressionRatioState): void {
  const deflate = state.deflate;
  state.closed = true;
  if (deflate) {
    state.deflate = null;
    push(deflate, new Uint8Array(0), true);
  }
}

export const compressionRatio: MetricDefinition<CompressionRatioParams, CompressionRatioState> = {
  key: 'diversity.compression_ratio',
  axis: 'DIVERSITY',
  version: 2,
  direction: 'LOWER_IS_BETTER',
  description:
    "UTF-8 bytes of all texts joined with one space (texts.join(' '), empty texts included) divided by the bytes " +
    'of their gzip compression at level 9, byte-identical to reference zlib (CPython gzip.compress(raw, 9)). ' +
    'Higher = more repetitive. Exact on one shard; merged shards sum their separate compressions (APPROXIMATE).',
  citation: 'Shaib et al. 2024, Standardizing the Measurement of Text Diversity (arXiv 2403.00553)',
  params: { field: FIELD_PARAM },
  exactMerge: false,
  create(params) {
    const field = params.field;
    return {
      init: () => ({
        deflate: null,
        closed: false,
        samples: 0,
        inputBytes: 0,
        compressedBytes: 0,
        mergedShards: 0,
      }),
      async update(state, batch) {
        if (batch.length === 0) return;
        if (state.closed) throw new Error('compression_ratio: cannot update a merged or finalized state');
        // Opened at the first sample even if its text is empty, so that every shard with samples
        // has a compressed size to sum when shards are merged.
        const deflate = (state.deflate ??= openDeflate(state));
        let text = batch.map((sample) => sampleText(sample, field)).join(' ');
        if (state.samples > 0) text = ` ${text}`;
        state.samples += batch.length;
        const bytes = Buffer.from(text, 'utf8');
        if (bytes.length === 0) return;
        state.inputBytes += bytes.length;
        push(deflate, bytes, false);
      },
      async merge(left, right) {
        // A shard without samples changes nothing: keep the other stream open (still exact).
        if (right.samples === 0) return left;
        if (left.samples === 0) return right;
        finish(left);
        finish(right);
        return {
          deflate: null,
          closed: true,
          samples: left.samples + right.samples,
          // The whole text is left + ' ' + right.
          inputBytes: left.inputBytes + 1 + right.inputBytes,
          compressedBytes: left.compressedBytes + right.compressedBytes,
          mergedShards: Math.max(1, left.mergedShards) + Math.max(1, right.mergedShards),
        };
      },
      async finalize(state): Promise<MetricOutcome> {
        finish(state);
        const { inputBytes, compressedBytes, mergedShards } = state;
        const approximate = mergedShards > 0;
        const details: Record<string, unknown> = {
          inputBytes,
          compressedBytes,
          deflate: DEFLATE_IMPLEMENTATION,
        };
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
