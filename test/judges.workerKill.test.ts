/**
 * A real `qdc worker` is SIGKILLed while it waits on a judge endpoint. Another worker finishes the
 * job: every sample ends with exactly one score, and no sample whose answer the dead worker had
 * cached is asked again. Needs PostgreSQL (two processes cannot share an embedded PGlite).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { judgeResponses, sampleScores, samples } from '../src/db/schema.js';
import { getJob } from '../src/jobs/queue.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { findResultsOfJobs } from '../src/metricRuns/results.js';
import { spawnWorker } from './helpers/cli.js';
import { runJob } from './helpers/jobs.js';
import { chatAnswer, judgeMarker, startJudgeServer } from './helpers/judgeServer.js';
import { storeVersion } from './helpers/metricData.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';

const N = 40;

describe(
  'a judge worker killed mid-job',
  { skip: testBackend !== 'postgres' && 'needs DATABASE_URL (PGlite is single-process)' },
  () => {
    it('is finished by another worker without a repeated call for a cached sample', async () => {
      const scratch = await createScratchDatabase();
      const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 4 });
      const server = await startJudgeServer({
        reply: (call) => ({ ...chatAnswer(judgeMarker(call)!), delayMs: 100 }),
      });
      try {
        const versionId = await storeVersion(
          database,
          'killed-judge',
          Array.from({ length: N }, (_, i) => ({ prompt: `k${i}`, response: `[judge:${i % 6}]` })),
        );
        const job = await enqueueComputeMetrics(database.db, versionId, ['quality.llm_judge'], {
          'quality.llm_judge': { endpoint: server.url, model: 'judge-model', concurrency: 2 },
        });
        const worker = spawnWorker(scratch.url);
        const deadline = Date.now() + 60_000;
        const cached = async () =>
          (await database.db.select({ n: sql<number>`count(*)::int` }).from(judgeResponses))[0]!.n;
        while ((await cached()) < 10) {
          assert.notEqual(
            (await getJob(database.db, job.id))!.status,
            'SUCCEEDED',
            'finished before the kill',
          );
          if (Date.now() > deadline) throw new Error(`the worker never called the judge:\n${worker.log()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(await worker.kill(), 'SIGKILL');
        const cachedAtKill = new Set(
          (await database.db.select({ hash: judgeResponses.contentHash }).from(judgeResponses)).map(
            (r) => r.hash,
          ),
        );
        assert.ok(cachedAtKill.size < N, 'the kill came mid-job');
        const askedBeforeResume = server.callsTo('chat/completions').length;

        const finished = await runJob(database, job.id);
        assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
        assert.equal(finished.attempts, 2);
        const [result] = await findResultsOfJobs(database.db, [job.id]);
        assert.equal(result!.status, 'COMPLETE');
        // 40 samples scoring 0..5 cyclically: 6 * 15 + (0+1+2+3) = 96.
        assert.equal(result!.value, 96 / N);

        const hashOfPrompt = new Map(
          (
            await database.db
              .select({ prompt: samples.prompt, hash: samples.contentHash })
              .from(samples)
              .where(eq(samples.versionId, versionId))
          ).map((r) => [r.prompt!, r.hash]),
        );
        const asked = new Map<string, number>();
        for (const call of server.callsTo('chat/completions')) {
          const prompt = /###Instruction:\n(k\d+)\n/.exec(call.body.messages[1].content)![1]!;
          const hash = hashOfPrompt.get(prompt)!;
          asked.set(hash, (asked.get(hash) ?? 0) + 1);
        }
        assert.equal(asked.size, N, 'every sample was asked');
        for (const hash of cachedAtKill)
          assert.equal(asked.get(hash), 1, 'a cached sample was not asked again');
        // Only requests in flight when the worker died (at most the concurrency) were asked twice.
        assert.ok(
          server.callsTo('chat/completions').length - N <= 2,
          `at most 2 repeats (asked ${askedBeforeResume} before)`,
        );
        const [stored] = await database.db
          .select({
            n: sql<number>`count(*)::int`,
            distinct: sql<number>`count(distinct ${sampleScores.sampleId})::int`,
          })
          .from(sampleScores)
          .where(eq(sampleScores.resultId, result!.id));
        assert.deepEqual(stored, { n: N, distinct: N }, 'one score per sample');
      } finally {
        await server.close();
        await database.close();
        await scratch.drop();
      }
    });
  },
);
