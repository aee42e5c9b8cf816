/**
 * The short version of bench/load: concurrent clients mixing reads, small and bulk writes and
 * metric jobs against a real server; no operation fails, every acknowledged version is stored with
 * the count and content hash its client computed, nothing else is stored, and every job succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningWorker } from '../src/jobs/worker.js';
import { testWorker } from './helpers/jobs.js';
import { LoadMix } from './helpers/loadMix.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const CLIENTS = 8;
const OPS_PER_CLIENT = 12;

describe(`mixed concurrent load (${testBackend})`, () => {
  let server: TestServer;
  let worker: RunningWorker;
  before(async () => {
    server = await startTestServer();
    // As in `qdc serve`: one worker beside the API, on the same database and embedders.
    worker = testWorker(server.database, {}, server.embedders);
  });
  after(async () => {
    await worker?.stop();
    await server?.stop();
  });

  it('loses nothing and fails nothing', async () => {
    const mix = new LoadMix(server.url);
    await mix.setup(CLIENTS);
    await mix.run({ clients: CLIENTS, ingestRows: 300, stop: (done) => done >= OPS_PER_CLIENT });
    assert.deepEqual(mix.errors, []);
    const performed = [...mix.latencies.values()].reduce((sum, list) => sum + list.length, 0);
    assert.equal(performed, CLIENTS * OPS_PER_CLIENT);
    const verdict = await mix.verify();
    assert.equal(verdict.mismatched, 0);
    assert.equal(verdict.stored, verdict.acknowledged);
    assert.ok(verdict.acknowledged > 6, 'the clients wrote versions of their own');
    const jobs = Object.values(verdict.jobStates).reduce((sum, n) => sum + n, 0);
    assert.deepEqual(verdict.jobStates, jobs ? { SUCCEEDED: jobs } : {});
  });
});
