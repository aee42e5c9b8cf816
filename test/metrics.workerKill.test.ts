/**
 * A real `qdc worker` process is SIGKILLed in the middle of a metrics job. Its lease runs out, a
 * second worker claims the job and finishes it, and the stored results hold exactly one row per
 * metric and one score per sample. Needs PostgreSQL: two processes cannot share an embedded PGlite
 * directory (on PGlite, test/metrics.engine.test.ts covers the same recovery within one process).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { getJob } from '../src/jobs/queue.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { spawnWorker } from './helpers/cli.js';
import { runJob } from './helpers/jobs.js';
import { randomSamples, storeVersion } from './helpers/metricData.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';

const SAMPLES = 30_000;

describe(
  'a metrics worker killed mid-job',
  { skip: testBackend !== 'postgres' && 'needs DATABASE_URL (PGlite is single-process)' },
  () => {
    it('is finished by another worker with no duplicate results', async () => {
      const scratch = await createScratchDatabase();
      const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 4 });
      try {
        const versionId = await storeVersion(database, 'killed', randomSamples(SAMPLES, 17));
        const metrics = ['complexity.length', 'quality.heuristic_quality', 'diversity.self_repetition'];
        const job = await enqueueComputeMetrics(database.db, versionId, metrics, null);

        const worker = spawnWorker(scratch.url);

        // Kill it once it has written progress past the first pass's first batches.
        const deadline = Date.now() + 60_000;
        for (;;) {
          const row = (await getJob(database.db, job.id))!;
          if (row.status === 'RUNNING' && row.progressDone >= 5000) break;
          assert.notEqual(row.status, 'SUCCEEDED', 'the job finished before the kill; make it bigger');
          if (Date.now() > deadline) throw new Error(`the worker never made progress:\n${worker.log()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(await worker.kill(), 'SIGKILL');
        const orphan = (await getJob(database.db, job.id))!;
        assert.equal(orphan.status, 'RUNNING', 'still held by the dead worker until its lease runs out');
        assert.equal(orphan.attempts, 1);

        const finished = await runJob(database, job.id);
        assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
        assert.equal(finished.attempts, 2);
        const results = rowsOf<{ id: string; status: string; samples_done: number; key: string }>(
          await database.db.execute(sql`
          select r.id, r.status, r.samples_done, d.key from metric_results r join metric_definitions d on d.id = r.definition_id
          where r.job_id = ${job.id} order by d.key`),
        );
        assert.deepEqual(
          results.map((r) => r.key),
          [...metrics].sort(),
          'one result row per metric',
        );
        for (const result of results) {
          assert.equal(result.status, 'COMPLETE');
          assert.equal(result.samples_done, SAMPLES);
          const [scores] = rowsOf<{ n: string; distinct_samples: string }>(
            await database.db.execute(
              sql`select count(*) as n, count(distinct sample_id) as distinct_samples from sample_scores where result_id = ${Number(result.id)}`,
            ),
          );
          assert.equal(Number(scores!.n), SAMPLES, `${result.key}: one score per sample`);
          assert.equal(Number(scores!.distinct_samples), SAMPLES);
        }
      } finally {
        await database.close();
        await scratch.drop();
      }
    });
  },
);
