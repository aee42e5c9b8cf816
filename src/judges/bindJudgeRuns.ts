/**
 * Checking judge and reward runs before they are queued, so that input that can never work is
 * refused with BAD_USER_INPUT and nothing is queued: the endpoint must be an http(s) URL that
 * answers, serve the model (when it lists its models), the API key must be there, and the
 * template must exist and fit the metric. The `template` parameter is bound to `name@version`.
 */
import type { Executor } from '../db/connect.js';
import { eq } from 'drizzle-orm';
import { datasetVersions } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { metricParamsHash } from '../metrics/params.js';
import type { MetricDefinition, ResolvedParams } from '../metrics/types.js';
import { apiKeyOf, limitsOf } from './connection.js';
import { EndpointClient } from './endpointClient.js';
import { resolveJudgeTemplate } from './templates.js';

interface Run {
  metric: MetricDefinition;
  params: ResolvedParams;
  paramsHash: string;
}

/** How long the enqueue-time probe waits for GET <endpoint>/models. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Turns a user's reference to a version into its numeric id (GraphQL also takes global ids). */
export type VersionResolver = (reference: string | number) => Promise<number>;

export async function bindJudgeRuns<R extends Run>(
  db: Executor,
  runs: readonly R[],
  resolveVersion: VersionResolver,
): Promise<R[]> {
  const probed = new Map<string, Promise<string[] | null>>();
  const bound: R[] = [];
  for (const run of runs) {
    if (run.metric.input !== 'judge') {
      bound.push(run);
      continue;
    }
    const key = run.metric.key;
    const params = { ...run.params };
    const endpoint = String(params.endpoint);
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
      throw new BadInputError(
        `${key} parameter "endpoint" must be an http(s) base URL without credentials, such as http://127.0.0.1:8000/v1 (got ${JSON.stringify(endpoint)})`,
        { metric: key, param: 'endpoint' },
      );
    }
    params.endpoint = endpoint.replace(/\/+$/, '');
    if (String(params.model) === '')
      throw new BadInputError(`${key} parameter "model" must not be empty`, { metric: key, param: 'model' });
    const pairwise = Object.hasOwn(run.metric.params, 'base');
    if (pairwise) {
      const id = await resolveVersion(params.base!);
      const [base] = await db
        .select({ id: datasetVersions.id, status: datasetVersions.status })
        .from(datasetVersions)
        .where(eq(datasetVersions.id, id));
      if (!base || base.status !== 'READY')
        throw new NotFoundError(`${key} parameter "base": no version with id ${id}`, { id });
      params.base = id;
    }
    if (Object.hasOwn(run.metric.params, 'template')) {
      const template = await resolveJudgeTemplate(db, String(params.template));
      const wanted = pairwise ? 'PAIRWISE' : 'SCORE';
      if (template.kind !== wanted) {
        throw new BadInputError(
          `${key} needs a ${wanted} template; template ${template.name} is ${template.kind}`,
          { metric: key, param: 'template' },
        );
      }
      params.template = `${template.name}@${template.version}`;
    }
    const apiKey = await apiKeyOf(db, params);
    const probeKey = `${String(params.endpoint)}\u0000${apiKey ?? ''}`;
    if (!probed.has(probeKey)) probed.set(probeKey, probeModels(String(params.endpoint), apiKey, params));
    const models = await probed.get(probeKey)!;
    if (models !== null && models.length > 0 && !models.includes(String(params.model))) {
      throw new BadInputError(
        `${String(params.endpoint)} does not serve model "${String(params.model)}"; it serves ${models.slice(0, 20).join(', ')}`,
        { metric: key, param: 'model', models: models.slice(0, 100) },
      );
    }
    bound.push({ ...run, params, paramsHash: metricParamsHash(run.metric, params) });
  }
  return bound;
}

/** The model ids GET <endpoint>/models lists; null when the endpoint has no model list (404/405). */
async function probeModels(
  endpoint: string,
  apiKey: string | undefined,
  params: ResolvedParams,
): Promise<string[] | null> {
  const client = new EndpointClient(endpoint, apiKey, { ...limitsOf(params), timeoutMs: PROBE_TIMEOUT_MS });
  let answer: { status: number; json: unknown };
  try {
    answer = await client.probe('models');
  } catch (error) {
    const cause = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      cause.name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS} ms`
        : (cause.cause?.code ?? cause.cause?.message ?? cause.message);
    throw new BadInputError(`cannot reach the judge endpoint ${endpoint}: ${reason}`, {
      param: 'endpoint',
      endpoint,
    });
  }
  if (answer.status === 404 || answer.status === 405) return null;
  if (answer.status === 401 || answer.status === 403) {
    throw new BadInputError(
      `the judge endpoint ${endpoint} refused the request (HTTP ${answer.status}): check apiKeyEnv / apiKeySecret`,
      { param: 'apiKeyEnv', endpoint },
    );
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new BadInputError(`the judge endpoint ${endpoint} answered HTTP ${answer.status} to GET models`, {
      param: 'endpoint',
      endpoint,
    });
  }
  const data = (answer.json as { data?: Array<{ id?: unknown }> } | null)?.data;
  if (!Array.isArray(data)) return null;
  return data.map((m) => m?.id).filter((id): id is string => typeof id === 'string');
}
