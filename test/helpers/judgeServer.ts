/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol (stream off), the
 * model list, and the reward routes (vLLM /score, /rewards, TEI /rerank). It records every call
 * and the most requests it ever had in flight; `reply` decides each answer (status, headers, body,
 * delay), so tests can script 429s, 500s, malformed bodies and slow answers.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResponseJson } from './testServer.js';

export interface RecordedCall {
  method: string;
  path: string;
  authorization: string | null;
  body: ResponseJson;
  /** 1-based count of calls with the same request body so far (1 = first time asked). */
  attempt: number;
}

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON, a string as is. */
  body?: unknown;
  delayMs?: number;
}

export interface JudgeServer {
  /** Base URL, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  calls: RecordedCall[];
  /** The most requests in flight at one moment. */
  maxInFlight(): number;
  /** Calls to a path (chat/completions, score, ...), excluding the model list. */
  callsTo(path: string): RecordedCall[];
  close(): Promise<void>;
}

export interface JudgeServerOptions {
  models?: string[];
  /** Decides the answer to a POST; default: `chatAnswer(text)` with the user message's `[judge:...]` marker. */
  reply?: (call: RecordedCall) => ScriptedReply | Promise<ScriptedReply>;
  /** Answer GET /v1/models with this status instead (e.g. 404: no model list). */
  modelsStatus?: number;
}

/** A chat-completions body answering `text`. */
export function chatAnswer(text: string, usage = { prompt_tokens: 10, completion_tokens: 3 }): ScriptedReply {
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model: 'judge',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** The text after `[judge:` up to `]` in the request's last message: what the scripted judge answers. */
export function judgeMarker(call: RecordedCall): string | null {
  const messages = call.body?.messages as Array<{ content: string }> | undefined;
  const text = messages?.map((m) => m.content).join('\n') ?? '';
  const match = /\[judge:([^\]]*)\]/.exec(text);
  return match ? match[1]!.replace(/\\n/g, '\n') : null;
}

export async function startJudgeServer(options: JudgeServerOptions = {}): Promise<JudgeServer> {
  const calls: RecordedCall[] = [];
  const seen = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const reply =
    options.reply ?? ((call: RecordedCall) => chatAnswer(judgeMarker(call) ?? 'no marker in this request'));
  const server = createServer(async (req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const raw = await readAll(req);
      const path = (req.url ?? '').replace(/^\/v1\//, '');
      if (req.method === 'GET' && path === 'models') {
        const status = options.modelsStatus ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status === 200
              ? {
                  object: 'list',
                  data: (options.models ?? ['judge-model']).map((id) => ({ id, object: 'model' })),
                }
              : { error: { message: 'no model list' } },
          ),
        );
        return;
      }
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      const attempt = (seen.get(raw) ?? 0) + 1;
      seen.set(raw, attempt);
      const call: RecordedCall = {
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization ?? null,
        body,
        attempt,
      };
      calls.push(call);
      const scripted = await reply(call);
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      if (res.destroyed) return;
      const text = typeof scripted.body === 'string' ? scripted.body : JSON.stringify(scripted.body ?? {});
      res.writeHead(scripted.status ?? 200, { 'content-type': 'application/json', ...scripted.headers });
      res.end(text);
    } finally {
      inFlight -= 1;
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    maxInFlight: () => maxInFlight,
    callsTo: (path) => calls.filter((c) => c.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
