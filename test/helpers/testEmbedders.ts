/** Embedders for tests: the lexical embedder by default, or the generated tiny BERT model through transformers.js. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddingConfig } from '../../src/config.js';
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { silentLogger } from '../../src/logger.js';
import { TINY_BERT_ID, writeTinyBertModel } from './tinyBert.js';

let shared: EmbedderRegistry | null = null;

/** One lexical-default registry shared by every test server and worker of a test process. */
export function testEmbedders(): EmbedderRegistry {
  shared ??= new EmbedderRegistry(testEmbeddingConfig(), silentLogger);
  return shared;
}

export function testEmbeddingConfig(overrides: Partial<EmbeddingConfig> = {}): EmbeddingConfig {
  return {
    embedder: 'lexical',
    model: TINY_BERT_ID,
    revision: 'main',
    dtype: 'q8',
    modelDir: undefined,
    cacheDir: join(tmpdir(), 'qdc-test-model-cache'),
    allowRemoteModels: false,
    threads: 1,
    batchSize: 8,
    languageModel: 'qdc-test/tiny-gpt2',
    ...overrides,
  };
}

/** Writes the tiny model into a fresh directory and returns a registry whose default space is that model. */
export async function tinyModelEmbedders(
  overrides: Partial<EmbeddingConfig> = {},
): Promise<{ registry: EmbedderRegistry; modelDir: string }> {
  const modelDir = mkdtempSync(join(tmpdir(), 'qdc-models-'));
  await writeTinyBertModel(modelDir);
  const config = testEmbeddingConfig({ embedder: 'transformers', modelDir, ...overrides });
  return { registry: new EmbedderRegistry(config, silentLogger), modelDir };
}
