/**
 * The catalog dump (`qdc backup`, `qdc restore`, `qdc export --all`): a populated catalog is dumped,
 * restored into a fresh database and must answer exactly what the original answered, every
 * version's content hash must be recomputable from its restored samples, and dumping the restored
 * catalog must give the same rows byte for byte. Across backends when DATABASE_URL names a server
 * (PGlite -> PostgreSQL and back). Bad dumps are refused with the line and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { listApiKeys } from '../src/auth/apiKeys.js';
import { dumpCatalog, dumpLines, restoreCatalog } from '../src/catalog/catalogDump.js';
import { sampleCanonicalJson, sha256Hex, VersionHasher } from '../src/catalog/contentHash.js';
import type { Database } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { BadInputError } from '../src/errors.js';
import { queueingAs } from '../src/jobs/queue.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { createDataset } from './helpers/fixtures.js';
import { createScratchDatabase } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import { populate, snapshot } from './helpers/upgradeCatalog.js';

const POSTGRES_URL = process.env.DATABASE_URL;

async function dumpToLines(database: Database, onTable?: (name: string) => Promise<void>): Promise<string[]> {
  let text = '';
  await dumpCatalog(database, {
    producer: 'test',
    write: (line) => {
      text += line;
    },
    ...(onTable ? { onTable } : {}),
  });
  return text.split('\n').slice(0, -1);
}

async function* linesOf(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

/** A fresh catalog on the named backend, dropped on close when it is a scratch PostgreSQL database. */
async function freshCatalog(backend: 'pglite' | 'postgres'): Promise<Database> {
  if (backend === 'pglite') return openCatalog({ dataDir: 'memory://' });
  const scratch = await createScratchDatabase(POSTGRES_URL);
  const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 4 });
  return {
    ...database,
    async close() {
      await database.close();
      await scratch.drop();
    },
  };
}

/** Every version's content hash recomputed from its stored samples, against the stored one. */
async function recomputedHashes(database: Database): Promise<{ stored: string; recomputed: string }[]> {
  const versions = rowsOf<{ id: number; content_hash: string }>(
    await database.db.execute(sql`select id, content_hash from dataset_versions order by id`),
  );
  const out = [];
  for (const version of versions) {
    const samples = rowsOf<{
      prompt: string | null;
      response: string | null;
      reference: string | null;
      messages: unknown;
      metadata: unknown;
    }>(
      await database.db.execute(
        sql`select prompt, response, reference, messages, metadata from samples where version_id = ${version.id} order by ordinal`,
      ),
    );
    const hasher = new VersionHasher();
    for (const sample of samples) hasher.add(sha256Hex(sampleCanonicalJson(sample)));
    out.push({ stored: version.content_hash, recomputed: hasher.digest() });
  }
  return out;
}

async function datasetCount(database: Database): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await database.db.execute(sql`select count(*)::int as n from datasets`),
  );
  return Number(row!.n);
}

const backends: ('pglite' | 'postgres')[] = POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite'];

for (const source of backends) {
  describe(`catalog dump from ${source}`, () => {
    let server: TestServer;
    let original: unknown;
    let dump: string[];
    let creator: number;

    before(async () => {
      server = await startTestServer({ database: await freshCatalog(source) });
      await populate(server);
      // A job that records the API key that queued it (jobs.created_by_api_key_id -> api_keys).
      creator = (await listApiKeys(server.database.db))[0]!.id;
      const [version] = rowsOf<{ id: number }>(
        await server.database.db.execute(sql`select min(id)::int as id from dataset_versions`),
      );
      await queueingAs(creator, () =>
        enqueueComputeMetrics(server.database.db, version!.id, ['complexity.length'], null, {
          embedders: server.embedders,
          resolveVersion: async (reference) => Number(reference),
        }),
      );
      original = await snapshot(server);
      dump = await dumpToLines(server.database);
    });
    after(async () => {
      await server?.stop();
      await server?.database.close();
    });

    it('holds a header, a section per table and an end line that count the rows', () => {
      const header = JSON.parse(dump[0]!);
      assert.equal(header.format, 'qdc-catalog-dump');
      assert.equal(header.backend, source);
      const names = header.tables.map((t: { name: string }) => t.name);
      for (const table of [
        'datasets',
        'dataset_versions',
        'samples',
        'metric_results',
        'sample_embeddings',
      ]) {
        assert.ok(names.includes(table), `${table} is dumped`);
      }
      // Parents come before the tables that reference them.
      assert.ok(names.indexOf('datasets') < names.indexOf('dataset_versions'));
      assert.ok(names.indexOf('dataset_versions') < names.indexOf('samples'));
      assert.ok(names.indexOf('samples') < names.indexOf('sample_scores'));
      assert.ok(names.indexOf('api_keys') < names.indexOf('jobs'));
      const jobs = dump.findIndex((line) => line.startsWith('{"table":"jobs"'));
      assert.ok(JSON.parse(dump[jobs]!).columns.includes('created_by_api_key_id'));
      const creators = dump
        .slice(jobs + 1, jobs + 1 + JSON.parse(dump[jobs]!).rows)
        .map((line) => JSON.parse(line).created_by_api_key_id);
      // populate's embedding and metric jobs were queued with auth off; the last one by the key.
      assert.deepEqual(creators, [null, null, creator]);
      const rows = header.tables.reduce((sum: number, t: { rows: number }) => sum + t.rows, 0);
      assert.equal(dump.length, 1 + header.tables.length + rows + 1);
      assert.deepEqual(JSON.parse(dump.at(-1)!), { end: true, rows });
      const samples = header.tables.find((t: { name: string }) => t.name === 'samples');
      assert.equal(samples.rows, 40 + 62 + 45);
    });

    for (const target of backends) {
      it(`restores into a fresh ${target} catalog that answers the same`, async () => {
        const restoredDb = await freshCatalog(target);
        const restored = await startTestServer({ database: restoredDb });
        try {
          const summary = await restoreCatalog(restoredDb, linesOf(dump));
          assert.equal(summary.rows, JSON.parse(dump.at(-1)!).rows);
          assert.deepEqual(await snapshot(restored), original);
          const hashes = await recomputedHashes(restoredDb);
          assert.equal(hashes.length, 3);
          for (const { stored, recomputed } of hashes) assert.equal(recomputed, stored);
          // Byte for byte the same rows (only the header's time and backend differ).
          const again = await dumpToLines(restoredDb);
          assert.equal(again.length, dump.length);
          assert.deepEqual(again.slice(1), dump.slice(1));
          // Sequences moved past the restored ids: new rows get fresh ids.
          await createDataset(restored, 'after-restore');
          assert.equal(await datasetCount(restoredDb), 3);
        } finally {
          await restored.stop();
          await restoredDb.close();
        }
      });
    }

    it('refuses a catalog that already holds datasets, and changes nothing', async () => {
      await assert.rejects(
        restoreCatalog(server.database, linesOf(dump)),
        (error: unknown) => error instanceof BadInputError && /holds 2 dataset\(s\)/.test(error.message),
      );
      assert.deepEqual(await snapshot(server), original);
    });

    it('refuses truncated and corrupted dumps with the line, leaving the fresh catalog as it was', async () => {
      const target = await freshCatalog(source);
      try {
        const components = async () =>
          rowsOf<{ n: number }>(await target.db.execute(sql`select count(*)::int as n from components`))[0]!
            .n;
        const seeded = await components();
        assert.ok(seeded > 0, 'a fresh catalog has its seeded taxonomy');

        await assert.rejects(
          restoreCatalog(target, linesOf(dump.slice(0, -1))),
          /line \d+: the dump ends before the end line/,
        );
        const cut = dump.length - 20;
        await assert.rejects(
          restoreCatalog(target, linesOf(dump.slice(0, cut))),
          new RegExp(`line ${cut + 1}: the dump ends before row \\d+ of \\d+ of table`),
        );
        // A row whose value does not fit its column: the batch's lines are named.
        const sampleSection = dump.findIndex((line) => line.startsWith('{"table":"samples"'));
        const broken = [...dump];
        broken[sampleSection + 1] = broken[sampleSection + 1]!.replace(
          /"ordinal": \d+/,
          '"ordinal": "first"',
        );
        await assert.rejects(
          restoreCatalog(target, linesOf(broken)),
          new RegExp(
            `lines ${sampleSection + 2}-\\d+ \\(table samples\\): invalid input syntax for type integer`,
          ),
        );
        const notJson = [...dump];
        notJson[sampleSection] = 'not json';
        await assert.rejects(
          restoreCatalog(target, linesOf(notJson)),
          new RegExp(`line ${sampleSection + 1}: not JSON`),
        );
        await assert.rejects(
          restoreCatalog(target, linesOf(['{"format":"other"}'])),
          /line 1: not a qdc-catalog dump/,
        );
        const older = JSON.parse(dump[0]!);
        older.migrations = older.migrations.slice(0, -1);
        await assert.rejects(
          restoreCatalog(target, linesOf([JSON.stringify(older), ...dump.slice(1)])),
          /made at schema migration \d+ and this catalog is at \d+/,
        );
        assert.equal(await datasetCount(target), 0);
        assert.equal(await components(), seeded, 'the seeded taxonomy survives a failed restore');
      } finally {
        await target.close();
      }
    });
  });
}

describe('dump lines', () => {
  async function* bytes(...chunks: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
  }
  const collect = async (source: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const line of source) out.push(line);
    return out;
  };

  it('splits on newlines across chunk and multi-byte boundaries', async () => {
    const text = new TextEncoder().encode('{"a":"é✓"}\n{"b":1}\n');
    assert.deepEqual(await collect(dumpLines(bytes(text.slice(0, 7), text.slice(7, 13), text.slice(13)))), [
      '{"a":"é✓"}',
      '{"b":1}',
    ]);
  });

  it('refuses invalid UTF-8 with the line', async () => {
    await assert.rejects(
      collect(dumpLines(bytes('{"a":1}\n{"b":"', new Uint8Array([0xff, 0xfe]), '"}\n'))),
      (error: unknown) => error instanceof BadInputError && error.message === 'line 2: invalid UTF-8',
    );
  });
});

if (POSTGRES_URL) {
  describe('catalog dump on a live PostgreSQL catalog', () => {
    it('reads one snapshot while other connections write', async () => {
      const database = await freshCatalog('postgres');
      try {
        await database.db.execute(sql`insert into datasets (slug, name) values ('before', 'before')`);
        let wrote = false;
        const dump = await dumpToLines(database, async () => {
          if (wrote) return;
          wrote = true;
          // Another pooled connection commits after the dump counted the rows, before it reads them.
          await database.db.execute(sql`insert into datasets (slug, name) values ('during', 'during')`);
        });
        assert.ok(wrote);
        assert.equal(await datasetCount(database), 2);
        const section = dump.findIndex((line) => line.startsWith('{"table":"datasets"'));
        assert.equal(JSON.parse(dump[section]!).rows, 1);
        assert.match(dump[section + 1]!, /"slug": "before"/);
        assert.ok(!dump.some((line) => line.includes('"slug": "during"')));
      } finally {
        await database.close();
      }
    });
  });
}
