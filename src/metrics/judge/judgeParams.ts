/** The parameters every judge and reward metric takes: where the endpoint is and how to call it. */
import type { ParamSchema } from '../types.js';

/**
 * Samples per batch when a run reads a judge. Each batch ends by waiting for its slowest request,
 * with the other slots idle, so batches are as large as the other metrics' (bench/judges: 128 and
 * 256 cost 15-30% of the throughput at concurrency 16). Cancel stays prompt (no new request starts
 * after a stop); progress moves once per batch.
 */
export const JUDGE_BATCH_SIZE = 1000;
/** Characters of a judgement kept with its sample's score (and in the failure examples). */
export const JUDGEMENT_CHARS = 500;

/** The endpoint, the key and the limits: shared by chat judges and reward models. */
export function endpointParams(): ParamSchema {
  return {
    endpoint: {
      type: 'string',
      description:
        'Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 (chat: POST <endpoint>/chat/completions; the model list: GET <endpoint>/models).',
    },
    model: {
      type: 'string',
      description: 'Model id as the endpoint names it (checked against GET <endpoint>/models).',
    },
    apiKeyEnv: {
      type: 'string',
      default: '',
      operational: true,
      description:
        'Name of the environment variable (of the enqueuing process and the worker) holding the API key; sent as a Bearer token. Empty: none.',
    },
    apiKeySecret: {
      type: 'string',
      default: '',
      operational: true,
      description: 'Name of a key stored with setJudgeSecret (used when apiKeyEnv is empty). Empty: none.',
    },
    concurrency: {
      type: 'int',
      default: 8,
      min: 1,
      max: 256,
      operational: true,
      description: 'Most requests in flight at once.',
    },
    requestsPerMinute: {
      type: 'int',
      default: 0,
      min: 0,
      max: 1_000_000,
      operational: true,
      description: 'Most requests started per minute (evenly spaced); 0 = no limit.',
    },
    maxRetries: {
      type: 'int',
      default: 5,
      min: 0,
      max: 20,
      operational: true,
      description:
        'Retries of a request that failed with 429, 5xx, a timeout, a connection error or a malformed body; then the run fails.',
    },
    retryBaseMs: {
      type: 'int',
      default: 1000,
      min: 1,
      max: 60_000,
      operational: true,
      description:
        'Backoff before retry k is retryBaseMs * 2^(k-1), capped at 60 s; a Retry-After header wins.',
    },
    timeoutMs: {
      type: 'int',
      default: 120_000,
      min: 100,
      max: 600_000,
      operational: true,
      description: 'A request not answered within this many milliseconds is abandoned and retried.',
    },
    subsetSize: {
      type: 'int',
      default: 0,
      min: 0,
      max: 10_000_000,
      description:
        'Judge only a seeded subset of this many samples (smallest sha256(seed:contentHash), estimator SAMPLED); 0 = every sample.',
    },
    seed: {
      type: 'int',
      default: 0,
      min: 0,
      max: 2_147_483_647,
      description: 'Sent as the request seed (chat) and used to choose the subset.',
    },
  };
}

/** A chat judge's parameters: the endpoint's, the template and the generation settings. */
export function chatJudgeParams(defaultTemplate: string): ParamSchema {
  return {
    ...endpointParams(),
    template: {
      type: 'string',
      default: defaultTemplate,
      description:
        'Judge template, `name` (its newest version) or `name@version`; bound to name@version when queued.',
    },
    temperature: {
      type: 'number',
      default: 0,
      min: 0,
      max: 2,
      description: 'Sampling temperature sent with each request.',
    },
    maxTokens: {
      type: 'int',
      default: 256,
      min: 1,
      max: 32_768,
      description: 'max_tokens sent with each request.',
    },
    inputCostPerMillion: {
      type: 'number',
      default: 0,
      min: 0,
      max: 1_000_000,
      operational: true,
      description: 'Price of a million prompt tokens, for the cost total in details (0: not priced).',
    },
    outputCostPerMillion: {
      type: 'number',
      default: 0,
      min: 0,
      max: 1_000_000,
      operational: true,
      description: 'Price of a million completion tokens, for the cost total in details.',
    },
  };
}
