/** The one interface every embedder implements, and the text of a sample that gets embedded. */
import type { EmbeddingSpaceSpec } from './spaceKey.js';

export interface Embedder {
  readonly spec: EmbeddingSpaceSpec;
  /** `model@revision:dtype`. */
  readonly key: string;
  readonly dims: number;
  /** One L2-normalised vector per text, in order (a text with no features may give the zero vector). */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Releases native resources (the onnxruntime session). */
  dispose(): Promise<void>;
}

/** Which text of a sample a space embeds: prompt and response joined by a newline (the `prompt+response` field). */
export const EMBEDDED_TEXT_FIELD = 'prompt+response';

export function embeddedText(prompt: string | null, response: string | null): string {
  const p = prompt ?? '';
  const r = response ?? '';
  if (p === '') return r;
  if (r === '') return p;
  return `${p}\n${r}`;
}
