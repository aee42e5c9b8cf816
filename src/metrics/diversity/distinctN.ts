/**
 * diversity.distinct_n (Li et al. 2016): distinct n-grams / total n-grams, pooled over samples.
 * N-grams never cross sample boundaries. Exact up to 64-bit fingerprint collisions (see
 * ngramTable.ts); shard states merge exactly by adding the fingerprint tables.
 */
import { NgramTable, PairBuffer, TokenHashBuffer, appendNgrams } from '../ngramTable.js';
import {
  FIELD_PARAM,
  sampleText,
  whitespaceTokens,
  type MetricDefinition,
  type MetricOutcome,
  type TextField,
} from '../types.js';

/** Fingerprints buffered before a bulk insert (bounds the scratch memory of huge batches). */
const FLUSH_AT = 1 << 16;

export type DistinctNParams = { field: TextField; n: number };

interface DistinctNState {
  table: NgramTable;
  /** Total n-grams (with repeats). */
  total: number;
  samples: number;
}

export const distinctN: MetricDefinition<DistinctNParams, DistinctNState> = {
  key: 'diversity.distinct_n',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    'Distinct n-grams divided by total n-grams over whitespace tokens, pooled over all samples; ' +
    'n-grams never cross sample boundaries. 1 = no n-gram repeats anywhere.',
  citation:
    'Li et al. 2016, A Diversity-Promoting Objective Function for Neural Conversation Models (arXiv 1510.03055)',
  params: {
    field: FIELD_PARAM,
    n: {
      type: 'int',
      default: 2,
      min: 1,
      max: 4,
      description: 'N-gram order (1 = unigrams, i.e. distinct-1).',
    },
  },
  exactMerge: true,
  create(params) {
    const n = params.n;
    const field = params.field;
    const tokenHashes = new TokenHashBuffer();
    const fingerprints = new PairBuffer(4096);
    return {
      init: () => ({ table: new NgramTable(), total: 0, samples: 0 }),
      update(state, batch) {
        for (const sample of batch) {
          const tokens = whitespaceTokens(sampleText(sample, field));
          state.samples++;
          if (tokens.length < n) continue;
          tokenHashes.reset();
          tokenHashes.pushTokens(tokens);
          state.total += appendNgrams(tokenHashes, n, fingerprints);
          if (fingerprints.length >= FLUSH_AT) {
            state.table.addAll(fingerprints);
            fingerprints.reset();
          }
        }
        state.table.addAll(fingerprints);
        fingerprints.reset();
      },
      merge(left, right) {
        const [big, small] = left.table.size >= right.table.size ? [left, right] : [right, left];
        big.table.mergeFrom(small.table);
        return { table: big.table, total: left.total + right.total, samples: left.samples + right.samples };
      },
      finalize(state): MetricOutcome {
        const distinct = state.table.size;
        const total = state.total;
        if (total === 0) {
          return {
            value: null,
            reason:
              state.samples === 0
                ? 'no samples'
                : `no n-grams: every text has fewer than ${n} token${n === 1 ? '' : 's'}`,
            n: state.samples,
            estimator: 'EXACT',
            details: { distinct, total },
          };
        }
        return {
          value: distinct / total,
          n: state.samples,
          estimator: 'EXACT',
          details: { distinct, total },
        };
      },
    };
  },
};
