/**
 * Content addressing of samples and versions.
 * - sample hash  = sha256 hex of the sample's canonical JSON (keys sorted at every depth, fields
 *   prompt, response, reference, messages, metadata; absent fields are null);
 * - version hash = sha256 hex of the sample hashes in ordinal order, each followed by "\n".
 * Identical content therefore hashes identically on every installation and backend.
 */
import { createHash } from 'node:crypto';
import type { CanonicalSample } from './canonicalSample.js';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sampleCanonicalJson(sample: CanonicalSample): string {
  return canonicalJson({
    prompt: sample.prompt,
    response: sample.response,
    reference: sample.reference,
    messages: sample.messages,
    metadata: sample.metadata,
  });
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Incremental version hash, so streaming ingest can hash without holding all samples. */
export class VersionHasher {
  private readonly hash = createHash('sha256');
  add(sampleHash: string): void {
    this.hash.update(`${sampleHash}\n`);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
