/**
 * bench/ingest: rows/s of this project's bulk ingest versus PostgreSQL's own COPY and versus
 * batched multi-row INSERT, on the same rows, in one run (ratios, not absolute times, are what
 * carry over between machines). Also the PGlite figure and the ingest process's peak RSS.
 *
 *   (a) ingest   `ingestStream` of the JSONL corpus (parse, map, validate, hash, COPY), in a child
 *                process so its peak RSS is measured alone
 *   (b) \copy    `psql \copy` of the same rows, pre-encoded as COPY text, into a table of the same
 *                shape as `samples` (same columns, indexes and foreign key)
 *   (c) INSERT   the same JSONL parsed and validated by the same code, written with multi-row
 *                INSERT statements of 1000 rows into a same-shaped table
 *
 * Goal: (a) >= 0.7 x (b) and (a) >= 3 x (c). The bench prints; it never fails on timings.
 *
 *   npm run bench:ingest -- [--rows 1000000] [--pglite-rows 200000] [--repeat 2]
 *   (DATABASE_URL names the PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres)
 *
 * The corpus is built from ../shared/datasets (see corpus.ts) and cached in the OS temp dir.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openCatalog } from '../../src/app.js';
import { canonicalizeSample, type HashedSample } from '../../src/catalog/canonicalSample.js';
import { sampleCopyLine } from '../../src/catalog/copyText.js';
import type { Database } from '../../src/db/connect.js';
import { detectFormat, mapRecord } from '../../src/ingest/formats.js';
import { readRecords } from '../../src/ingest/readers.js';
import { writeCorpus } from './corpus.js';
import { createScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'pglite-rows': { type: 'string', default: '200000' },
    repeat: { type: 'string', default: '2' },
  },
});
const ROWS = Number(args.rows);
const PGLITE_ROWS = Number(args['pglite-rows']);
const REPEAT = Number(args.repeat);
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const COLUMNS = '(version_id, ordinal, prompt, response, reference, messages, metadata, content_hash)';
const INSERT_BATCH = 1000;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const rate = (rows: number, ms: number) => Math.round((rows * 1000) / ms);
const fmt = (n: number) => n.toLocaleString('en-US');

async function corpus(rows: number): Promise<string> {
  const path = join(tmpdir(), `qdc-bench-corpus-${rows}.jsonl`);
  if (!existsSync(path)) {
    process.stderr.write(`building corpus of ${fmt(rows)} rows at ${path} ...\n`);
    await writeCorpus(path, rows);
  }
  return path;
}

/** The corpus parsed and validated by the project's own code, batch by batch. */
async function* hashedBatches(file: string): AsyncGenerator<HashedSample[]> {
  let batch: HashedSample[] = [];
  let format: ReturnType<typeof detectFormat> = null;
  for await (const item of readRecords(createReadStream(file, { highWaterMark: 1 << 20 }), {
    maxRecordBytes: 1 << 20,
  })) {
    if (item.kind !== 'record') throw new Error(`corpus line ${item.line}: ${item.reason}`);
    format ??= detectFormat(item.value as Record<string, unknown>);
    batch.push(canonicalizeSample(mapRecord(format!, item.value), `line ${item.line}`));
    if (batch.length === INSERT_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Writes the corpus as COPY text for \copy (done once, outside the timed part). */
async function copyTextFile(file: string, versionId: number): Promise<string> {
  const path = `${file}.v${versionId}.copy`;
  if (existsSync(path)) return path;
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let ordinal = 0;
  for await (const batch of hashedBatches(file)) {
    const text = batch.map((s) => sampleCopyLine(versionId, ordinal++, s)).join('');
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** A table shaped like `samples` (columns, defaults, indexes, the foreign key), with one version to point at. */
async function sameShapedTable(client: pg.Client, name: string): Promise<number> {
  await client.query(`drop table if exists ${name}`);
  await client.query(`create table ${name} (like samples including all)`);
  await client.query(
    `alter table ${name} add foreign key (version_id) references dataset_versions(id) on delete cascade`,
  );
  const [ds] = (
    await client.query(`insert into datasets (slug, name) values ($1, $1) returning id`, [
      `${name}-${randomBytes(3).toString('hex')}`,
    ])
  ).rows;
  const [v] = (
    await client.query(
      `insert into dataset_versions (dataset_id, version, content_hash, sample_count, byte_size) values ($1, 1, 'baseline', 0, 0) returning id`,
      [ds.id],
    )
  ).rows;
  return Number(v.id);
}

async function runChild(file: string, target: string, slug: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), file, slug, target],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`ingest child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as {
    rows: number;
    ms: number;
    maxRssMB: number;
    contentHash: string;
  };
}

async function timePsqlCopy(url: string, table: string, copyFile: string): Promise<number> {
  const started = performance.now();
  execFileSync('psql', [
    url,
    '-v',
    'ON_ERROR_STOP=1',
    '-qc',
    `\\copy ${table} ${COLUMNS} from '${copyFile}'`,
  ]);
  return performance.now() - started;
}

async function timeMultiRowInsert(
  client: pg.Client,
  table: string,
  versionId: number,
  file: string,
): Promise<number> {
  const started = performance.now();
  await client.query('begin');
  let ordinal = 0;
  for await (const batch of hashedBatches(file)) {
    const params: unknown[] = [];
    const tuples = batch.map((s) => {
      const base = params.length;
      params.push(
        versionId,
        ordinal++,
        s.prompt,
        s.response,
        s.reference,
        s.messages && JSON.stringify(s.messages),
        s.metadata && JSON.stringify(s.metadata),
        s.contentHash,
      );
      return `($${base + 1},$${base + 2},$${base + 3},$${base + 4},$${base + 5},$${base + 6},$${base + 7},$${base + 8})`;
    });
    await client.query(`insert into ${table} ${COLUMNS} values ${tuples.join(',')}`, params);
  }
  await client.query('commit');
  return performance.now() - started;
}

async function timePgliteInsert(database: Database, versionId: number, file: string): Promise<number> {
  const started = performance.now();
  await database.rawTransaction(async (tx) => {
    let ordinal = 0;
    for await (const batch of hashedBatches(file)) {
      const params: unknown[] = [];
      const tuples = batch.map((s) => {
        const base = params.length;
        params.push(
          versionId,
          ordinal++,
          s.prompt,
          s.response,
          s.reference,
          s.messagesJson === 'null' ? null : s.messagesJson,
          s.metadataJson === 'null' ? null : s.metadataJson,
          s.contentHash,
        );
        return `($${base + 1},$${base + 2},$${base + 3},$${base + 4},$${base + 5},$${base + 6},$${base + 7},$${base + 8})`;
      });
      await tx.query(`insert into bench_insert ${COLUMNS} values ${tuples.join(',')}`, params);
    }
  });
  return performance.now() - started;
}

async function main() {
  const file = await corpus(ROWS);
  const fileBytes = statSync(file).size;
  const scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_ingest');
  const benchUrl = scratch.url;
  const pgliteDir = mkdtempSync(join(tmpdir(), 'qdc-bench-pglite-'));
  try {
    (await openCatalog({ databaseUrl: benchUrl })).close();
    const client = new pg.Client({ connectionString: benchUrl });
    await client.connect();
    const copyVersion = await sameShapedTable(client, 'bench_copy');
    const insertVersion = await sameShapedTable(client, 'bench_insert');
    process.stderr.write('encoding the corpus as COPY text for the \\copy baseline ...\n');
    const copyFile = await copyTextFile(file, copyVersion);

    const results = {
      ingest: [] as number[],
      copy: [] as number[],
      insert: [] as number[],
      rss: [] as number[],
    };
    for (let round = 1; round <= REPEAT; round += 1) {
      process.stderr.write(`round ${round}/${REPEAT}: \\copy ...\n`);
      await client.query('truncate bench_copy');
      await client.query('checkpoint');
      results.copy.push(await timePsqlCopy(benchUrl, 'bench_copy', copyFile));

      process.stderr.write(`round ${round}/${REPEAT}: ingest ...\n`);
      await client.query('checkpoint');
      const ingest = await runChild(file, benchUrl, `bench-${round}`);
      if (ingest.rows !== ROWS) throw new Error(`ingest stored ${ingest.rows} rows, expected ${ROWS}`);
      results.ingest.push(ingest.ms);
      results.rss.push(ingest.maxRssMB);

      process.stderr.write(`round ${round}/${REPEAT}: multi-row INSERT ...\n`);
      await client.query('truncate bench_insert');
      await client.query('checkpoint');
      results.insert.push(await timeMultiRowInsert(client, 'bench_insert', insertVersion, file));
    }
    await client.end();

    // PGlite: the project's ingest (COPY from an in-memory blob per 8 MB chunk) vs multi-row INSERT.
    const pgliteFile = await corpus(PGLITE_ROWS);
    process.stderr.write(`PGlite: ingest of ${fmt(PGLITE_ROWS)} rows ...\n`);
    const pgliteIngest = await runChild(pgliteFile, `pglite:${pgliteDir}`, 'bench-pglite');
    const pglite = await openCatalog({ dataDir: pgliteDir });
    let pgliteInsertMs: number;
    try {
      const [v] = await pglite.rawTransaction(async (tx) => {
        await tx.query('create table bench_insert (like samples including all)');
        await tx.query(
          'alter table bench_insert add foreign key (version_id) references dataset_versions(id)',
        );
        return tx.query<{ id: string }>('select id from dataset_versions limit 1');
      });
      process.stderr.write('PGlite: multi-row INSERT ...\n');
      pgliteInsertMs = await timePgliteInsert(pglite, Number(v!.id), pgliteFile);
    } finally {
      await pglite.close();
    }

    const best = (xs: number[]) => Math.min(...xs);
    const a = rate(ROWS, best(results.ingest));
    const b = rate(ROWS, best(results.copy));
    const c = rate(ROWS, best(results.insert));
    console.log(
      `\nbench/ingest: ${fmt(ROWS)} rows, ${mb(fileBytes)} of JSONL, PostgreSQL at ${new URL(SERVER_URL).host}, best of ${REPEAT}`,
    );
    console.log(
      `  (a) qdc ingest          ${fmt(a).padStart(9)} rows/s   (${results.ingest.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`,
    );
    console.log(
      `  (b) psql \\copy          ${fmt(b).padStart(9)} rows/s   (${results.copy.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`,
    );
    console.log(
      `  (c) INSERT x1000        ${fmt(c).padStart(9)} rows/s   (${results.insert.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`,
    );
    console.log(`  (a)/(b) = ${(a / b).toFixed(2)}   goal >= 0.70`);
    console.log(`  (a)/(c) = ${(a / c).toFixed(2)}   goal >= 3.00`);
    console.log(
      `  ingest peak RSS: ${Math.max(...results.rss).toFixed(0)} MB (goal: < 300 MB for a 1 GB file)`,
    );
    const pa = rate(PGLITE_ROWS, pgliteIngest.ms);
    const pc = rate(PGLITE_ROWS, pgliteInsertMs);
    console.log(
      `PGlite (${fmt(PGLITE_ROWS)} rows, on disk): ingest ${fmt(pa)} rows/s, multi-row INSERT ${fmt(pc)} rows/s, ratio ${(pa / pc).toFixed(2)}; ingest peak RSS ${pgliteIngest.maxRssMB.toFixed(0)} MB`,
    );
  } finally {
    await scratch.drop();
    rmSync(pgliteDir, { recursive: true, force: true });
  }
}

await main();
