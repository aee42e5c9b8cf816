/**
 * Crash safety of bulk ingest: the real server (`qdc serve`, a child process) is SIGKILLed in the
 * middle of a large streamed ingest. Whatever it had copied must vanish with it: after a restart on
 * the same data the dataset has no version, no sample row and no placeholder row is left, and the
 * next ingest is version 1. On PostgreSQL the server rolls the writing transaction back; on PGlite,
 * which commits a version's chunks as they come, the killed ingest leaves a STAGING version with
 * rows, which opening the data directory deletes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openCatalog } from '../src/app.js';
import { connect, type ConnectOptions } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';
import type { ResponseJson } from './helpers/testServer.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Bytes the client must have pushed into the upload before the kill. */
const KILL_AFTER_BYTES = 24 * 1024 * 1024;

interface Child {
  url: string;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

/** Starts `qdc serve` on a free port and resolves once it logs its URL. */
async function spawnServer(dbArgs: string[]): Promise<Child> {
  const env: NodeJS.ProcessEnv = { ...process.env, QDC_LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    process.execPath,
    ['bin/qdc.mjs', 'serve', '--host', '127.0.0.1', '--port', '0', '--auth', 'off', ...dbArgs],
    {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qdc serve did not start within 30 s:\n${log}`)), 30_000);
    const check = () => {
      const match = /serving GraphQL at (http:\/\/\S+?)\/graphql/.exec(log);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        child.stdout!.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`qdc serve exited (code ${code}, signal ${signal}) before serving:\n${log}`));
    });
  });
  return { url, process: child, exited, log: () => log };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: ResponseJson; errors?: unknown[] };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : statSync(path).size;
  }
  return total;
}

describe(`ingest killed midway (${testBackend})`, () => {
  it(
    'leaves no version and no rows after SIGKILL, and the next ingest is version 1',
    { timeout: 90_000 },
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'qdc-kill-'));
      const scratch = process.env.DATABASE_URL ? await createScratchDatabase() : null;
      const dataDir = join(tmp, 'pglite');
      const dbArgs = scratch ? ['--database-url', scratch.url] : ['--data-dir', dataDir];
      const connectOptions: ConnectOptions = scratch
        ? { databaseUrl: scratch.url, poolSize: 2 }
        : { dataDir };
      const children: Child[] = [];
      let watcher: pg.Client | null = null;
      try {
        // 1. A server with a dataset, then an endless upload.
        const first = await spawnServer(dbArgs);
        children.push(first);
        await gql(
          first.url,
          `mutation { createDataset(input: { slug: "crash", name: "Crash test" }) { id } }`,
        );

        let sent = 0;
        let stop = false;
        const pad = 'z'.repeat(940);
        async function* endless(): AsyncGenerator<Uint8Array> {
          for (let row = 0; !stop;) {
            let text = '';
            for (let k = 0; k < 64; k++, row++)
              text += `{"prompt":"endless row ${row}","response":"${pad}"}\n`;
            const chunk = Buffer.from(text);
            sent += chunk.length;
            yield chunk;
            // Let the event loop run between chunks (a dead socket must not turn this into a busy loop).
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        const upload = fetch(`${first.url}/v1/datasets/crash/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: endless(),
          duplex: 'half',
        } as RequestInit).then(
          async (res) => ({ status: res.status, body: await res.text() }),
          (error: unknown) => ({ error }),
        );

        // 2. Kill once plenty has been sent and the child is visibly copying rows.
        const walBefore = scratch ? 0 : directorySize(join(dataDir, 'pg_wal'));
        await waitFor(`${KILL_AFTER_BYTES} bytes sent`, () => sent >= KILL_AFTER_BYTES, 40_000);
        if (scratch) {
          watcher = new pg.Client({ connectionString: scratch.url });
          await watcher.connect();
          const copying = async () => {
            const { rows } = await watcher!.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity
              where datname = current_database() and pid <> pg_backend_pid()
                and xact_start is not null and query ilike 'copy samples%'`,
            );
            return rows[0]!.n > 0;
          };
          await waitFor('a COPY into samples in the child', copying, 20_000);
        } else {
          // PGlite writes its WAL into the data directory: growth means rows are being copied.
          await waitFor(
            'the PGlite WAL to grow',
            () => directorySize(join(dataDir, 'pg_wal')) - walBefore >= 4 * 1024 * 1024,
            20_000,
          );
        }
        first.process.kill('SIGKILL');
        stop = true;
        const death = await first.exited;
        assert.equal(death.signal, 'SIGKILL');
        const outcome = await upload;
        assert.ok('error' in outcome, `the upload cannot have succeeded: ${JSON.stringify(outcome)}`);
        assert.ok(sent >= KILL_AFTER_BYTES);

        if (watcher) {
          // The server notices the dead client and rolls back; wait until its backend is gone.
          const w = watcher;
          await waitFor(
            'the killed server’s connections to close',
            async () =>
              (
                await w.query<{ n: number }>(
                  `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
                )
              ).rows[0]!.n === 0,
            20_000,
          );
        }

        // 3. PGlite: the killed ingest left its committed chunks, under a STAGING version.
        if (!scratch) {
          const raw = await connect(connectOptions);
          try {
            const one = async (query: ReturnType<typeof sql>) =>
              Number(rowsOf<{ n: number }>(await raw.db.execute(query))[0]!.n);
            assert.equal(
              await one(sql`select count(*)::int as n from dataset_versions where status = 'STAGING'`),
              1,
              'the killed ingest left its STAGING version',
            );
            assert.ok((await one(sql`select count(*)::int as n from samples`)) > 0, 'and some of its rows');
            assert.equal(
              await one(sql`select count(*)::int as n from dataset_versions where status = 'READY'`),
              0,
              'and no READY version',
            );
          } finally {
            await raw.close();
          }
        }

        // 4. Open the same data as the catalog does: nothing of the killed ingest is there.
        const direct = await openCatalog(connectOptions);
        try {
          const one = async (query: ReturnType<typeof sql>) =>
            Number(rowsOf<{ n: number }>(await direct.db.execute(query))[0]!.n);
          assert.equal(await one(sql`select count(*)::int as n from samples`), 0, 'no sample rows');
          assert.equal(
            await one(sql`select count(*)::int as n from dataset_versions`),
            0,
            'no version rows (no STAGING placeholder)',
          );
          assert.equal(
            await one(sql`select next_version as n from datasets where slug = 'crash'`),
            1,
            'no version number taken',
          );
        } finally {
          await direct.close();
        }

        // 5. Restart the server on the same data: no version, and a normal ingest becomes version 1.
        const second = await spawnServer(dbArgs);
        children.push(second);
        const before = await gql(
          second.url,
          `{ dataset(slug: "crash") { latestVersion { version } versions { edges { node { version } } } } }`,
        );
        assert.deepEqual(before.dataset, { latestVersion: null, versions: { edges: [] } });
        const res = await fetch(`${second.url}/v1/datasets/crash/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: '{"prompt":"after the crash","response":"fine"}\n{"prompt":"second row"}\n',
        });
        const answer = (await res.json()) as ResponseJson;
        assert.equal(res.status, 201, JSON.stringify(answer));
        assert.equal(answer.created, true);
        assert.equal(answer.version.version, 1);
        assert.equal(answer.version.sampleCount, 2);
        const after = await gql(
          second.url,
          `{ dataset(slug: "crash") { latestVersion { version sampleCount samples { edges { node { ordinal prompt response } } } } } }`,
        );
        assert.deepEqual(after.dataset.latestVersion, {
          version: 1,
          sampleCount: 2,
          samples: {
            edges: [
              { node: { ordinal: 0, prompt: 'after the crash', response: 'fine' } },
              { node: { ordinal: 1, prompt: 'second row', response: null } },
            ],
          },
        });
        second.process.kill('SIGTERM');
        const shutdown = await second.exited;
        assert.equal(shutdown.code, 0, `clean shutdown after SIGTERM:\n${second.log()}`);
      } finally {
        await watcher?.end().catch(() => undefined);
        for (const child of children) {
          if (child.process.exitCode === null && child.process.signalCode === null) {
            child.process.kill('SIGKILL');
            await child.exited;
          }
        }
        await scratch?.drop();
        // Retried: a failure above must not be hidden behind a cleanup error.
        rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      }
    },
  );
});
