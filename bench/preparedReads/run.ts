/**
 * bench/preparedReads: the loaders' hot reads (the 7 statements of one bench/graphql request),
 * each run three ways on the same seeded database in one process:
 *
 * - internal: `preparedSelect` (src/db/preparedSelect.ts: drizzle's session.prepareQuery with our
 *   compiled row decoder, array mode, named statement);
 * - public: drizzle's public `.prepare(name)` on the same builder, `.execute(values)`;
 * - builder: the same builder run unprepared (`.execute(values)` builds the SQL every call).
 *
 * Prints per statement and per "request" (all 7) the median wall time and the process CPU time per
 * call, and the ratios to `internal`. Never fails on timings.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:prepared-reads
 *   npm run bench:prepared-reads -- --pglite      # in-memory PGlite instead (context)
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { asc, desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { PgSelectBuilder, SelectedFields } from 'drizzle-orm/pg-core';
import { openCatalog } from '../../src/app.js';
import { registerDataset } from '../../src/catalog/datasets.js';
import { recordGenerationRun } from '../../src/catalog/lineage.js';
import { createVersion } from '../../src/catalog/versions.js';
import type { Database, Executor } from '../../src/db/connect.js';
import { preparedSelect } from '../../src/db/preparedSelect.js';
import { algorithms, datasets, datasetVersions, generationRuns, runInputs } from '../../src/db/schema.js';
import { anyOf, asBoundList } from '../../src/db/sqlHelpers.js';
import { createScratchDatabase, type ScratchDatabase } from '../scratchDatabase.js';

const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PGLITE = process.argv.includes('--pglite');
const DATASETS = 100;
const ROUNDS = PGLITE ? 6 : 15;
const PER_ROUND = PGLITE ? 10 : 30;
const WARMUP = PGLITE ? 10 : 30;

type Build<F extends SelectedFields> = (select: PgSelectBuilder<F>) => {
  toSQL(): { sql: string; params: unknown[] };
  prepare(name: string): { execute(values: Record<string, unknown>): Promise<unknown[]> };
  execute(values: Record<string, unknown>): Promise<unknown[]>;
};

interface Statement {
  name: string;
  fields: SelectedFields;
  build: Build<SelectedFields>;
  values: Record<string, unknown>;
}

type Variant = 'internal' | 'public' | 'builder';
const VARIANTS: Variant[] = ['internal', 'public', 'builder'];

/** Lists bound as preparedSelect binds them, so all three variants send the same parameters. */
function bound(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? asBoundList(v) : v]),
  );
}

function runners(db: Executor, st: Statement): Record<Variant, () => Promise<unknown[]>> {
  const internal = preparedSelect(st.fields, st.build);
  const builder = st.build(db.select(st.fields));
  const name = `bench_${createHash('sha256').update(builder.toSQL().sql).digest('hex').slice(0, 20)}`;
  const prepared = st.build(db.select(st.fields)).prepare(name);
  const values = bound(st.values);
  return {
    internal: () => internal.all(db, st.values),
    public: () => prepared.execute(values),
    builder: () => st.build(db.select(st.fields)).execute(values),
  };
}

async function seed(database: Database) {
  const { db } = database;
  const versions: number[][] = [];
  const datasetIds: number[] = [];
  for (let i = 0; i < DATASETS; i++) {
    const slug = `bench-${String(i).padStart(3, '0')}`;
    const dataset = await registerDataset(db, { slug, name: `Bench dataset ${i}`, tags: ['bench'] });
    datasetIds.push(dataset.id);
    const ids: number[] = [];
    for (let v = 1; v <= 3; v++) {
      const samples = [0, 1].map((n) => ({ prompt: `${slug} v${v} p${n}`, response: `a${n}` }));
      ids.push((await createVersion(database, slug, samples)).version.id);
    }
    versions.push(ids);
  }
  const runIds: number[] = [];
  for (let i = 0; i < DATASETS; i++) {
    const [v1, v2, v3] = versions[i]!;
    const next = versions[(i + 1) % DATASETS]![0]!;
    const common = { algorithmKey: 'self-instruct', generatorModel: 'gpt-4-0613', params: { t: 0.7 } };
    const a = await recordGenerationRun(db, {
      ...common,
      outputVersionId: v2!,
      inputs: [{ versionId: v1!, role: 'SOURCE', ref: '' }],
    });
    const b = await recordGenerationRun(db, {
      ...common,
      outputVersionId: v3!,
      inputs: [
        { versionId: v2!, role: 'SOURCE', ref: '' },
        { versionId: next, role: 'SEED', ref: '' },
      ],
    });
    runIds.push(a.id, b.id);
  }
  const [algorithm] = await db.select({ id: algorithms.id }).from(algorithms).limit(1);
  return { datasetIds, versionIds: versions.flat(), runIds, algorithmId: algorithm!.id };
}

/** The statements of one bench/graphql request, as src/catalog defines them. */
function statements(ids: Awaited<ReturnType<typeof seed>>): Statement[] {
  const list = <F extends SelectedFields>(
    name: string,
    fields: F,
    build: (select: PgSelectBuilder<F>) => unknown,
    values: Record<string, unknown>,
  ): Statement => ({ name, fields, build: build as unknown as Build<SelectedFields>, values });
  const neighbourFields = {
    versionId: generationRuns.outputVersionId,
    neighbourVersionId: runInputs.inputVersionId,
    role: runInputs.role,
    runId: generationRuns.id,
  };
  return [
    list(
      'datasets list (101 rows)',
      getTableColumns(datasets),
      (s) => s.from(datasets).orderBy(desc(datasets.id)).limit(sql.placeholder('limit')),
      { limit: 101 },
    ),
    list(
      'version pages (300 rows)',
      getTableColumns(datasetVersions),
      (s) =>
        s
          .from(datasetVersions)
          .where(
            sql`${datasetVersions.id} in (
              select newest.id from unnest(${sql.placeholder('datasetIds')}::bigint[]) as page_of(dataset_id)
              cross join lateral (
                select id, version from ${datasetVersions} as newest
                where newest.dataset_id = page_of.dataset_id
                order by newest.version desc
                limit ${sql.placeholder('limit')}
              ) as newest
            )`,
          )
          .orderBy(asc(datasetVersions.datasetId), desc(datasetVersions.version)),
      { datasetIds: ids.datasetIds, limit: 6 },
    ),
    list(
      'runs by output (200 rows)',
      getTableColumns(generationRuns),
      (s) =>
        s
          .from(generationRuns)
          .where(anyOf(generationRuns.outputVersionId, sql.placeholder('values'), 'bigint')),
      { values: ids.versionIds },
    ),
    list(
      'algorithms by id (1 row)',
      getTableColumns(algorithms),
      (s) => s.from(algorithms).where(anyOf(algorithms.id, sql.placeholder('values'), 'int')),
      { values: [ids.algorithmId] },
    ),
    list(
      'inputs of runs (300 rows)',
      getTableColumns(runInputs),
      (s) =>
        s
          .from(runInputs)
          .where(anyOf(runInputs.runId, sql.placeholder('runIds'), 'bigint'))
          .orderBy(asc(runInputs.runId), asc(runInputs.inputVersionId), asc(runInputs.role)),
      { runIds: ids.runIds },
    ),
    list(
      'parents (300 rows, join)',
      neighbourFields,
      (s) =>
        s
          .from(runInputs)
          .innerJoin(generationRuns, eq(generationRuns.id, runInputs.runId))
          .where(anyOf(neighbourFields.versionId, sql.placeholder('versionIds'), 'bigint'))
          .orderBy(asc(generationRuns.id), asc(runInputs.inputVersionId)),
      { versionIds: ids.versionIds },
    ),
    list(
      'versions by ids (300 rows)',
      getTableColumns(datasetVersions),
      (s) => s.from(datasetVersions).where(anyOf(datasetVersions.id, sql.placeholder('ids'), 'bigint')),
      { ids: ids.versionIds },
    ),
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  let scratch: ScratchDatabase | undefined;
  let database: Database | undefined;
  try {
    if (PGLITE) database = await openCatalog({ dataDir: 'memory://' });
    else {
      scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_prepared');
      database = await openCatalog({ databaseUrl: scratch.url });
    }
    const ids = await seed(database);
    const list = statements(ids);
    const run = list.map((st) => runners(database!.db, st));

    // Same rows from all three, or the comparison means nothing.
    for (const [i, r] of run.entries()) {
      const expected = await r.internal();
      for (const v of VARIANTS) {
        if (!isDeepStrictEqual(await r[v](), expected)) throw new Error(`${list[i]!.name}: ${v} differs`);
      }
    }

    // wall[v][statement] = per-round medians of ms per call; cpu[v][statement] = µs per call per round
    const wall = Object.fromEntries(VARIANTS.map((v) => [v, list.map(() => [] as number[])])) as Record<
      Variant,
      number[][]
    >;
    const cpu = structuredClone(wall);
    for (let round = -1; round < ROUNDS; round++) {
      const order =
        round % 3 === 0
          ? VARIANTS
          : round % 3 === 1
            ? [...VARIANTS].reverse()
            : (['public', 'internal', 'builder'] as Variant[]);
      for (const v of order) {
        for (const [i, r] of run.entries()) {
          const n = round < 0 ? WARMUP : PER_ROUND;
          const times: number[] = [];
          const c0 = process.cpuUsage();
          for (let k = 0; k < n; k++) {
            const t0 = performance.now();
            await r[v]();
            times.push(performance.now() - t0);
          }
          const c = process.cpuUsage(c0);
          if (round < 0) continue;
          wall[v][i]!.push(median(times));
          cpu[v][i]!.push((c.user + c.system) / n);
        }
      }
    }

    const backend = PGLITE ? 'PGlite (in memory)' : 'PostgreSQL';
    console.log(
      `bench/preparedReads on ${backend}, node ${process.version}, drizzle-orm hot reads; ` +
        `${ROUNDS} interleaved rounds x ${PER_ROUND} calls per statement and variant (after ${WARMUP} warm-up)`,
    );
    console.log('median over rounds of: per-round median wall ms per call | process CPU µs per call');
    const header = [
      'statement',
      ...VARIANTS.flatMap((v) => [`${v} ms`, `${v} CPU µs`]),
      'public/internal wall',
      'public/internal CPU',
      'builder/internal wall',
      'builder/internal CPU',
    ];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`| ${header.map(() => '---').join(' | ')} |`);
    const fmt = (x: number, d = 3) => x.toFixed(d);
    const rows = list.map((st, i) => {
      const w = Object.fromEntries(VARIANTS.map((v) => [v, median(wall[v][i]!)])) as Record<Variant, number>;
      const c = Object.fromEntries(VARIANTS.map((v) => [v, median(cpu[v][i]!)])) as Record<Variant, number>;
      return { name: st.name, w, c };
    });
    const total = {
      name: '**all 7 (one request)**',
      w: Object.fromEntries(VARIANTS.map((v) => [v, rows.reduce((s, r) => s + r.w[v], 0)])) as Record<
        Variant,
        number
      >,
      c: Object.fromEntries(VARIANTS.map((v) => [v, rows.reduce((s, r) => s + r.c[v], 0)])) as Record<
        Variant,
        number
      >,
    };
    for (const r of [...rows, total]) {
      console.log(
        `| ${r.name} | ${VARIANTS.map((v) => `${fmt(r.w[v])} | ${fmt(r.c[v], 0)}`).join(' | ')} | ` +
          `${fmt(r.w.public / r.w.internal, 2)}x | ${fmt(r.c.public / r.c.internal, 2)}x | ` +
          `${fmt(r.w.builder / r.w.internal, 2)}x | ${fmt(r.c.builder / r.c.internal, 2)}x |`,
      );
    }
    console.log(
      JSON.stringify({
        backend: PGLITE ? 'pglite' : 'postgres',
        request: {
          wallMs: total.w,
          cpuUs: total.c,
          publicOverInternal: {
            wall: total.w.public / total.w.internal,
            cpu: total.c.public / total.c.internal,
          },
        },
      }),
    );
  } finally {
    await database?.close().catch(() => undefined);
    await scratch?.drop();
  }
}

await main();
