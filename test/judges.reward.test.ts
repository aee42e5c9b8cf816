/**
 * `quality.reward` over the three route shapes the connector speaks (vLLM /score, /rewards, TEI
 * /rerank) against a local server, with exact values, the cache, and a route the server lacks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/db/connect.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { findResultsOfJobs } from '../src/metricRuns/results.js';
import { runJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { startJudgeServer, type JudgeServer, type RecordedCall } from './helpers/judgeServer.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';
import type { ResponseJson } from './helpers/testServer.js';

/** The scripted reward: length of the response in characters minus length of the prompt, over 10. */
const reward = (prompt: string, response: string) => (response.length - prompt.length) / 10;

function answer(call: RecordedCall) {
  const body = call.body;
  if (call.path === 'score')
    return {
      body: {
        object: 'list',
        data: [{ index: 0, object: 'score', score: reward(body.text_1, body.text_2) }],
        usage: { prompt_tokens: 7 },
      },
    };
  if (call.path === 'rewards')
    return { body: { reward: reward(body.messages[0].content, body.messages[1].content) } };
  if (call.path === 'rerank') return { body: [{ index: 0, score: reward(body.query, body.texts[0]) }] };
  return { status: 404, body: { error: 'no such route' } };
}

const SAMPLES = [
  { prompt: 'ab', response: 'abcdef' }, // 0.4
  { prompt: 'abcd', response: 'ab' }, // -0.2
  { prompt: 'a', response: 'abcdefghijk' }, // 1.0
];

describe(`quality.reward (${testBackend})`, () => {
  let database: Database;
  let server: JudgeServer;
  let versionId: number;
  before(async () => {
    database = await openTestDatabase();
    server = await startJudgeServer({ reply: answer, models: ['rm'] });
    versionId = await storeVersion(database, 'rewarded', SAMPLES);
  });
  after(async () => {
    await server.close();
    await database.close();
  });

  async function run(params: Record<string, unknown>) {
    const job = await enqueueComputeMetrics(database.db, versionId, ['quality.reward'], {
      'quality.reward': { endpoint: server.url, model: 'rm', retryBaseMs: 5, maxRetries: 1, ...params },
    });
    await runJob(database, job.id);
    return (await findResultsOfJobs(database.db, [job.id]))[0]!;
  }

  for (const route of ['score', 'rewards', 'rerank'] as const) {
    it(`reads one scalar per sample from /${route}`, async () => {
      const before = server.callsTo(route).length;
      const result = await run({ route });
      assert.equal(result.status, 'COMPLETE', result.statusReason ?? '');
      assert.ok(Math.abs(result.value! - (0.4 - 0.2 + 1.0) / 3) < 1e-12);
      assert.equal(result.n, 3);
      assert.equal(server.callsTo(route).length - before, 3);
      const sent = server.callsTo(route).at(-1)!.body;
      if (route === 'score') assert.deepEqual(Object.keys(sent).sort(), ['model', 'text_1', 'text_2']);
      if (route === 'rewards')
        assert.deepEqual(
          sent.messages.map((m: { role: string }) => m.role),
          ['user', 'assistant'],
        );
      if (route === 'rerank') assert.equal(sent.raw_scores, true);
      const d = result.details as Record<string, ResponseJson>;
      assert.equal(d.route, route);
      assert.equal(d.min, -0.2);
      assert.equal(d.max, 1);
      if (route === 'score') assert.equal(d.usage.promptTokens, 21);
      const again = await run({ route });
      assert.equal(server.callsTo(route).length - before, 3, 'the repeat came from the cache');
      assert.equal(again.value, result.value);
    });
  }

  it('fails with the reason when the route answers 404', async () => {
    const other = await startJudgeServer({
      reply: () => ({ status: 404, body: { detail: 'Not Found' } }),
      models: ['rm'],
    });
    try {
      const job = await enqueueComputeMetrics(database.db, versionId, ['quality.reward'], {
        'quality.reward': { endpoint: other.url, model: 'rm' },
      });
      await runJob(database, job.id);
      const [result] = await findResultsOfJobs(database.db, [job.id]);
      assert.equal(result!.status, 'FAILED');
      assert.match(result!.statusReason!, /answered HTTP 404: \{"detail":"Not Found"\}/);
      assert.equal(other.callsTo('score').length, 3, 'a 404 is not retried');
    } finally {
      await other.close();
    }
  });
});
