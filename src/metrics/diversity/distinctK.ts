/**
 * diversity.distinct_k — NoveltyBench's distinct_k (Zhang et al. 2025, arXiv 2504.05228): for a
 * prompt with k generations, the number of functional equivalence classes among them; the version
 * value is the mean over prompts.
 *
 * Grouping follows the reference's `partition_responses` (novelty-bench `src/partition.py`): the
 * generations are visited in order; each one not yet in a class opens a new class and becomes its
 * representative, and every later unassigned generation equivalent to that representative joins
 * it. Equivalent is the reference's lexical algorithm (`equivalence_check_unigram`): ROUGE-1
 * F-measure (rouge_score, no stemming) of the two texts > 0.458. The reference's default uses a
 * fine-tuned DeBERTa classifier; this metric is its documented lexical fallback, for catalogs with
 * no classifier model configured.
 *
 * Generations of a prompt are the samples whose prompt text is identical, in ordinal order. With
 * k = 0 every prompt with at least two generations counts, with all of them; with k >= 1 each
 * prompt's first k generations count and prompts with fewer are skipped (reported in details).
 *
 * ROUGE-1 tokens are this project's ROUGE tokens (see homogenizationRougeL.ts): lowercase, runs of
 * non-letters/digits to a space; equal to rouge_score's on ASCII text, Unicode-aware beyond it.
 */
import { fsum } from '../exactSum.js';
import { sampleText, type MetricDefinition, type MetricOutcome, type TextField } from '../types.js';
import { rougeTokens } from './homogenizationRougeL.js';

export const DISTINCT_K_KEY = 'diversity.distinct_k';

/** NoveltyBench's threshold for its unigram (ROUGE-1) equivalence check. */
export const ROUGE1_EQUIVALENCE_THRESHOLD = 0.458;

export type DistinctKParams = { field: TextField; k: number };

/** One generation: its tokens as counts of interned token ids. */
type Bag = Map<number, number>;

interface PromptGroup {
  /** Bags of the generations in ordinal order (at most k kept when k >= 1). */
  generations: Bag[];
  /** Generations seen, including any beyond k. */
  seen: number;
}

interface DistinctKState {
  /** Token text -> interned id, shared by every bag of this state. */
  vocabulary: Map<string, number>;
  /** Prompt text -> its generations; insertion order = order of first appearance. */
  prompts: Map<string, PromptGroup>;
  samples: number;
}

/** rouge_score's ROUGE-1 F-measure of two bags: P = overlap/|b|, R = overlap/|a|, F = 2PR/(P+R). */
export function rouge1F(a: Bag, aLength: number, b: Bag, bLength: number): number {
  let overlap = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [token, count] of small) {
    const other = large.get(token);
    if (other !== undefined) overlap += Math.min(count, other);
  }
  const precision = overlap / Math.max(bLength, 1);
  const recall = overlap / Math.max(aLength, 1);
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function bagLength(bag: Bag): number {
  let total = 0;
  for (const count of bag.values()) total += count;
  return total;
}

/** The class index of each generation, as NoveltyBench's `partition_responses` assigns them. */
export function partitionGenerations(bags: readonly Bag[]): number[] {
  const lengths = bags.map(bagLength);
  const partition = new Array<number>(bags.length).fill(-1);
  let classes = 0;
  for (let i = 0; i < bags.length; i++) {
    if (partition[i]! >= 0) continue;
    partition[i] = classes;
    for (let j = i + 1; j < bags.length; j++) {
      if (partition[j] !== -1) continue;
      if (rouge1F(bags[i]!, lengths[i]!, bags[j]!, lengths[j]!) > ROUGE1_EQUIVALENCE_THRESHOLD) {
        partition[j] = classes;
      }
    }
    classes++;
  }
  return partition;
}

function bagOf(text: string, vocabulary: Map<string, number>): Bag {
  const bag: Bag = new Map();
  for (const token of rougeTokens(text)) {
    let id = vocabulary.get(token);
    if (id === undefined) {
      id = vocabulary.size;
      vocabulary.set(token, id);
    }
    bag.set(id, (bag.get(id) ?? 0) + 1);
  }
  return bag;
}

/** Re-keys a bag from one state's vocabulary into another's (when merging shard states). */
function translate(bag: Bag, from: readonly string[], into: Map<string, number>): Bag {
  const out: Bag = new Map();
  for (const [id, count] of bag) {
    const token = from[id]!;
    let target = into.get(token);
    if (target === undefined) {
      target = into.size;
      into.set(token, target);
    }
    out.set(target, count);
  }
  return out;
}

export const distinctKMetric: MetricDefinition<DistinctKParams, DistinctKState> = {
  key: DISTINCT_K_KEY,
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    "NoveltyBench's distinct_k: per prompt (samples sharing the same prompt text are its generations), the number of " +
    'equivalence classes among its generations, grouped greedily in ordinal order with ROUGE-1 F > 0.458 to the ' +
    "class representative as the reference's lexical equivalence check; mean over prompts. Prompts with a single " +
    'generation (or fewer than k when k >= 1) are skipped.',
  citation:
    'Zhang et al. 2025, "NoveltyBench: Evaluating Language Models for Humanlike Diversity" (arXiv 2504.05228); ' +
    'partition and unigram equivalence as in the reference implementation (novelty-bench src/partition.py).',
  params: {
    field: {
      type: 'enum',
      default: 'response',
      values: ['response', 'prompt+response'],
      description: 'The text compared between generations (the prompt itself is the grouping key).',
    },
    k: {
      type: 'int',
      default: 0,
      min: 0,
      max: 1000,
      description:
        "Generations per prompt: 0 = all of each prompt's generations (prompts with >= 2); k >= 1 = the first k " +
        'by ordinal, prompts with fewer skipped.',
    },
  },
  exactMerge: true,
  create(params) {
    const keep = params.k >= 1 ? params.k : Infinity;
    const field = params.field;
    return {
      init: () => ({ vocabulary: new Map(), prompts: new Map(), samples: 0 }),
      update(state, batch) {
        for (const sample of batch) {
          state.samples++;
          let group = state.prompts.get(sample.prompt);
          if (!group) {
            group = { generations: [], seen: 0 };
            state.prompts.set(sample.prompt, group);
          }
          group.seen++;
          if (group.generations.length >= keep) continue;
          group.generations.push(bagOf(sampleText(sample, field), state.vocabulary));
        }
      },
      merge(left, right) {
        const rightTokens = [...right.vocabulary.keys()];
        for (const [prompt, group] of right.prompts) {
          let target = left.prompts.get(prompt);
          if (!target) {
            target = { generations: [], seen: 0 };
            left.prompts.set(prompt, target);
          }
          for (const bag of group.generations) {
            if (target.generations.length >= keep) break;
            target.generations.push(translate(bag, rightTokens, left.vocabulary));
          }
          target.seen += group.seen;
        }
        left.samples += right.samples;
        return left;
      },
      finalize(state): MetricOutcome {
        const distinct: number[] = [];
        const ratios: number[] = [];
        let single = 0;
        let fewerThanK = 0;
        let generations = 0;
        for (const group of state.prompts.values()) {
          if (params.k === 0 && group.seen < 2) {
            single++;
            continue;
          }
          if (params.k >= 1 && group.seen < params.k) {
            fewerThanK++;
            continue;
          }
          const partition = partitionGenerations(group.generations);
          const classes = Math.max(...partition) + 1;
          distinct.push(classes);
          ratios.push(classes / group.generations.length);
          generations += group.generations.length;
        }
        const details = {
          prompts: distinct.length,
          generations,
          promptsWithOneGeneration: single,
          promptsWithFewerThanK: fewerThanK,
          meanDistinctShare: distinct.length ? fsum(ratios) / ratios.length : null,
          equivalence: `ROUGE-1 F > ${ROUGE1_EQUIVALENCE_THRESHOLD}`,
        };
        if (distinct.length === 0) {
          return {
            value: null,
            reason:
              params.k >= 1
                ? `no prompt has at least ${params.k} generations`
                : 'no prompt has two or more generations (samples sharing a prompt text)',
            n: 0,
            estimator: 'EXACT',
            details,
          };
        }
        return { value: fsum(distinct) / distinct.length, n: generations, estimator: 'EXACT', details };
      },
    };
  },
};
