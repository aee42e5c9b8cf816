/**
 * A judge connection answering from the sample's content hash alone, in memory: for the registry
 * -wide shard-merge test, which checks how judge metrics' states merge, not how they reach an
 * endpoint (the judges.*.test.ts files test that over real HTTP).
 */
import { BUILTIN_TEMPLATES } from '../../src/metrics/judge/builtinTemplates.js';
import { templateHash } from '../../src/metrics/judge/judgeTemplate.js';
import type { JudgeConnection, ResolvedParams } from '../../src/metrics/types.js';

export async function inMemoryJudge(params: ResolvedParams): Promise<JudgeConnection> {
  const name = String(params.template ?? '').split('@')[0];
  const builtIn = BUILTIN_TEMPLATES.find((t) => t.name === name);
  let calls = 0;
  const digit = (hash: string) => parseInt(hash.slice(-2), 16) % 8; // 0-7: 6 and 7 fall outside 0-5
  return {
    endpoint: String(params.endpoint),
    model: String(params.model),
    template: builtIn ? { ...builtIn, version: 1, hash: templateHash(builtIn) } : null,
    async chat(items) {
      calls += items.length;
      return items.map(({ contentHash }) => ({
        text:
          digit(contentHash) === 7
            ? 'I cannot say.'
            : builtIn?.kind === 'PAIRWISE'
              ? `Verdict: [[${'ABC'[digit(contentHash) % 3]}]]`
              : `${digit(contentHash)}\nbecause`,
        finishReason: 'stop',
        promptTokens: 5,
        completionTokens: 2,
        cached: false,
      }));
    },
    async reward(items) {
      calls += items.length;
      return items.map(({ contentHash }) => ({
        value: digit(contentHash) / 4 - 1,
        promptTokens: 3,
        cached: false,
      }));
    },
    baseResponse: (prompt) => (prompt.length % 5 === 0 ? undefined : `base answer to ${prompt}`),
    stats: () => ({ calls, retries: 0, cacheHits: 0 }),
  };
}
