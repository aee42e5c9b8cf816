/**
 * bench/versionDiff: Query.versionDiff's statements on two large versions, with their plans.
 *
 * Builds (in SQL, generate_series) a base version of n samples and a head version that drops the
 * first 10% and appends 5% new ones, so the added samples sit at the END of head's ordinal order
 * (the worst case for the first page of `added`: it scans past every kept sample). Then, in one
 * run: the baseline `count(*)` of head's samples through the (version_id, ordinal) index, the two
 * diff counts, the first page of `added` and `removed`, a deep page of `added`, each timed
 * (median of rounds) and given as a ratio to the baseline, and prints EXPLAIN ANALYZE of each so
 * that the indexes used can be read off. Never fails on timings.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:version-diff -- --n 1000000
 *   npm run bench:version-diff -- --pglite --n 100000
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../../src/app.js';
import {
  DIFF_ADDED_CURSOR,
  DIFF_REMOVED_CURSOR,
  diffCounts,
  missingSamples,
} from '../../src/catalog/versionDiff.js';
import type { Database } from '../../src/db/connect.js';
import { createScratchDatabase, type ScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '5' },
    pglite: { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main() {
  let scratch: ScratchDatabase | null = null;
  let database: Database;
  if (args.pglite) {
    database = await openCatalog({ dataDir: 'memory://' });
  } else {
    scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_diff');
    database = await openCatalog({ databaseUrl: scratch.url, poolSize: 2 });
  }
  try {
    const { db } = database;
    const removedN = Math.floor(N / 10);
    const addedN = Math.floor(N / 20);
    const headN = N - removedN + addedN;
    const build = performance.now();
    await db.execute(sql`insert into datasets (slug, name) values ('diff-bench', 'diff bench')`);
    await db.execute(sql`insert into dataset_versions (dataset_id, version, content_hash, sample_count, byte_size)
      select id, v, 'h' || v, case v when 1 then ${N}::int else ${headN}::int end, 0
      from datasets, (values (1), (2)) as t(v)`);
    const { rows: ids } = (await db.execute(
      sql`select id from dataset_versions order by version`,
    )) as unknown as {
      rows: { id: string }[];
    };
    const [v1, v2] = ids;
    const base = Number(v1!.id);
    const head = Number(v2!.id);
    await db.execute(sql`insert into samples (version_id, ordinal, prompt, response, content_hash)
      select ${base}::bigint, i, 'prompt ' || i, 'response ' || i, md5(i::text) from generate_series(0, ${N - 1}::int) i`);
    await db.execute(sql`insert into samples (version_id, ordinal, prompt, response, content_hash)
      select ${head}::bigint, i - ${removedN}::int, 'prompt ' || i, 'response ' || i, md5(i::text)
      from generate_series(${removedN}::int, ${N + addedN - 1}::int) i`);
    await db.execute(sql`vacuum analyze samples`);
    console.log(
      `built base ${N} and head ${headN} samples (${removedN} removed, ${addedN} added at the end) in ${((performance.now() - build) / 1000).toFixed(1)} s on ${database.backend}`,
    );

    const captured: { sql: string; params: unknown[] }[] = [];
    database.statements.listener = (text, params) => captured.push({ sql: text, params });
    const baseRow = { id: base };
    const headRow = { id: head, sampleCount: headN };
    const counts = await diffCounts(db, baseRow, headRow);
    console.log('counts', counts, 'expected', { added: addedN, removed: removedN, kept: headN - addedN });
    const page = { first: 50, after: null };
    const firstAdded = await missingSamples(db, head, base, page, DIFF_ADDED_CURSOR);
    const firstRemoved = await missingSamples(db, base, head, page, DIFF_REMOVED_CURSOR);
    const deepAfter = [headN - 100];
    await missingSamples(db, head, base, { first: 50, after: deepAfter }, DIFF_ADDED_CURSOR);
    database.statements.listener = undefined;
    const timed = (after: number[] | null, window?: number) => () =>
      missingSamples(db, head, base, { first: 50, after }, DIFF_ADDED_CURSOR, window);
    console.log(
      `first added ordinal ${firstAdded.items[0]?.ordinal}, first removed ordinal ${firstRemoved.items[0]?.ordinal}`,
    );
    // The statements: the two counts, then each page's probe scan (and set query where it ran).
    const [countAdded, countRemoved, pageAdded, pageAddedRest, , pageRemoved] = captured;

    const raw = (text: string, params: unknown[]) =>
      database.rawTransaction((tx) => tx.query(text, params as unknown[]));
    const baseline = await median(() => raw('select count(*) from samples where version_id = $1', [head]));
    const rows: [string, number][] = [
      ['baseline: count(*) of head', baseline],
      ['addedCount (anti-join)', await median(() => raw(countAdded!.sql, countAdded!.params))],
      ['removedCount (anti-join)', await median(() => raw(countRemoved!.sql, countRemoved!.params))],
      ['diffCounts again (cached)', await median(() => diffCounts(db, baseRow, headRow))],
      ['added, first page of 50: probes only (worst case)', await median(timed(null, N * 2))],
      ['added, first page of 50: probe window, then set', await median(timed(null))],
      [
        'removed, first page of 50',
        await median(() => missingSamples(db, base, head, page, DIFF_REMOVED_CURSOR)),
      ],
      ['added, a page near the end', await median(timed(deepAfter))],
    ];
    console.log(`\n| statement (n = ${N}, ${database.backend}, median of ${ROUNDS}) | ms | x baseline |`);
    console.log('| --- | ---: | ---: |');
    for (const [name, ms] of rows)
      console.log(`| ${name} | ${ms.toFixed(1)} | ${(ms / baseline).toFixed(2)} |`);

    for (const [name, statement] of [
      ['addedCount', countAdded],
      ['added first page: probe window', pageAdded],
      ['added first page: the rest as a set', pageAddedRest],
      ['removed first page', pageRemoved],
    ] as const) {
      const plan = await raw(`explain (analyze, costs off, timing off) ${statement!.sql}`, statement!.params);
      console.log(`\n-- ${name}\n${plan.map((r) => Object.values(r)[0]).join('\n')}`);
    }
  } finally {
    await database.close();
    await scratch?.drop();
  }
}

await main();
