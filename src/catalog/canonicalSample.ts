/**
 * The canonical sample shape every reader maps into, and its validation. Shared by the GraphQL
 * `createVersion` and the bulk ingest so both accept and reject exactly the same samples.
 */
import type { ChatMessage } from '../db/schema.js';
import { BadInputError } from '../errors.js';
import { sampleCanonicalJsonParts, sha256Hex } from './contentHash.js';

/** Deepest nesting of objects and arrays a sample's metadata (or a chat message) may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `value` nests objects and arrays deeper than `limit`, found without recursion: the
 * canonical JSON writer recurses, so a record of a million `[` must be refused before it.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

export interface CanonicalSample {
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: ChatMessage[] | null;
  metadata: Record<string, unknown> | null;
}

export interface HashedSample extends CanonicalSample {
  contentHash: string;
  /** UTF-8 bytes of the canonical JSON. */
  byteSize: number;
  /** Canonical JSON text of `messages` and `metadata` ('null' when null), ready for the jsonb columns. */
  messagesJson: string;
  metadataJson: string;
}

export interface SampleInput {
  prompt?: string | null;
  response?: string | null;
  reference?: string | null;
  messages?: readonly { role: string; content: string }[] | null;
  metadata?: unknown;
}

/**
 * Validates one sample and fills prompt/response from chat messages when they are absent.
 * `where` names the sample in error messages (e.g. "samples[3]" or "line 17").
 */
export function canonicalizeSample(input: SampleInput, where: string): HashedSample {
  const messages = input.messages && input.messages.length > 0 ? input.messages.map((m) => ({ ...m })) : null;
  if (messages) {
    messages.forEach((m, i) => {
      if (typeof m.role !== 'string' || m.role.trim() === '' || typeof m.content !== 'string') {
        throw new BadInputError(
          `${where}: messages[${i}] needs a non-empty string role and a string content`,
        );
      }
    });
  }
  let prompt = emptyToNull(input.prompt);
  let response = emptyToNull(input.response);
  if (messages && prompt === null) {
    const derived = promptAndResponseFromMessages(messages);
    prompt = derived.prompt;
    response = response ?? derived.response;
  }
  if (prompt === null && !messages) {
    throw new BadInputError(`${where}: a sample needs a non-empty prompt or non-empty messages`);
  }
  const metadata = input.metadata ?? null;
  if (metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new BadInputError(`${where}: metadata must be a JSON object`);
  }
  if (metadata !== null && nestsDeeperThan(metadata, MAX_JSON_DEPTH)) {
    throw new BadInputError(
      `${where}: metadata nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  if (messages && nestsDeeperThan(messages, MAX_JSON_DEPTH)) {
    throw new BadInputError(
      `${where}: messages nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  const reference = emptyToNull(input.reference);
  const { json, messagesJson, metadataJson } = sampleCanonicalJsonParts(
    prompt,
    response,
    reference,
    messages,
    metadata,
  );
  const badText = unstorableText(json);
  if (badText) throw new BadInputError(`${where}: ${badText}`);
  // One literal with every field, so all samples share one object shape (this runs per ingested row).
  return {
    prompt,
    response,
    reference,
    messages,
    metadata: metadata as Record<string, unknown> | null,
    contentHash: sha256Hex(json),
    byteSize: Buffer.byteLength(json, 'utf8'),
    messagesJson,
    metadataJson,
  };
}

/**
 * PostgreSQL text and jsonb cannot hold NUL characters, and lone UTF-16 surrogates are not
 * Unicode text (they would not survive a round trip). JSON.stringify writes both as `\u`
 * escapes, so scanning the canonical JSON once covers every field, nested metadata included.
 */
const ESCAPED_NUL_OR_LONE_SURROGATE = /(?:^|[^\\])(?:\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/;
export function unstorableText(canonical: string): string | null {
  if (!canonical.includes('\\u')) return null;
  const match = ESCAPED_NUL_OR_LONE_SURROGATE.exec(canonical);
  if (!match) return null;
  return match[1] === '0000'
    ? 'text contains a NUL character (\\u0000), which PostgreSQL cannot store'
    : 'text contains an unpaired UTF-16 surrogate (invalid Unicode)';
}

/** prompt = last user turn before the final assistant turn; response = that final assistant turn. */
export function promptAndResponseFromMessages(messages: readonly ChatMessage[]): {
  prompt: string | null;
  response: string | null;
} {
  let end = messages.length;
  let response: string | null = null;
  const last = messages[messages.length - 1];
  if (last && (last.role === 'assistant' || last.role === 'gpt')) {
    response = last.content;
    end -= 1;
  }
  for (let i = end - 1; i >= 0; i -= 1) {
    const m = messages[i]!;
    if (m.role === 'user' || m.role === 'human') return { prompt: emptyToNull(m.content), response };
  }
  return { prompt: null, response };
}

function emptyToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
