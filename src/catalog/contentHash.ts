/**
 * Content addressing of samples and versions.
 * - sample hash  = sha256 hex of the sample's canonical JSON (keys sorted at every depth, fields
 *   prompt, response, reference, messages, metadata; absent fields are null);
 * - version hash = sha256 hex of the sample hashes in ordinal order, each followed by "\n".
 * Identical content therefore hashes identically on every installation and backend.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, the documented key order.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** The canonical JSON of a sample and of its two JSON fields (reused as the jsonb column text). */
export interface SampleJson {
  json: string;
  messagesJson: string;
  metadataJson: string;
}

/**
 * Equal to `canonicalJson({prompt, response, reference, messages, metadata})`, written out with the
 * keys already in sorted order because this runs once per ingested sample.
 */
export function sampleCanonicalJsonParts(
  prompt: string | null,
  response: string | null,
  reference: string | null,
  messages: unknown,
  metadata: unknown,
): SampleJson {
  const messagesJson = messages === null ? 'null' : canonicalJson(messages);
  const metadataJson = metadata === null ? 'null' : canonicalJson(metadata);
  const json =
    `{"messages":${messagesJson},"metadata":${metadataJson},"prompt":${JSON.stringify(prompt)},` +
    `"reference":${JSON.stringify(reference)},"response":${JSON.stringify(response)}}`;
  return { json, messagesJson, metadataJson };
}

/** The five content fields of a sample (a CanonicalSample, or a stored row). */
export interface SampleContent {
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: unknown;
  metadata: unknown;
}

export function sampleCanonicalJson(s: SampleContent): string {
  return sampleCanonicalJsonParts(s.prompt, s.response, s.reference, s.messages, s.metadata).json;
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
