/**
 * Versions written in stages. On PGlite a version's samples go in by chunks, each its own
 * transaction, so reads are answered while a long write runs; the STAGING version stays invisible
 * to every reader until it is published, a failed write deletes what it staged, and opening a data
 * directory removes what a killed process left. On PostgreSQL the write is one transaction, and a
 * committed STAGING row (another process's, as far as anyone can tell) is still hidden and left alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { canonicalizeSample, type HashedSample } from '../src/catalog/canonicalSample.js';
import { dumpCatalog } from '../src/catalog/catalogDump.js';
import { writeVersion } from '../src/catalog/versionWriter.js';
import type { ConnectOptions, Database } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { toGlobalId } from '../src/globalId.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

async function count(database: Database, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf<{ n: number | string }>(await database.db.execute(query))[0]!.n);
}

async function datasetId(database: Database, slug: string): Promise<number> {
  return count(database, sql`select id as n from datasets where slug = ${slug}`);
}

/** A committed STAGING version with `samples` rows, as a write in progress (or a killed one) leaves it. */
async function insertStaging(database: Database, dataset: number, samples: number): Promise<number> {
  const id = await count(
    database,
    sql`insert into dataset_versions (dataset_id, version, content_hash, sample_count, byte_size, status)
        values (${dataset}, -1000000, 'staging:test', 0, 0, 'STAGING') returning id as n`,
  );
  await database.db.execute(sql`
    insert into samples (version_id, ordinal, prompt, content_hash)
    select ${id}, g, 'staged prompt ' || g, md5(g::text) from generate_series(0, ${samples - 1}) as g`);
  return id;
}

/** `count` samples of about 500 bytes each, in batches of 1000, made as the writer asks for them. */
function* bigBatches(count: number, tag: string): Generator<HashedSample[]> {
  const pad = 'x'.repeat(480);
  for (let start = 0; start < count; start += 1000) {
    const batch: HashedSample[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++)
      batch.push(canonicalizeSample({ prompt: `${tag} ${i}`, response: pad }, `sample ${i}`));
    yield batch;
  }
}

const LISTINGS = `query($slug: String!, $staged: ID!, $sample: ID!) {
  dataset(slug: $slug) {
    latestVersion { version sampleCount }
    versions { edges { node { version } } }
    staged: version(number: -1000000) { id }
  }
  datasets { edges { node { slug latestVersion { version } } } }
  stagedNode: node(id: $staged) { id }
  stagedSample: node(id: $sample) { id }
}`;

describe(`versions written in stages (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('a STAGING version is invisible to every listing, lookup, lineage and dump', async () => {
    await createDataset(server, 'staged-hidden');
    const ready = await createVersion(server, 'staged-hidden', [{ prompt: 'kept', response: 'yes' }]);
    const database = server.database;
    const stagedId = await insertStaging(database, await datasetId(database, 'staged-hidden'), 3);
    const stagedSample = await count(
      database,
      sql`select min(id) as n from samples where version_id = ${stagedId}`,
    );
    const staged = toGlobalId('DatasetVersion', stagedId);

    const seen = await server.ok(LISTINGS, {
      slug: 'staged-hidden',
      staged,
      sample: toGlobalId('Sample', stagedSample),
    });
    assert.deepEqual(seen.dataset, {
      latestVersion: { version: 1, sampleCount: 1 },
      versions: { edges: [{ node: { version: 1 } }] },
      staged: null,
    });
    assert.deepEqual(
      seen.datasets.edges.find((e: { node: { slug: string } }) => e.node.slug === 'staged-hidden').node,
      { slug: 'staged-hidden', latestVersion: { version: 1 } },
    );
    assert.equal(seen.stagedNode, null);
    assert.equal(seen.stagedSample, null);

    const lineage = await server.gql(
      `query($v: ID!) { lineage(input: { version: $v, direction: BOTH, depth: 2 }) { root { id } } }`,
      { v: staged },
    );
    assert.equal(lineage.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(lineage));
    const run = await server.gql(
      `mutation($input: RecordGenerationRunInput!) { recordGenerationRun(input: $input) { id } }`,
      { input: { output: ready.version.id, inputs: [{ version: staged, role: 'SEED' }] } },
    );
    assert.equal(run.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(run));

    let dump = '';
    await dumpCatalog(database, { producer: 'test', write: (line) => void (dump += line) });
    const lines = dump.trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as { tables: { name: string; rows: number }[] };
    const rows = (name: string) => header.tables.find((t) => t.name === name)!.rows;
    assert.equal(
      rows('dataset_versions'),
      await count(database, sql`select count(*) as n from dataset_versions where status = 'READY'`),
    );
    assert.equal(
      rows('samples'),
      await count(database, sql`select count(*) as n from samples where version_id <> ${stagedId}`),
    );
    assert.ok(
      !dump.includes('staging:test') && !dump.includes('staged prompt'),
      'the dump holds no staged row',
    );

    await database.db.execute(sql`delete from dataset_versions where id = ${stagedId}`);
  });

  it('a read issued while a long write is in progress is answered before the write ends', async (t) => {
    if (testBackend !== 'pglite') {
      t.skip('PostgreSQL writes in one transaction on its own connection; others never wait for it');
      return;
    }
    await createDataset(server, 'staged-long');
    await createVersion(server, 'staged-long', [{ prompt: 'first', response: 'one' }]);
    const database = server.database;
    const id = await datasetId(database, 'staged-long');
    let writeEnded = false;
    const write = writeVersion(database, id, bigBatches(20_000, 'long')).finally(() => {
      writeEnded = true;
    });

    // The placeholder and the first chunks are committed while the write goes on.
    for (;;) {
      const staged = await count(
        database,
        sql`select count(*) as n from samples s join dataset_versions v on v.id = s.version_id
             where v.dataset_id = ${id} and v.status = 'STAGING'`,
      );
      if (staged > 0) break;
      assert.equal(writeEnded, false, 'the write ended before any of its chunks could be seen');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const seen = await server.ok(
      `{ dataset(slug: "staged-long") { latestVersion { version sampleCount } versions { edges { node { version } } } } }`,
    );
    assert.equal(writeEnded, false, 'the read was answered only once the write had ended');
    assert.deepEqual(seen.dataset, {
      latestVersion: { version: 1, sampleCount: 1 },
      versions: { edges: [{ node: { version: 1 } }] },
    });

    const written = await write;
    assert.equal(written.created, true);
    assert.equal(written.version.version, 2);
    assert.equal(written.version.status, 'READY');
    assert.equal(written.version.sampleCount, 20_000);
    assert.equal(
      await count(database, sql`select count(*) as n from samples where version_id = ${written.version.id}`),
      20_000,
    );
    const now = await server.ok(`{ dataset(slug: "staged-long") { latestVersion { version sampleCount } } }`);
    assert.deepEqual(now.dataset.latestVersion, { version: 2, sampleCount: 20_000 });
  });

  it('a write that fails after many chunks leaves no version and no sample rows', async () => {
    await createDataset(server, 'staged-fails');
    const database = server.database;
    const id = await datasetId(database, 'staged-fails');
    const samplesBefore = await count(database, sql`select count(*) as n from samples`);
    function* failing(): Generator<HashedSample[]> {
      let n = 0;
      for (const batch of bigBatches(20_000, 'fails')) {
        if (++n > 10) throw new Error('the source broke');
        yield batch;
      }
    }
    await assert.rejects(writeVersion(database, id, failing()), /the source broke/);
    assert.equal(
      await count(database, sql`select count(*) as n from dataset_versions where dataset_id = ${id}`),
      0,
    );
    assert.equal(await count(database, sql`select count(*) as n from samples`), samplesBefore);
    assert.equal(await count(database, sql`select next_version as n from datasets where id = ${id}`), 1);
  });

  it('identical content staged again is dropped and the existing version returned', async () => {
    await createDataset(server, 'staged-same');
    const database = server.database;
    const id = await datasetId(database, 'staged-same');
    const first = await writeVersion(database, id, bigBatches(3000, 'same'));
    const samplesAfterFirst = await count(database, sql`select count(*) as n from samples`);
    const again = await writeVersion(database, id, bigBatches(3000, 'same'));
    assert.equal(again.created, false);
    assert.equal(again.version.id, first.version.id);
    assert.equal(await count(database, sql`select count(*) as n from samples`), samplesAfterFirst);
    assert.equal(
      await count(database, sql`select count(*) as n from dataset_versions where dataset_id = ${id}`),
      1,
    );
  });
});

describe(`leftover STAGING versions when a catalog is opened (${testBackend})`, () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'qdc-staged-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it(
    testBackend === 'pglite'
      ? 'PGlite: opening the data directory deletes them and their samples, and nothing else'
      : 'PostgreSQL: opening leaves them to the process writing them',
    async () => {
      const scratch = testBackend === 'postgres' ? await createScratchDatabase() : null;
      const options: ConnectOptions = scratch
        ? { databaseUrl: scratch.url, poolSize: 2 }
        : { dataDir: join(tmp, 'db') };
      try {
        let stagedId: number;
        let readyId: number;
        const first = await openCatalog(options);
        try {
          await first.db.execute(sql`insert into datasets (slug, name) values ('leftover', 'Leftover')`);
          const id = await datasetId(first, 'leftover');
          readyId = (await writeVersion(first, id, bigBatches(2000, 'ready'))).version.id;
          stagedId = await insertStaging(first, id, 12_000);
        } finally {
          await first.close();
        }

        const reopened = await openCatalog(options);
        try {
          const staging = await count(
            reopened,
            sql`select count(*) as n from dataset_versions where status = 'STAGING'`,
          );
          const stagedSamples = await count(
            reopened,
            sql`select count(*) as n from samples where version_id = ${stagedId}`,
          );
          if (scratch) {
            assert.equal(staging, 1);
            assert.equal(stagedSamples, 12_000);
          } else {
            assert.equal(staging, 0);
            assert.equal(stagedSamples, 0);
          }
          assert.equal(
            await count(reopened, sql`select count(*) as n from samples where version_id = ${readyId}`),
            2000,
          );
          const id = await datasetId(reopened, 'leftover');
          const next = await writeVersion(reopened, id, bigBatches(10, 'after'));
          assert.equal(next.version.version, 2);
        } finally {
          await reopened.close();
        }
      } finally {
        await scratch?.drop();
      }
    },
  );
});
