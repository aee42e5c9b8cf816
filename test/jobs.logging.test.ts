/** Every line a job writes, the worker's and its handler's, names the job: its id and kind. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/db/connect.js';
import { z } from 'zod';
import { defineJobKind } from '../src/jobs/kinds.js';
import { enqueueJob } from '../src/jobs/queue.js';
import { startWorker } from '../src/jobs/worker.js';
import { createLogger } from '../src/logger.js';
import { waitForJob } from './helpers/jobs.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';

const STEPS = defineJobKind('test.steps', z.object({}));
const FAILS = defineJobKind('test.fails', z.object({}));

describe(`job log lines (${testBackend})`, () => {
  let database: Database;
  before(async () => {
    database = await openTestDatabase();
  });
  after(() => database.close());

  it('carry the job id and kind, also when jobs run side by side and one fails', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) });
    const good = await enqueueJob(database.db, { kind: STEPS, payload: {} });
    const bad = await enqueueJob(database.db, { kind: FAILS, payload: {}, maxAttempts: 1 });
    const worker = startWorker(database, {
      concurrency: 2,
      pollMs: 20,
      logger,
      handlers: {
        async 'test.steps'({ logger: jobLogger }) {
          for (let step = 1; step <= 3; step++) {
            jobLogger.info('step done', { step });
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          return {};
        },
        async 'test.fails'({ logger: jobLogger }) {
          jobLogger.warn('about to fail');
          await new Promise((resolve) => setTimeout(resolve, 15));
          throw new Error('the handler broke');
        },
      },
    });
    try {
      assert.equal((await waitForJob(database, good.id)).status, 'SUCCEEDED');
      assert.equal((await waitForJob(database, bad.id)).status, 'FAILED');
    } finally {
      await worker.stop();
    }

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const of = (id: number) => parsed.filter((line) => line.job === id).map((line) => line.msg);
    assert.deepEqual(of(good.id), ['job started', 'step done', 'step done', 'step done', 'job succeeded']);
    assert.deepEqual(of(bad.id), ['job started', 'about to fail', 'job attempt failed (failed)']);
    for (const line of parsed) {
      if (line.job === good.id) assert.equal(line.kind, 'test.steps');
      else if (line.job === bad.id) assert.equal(line.kind, 'test.fails');
      else assert.fail(`a line without its job: ${JSON.stringify(line)}`);
    }
    for (const line of lines) assert.equal(line.match(/"job":/g)?.length, 1, line);
  });
});
