/**
 * bench/parquet: Parquet against JSONL on the same version, in one run (ratios carry over between
 * machines, absolute times do not). Every step runs in its own child process so its peak RSS is
 * its own.
 *
 *   (a) JSONL ingest      `ingestStream` of the JSONL corpus into dataset bench-jsonl
 *   (b) JSONL export      `exportVersionJsonl` of bench-jsonl@1 to a file
 *   (c) Parquet export    `exportVersionParquet` of bench-jsonl@1 to a file (Brotli)
 *   (d) Parquet ingest    `ingestStream` of (c) into dataset bench-parquet (must give the same content hash)
 *
 * Goals: (c) rows/s >= 1.0 x (b); (d) rows/s >= 0.9 x (a); peak RSS of each reported.
 * `--rounds N` repeats (a) and (d) N-1 more times, interleaved and in alternating order, into new
 * datasets, and prints each round's ratio and their median: on a shared host one pair says little.
 * Then, for the library choice, the same Parquet file read into JS rows by hyparquet and by DuckDB,
 * and the JSONL export turned into Parquet by DuckDB's own writer. The bench prints; it never fails
 * on timings.
 *
 *   npm run bench:parquet -- [--rows 200000] [--rounds 1] [--pglite]
 *   (DATABASE_URL names the PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { openCatalog } from '../../src/app.js';
import { openParquetFile } from '../../src/ingest/parquetFile.js';
import { compressors } from '../../src/ingest/readers/parquetCompressors.js';
import { writeCorpus } from '../ingest/corpus.js';
import { createScratchDatabase, type ScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '1' },
    pglite: { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number(args.rounds));
const ROWS = Number(args.rows);
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

interface ChildResult {
  rows: number;
  ms: number;
  maxRssMB: number;
  /** The process's CPU (user + system, thread pool included) during the step. */
  cpuMs: number;
  contentHash?: string;
  bytes?: number;
}

function child(argv: string[]): ChildResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), ...argv],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production', QDC_LOG_LEVEL: 'warn' },
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

const corpus = join(tmpdir(), `qdc-bench-corpus-${ROWS}.jsonl`);
if (!existsSync(corpus)) {
  process.stderr.write(`building corpus of ${fmt(ROWS)} rows at ${corpus} ...\n`);
  await writeCorpus(corpus, ROWS);
}
const work = mkdtempSync(join(tmpdir(), 'qdc-bench-parquet-'));
let scratch: ScratchDatabase | null = null;
try {
  let target: string;
  if (args.pglite) {
    target = `pglite:${join(work, 'db')}`;
    await (await openCatalog({ dataDir: join(work, 'db') })).close();
  } else {
    scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_parquet');
    target = scratch.url;
    await (await openCatalog({ databaseUrl: target })).close();
  }
  const jsonlOut = join(work, 'export.jsonl');
  const parquetOut = join(work, 'export.parquet');
  console.log(
    `bench/parquet: ${fmt(ROWS)} rows, ${mb(statSync(corpus).size)} of JSONL, backend ${args.pglite ? 'PGlite' : 'PostgreSQL'}`,
  );

  const line = (name: string, r: ChildResult, extra = '') =>
    console.log(
      `  ${name.padEnd(16)} ${fmt(r.ms).padStart(8)} ms  ${fmt((r.rows * 1000) / r.ms).padStart(9)} rows/s  CPU ${fmt(r.cpuMs).padStart(7)} ms  peak RSS ${fmt(r.maxRssMB).padStart(5)} MB${extra}`,
    );
  // Each step is printed as it ends, so a long run shows its figures as it goes.
  const a = child(['ingest', corpus, 'bench-jsonl', target]);
  line('JSONL ingest', a);
  const b = child(['export', 'bench-jsonl@1', 'jsonl', jsonlOut, target]);
  line('JSONL export', b, `  ${mb(b.bytes!)}`);
  const c = child(['export', 'bench-jsonl@1', 'parquet', parquetOut, target]);
  line('Parquet export', c, `  ${mb(c.bytes!)}`);
  const d = child(['ingest', parquetOut, 'bench-parquet', target]);
  line('Parquet ingest', d);
  const ratio = (x: ChildResult, y: ChildResult) => (x.rows / x.ms / (y.rows / y.ms)).toFixed(2);
  console.log(`  Parquet export / JSONL export rows/s: ${ratio(c, b)}x (goal >= 1.0)`);
  console.log(`  Parquet ingest / JSONL ingest rows/s: ${ratio(d, a)}x (goal >= 0.9)`);
  console.log(`  Parquet export / JSONL export CPU: ${(c.cpuMs / b.cpuMs).toFixed(2)}x`);
  console.log(`  round trip content hash equal: ${a.contentHash === d.contentHash}`);
  if (ROUNDS > 1) {
    const ratios = [Number(ratio(d, a))];
    for (let round = 2; round <= ROUNDS; round++) {
      const jsonl = () => child(['ingest', corpus, `bench-jsonl-${round}`, target]);
      const parquet = () => child(['ingest', parquetOut, `bench-parquet-${round}`, target]);
      // Alternate which goes first, so a drift in the host's load does not favour one side.
      let j: ChildResult;
      let p: ChildResult;
      if (round % 2 === 0) {
        p = parquet();
        j = jsonl();
      } else {
        j = jsonl();
        p = parquet();
      }
      ratios.push(Number(ratio(p, j)));
      console.log(
        `  round ${round}: JSONL ingest ${fmt(j.ms)} ms (CPU ${fmt(j.cpuMs)}), Parquet ingest ${fmt(p.ms)} ms (CPU ${fmt(p.cpuMs)}): ${ratio(p, j)}x`,
      );
    }
    const sorted = [...ratios].sort((m, n) => m - n);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `  Parquet ingest / JSONL ingest over ${ROUNDS} rounds: ${ratios.join(', ')}; median ${median}x`,
    );
  }

  // Library choice: reading the same file into JS rows, and DuckDB's writer on the same rows.
  const file = await openParquetFile(parquetOut);
  let t = performance.now();
  const metadata = await parquetMetadataAsync(file.buffer);
  let rows = 0;
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    rows += (
      await parquetReadObjects({ file: file.buffer, metadata, compressors, rowStart: start, rowEnd: end })
    ).length;
    start = end;
  }
  const hyparquetMs = performance.now() - t;
  await file.close();
  const duck = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
  t = performance.now();
  const reader = await duck.streamAndReadUntil(`SELECT * FROM '${parquetOut}'`, Number.MAX_SAFE_INTEGER);
  const duckRows = reader.getRowObjectsJS().length;
  const duckReadMs = performance.now() - t;
  t = performance.now();
  await duck.run(
    `COPY (SELECT * FROM read_json('${jsonlOut}', format = 'newline_delimited')) TO '${join(work, 'duck.parquet')}' (FORMAT parquet)`,
  );
  const duckWriteMs = performance.now() - t;
  duck.closeSync();
  console.log('  library comparison (one thread each):');
  console.log(
    `    read to JS rows   hyparquet ${fmt(hyparquetMs)} ms (${fmt(rows)} rows), DuckDB ${fmt(duckReadMs)} ms (${fmt(duckRows)} rows)`,
  );
  console.log(
    `    JSONL -> Parquet  DuckDB COPY ${fmt(duckWriteMs)} ms, ${mb(statSync(join(work, 'duck.parquet')).size)} (qdc export with hyparquet-writer, database read included: ${fmt(c.ms)} ms)`,
  );
} finally {
  await scratch?.drop();
  rmSync(work, { recursive: true, force: true });
}
