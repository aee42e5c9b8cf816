/**
 * The embedders a process has loaded, one per space, and which space is the default. The default
 * is the configured transformers.js model; when it cannot be loaded the lexical embedder takes
 * its place and the registry says so (in the log at start and in `Query.embeddingSpaces`), so a
 * caller always knows which space a vector or a search result belongs to.
 */
import type { EmbeddingConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { loadCausalLm, parseCausalLmKey, type LoadedCausalLm } from './causalLm.js';
import type { Embedder } from './embedder.js';
import { LEXICAL_DIMS, lexicalEmbeddings } from './lexicalEmbedder.js';
import { LEXICAL_SPEC, parseSpaceKey, spaceKey, type EmbeddingSpaceSpec } from './spaceKey.js';
import { loadTransformersEmbedder } from './transformersEmbedder.js';

export interface DefaultSpace {
  embedder: Embedder;
  /** Set when the configured model could not be loaded and the lexical embedder stands in. */
  fallback: { requested: string; reason: string } | null;
}

export class EmbedderRegistry {
  private readonly loads = new Map<string, Promise<Embedder>>();
  private readonly languageModelLoads = new Map<string, Promise<LoadedCausalLm>>();
  private defaultSpaceLoad: Promise<DefaultSpace> | null = null;

  constructor(
    readonly config: EmbeddingConfig,
    private readonly logger: Logger,
  ) {}

  /** The space a user named (null or empty: the default space). BAD_USER_INPUT when malformed. */
  async specFor(key: string | null | undefined): Promise<EmbeddingSpaceSpec> {
    if (key === null || key === undefined || key.trim() === '')
      return (await this.defaultSpace()).embedder.spec;
    return parseSpaceKey(key, this.config);
  }

  /** The embedder of a named space (null: the default), loading it on first use; fails with a message naming the model and QDC_MODEL_DIR. */
  async embedderFor(key: string | null | undefined): Promise<Embedder> {
    if (key === null || key === undefined || key.trim() === '') return (await this.defaultSpace()).embedder;
    return this.load(parseSpaceKey(key, this.config));
  }

  /** Resolves the default space once; a failed model load falls back to the lexical embedder, loudly. */
  defaultSpace(): Promise<DefaultSpace> {
    this.defaultSpaceLoad ??= this.resolveDefault();
    return this.defaultSpaceLoad;
  }

  load(spec: EmbeddingSpaceSpec): Promise<Embedder> {
    const key = spaceKey(spec);
    let pending = this.loads.get(key);
    if (!pending) {
      pending =
        spec.provider === 'LEXICAL'
          ? Promise.resolve(lexicalEmbedder())
          : loadTransformersEmbedder(spec, this.config);
      // A failed load is not remembered: the model may be put in place and asked for again.
      pending.catch(() => this.loads.delete(key));
      this.loads.set(key, pending);
    }
    return pending;
  }

  /**
   * The causal language model a user named (null or empty: QDC_LM_MODEL), loading it on first use;
   * BAD_USER_INPUT when the name is malformed or the model cannot be loaded.
   */
  languageModel(name: string | null | undefined): Promise<LoadedCausalLm> {
    const given =
      name === null || name === undefined || name.trim() === '' ? this.config.languageModel : name;
    let spec;
    try {
      spec = parseCausalLmKey(given);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const key = `${spec.model}@${spec.revision}:${spec.dtype}`;
    let pending = this.languageModelLoads.get(key);
    if (!pending) {
      pending = loadCausalLm(spec, this.config, this.config.batchSize);
      pending.catch(() => this.languageModelLoads.delete(key));
      this.languageModelLoads.set(key, pending);
    }
    return pending;
  }

  async close(): Promise<void> {
    const loaded = await Promise.allSettled([...this.loads.values(), ...this.languageModelLoads.values()]);
    this.loads.clear();
    this.languageModelLoads.clear();
    for (const result of loaded) if (result.status === 'fulfilled') await result.value.dispose();
  }

  private async resolveDefault(): Promise<DefaultSpace> {
    if (this.config.embedder === 'lexical')
      return { embedder: await this.load(LEXICAL_SPEC), fallback: null };
    const spec = parseSpaceKey(
      `${this.config.model}@${this.config.revision}:${this.config.dtype}`,
      this.config,
    );
    try {
      const embedder = await this.load(spec);
      this.logger.info(
        `embeddings: default space ${embedder.key} (${embedder.dims} dims, ${this.config.threads} thread(s))`,
      );
      return { embedder, fallback: null };
    } catch (error) {
      const reason = (error as Error).message;
      const embedder = await this.load(LEXICAL_SPEC);
      this.logger.warn(
        `EMBEDDINGS FALLBACK: the model ${spaceKey(spec)} could not be loaded, so the default space is the lexical ` +
          `embedder ${embedder.key} (word and character n-gram hashing, no semantics beyond shared words). ${reason}`,
      );
      return { embedder, fallback: { requested: spaceKey(spec), reason } };
    }
  }
}

function lexicalEmbedder(): Embedder {
  return {
    spec: LEXICAL_SPEC,
    key: spaceKey(LEXICAL_SPEC),
    dims: LEXICAL_DIMS,
    embed: async (texts) => lexicalEmbeddings(texts),
    dispose: async () => undefined,
  };
}
