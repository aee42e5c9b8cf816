/**
 * A judge metric's connection to its endpoint: requests rendered by the metric go through the
 * response cache first, and only the misses are sent (deduplicated within a batch, concurrency-
 * and rate-limited, retried); each answer is stored in the cache as soon as it arrives, so a killed
 * worker loses no paid-for answer.
 */
import { namedSecret } from '../config.js';
import type { Executor } from '../db/connect.js';
import { BadInputError } from '../errors.js';
import type { JudgeTemplateSpec } from '../metrics/judge/judgeTemplate.js';
import type { RewardRoute } from '../metrics/judge/reward.js';
import type {
  JudgeAnswer,
  JudgeCallStats,
  JudgeConnection,
  JudgeMessage,
  ResolvedParams,
  RewardAnswer,
} from '../metrics/types.js';
import { EndpointClient, type EndpointLimits } from './endpointClient.js';
import { CacheWriter, cachedResponses, cacheKey, type CacheIdentity } from './responseCache.js';
import { readJudgeSecret } from './secrets.js';
import { judgeTemplateByRef } from './templates.js';
import { samples, type JudgeResponseRow } from '../db/schema.js';
import { asc, eq } from 'drizzle-orm';

export function limitsOf(params: ResolvedParams): EndpointLimits {
  return {
    concurrency: Number(params.concurrency),
    requestsPerMinute: Number(params.requestsPerMinute),
    maxRetries: Number(params.maxRetries),
    retryBaseMs: Number(params.retryBaseMs),
    timeoutMs: Number(params.timeoutMs),
  };
}

/** The API key a run's params name (apiKeyEnv first, then apiKeySecret), or undefined for none. */
export async function apiKeyOf(db: Executor, params: ResolvedParams): Promise<string | undefined> {
  const env = String(params.apiKeyEnv ?? '');
  if (env !== '') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
      throw new BadInputError(`apiKeyEnv "${env}" is not an environment variable name`, {
        param: 'apiKeyEnv',
      });
    const value = namedSecret(env);
    if (value === undefined)
      throw new BadInputError(`the environment variable ${env} (apiKeyEnv) is not set`, {
        param: 'apiKeyEnv',
      });
    return value;
  }
  const secret = String(params.apiKeySecret ?? '');
  if (secret !== '') {
    const value = await readJudgeSecret(db, secret);
    if (value === undefined)
      throw new BadInputError(`no stored secret "${secret}" (apiKeySecret); store it with setJudgeSecret`, {
        param: 'apiKeySecret',
      });
    return value;
  }
  return undefined;
}

/** Parses a chat-completions answer (stream off); throws when it is not one. */
export function parseChatCompletion(json: unknown): Omit<JudgeAnswer, 'cached'> {
  const body = json as {
    choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  } | null;
  const choice = body?.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw new Error('the answer has no choices[0].message.content string');
  return {
    text: content,
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
    promptTokens: tokens(body?.usage?.prompt_tokens),
    completionTokens: tokens(body?.usage?.completion_tokens),
  };
}

function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** Where each reward route is and how its request and answer look. */
export const REWARD_SHAPES: Record<
  RewardRoute,
  {
    path: string;
    body(model: string, prompt: string, response: string): unknown;
    read(json: unknown): { value: number; promptTokens: number };
  }
> = {
  score: {
    path: 'score',
    body: (model, prompt, response) => ({ model, text_1: prompt, text_2: response }),
    read(json) {
      const body = json as { data?: Array<{ score?: unknown }>; usage?: { prompt_tokens?: unknown } };
      return {
        value: finite(body?.data?.[0]?.score, 'data[0].score'),
        promptTokens: tokens(body?.usage?.prompt_tokens),
      };
    },
  },
  rewards: {
    path: 'rewards',
    body: (model, prompt, response) => ({
      model,
      messages: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: response },
      ],
    }),
    read(json) {
      const body = json as {
        score?: unknown;
        reward?: unknown;
        rewards?: unknown[];
        data?: Array<{ score?: unknown }>;
        usage?: { prompt_tokens?: unknown };
      };
      const candidates = [body?.score, body?.reward, body?.rewards?.[0], body?.data?.[0]?.score];
      const value = candidates.find((c) => typeof c === 'number' && Number.isFinite(c));
      return {
        value: finite(value, 'score, reward, rewards[0] or data[0].score'),
        promptTokens: tokens(body?.usage?.prompt_tokens),
      };
    },
  },
  rerank: {
    path: 'rerank',
    body: (_model, prompt, response) => ({ query: prompt, texts: [response], raw_scores: true }),
    read(json) {
      const body = json as Array<{ index?: unknown; score?: unknown }>;
      if (!Array.isArray(body)) throw new Error('the answer is not an array of {index, score}');
      return { value: finite(body[0]?.score, '[0].score'), promptTokens: 0 };
    },
  },
};

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`the answer has no number at ${where}`);
  return value;
}

/** Opens the connection a judge metric's params name (the template is read from the catalog). */
export async function openJudgeConnection(
  db: Executor,
  params: ResolvedParams,
  signal?: AbortSignal,
): Promise<JudgeConnection> {
  const endpoint = String(params.endpoint);
  const model = String(params.model);
  const template: JudgeTemplateSpec | null =
    params.template === undefined ? null : await judgeTemplateByRef(db, String(params.template));
  const client = new EndpointClient(endpoint, await apiKeyOf(db, params), limitsOf(params), signal);
  const baseResponses = params.base === undefined ? null : await responsesByPrompt(db, Number(params.base));
  let cacheHits = 0;
  const writer = new CacheWriter(db);

  /** Answers every item, from the cache or by one call per distinct key. */
  async function answer<A>(
    identity: CacheIdentity,
    contentHashes: readonly string[],
    fromRow: (row: JudgeResponseRow) => A,
    fetchOne: (index: number) => Promise<{ answer: A; row: Omit<JudgeResponseRow, 'key' | 'createdAt'> }>,
  ): Promise<A[]> {
    const keys = contentHashes.map((hash) => cacheKey(identity, hash));
    const cached = await cachedResponses(db, [...new Set(keys)]);
    const answers = new Map<string, A>();
    for (const [key, row] of cached) answers.set(key, fromRow(row));
    const missing = new Map<string, number>();
    keys.forEach((key, i) => {
      if (!answers.has(key) && !missing.has(key)) missing.set(key, i);
    });
    cacheHits += keys.length - missing.size;
    const settled = await Promise.allSettled(
      [...missing].map(async ([key, index]) => {
        const fetched = await fetchOne(index);
        writer.add({ key, ...fetched.row });
        answers.set(key, fetched.answer);
      }),
    );
    await writer.drain();
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return keys.map((key) => answers.get(key)!);
  }

  const base = { endpoint, model, contentHash: '' };
  return {
    endpoint,
    model,
    template,
    stats: (): JudgeCallStats => ({ calls: client.calls, retries: client.retries, cacheHits }),
    baseResponse: (prompt) => baseResponses?.get(prompt),
    async chat(items: readonly { contentHash: string; messages: JudgeMessage[] }[]) {
      if (!template) throw new Error('a chat judge needs a template');
      const generation = {
        temperature: Number(params.temperature),
        seed: Number(params.seed),
        max_tokens: Number(params.maxTokens),
      };
      const identity = {
        endpoint,
        model,
        templateHash: template.hash,
        generation: JSON.stringify(generation),
      };
      return answer<JudgeAnswer>(
        identity,
        items.map((i) => i.contentHash),
        (row) => ({
          text: row.text ?? '',
          finishReason: row.finishReason,
          promptTokens: row.promptTokens,
          completionTokens: row.completionTokens,
          cached: true,
        }),
        async (index) => {
          const item = items[index]!;
          const reply = await client.postJson(
            'chat/completions',
            { model, messages: item.messages, stream: false, ...generation },
            parseChatCompletion,
          );
          return {
            answer: { ...reply, cached: false },
            row: {
              ...base,
              templateHash: template.hash,
              contentHash: item.contentHash,
              text: reply.text,
              reward: null,
              finishReason: reply.finishReason,
              promptTokens: reply.promptTokens,
              completionTokens: reply.completionTokens,
            },
          };
        },
      );
    },
    async reward(items: readonly { contentHash: string; prompt: string; response: string }[]) {
      const route = String(params.route) as RewardRoute;
      const shape = REWARD_SHAPES[route];
      const identity = { endpoint, model, templateHash: `reward:${route}`, generation: '{}' };
      return answer<RewardAnswer>(
        identity,
        items.map((i) => i.contentHash),
        (row) => ({ value: row.reward ?? NaN, promptTokens: row.promptTokens, cached: true }),
        async (index) => {
          const item = items[index]!;
          const reply = await client.postJson(
            shape.path,
            shape.body(model, item.prompt, item.response),
            shape.read,
          );
          return {
            answer: { ...reply, cached: false },
            row: {
              ...base,
              templateHash: identity.templateHash,
              contentHash: item.contentHash,
              text: null,
              reward: reply.value,
              finishReason: null,
              promptTokens: reply.promptTokens,
              completionTokens: 0,
            },
          };
        },
      );
    },
  };
}

/** A version's response to each prompt: its first sample (by ordinal) with that prompt. */
async function responsesByPrompt(db: Executor, versionId: number): Promise<Map<string, string>> {
  const rows = await db
    .select({ prompt: samples.prompt, response: samples.response })
    .from(samples)
    .where(eq(samples.versionId, versionId))
    .orderBy(asc(samples.ordinal));
  const byPrompt = new Map<string, string>();
  for (const row of rows)
    if (!byPrompt.has(row.prompt ?? '')) byPrompt.set(row.prompt ?? '', row.response ?? '');
  return byPrompt;
}
