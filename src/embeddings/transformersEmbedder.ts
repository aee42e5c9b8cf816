/**
 * The default embedder: a transformers.js feature-extraction pipeline (ONNX Runtime on the CPU)
 * with masked mean pooling and L2 normalisation, the way sentence-transformers models such as
 * all-MiniLM-L6-v2 are meant to be used. Models are read from the offline model directory first,
 * then from the download cache, then (when allowed) from the Hugging Face Hub.
 */
import { env, pipeline, type FeatureExtractionPipeline, type Tensor } from '@huggingface/transformers';
import type { EmbeddingConfig } from '../config.js';
import { DomainError } from '../errors.js';
import type { Embedder } from './embedder.js';
import { meanPoolNormalized } from './pooling.js';
import { spaceKey, type EmbeddingSpaceSpec } from './spaceKey.js';

/** Where models come from; a subset of the embedding configuration. */
export type ModelSource = Pick<EmbeddingConfig, 'modelDir' | 'cacheDir' | 'allowRemoteModels' | 'threads'>;

/** A model that could not be loaded; the message names the model and the settings that decide where it is looked for. */
export class EmbeddingModelError extends DomainError {
  constructor(message: string, details: Record<string, unknown>) {
    super('BAD_USER_INPUT', message, details);
  }
}

// transformers.js keeps its file locations in one global `env`: loads are serialised so two
// registries with different directories (tests, benchmarks) never see each other's settings.
let loadChain: Promise<unknown> = Promise.resolve();

export function loadTransformersEmbedder(spec: EmbeddingSpaceSpec, source: ModelSource): Promise<Embedder> {
  return withModelSource(source, () => loadNow(spec, source));
}

/** Runs `load` with transformers.js pointed at `source`, after every load started before it. */
export function withModelSource<T>(source: ModelSource, load: () => Promise<T>): Promise<T> {
  const next = loadChain.then(() => {
    env.allowLocalModels = source.modelDir !== undefined;
    if (source.modelDir !== undefined) env.localModelPath = ensureTrailingSlash(source.modelDir);
    env.allowRemoteModels = source.allowRemoteModels;
    env.cacheDir = source.cacheDir;
    return load();
  });
  loadChain = next.catch(() => undefined);
  return next;
}

async function loadNow(spec: EmbeddingSpaceSpec, source: ModelSource): Promise<Embedder> {
  let extractor: FeatureExtractionPipeline;
  try {
    extractor = (await pipeline('feature-extraction', spec.model, {
      revision: spec.revision,
      dtype: spec.dtype as 'q8',
      device: 'cpu',
      session_options: { intraOpNumThreads: source.threads, interOpNumThreads: 1 },
    })) as FeatureExtractionPipeline;
  } catch (error) {
    throw new EmbeddingModelError(
      modelLoadFailureMessage('embedding model', spec, spaceKey(spec), source, (error as Error).message),
      {
        model: spec.model,
        revision: spec.revision,
        dtype: spec.dtype,
        modelDir: source.modelDir ?? null,
      },
    );
  }
  // The pipeline's own steps (tokenize with padding and truncation, run the model), then our
  // pooling: the same mean and normalisation as `extractor(texts, { pooling: 'mean', normalize: true })`.
  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    if (texts.length === 0) return [];
    const inputs = extractor.tokenizer([...texts], { padding: true, truncation: true });
    const outputs = (await extractor.model(inputs)) as Record<string, Tensor | undefined>;
    // The pipeline's order of preference (feature-extraction.js).
    const states = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
    if (!states)
      throw new Error(
        `model ${spaceKey(spec)} returned no token states (outputs: ${Object.keys(outputs).join(', ')})`,
      );
    const [batch, sequence, dims] = states.dims as [number, number, number];
    const vectors = meanPoolNormalized(
      states.data as Float32Array,
      (inputs.attention_mask as Tensor).data as BigInt64Array,
      batch,
      sequence,
      dims,
    );
    for (const tensor of Object.values(outputs)) tensor?.dispose?.();
    return vectors;
  };
  const [probe] = await embed(['dimension probe']);
  return {
    spec,
    key: spaceKey(spec),
    dims: probe!.length,
    embed,
    dispose: () => extractor.dispose(),
  };
}

/**
 * Why a model did not load and how to make it load offline: one message for every model kind the
 * catalog loads through transformers.js (embedding models, causal language models).
 */
export function modelLoadFailureMessage(
  kind: string,
  spec: { model: string; dtype: string },
  key: string,
  source: ModelSource,
  cause: string,
): string {
  const file =
    spec.dtype === 'fp32'
      ? 'onnx/model.onnx'
      : `onnx/model_${spec.dtype === 'q8' ? 'quantized' : spec.dtype}.onnx`;
  const where = source.modelDir
    ? `The catalog looked in the offline model directory QDC_MODEL_DIR=${source.modelDir}`
    : 'No offline model directory is set (QDC_MODEL_DIR)';
  const remote = source.allowRemoteModels
    ? `; downloads go through the cache ${source.cacheDir} and the Hugging Face Hub`
    : '; downloads are off (QDC_ALLOW_REMOTE_MODELS=false)';
  return (
    `could not load ${kind} ${key}: ${cause.replace(/\.+$/, '')}. ` +
    `${where}${remote}. To run offline, put the model's files in <QDC_MODEL_DIR>/${spec.model}/ ` +
    `(config.json, tokenizer.json, tokenizer_config.json, ${file}) and set QDC_MODEL_DIR`
  );
}

function ensureTrailingSlash(dir: string): string {
  return dir.endsWith('/') ? dir : `${dir}/`;
}
