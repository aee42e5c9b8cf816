/**
 * `quality.reward`: a reward model served behind an HTTP endpoint scores each (prompt, response)
 * pair with one scalar; the version's value is the mean. The route shapes the connector speaks are
 * listed in REWARD_ROUTES (src/judges/rewardRoutes.ts reads and writes them).
 */
import type {
  Accumulator,
  JudgeConnection,
  MetricDefinition,
  MetricEnvironment,
  ResolvedParams,
} from '../types.js';
import { endpointParams } from './judgeParams.js';
import {
  createTally,
  judgedSamples,
  judgeOutcome,
  mergeTallies,
  subsetPrepass,
  tallyScore,
  tallyUsage,
  type JudgeSubset,
  type JudgeTally,
} from './llmJudge.js';

/** `score`: vLLM's POST <endpoint>/score; `rewards`: POST <endpoint>/rewards; `rerank`: TEI's POST <endpoint>/rerank. */
export const REWARD_ROUTES = ['score', 'rewards', 'rerank'] as const;
export type RewardRoute = (typeof REWARD_ROUTES)[number];

function rewardAccumulator(
  params: ResolvedParams,
  subset: JudgeSubset | undefined,
  environment: MetricEnvironment,
): Accumulator<JudgeTally> {
  let connection: JudgeConnection | null = null;
  return {
    init: createTally,
    async update(tally, batch, emit) {
      const samples = judgedSamples(batch, subset);
      if (samples.length === 0) return;
      if (!environment.judge) throw new Error('this runner has no judge connector');
      connection ??= await environment.judge(params);
      const answers = await connection.reward(
        samples.map((s) => ({ contentHash: s.contentHash, prompt: s.prompt, response: s.response })),
      );
      samples.forEach((sample, i) => {
        const answer = answers[i]!;
        tallyUsage(tally, answer);
        tallyScore(tally, answer.value);
        emit({ ordinal: sample.ordinal, value: answer.value });
      });
    },
    merge: mergeTallies,
    finalize: (tally) => judgeOutcome(tally, subset, connection, params, { route: params.route }),
  };
}

export const qualityReward: MetricDefinition = {
  key: 'quality.reward',
  axis: 'QUALITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    'Mean scalar reward of (prompt, response) from a reward or cross-encoder model behind an HTTP endpoint. ' +
    'route=score: vLLM POST <endpoint>/score {model, text_1: prompt, text_2: response} -> data[0].score; ' +
    'route=rewards: POST <endpoint>/rewards {model, messages: [user prompt, assistant response]} -> the first number of ' +
    'score, reward, rewards[0], data[0].score; route=rerank: TEI POST <endpoint>/rerank {query: prompt, texts: [response], ' +
    'raw_scores: true} -> [0].score. Answers are cached by (endpoint, model, route, sample content hash).',
  citation:
    'Reward-model data scoring, e.g. Skywork-Reward (Liu et al. 2024, arXiv 2410.18451); vLLM score API; text-embeddings-inference rerank API',
  params: {
    ...endpointParams(),
    route: {
      type: 'enum',
      default: 'score',
      values: REWARD_ROUTES,
      description: 'Which route shape the endpoint speaks: score (vLLM), rewards, rerank (TEI).',
    },
  },
  sampleValue: 'the reward of (prompt, response)',
  exactMerge: true,
  input: 'judge',
  prepass: subsetPrepass,
  create: (params, prepared, environment) =>
    rewardAccumulator(params, prepared as JudgeSubset | undefined, environment),
};
