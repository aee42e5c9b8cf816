/** `qdc export --scores` / `GET .../samples.jsonl?scores=`: per-sample score columns on export lines. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { toGlobalId } from '../src/globalId.js';
import { exportVersionJsonl, scoreColumnsFor } from '../src/ingest/export.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { runJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const RECORD = `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
  recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded } }`;

describe(`export with per-sample score columns (${testBackend})`, () => {
  let server: TestServer;
  let versionId: number;
  const samples = [0, 1, 2, 3].map((i) => ({
    prompt: `p${i}`,
    response: Array.from({ length: i + 2 }, (_, j) => `w${j}`).join(' '),
  }));

  const lines = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  async function exportText(metrics: string[]): Promise<string> {
    const columns = await scoreColumnsFor(server.database.db, versionId, metrics);
    let text = '';
    for await (const chunk of exportVersionJsonl(server.database.db, versionId, undefined, columns))
      text += chunk;
    return text;
  }

  before(async () => {
    server = await startTestServer();
    versionId = await storeVersion(server.database, 'export-scores', samples);
    const v = toGlobalId('DatasetVersion', versionId);
    // Version 1 of the scorer covers every sample; version 2 (newer) leaves ordinal 2 unscored.
    await server.ok(RECORD, {
      v,
      s: { name: 'rm', model: 'm', version: '1' },
      scores: [0, 1, 2, 3].map((ordinal) => ({ ordinal, value: 100 + ordinal })),
    });
    await server.ok(RECORD, {
      v,
      s: { name: 'rm', model: 'm', version: '2' },
      scores: [0, 1, 3].map((ordinal) => ({ ordinal, value: ordinal / 4 })),
    });
    const job = await enqueueComputeMetrics(
      server.database.db,
      versionId,
      ['complexity.length', 'diversity.distinct_n'],
      {},
    );
    await runJob(server.database, job.id);
  });
  after(() => server.stop());

  it('adds the newest result of each metric, null where a sample has no score', async () => {
    const stored = await server.ok(
      `query ($v: ID!) { version(id: $v) { sampleScores(metric: "complexity.length", first: 10) { edges { node { ordinal value } } } } }`,
      {
        v: toGlobalId('DatasetVersion', versionId),
      },
    );
    const lengths = new Map<number, number>(
      stored.version.sampleScores.edges.map((e: { node: { ordinal: number; value: number } }) => [
        e.node.ordinal,
        e.node.value,
      ]),
    );
    assert.equal(lengths.size, 4);

    const rows = lines(await exportText(['external:rm', 'complexity.length']));
    assert.equal(rows.length, 4);
    rows.forEach((row, ordinal) => {
      assert.equal(row.prompt, samples[ordinal]!.prompt);
      assert.deepEqual(row.scores, {
        'external:rm': ordinal === 2 ? null : ordinal / 4,
        'complexity.length': lengths.get(ordinal),
      });
    });
    // Without score columns the lines are exactly the plain export.
    const plain = lines(await exportText([]));
    assert.deepEqual(
      plain,
      rows.map(({ scores: _scores, ...rest }) => rest),
    );
  });

  it('refuses a metric without a result, or one whose result has no per-sample values', async () => {
    await assert.rejects(exportText(['quality.nope']), /has no finished result of metric "quality.nope"/);
    await assert.rejects(
      exportText(['diversity.distinct_n']),
      /metric "diversity.distinct_n" has no per-sample scores/,
    );
  });

  it('never takes a failed run, even a newer one with per-sample scores', async () => {
    const before = await exportText(['complexity.length']);
    const { db } = server.database;
    // A newer run of the same metric and parameters that failed after scoring every sample with -1.
    await db.execute(sql`
      with failed as (
        insert into metric_results (version_id, definition_id, scorer_id, params, params_hash, status, status_reason, samples_done, details, computed_at)
        select version_id, definition_id, scorer_id, params, params_hash, 'FAILED', 'finalize failed', samples_done, details, now() + interval '1 hour'
        from metric_results r
        where r.version_id = ${versionId} and r.definition_id = (select id from metric_definitions where key = 'complexity.length')
        returning id
      )
      insert into sample_scores (result_id, sample_id, value)
      select failed.id, s.id, -1 from failed, samples s where s.version_id = ${versionId}`);
    assert.equal(await exportText(['complexity.length']), before);
  });

  it('serves the same lines over HTTP, and a clear 400 for a bad metric', async () => {
    const id = toGlobalId('DatasetVersion', versionId);
    const res = await fetch(
      `${server.url}/v1/versions/${id}/samples.jsonl?scores=external:rm,complexity.length`,
    );
    assert.equal(res.status, 200);
    assert.equal(await res.text(), await exportText(['external:rm', 'complexity.length']));
    const bad = await fetch(`${server.url}/v1/versions/${id}/samples.jsonl?scores=diversity.distinct_n`);
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(body.errors[0]!.extensions.code, 'BAD_USER_INPUT');
    assert.match(body.errors[0]!.message, /no per-sample scores/);
  });
});
