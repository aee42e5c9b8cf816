/**
 * bench/graphql: p50 latency of the 100-dataset nested list query through Apollo (real HTTP server,
 * real PostgreSQL) versus issuing the very same SQL statements directly with node-postgres.
 *
 * Goal: apollo_p50 / direct_sql_p50 <= 1.5x. The bench only prints; it never fails on timings.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:graphql
 *
 * A fresh database `qdc_bench_graphql_<random>` is created on that server and dropped at the end.
 */
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { loadConfig, type GraphQLExecutorKind } from '../../src/config.js';
import { createScratchDatabase } from '../scratchDatabase.js';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openCatalog, VERSION } from '../../src/app.js';
import { registerDataset } from '../../src/catalog/datasets.js';
import { recordGenerationRun } from '../../src/catalog/lineage.js';
import { createVersion } from '../../src/catalog/versions.js';
import type { Database } from '../../src/db/connect.js';
import { startHttpServer, type RunningServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/logger.js';
import { nodeFlags } from '../../src/nodeFlags.js';

const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATASETS = 100;
const VERSIONS_PER_DATASET = 3;
const SAMPLES_PER_VERSION = 2;
const WARMUP = 20;
const ROUNDS = 10;
const PER_ROUND = 20;
/** connect()'s default pool size; the direct baseline uses the same. */
const POOL_SIZE = 10;
const GOAL_RATIO = 1.5;

const listQuery = (first: number) => `{
  datasets(first: ${first}) { edges { node {
    id slug name
    versions(first: 5) { edges { node {
      id version contentHash sampleCount
      generatedBy { id generatorModel algorithm { key name } inputs { role version { id version } } }
      parents { role version { id } }
    } } }
  } } }
}`;

interface Statement {
  sql: string;
  params: unknown[];
}

interface Stats {
  p50: number;
  p90: number;
  mean: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    p50: at(0.5),
    p90: at(0.9),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
/** The V8 flags the server runs with matter (npm start passes the same young-generation size). */
const heapFlags = () =>
  nodeFlags()
    .filter((a) => a.startsWith('--max-'))
    .join(' ') || '(default heap)';
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function seed(database: Database): Promise<void> {
  const { db } = database;
  const versionIds: number[][] = [];
  for (let i = 0; i < DATASETS; i++) {
    const slug = `bench-${String(i).padStart(3, '0')}`;
    await registerDataset(db, {
      slug,
      name: `Bench dataset ${i}`,
      task: 'instruction-following',
      tags: ['bench'],
    });
    const ids: number[] = [];
    for (let v = 1; v <= VERSIONS_PER_DATASET; v++) {
      const samples = Array.from({ length: SAMPLES_PER_VERSION }, (_, n) => ({
        prompt: `${slug} v${v} prompt ${n}`,
        response: `${slug} v${v} answer ${n}`,
      }));
      ids.push((await createVersion(database, slug, samples)).version.id);
    }
    versionIds.push(ids);
  }
  // Lineage: v2 of i <- v1 of i; v3 of i <- v2 of i (SOURCE) + v1 of (i+1)%N (SEED). Acyclic: v1s have no parents.
  for (let i = 0; i < DATASETS; i++) {
    const [v1, v2, v3] = versionIds[i]!;
    const nextV1 = versionIds[(i + 1) % DATASETS]![0]!;
    await recordGenerationRun(db, {
      outputVersionId: v2!,
      inputs: [{ versionId: v1!, role: 'SOURCE', ref: String(v1) }],
      algorithmKey: 'self-instruct',
      generatorModel: 'gpt-4-0613',
      params: { temperature: 0.7 },
    });
    await recordGenerationRun(db, {
      outputVersionId: v3!,
      inputs: [
        { versionId: v2!, role: 'SOURCE', ref: String(v2) },
        { versionId: nextV1, role: 'SEED', ref: String(nextV1) },
      ],
      algorithmKey: 'self-instruct',
      generatorModel: 'gpt-4-0613',
      params: { temperature: 0.7, top_p: 0.95 },
    });
  }
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_graphql');

  let database: Database | undefined;
  let running: RunningServer | undefined;
  let interpreted: RunningServer | undefined;
  let pool: pg.Pool | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    database = await openCatalog({ databaseUrl: scratch.url });
    const t0 = performance.now();
    await seed(database);
    const seedMs = performance.now() - t0;

    const serve = (graphqlExecutor: GraphQLExecutorKind) =>
      startHttpServer({
        database: database!,
        auth: 'off',
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 16 * 1024 * 1024,
        graphqlExecutor,
        logger: silentLogger,
        version: VERSION,
        embedders: new EmbedderRegistry(loadConfig().embedding, silentLogger),
      });
    // The server as shipped (graphql-jit), and the same server interpreting with graphql-js for context.
    running = await serve('jit');
    interpreted = await serve('graphql-js');
    const endpoint = `${running.url}/graphql`;

    /**
     * One HTTP round trip; returns the raw body (read fully, not parsed, inside the timed section).
     * The client is node:http on a keep-alive agent: it runs in the server's process, so its own
     * cost lands in the measured latency, and fetch (undici, WHATWG streams) cost ~0.9 ms of CPU per
     * 128 KiB response here, about 8% of the whole request.
     */
    const post = (query: string, url = endpoint): Promise<string> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ query });
        const request = http.request(
          url,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (response.statusCode === 200) resolve(text);
              else reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 500)}`));
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      });

    const checked = async (first: number) => {
      const body = JSON.parse(await post(listQuery(first))) as {
        data?: {
          datasets: {
            edges: {
              node: { versions: { edges: { node: { generatedBy: unknown; parents: unknown[] } }[] } };
            }[];
          };
        };
        errors?: unknown[];
      };
      if (body.errors?.length)
        throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 1000)}`);
      const edges = body.data!.datasets.edges;
      const versions = edges.flatMap((e) => e.node.versions.edges.map((v) => v.node));
      const withRun = versions.filter((v) => v.generatedBy !== null).length;
      const parentLinks = versions.reduce((s, v) => s + v.parents.length, 0);
      return { datasets: edges.length, versions: versions.length, withRun, parentLinks };
    };

    const record = async (first: number): Promise<Statement[]> => {
      const statements: Statement[] = [];
      database!.statements.listener = (sql, params) => statements.push({ sql, params: [...params] });
      try {
        await post(listQuery(first));
      } finally {
        database!.statements.listener = undefined;
      }
      return statements;
    };

    // Sanity: the result has the expected shape (so we benchmark the query we think we do).
    const shape100 = await checked(100);
    const shape10 = await checked(10);
    const expectedRuns = DATASETS * (VERSIONS_PER_DATASET - 1);
    if (
      shape100.datasets !== DATASETS ||
      shape100.versions !== DATASETS * VERSIONS_PER_DATASET ||
      shape100.withRun !== expectedRuns
    ) {
      throw new Error(`unexpected result shape for first: 100: ${JSON.stringify(shape100)}`);
    }
    if (shape10.datasets !== 10)
      throw new Error(`unexpected result shape for first: 10: ${JSON.stringify(shape10)}`);

    const query100 = listQuery(100);
    const interpretedEndpoint = `${interpreted.url}/graphql`;
    if ((await post(query100)) !== (await post(query100, interpretedEndpoint))) {
      throw new Error('graphql-jit and graphql-js answered the benchmark query differently');
    }
    for (let i = 0; i < WARMUP; i++) await post(query100);
    for (let i = 0; i < WARMUP; i++) await post(query100, interpretedEndpoint);

    const statements100 = await record(100);
    const statements10 = await record(10);
    const paramCount = statements100.reduce((s, st) => s + st.params.length, 0);

    pool = new pg.Pool({ connectionString: scratch.url, max: POOL_SIZE });
    pool.on('error', () => undefined);
    const directPool = pool;
    const direct = async (): Promise<number> => {
      let rows = 0;
      for (const st of statements100)
        rows += (await directPool.query({ text: st.sql, values: st.params })).rowCount ?? 0;
      return rows;
    };
    const directRows = await direct();
    for (let i = 0; i < WARMUP; i++) await direct();

    // Interleaved rounds; alternate which side goes first so drift hits both equally.
    const apolloTimes: number[] = [];
    const interpretedTimes: number[] = [];
    const directTimes: number[] = [];
    /** PER_ROUND sequential requests of one side, each timed into `times`. */
    const timeSide = (request: () => Promise<unknown>, times: number[]) => async () => {
      for (let i = 0; i < PER_ROUND; i++) {
        const s = performance.now();
        await request();
        times.push(performance.now() - s);
      }
    };
    const timeApollo = timeSide(() => post(query100), apolloTimes);
    const timeInterpreted = timeSide(() => post(query100, interpretedEndpoint), interpretedTimes);
    const timeDirect = timeSide(direct, directTimes);
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        await timeApollo();
        await timeDirect();
      } else {
        await timeDirect();
        await timeApollo();
      }
    }
    // graphql-js afterwards, for context only: interleaved with the two measured sides, its garbage
    // (about twice graphql-jit's per request) was collected during their requests and inflated them.
    for (let r = 0; r < ROUNDS; r++) await timeInterpreted();

    // The 10-dataset query, briefly, for scale (statement count is the headline there).
    const apollo10: number[] = [];
    const query10 = listQuery(10);
    for (let i = 0; i < WARMUP; i++) await post(query10);
    for (let i = 0; i < ROUNDS * PER_ROUND; i++) {
      const s = performance.now();
      await post(query10);
      apollo10.push(performance.now() - s);
    }

    // Fixed per-request cost of HTTP + Apollo with no database work, to put the ratio in context.
    const trivial: number[] = [];
    const trivialQuery = '{ serverInfo { version } }';
    for (let i = 0; i < WARMUP; i++) await post(trivialQuery);
    for (let i = 0; i < ROUNDS * PER_ROUND; i++) {
      const s = performance.now();
      await post(trivialQuery);
      trivial.push(performance.now() - s);
    }
    const bodyBytes = Buffer.byteLength(await post(query100));

    const a = stats(apolloTimes);
    const t = stats(trivial);
    const d = stats(directTimes);
    const a10 = stats(apollo10);
    const js = stats(interpretedTimes);
    const ratio = a.p50 / d.p50;
    const pass = ratio <= GOAL_RATIO;
    const sameCount = statements100.length === statements10.length;

    const lines = [
      `bench/graphql  qdc-catalog ${VERSION}  node ${process.version} ${heapFlags()}  NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}  PostgreSQL at ${new URL(SERVER_URL).host}`,
      `data: ${DATASETS} datasets x ${VERSIONS_PER_DATASET} versions (${SAMPLES_PER_VERSION} samples each), ${expectedRuns} generation runs; seeded in ${(seedMs / 1000).toFixed(1)} s`,
      `query (first: 100): ${shape100.datasets} datasets, ${shape100.versions} versions, ${shape100.withRun} with generatedBy, ${shape100.parentLinks} parent links`,
      '',
      `statements per request: first: 100 -> ${statements100.length}, first: 10 -> ${statements10.length}  ` +
        `(${sameCount ? 'equal: DataLoader keeps the count flat' : 'NOT EQUAL: count grows with the page size'})`,
      ...statements100.map(
        (st, i) =>
          `  ${String(i + 1).padStart(2)}. [${String(st.params.length).padStart(3)} params] ${st.sql.replace(/\s+/g, ' ').slice(0, 110)}`,
      ),
      `  (direct replay returns ${directRows} rows, ${paramCount} bound parameters in total)`,
      '',
      `measured ${ROUNDS} interleaved rounds x ${PER_ROUND} sequential requests each side (${apolloTimes.length} samples), after ${WARMUP} warm-up requests`,
      `  apollo (graphql-jit, HTTP POST /graphql, body read)  p50 ${ms(a.p50)}  p90 ${ms(a.p90)}  mean ${ms(a.mean)}  min ${ms(a.min)}  max ${ms(a.max)}`,
      `  direct SQL (pg.Pool max ${POOL_SIZE}, same stmts)  p50 ${ms(d.p50)}  p90 ${ms(d.p90)}  mean ${ms(d.mean)}  min ${ms(d.min)}  max ${ms(d.max)}`,
      `  apollo with graphql-js (QDC_GRAPHQL_EXECUTOR=graphql-js; timed after the interleaved rounds, context only)  p50 ${ms(js.p50)}  p90 ${ms(js.p90)}  mean ${ms(js.mean)}  ratio ${(js.p50 / d.p50).toFixed(2)}x`,
      `  apollo, first: 10 (for scale)             p50 ${ms(a10.p50)}  p90 ${ms(a10.p90)}  mean ${ms(a10.mean)}`,
      `  apollo, { serverInfo { version } } (no SQL) p50 ${ms(t.p50)}  p90 ${ms(t.p90)}  mean ${ms(t.mean)}`,
      `  response body of the first: 100 query: ${(bodyBytes / 1024).toFixed(1)} KiB`,
      '',
      `  note: the direct baseline awaits each recorded statement in order, one after another (simple and`,
      `  conservative). The server instead runs the batched loads of one query level concurrently, so if`,
      `  anything the baseline is slower than a concurrent replay would be, and the ratio below favours Apollo.`,
      '',
      `ratio apollo_p50 / direct_sql_p50 = ${ratio.toFixed(2)}x   goal <= ${GOAL_RATIO}x   ${pass ? 'PASS' : 'MISS'}`,
    ];
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify({
        bench: 'graphql',
        datasets: DATASETS,
        samplesPerSide: apolloTimes.length,
        statements: { first100: statements100.length, first10: statements10.length, equal: sameCount },
        apolloMs: { p50: round3(a.p50), p90: round3(a.p90), mean: round3(a.mean) },
        directSqlMs: { p50: round3(d.p50), p90: round3(d.p90), mean: round3(d.mean) },
        graphqlJsMs: {
          p50: round3(js.p50),
          p90: round3(js.p90),
          mean: round3(js.mean),
          ratio: Math.round((js.p50 / d.p50) * 100) / 100,
        },
        apollo10Ms: { p50: round3(a10.p50), p90: round3(a10.p90), mean: round3(a10.mean) },
        apolloNoSqlMs: { p50: round3(t.p50), p90: round3(t.p90), mean: round3(t.mean) },
        responseBytes: bodyBytes,
        ratio: Math.round(ratio * 100) / 100,
        goal: GOAL_RATIO,
        result: pass ? 'PASS' : 'MISS',
      }),
    );
  } finally {
    await pool?.end().catch(() => undefined);
    agent.destroy();
    await running?.stop().catch(() => undefined);
    await interpreted?.stop().catch(() => undefined);
    await database?.close().catch(() => undefined);
    await scratch.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
