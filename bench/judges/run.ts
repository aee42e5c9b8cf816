/**
 * Judge throughput: quality.llm_judge as a job (cache lookups, answers stored as they arrive,
 * scores written per batch) against a bare client sending the same requests with the same
 * concurrency, both to one local endpoint with a fixed latency (default 200 ms, concurrency 16).
 * Goal: the job reaches >= 0.9x the bare client's requests per second.
 *
 *   npm run bench:judges [-- --samples 800 --concurrency 16 --latency 200 --rounds 2]
 * With DATABASE_URL the job runs on a scratch PostgreSQL database, else on in-memory PGlite.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openCatalog } from '../../src/app.js';
import type { Database } from '../../src/db/connect.js';
import { enqueueComputeMetrics } from '../../src/metricRuns/computeJob.js';
import { findResultsOfJobs } from '../../src/metricRuns/results.js';
import { BUILTIN_TEMPLATES } from '../../src/metrics/judge/builtinTemplates.js';
import { templateMessages } from '../../src/metrics/judge/judgeTemplate.js';
import { runJob } from '../../test/helpers/jobs.js';
import { storeVersion } from '../../test/helpers/metricData.js';
import { createScratchDatabase } from '../scratchDatabase.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '800' },
    concurrency: { type: 'string', default: '16' },
    latency: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
  },
});
const n = Number(values.samples);
const concurrency = Number(values.concurrency);
const latency = Number(values.latency);
const rounds = Number(values.rounds);

const endpoint = spawn(
  process.execPath,
  [new URL('./endpoint.mjs', import.meta.url).pathname, String(latency)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise<string>((resolve) =>
  createInterface({ input: endpoint.stdout! }).once('line', (line) => resolve(line.trim())),
);

const serverUrl = process.env.DATABASE_URL;
const scratch = serverUrl ? await createScratchDatabase(serverUrl, 'qdc_bench_judges') : null;
const database: Database = await openCatalog(
  scratch ? { databaseUrl: scratch.url, poolSize: 4 } : { dataDir: 'memory://' },
);
const backend = scratch ? 'PostgreSQL' : 'PGlite';

try {
  const samples = Array.from({ length: n }, (_, i) => ({
    prompt: `Question ${i}: explain why the sky looks blue at noon and red at sunset, in two sentences.`,
    response: `Answer ${i}: sunlight scatters off air molecules; blue light scatters most. At sunset light travels farther and the blue is scattered away.`,
  }));
  const versionId = await storeVersion(database, 'bench-judges', samples);
  const template = BUILTIN_TEMPLATES.find((t) => t.name === 'alpagasus-quality')!;
  console.log(`judges: ${n} samples, concurrency ${concurrency}, endpoint latency ${latency} ms, ${backend}`);

  for (let round = 1; round <= rounds; round++) {
    // Each round a new seed: new cache keys, so the job calls the endpoint for every sample.
    const seed = round;
    const bare = await timeIt(() => bareClient(samples, seed));
    const job = await timeIt(() => judgeJob(database, versionId, seed));
    const ratio = bare / job;
    console.log(
      `round ${round}: bare client ${fmt(n / bare)} req/s (${bare.toFixed(0)} ms), job ${fmt(n / job)} req/s ` +
        `(${job.toFixed(0)} ms), job/bare = ${ratio.toFixed(3)} (goal >= 0.9: ${ratio >= 0.9 ? 'met' : 'not met'})`,
    );
  }

  /** The same requests, the same concurrency, no database: a pool of `concurrency` loops over fetch. */
  async function bareClient(list: typeof samples, seed: number): Promise<void> {
    let next = 0;
    const loop = async () => {
      for (let i = next++; i < list.length; i = next++) {
        const sample = list[i]!;
        const response = await fetch(`${url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            model: 'bench-judge',
            messages: templateMessages(template, { prompt: sample.prompt, response: sample.response }),
            stream: false,
            temperature: 0,
            seed,
            max_tokens: 256,
          }),
        });
        const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
        if (typeof body.choices[0]!.message.content !== 'string') throw new Error('bad answer');
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  }
} finally {
  await database.close();
  await scratch?.drop();
  endpoint.kill();
}

async function judgeJob(db: Database, versionId: number, seed: number): Promise<void> {
  const job = await enqueueComputeMetrics(db.db, versionId, ['quality.llm_judge'], {
    'quality.llm_judge': { endpoint: url, model: 'bench-judge', concurrency, seed },
  });
  const finished = await runJob(db, job.id);
  if (finished.status !== 'SUCCEEDED') throw new Error(`the job ${finished.status}: ${finished.error}`);
  const [result] = await findResultsOfJobs(db.db, [job.id]);
  if (result?.status !== 'COMPLETE' || result.n !== n)
    throw new Error(`the job did not complete: ${result?.status} ${result?.statusReason}`);
}

async function timeIt(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function fmt(perMs: number): string {
  return (perMs * 1000).toFixed(1);
}
