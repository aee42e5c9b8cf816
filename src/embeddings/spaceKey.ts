/**
 * Naming embedding spaces. A space is one way of turning text into vectors: a model at a revision
 * with a weight variant (dtype), a pooling and a dimension. Users name it `model@revision:dtype`,
 * e.g. `Xenova/all-MiniLM-L6-v2@main:q8`; the revision and dtype may be left out and then take
 * the server's defaults. The built-in lexical embedder is `qdc/lexical-hash@v1:fp32`.
 */
import { EMBEDDING_DTYPES } from '../config.js';
import { BadInputError } from '../errors.js';
import { LEXICAL_MODEL_ID, LEXICAL_REVISION } from './lexicalEmbedder.js';

export type EmbedderProvider = 'TRANSFORMERS' | 'LEXICAL';

export interface EmbeddingSpaceSpec {
  provider: EmbedderProvider;
  model: string;
  revision: string;
  dtype: string;
  /** `mean` (masked mean of token states, then L2 normalisation) or `hash` (lexical features). */
  pooling: 'mean' | 'hash';
}

export const LEXICAL_SPEC: EmbeddingSpaceSpec = {
  provider: 'LEXICAL',
  model: LEXICAL_MODEL_ID,
  revision: LEXICAL_REVISION,
  dtype: 'fp32',
  pooling: 'hash',
};

export function spaceKey(spec: Pick<EmbeddingSpaceSpec, 'model' | 'revision' | 'dtype'>): string {
  return `${spec.model}@${spec.revision}:${spec.dtype}`;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
/** A branch, tag or commit; like git refs, never with `..` (it would climb out of the model cache). */
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/**
 * The space a user named. `defaults` fills a missing revision and dtype of a transformers model.
 * Malformed names, unknown dtypes and a lexical revision other than the built-in one are
 * BAD_USER_INPUT.
 */
export function parseSpaceKey(
  key: string,
  defaults: { revision: string; dtype: string },
): EmbeddingSpaceSpec {
  const trimmed = key.trim();
  const match = /^([^@:]+)(?:@([^:]+))?(?::([^:@]+))?$/.exec(trimmed);
  if (
    !match ||
    !MODEL_ID.test(match[1]!) ||
    (match[2] !== undefined && (!REVISION.test(match[2]) || match[2].includes('..'))) ||
    match[1]!.includes('..')
  ) {
    throw new BadInputError(
      `"${key}" is not an embedding space name; write model@revision:dtype, e.g. Xenova/all-MiniLM-L6-v2@main:q8 (revision and dtype may be left out)`,
      { space: key },
    );
  }
  const [, model, revision, dtype] = match as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  if (model === LEXICAL_MODEL_ID) {
    if ((revision ?? LEXICAL_REVISION) !== LEXICAL_REVISION || (dtype ?? 'fp32') !== 'fp32') {
      throw new BadInputError(`the lexical embedder exists only as ${spaceKey(LEXICAL_SPEC)}`, {
        space: key,
      });
    }
    return LEXICAL_SPEC;
  }
  const resolvedDtype = dtype ?? defaults.dtype;
  if (!(EMBEDDING_DTYPES as readonly string[]).includes(resolvedDtype)) {
    throw new BadInputError(
      `unknown dtype "${resolvedDtype}" in "${key}"; use one of ${EMBEDDING_DTYPES.join(', ')}`,
      {
        space: key,
      },
    );
  }
  return {
    provider: 'TRANSFORMERS',
    model,
    revision: revision ?? defaults.revision,
    dtype: resolvedDtype,
    pooling: 'mean',
  };
}
