/**
 * What the commands that can talk to a running server share: `--server` / `--api-key`, requests
 * with readable failures, and the progress line on stderr.
 */
import { loadClientConfig } from '../config.js';
import { Progress } from './progress.js';
import { UsageError, type OptionSpec } from './command.js';

/** A failure the command reports as `qdc <command>: <message>` with exit code 1. */
export class CommandFailure extends Error {}

/** Reports a CommandFailure the way main.ts reports domain errors; rethrows anything else. */
export function reportFailure(command: string, error: unknown): number {
  if (!(error instanceof CommandFailure)) throw error;
  process.stderr.write(`qdc ${command}: ${error.message}\n`);
  return 1;
}

/** `--server`, `--api-key` and `--no-progress`, shared by ingest and export. */
export const remoteOptions: Record<string, OptionSpec> = {
  server: {
    type: 'string',
    description: 'Go through a running qdc server (e.g. http://host:4000) instead of opening the database.',
    valueName: 'url',
  },
  'api-key': {
    type: 'string',
    description: 'API key for --server (default: $QDC_API_KEY).',
    valueName: 'key',
  },
  'no-progress': { type: 'boolean', description: 'Do not draw the progress line on stderr.' },
};

export const PROGRESS_ENV_DOC =
  '  QDC_PROGRESS_INTERVAL_MS  Milliseconds between progress redraws (default 100 on a terminal, 5000\n' +
  '                            otherwise, where each redraw is one log line; 0 = on every update).';
export const API_KEY_ENV_DOC =
  '  QDC_API_KEY               API key for --server when --api-key is not given.';

/** A Progress on stderr, or null with --no-progress. */
export function makeProgress(
  values: Record<string, unknown>,
  options: { label: string; unit?: string; totalBytes?: number; totalUnits?: number },
): Progress | null {
  if (values['no-progress']) return null;
  return new Progress({ ...options, intervalMs: loadClientConfig().progressIntervalMs });
}

export interface Remote {
  /** Base URL without a trailing '/'. */
  url: string;
  headers: Record<string, string>;
}

/** The --server target with its Authorization header, or null in direct mode. */
export function remoteFrom(values: Record<string, unknown>): Remote | null {
  const server = values.server as string | undefined;
  if (server === undefined) {
    if (values['api-key'] !== undefined) throw new UsageError('--api-key only applies with --server');
    return null;
  }
  for (const option of ['data-dir', 'database-url']) {
    if (values[option] !== undefined) throw new UsageError(`--${option} cannot be combined with --server`);
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server "${server}" is not a URL (expected e.g. http://localhost:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server "${server}" must be an http:// or https:// URL`);
  }
  const key = (values['api-key'] as string | undefined) ?? loadClientConfig().apiKey;
  return {
    url: url.href.replace(/\/+$/, ''),
    headers: key ? { authorization: `Bearer ${key}` } : {},
  };
}

/** fetch, turning a network failure into a CommandFailure naming the server. */
export async function remoteFetch(
  remote: Remote,
  path: string,
  init: RequestInit & { duplex?: 'half' },
): Promise<Response> {
  try {
    return await fetch(`${remote.url}${path}`, {
      ...init,
      headers: { ...remote.headers, ...(init.headers as Record<string, string>) },
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CommandFailure(`request to ${remote.url}${path.split('?')[0]} failed: ${reason}`);
  }
}

/** The error a failed response carries (`{errors: [{message, extensions: {code}}]}`), as a CommandFailure. */
export async function responseFailure(response: Response): Promise<CommandFailure> {
  const text = await response.text().catch(() => '');
  let message = text.trim().slice(0, 500) || response.statusText;
  let code: unknown;
  try {
    const body = JSON.parse(text) as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
    const first = body.errors?.[0];
    if (first && typeof first.message === 'string') {
      message = first.message;
      code = first.extensions?.code;
    }
  } catch {
    // Not JSON (a proxy's error page, say): the text is shown as it is.
  }
  return new CommandFailure(
    `${message} (HTTP ${response.status}${typeof code === 'string' ? ` ${code}` : ''})`,
  );
}

/** Runs a GraphQL query against the server; fails on HTTP or GraphQL errors. */
export async function remoteGraphQL<T>(
  remote: Remote,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const response = await remoteFetch(remote, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CommandFailure(
      `the server answered HTTP ${response.status} with something other than JSON: ${text.slice(0, 200)}`,
    );
  }
  const first = body.errors?.[0];
  if (first) {
    throw new CommandFailure(
      `${first.message}${first.extensions?.code ? ` (${first.extensions.code})` : ''}`,
    );
  }
  if (!response.ok || body.data === undefined)
    throw new CommandFailure(`the server answered HTTP ${response.status}`);
  return body.data;
}
