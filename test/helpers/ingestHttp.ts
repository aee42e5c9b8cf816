/** POSTs a body to the bulk ingest route and returns the JSON answer (every answer is JSON). */
import assert from 'node:assert/strict';
import type { ResponseJson, TestServer } from './testServer.js';

export interface PostOptions {
  query?: Record<string, string>;
  /** Default application/x-ndjson. */
  type?: string;
  encoding?: string;
  key?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: ResponseJson;
}

export async function postIngest(
  server: TestServer,
  slug: string,
  body: NonNullable<RequestInit['body']>,
  options: PostOptions = {},
): Promise<HttpAnswer> {
  const url = new URL(`${server.url}/v1/datasets/${encodeURIComponent(slug)}/versions`);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { 'content-type': options.type ?? 'application/x-ndjson' };
  if (options.encoding) headers['content-encoding'] = options.encoding;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const streamed = typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    ...(streamed ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  assert.match(
    res.headers.get('content-type') ?? '',
    /^application\/json/,
    `JSON answer expected, got: ${text.slice(0, 200)}`,
  );
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}
