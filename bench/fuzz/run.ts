/**
 * bench/fuzz: the long run of the schema-aware fuzzer (issue 21 item 3). Generates --ops random
 * operations (default 10000) from the server's introspection against a throw-away catalog (in-memory
 * PGlite, or a scratch database on the PostgreSQL server of DATABASE_URL), then checks the server
 * still answers. Prints the seed, operations per second, the outcome counts and every finding
 * (seed, index, operation, answer) so a failure reproduces. Exits 1 on a finding.
 *
 *   npm run bench:fuzz -- --ops 10000 --seed 7
 */
import { parseArgs } from 'node:util';
import { describeFinding, fetchSchema, fuzz, type FuzzPools } from '../../test/helpers/fuzz.js';
import { seedFuzzCatalog } from '../../test/helpers/fuzzCatalog.js';
import { startBenchServer } from '../benchServer.js';

async function main() {
  const { values } = parseArgs({
    options: { ops: { type: 'string', default: '10000' }, seed: { type: 'string' } },
  });
  const ops = Number(values.ops);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const { server, database, close } = await startBenchServer('qdc_bench_fuzz');
  try {
    const pools: FuzzPools = { ids: [], cursors: [], slugs: [], strings: [] };
    await seedFuzzCatalog(server.url, pools);
    const schema = await fetchSchema(server.url);
    console.log(`backend ${database.backend}, seed ${seed}, ${ops} operations`);
    const started = performance.now();
    const run = await fuzz(server.url, schema, seed, ops, pools);
    const seconds = (performance.now() - started) / 1000;
    const health = await fetch(`${server.url}/healthz`);
    const ping = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets(first: 1) { totalCount } }' }),
    });
    console.log(`${ops} operations in ${seconds.toFixed(1)} s (${(ops / seconds).toFixed(0)} ops/s)`);
    const outcomes = Object.entries(run.outcomes).sort((a, b) => b[1] - a[1]);
    console.log(`outcomes: ${outcomes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`findings: ${run.findings.length}`);
    for (const finding of run.findings.slice(0, 50)) console.log(describeFinding(seed, finding));
    console.log(`after: /healthz ${health.status}, query ${ping.status} ${(await ping.text()).trim()}`);
    if (run.findings.length || health.status !== 200 || ping.status !== 200) process.exitCode = 1;
  } finally {
    await close();
  }
}

await main();
