/**
 * diversity.ngram_diversity (Shaib et al. 2024): sum over n = 1..4 of unique / total n-grams of
 * the corpus formed by joining all texts with one space. Joining with one space and then splitting
 * on whitespace equals concatenating the samples' whitespace-token lists (an empty text adds no
 * token), so here n-grams DO cross sample boundaries.
 *
 * Shards merge exactly: a state keeps the hashes of the first and last 3 tokens of its segment, and
 * merge(left, right) adds the n-grams that span the boundary (left's last n-1 tokens followed by
 * right's first tokens).
 */
import { NgramTable, PairBuffer, TokenHashBuffer, appendNgrams, ngramCount } from '../ngramTable.js';
import {
  FIELD_PARAM,
  sampleText,
  whitespaceTokens,
  type MetricDefinition,
  type MetricOutcome,
  type TextField,
} from '../types.js';

export type NgramDiversityParams = { field: TextField };

const MAX_N = 4;
/** Tokens kept at each end of a segment: enough for any n-gram (n <= 4) spanning a boundary. */
const EDGE = MAX_N - 1;
/** Fingerprints buffered per order before a bulk insert (bounds the scratch memory of huge batches). */
const FLUSH_AT = 1 << 16;

interface NgramDiversityState {
  /** tables[n - 1]: n-gram fingerprints of the segment. */
  tables: NgramTable[];
  /** Tokens in the segment. */
  tokens: number;
  samples: number;
  /** Hashes of the segment's first min(3, tokens) tokens. */
  head: PairBuffer;
  /** Hashes of the segment's last min(3, tokens) tokens. */
  tail: PairBuffer;
}

/** The last `count` pairs of a ++ b. */
function lastOf(a: PairBuffer, b: PairBuffer, count: number): PairBuffer {
  const joined = new PairBuffer(a.length + b.length);
  joined.pushFrom(a);
  joined.pushFrom(b);
  const out = new PairBuffer(count);
  out.pushFrom(joined, joined.length - count);
  return out;
}

/** The first `count` pairs of a ++ b. */
function firstOf(a: PairBuffer, b: PairBuffer, count: number): PairBuffer {
  const out = new PairBuffer(count);
  out.pushFrom(a, 0, count);
  out.pushFrom(b, 0, count - out.length);
  return out;
}

export const ngramDiversity: MetricDefinition<NgramDiversityParams, NgramDiversityState> = {
  key: 'diversity.ngram_diversity',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    'Sum over n = 1..4 of unique n-grams / total n-grams of the corpus formed by joining all texts with one space ' +
    '(whitespace tokens; n-grams cross sample boundaries). Between 0 and 4; an order with no n-grams ' +
    '(fewer than n tokens in the whole corpus) adds 0.',
  citation: 'Shaib et al. 2024, Standardizing the Measurement of Text Diversity (arXiv 2403.00553)',
  params: { field: FIELD_PARAM },
  exactMerge: true,
  create(params) {
    const field = params.field;
    const window = new TokenHashBuffer();
    const fingerprints = Array.from({ length: MAX_N }, () => new PairBuffer(4096));
    const flush = (state: NgramDiversityState) => {
      fingerprints.forEach((buffer, index) => {
        state.tables[index]!.addAll(buffer);
        buffer.reset();
      });
    };
    return {
      init: () => ({
        tables: Array.from({ length: MAX_N }, () => new NgramTable()),
        tokens: 0,
        samples: 0,
        head: new PairBuffer(EDGE),
        tail: new PairBuffer(EDGE),
      }),
      update(state, batch) {
        const { head, tail } = state;
        for (const sample of batch) {
          state.samples++;
          const tokens = whitespaceTokens(sampleText(sample, field));
          if (tokens.length === 0) continue;
          // The segment's previous tokens (at most 3), then this sample's: take the n-grams whose
          // last token belongs to this sample.
          window.reset();
          window.pushFrom(tail);
          const prefix = window.length;
          window.pushTokens(tokens);
          for (let n = 1; n <= MAX_N; n++) appendNgrams(window, n, fingerprints[n - 1]!, prefix + 1);
          head.pushFrom(window, prefix, prefix + EDGE - head.length);
          tail.reset();
          tail.pushFrom(window, window.length - EDGE);
          state.tokens += tokens.length;
          if (fingerprints[0]!.length >= FLUSH_AT) flush(state);
        }
        flush(state);
      },
      merge(left, right) {
        if (right.tokens === 0) {
          left.samples += right.samples;
          return left;
        }
        if (left.tokens === 0) {
          right.samples += left.samples;
          return right;
        }
        const tables = left.tables.map((leftTable, index) => {
          const rightTable = right.tables[index]!;
          return leftTable.size >= rightTable.size
            ? leftTable.mergeFrom(rightTable)
            : rightTable.mergeFrom(leftTable);
        });
        // N-grams spanning the boundary: they start among left's last tokens and end among right's
        // first, i.e. in left.tail ++ right.head with exclusive end in [boundary + 1, boundary + n - 1].
        const boundary = new PairBuffer(2 * EDGE);
        boundary.pushFrom(left.tail);
        boundary.pushFrom(right.head);
        const split = left.tail.length;
        const spanning = new PairBuffer(16);
        for (let n = 2; n <= MAX_N; n++) {
          spanning.reset();
          appendNgrams(boundary, n, spanning, split + 1, split + n - 1);
          tables[n - 1]!.addAll(spanning);
        }
        return {
          tables,
          tokens: left.tokens + right.tokens,
          samples: left.samples + right.samples,
          head: firstOf(left.head, right.head, EDGE),
          tail: lastOf(left.tail, right.tail, EDGE),
        };
      },
      finalize(state): MetricOutcome {
        const orders = state.tables.map((table, index) => ({
          n: index + 1,
          unique: table.size,
          total: ngramCount(state.tokens, index + 1),
        }));
        const details = { tokens: state.tokens, orders };
        if (state.tokens === 0) {
          return {
            value: null,
            reason: state.samples === 0 ? 'no samples' : 'no tokens: every text is empty',
            n: state.samples,
            estimator: 'EXACT',
            details,
          };
        }
        let value = 0;
        for (const order of orders) if (order.total > 0) value += order.unique / order.total;
        return { value, n: state.samples, estimator: 'EXACT', details };
      },
    };
  },
};
