/**
 * bench/bombs: what each request bomb of issue 21 item 2 costs the server: wall time until its
 * answer, peak RSS of the process meanwhile (sampled every 5 ms), and the latency of /healthz
 * sent while the bomb is being handled, against the same figures for a plain small request.
 * Runs on in-memory PGlite, or on PostgreSQL with DATABASE_URL (a scratch database).
 */
import { gzipSync } from 'node:zlib';
import { startBenchServer } from '../benchServer.js';

const MiB = 1 << 20;

async function main() {
  const { server, database, close } = await startBenchServer('qdc_bench_bombs');
  const gql = (body: unknown) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify(body),
    });
  await gql({ query: 'mutation { createDataset(input: { slug: "bombed", name: "Bombed" }) { id } }' });

  const line = `{"prompt":"row","response":"${'a'.repeat(4000)}"}\n`;
  const gzipBomb = gzipSync(Buffer.from(line.repeat(Math.ceil((64 * MiB) / line.length))), { level: 9 });
  let deep: unknown = 1;
  for (let i = 0; i < 1000; i++) deep = [deep];
  const bombs: Array<[string, () => Promise<Response>]> = [
    ['baseline: { datasets { totalCount } }', () => gql({ query: '{ datasets { totalCount } }' })],
    [
      `gzip bomb: 64 MiB of JSONL as ${(gzipBomb.length / 1024).toFixed(0)} KiB`,
      () =>
        fetch(`${server.url}/v1/datasets/bombed/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
          body: gzipBomb,
        }),
    ],
    [
      '10k aliases of datasets(first: 100) { versions(first: 100) }',
      () =>
        gql({
          query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: datasets(first: 100) { edges { node { versions(first: 100) { edges { node { id } } } } } }`).join(' ')} }`,
        }),
    ],
    [
      '1000-operation batch',
      () => gql(Array.from({ length: 1000 }, () => ({ query: '{ datasets { totalCount } }' }))),
    ],
    [
      'variables: 1M numbers (~7 MB)',
      () =>
        gql({
          query: 'mutation($c: JSON) { updateDataset(input: { slug: "bombed", card: $c }) { slug } }',
          variables: { c: Array.from({ length: 1_000_000 }, (_, i) => i) },
        }),
    ],
    [
      'variables: 1000 nested arrays',
      () =>
        gql({
          query: 'mutation($c: JSON) { updateDataset(input: { slug: "bombed", card: $c }) { slug } }',
          variables: { c: deep },
        }),
    ],
    [
      'deep metadata: one JSONL record nesting 500k arrays',
      () =>
        fetch(`${server.url}/v1/datasets/bombed/versions?onError=skip`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `{"prompt":"ok"}\n{"prompt":"deep","metadata":{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}}\n`,
        }),
    ],
  ];

  console.log(`bench/bombs on ${database.backend}, node ${process.version}`);
  console.log('bomb | status code | ms | peak RSS MB (before) | /healthz ms during');
  for (const [name, send] of bombs) {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = performance.now();
    const answer = send().then(async (res) => {
      const text = await res.text();
      let code = '';
      try {
        code = String(JSON.parse(text).errors?.[0]?.extensions?.code ?? '');
      } catch {
        code = '(not JSON)';
      }
      return { status: res.status, code, ms: performance.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const healthStarted = performance.now();
    await fetch(`${server.url}/healthz`);
    const healthMs = performance.now() - healthStarted;
    const result = await answer;
    clearInterval(sampler);
    console.log(
      `${name} | ${result.status} ${result.code || 'ok'} | ${result.ms.toFixed(0)} | ${(peak / MiB).toFixed(0)} (${(rssBefore / MiB).toFixed(0)}) | ${healthMs.toFixed(0)}`,
    );
  }
  await close();
}

await main();
