/**
 * Binding causal-LM metric runs (complexity.perplexity, complexity.ifd) to a model before they are
 * queued: the model is loaded in the caller's process (so a model that cannot be found is
 * BAD_USER_INPUT and nothing is queued) and the `model` parameter becomes its full name
 * `model@revision:dtype`, so "the default" never hides which model produced a value and results
 * of different models never compare as equal.
 */
import { BadInputError } from '../errors.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import { paramsHash } from '../metrics/params.js';
import { readsLanguageModel } from '../metrics/registry.js';
import type { ResolvedMetricRun } from './metricRequests.js';

export async function bindLanguageModelRuns(
  registry: EmbedderRegistry | undefined,
  runs: readonly ResolvedMetricRun[],
): Promise<ResolvedMetricRun[]> {
  const bound: ResolvedMetricRun[] = [];
  for (const run of runs) {
    if (!readsLanguageModel(run.metric)) {
      bound.push(run);
      continue;
    }
    if (!registry) {
      throw new BadInputError(
        `${run.metric.key} runs a causal language model and this process loads no models`,
        {
          field: 'params',
          metric: run.metric.key,
        },
      );
    }
    const model = await registry.languageModel(String(run.params.model ?? ''));
    const params = { ...run.params, model: model.key };
    bound.push({ metric: run.metric, params, paramsHash: paramsHash(params) });
  }
  return bound;
}
