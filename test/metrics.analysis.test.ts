/**
 * External scores (GraphQL and the bulk HTTP route), and the questions asked of results:
 * compareVersions, paretoFrontier and metricDeltas, with incomparable results flagged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { toGlobalId } from '../src/globalId.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { markFrontier, type ParetoPoint, type ValuedResult } from '../src/metricRuns/analysis.js';
import { recordRun } from './helpers/fixtures.js';
import { runJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const RECORD = `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
  recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded result { metric value n status statusReason details estimator scorer { name model version } } }
}`;

describe('external scores and result queries', () => {
  let server: TestServer;
  const gid = (id: number) => toGlobalId('DatasetVersion', id);
  let v1: number;
  let v2: number;
  let v3: number;

  async function scoreCount(versionId: number): Promise<number> {
    const rows = rowsOf<{ n: string | number }>(
      await server.database.db.execute(
        sql`select count(*) as n from sample_scores ss join metric_results r on r.id = ss.result_id where r.version_id = ${versionId} and r.scorer_id is not null`,
      ),
    );
    return Number(rows[0]!.n);
  }

  before(async () => {
    server = await startTestServer();
    // Responses of 2, 4, 6, 8 and 10 whitespace tokens.
    const texts = (lengths: number[]) =>
      lengths.map((k, i) => ({
        prompt: `p${i}`,
        response: Array.from({ length: k }, (_, j) => `w${j}`).join(' '),
      }));
    v1 = await storeVersion(server.database, 'scores-a', texts([2, 4, 6, 8, 10]));
    v2 = await storeVersion(server.database, 'scores-b', texts([2, 4]));
    v3 = await storeVersion(server.database, 'scores-c', texts([3, 3, 3]));
  });
  after(() => server.stop());

  it('aggregates pushed scores (mean, quantiles, coverage) and says when coverage is partial', async () => {
    const scorer = { name: 'rm', model: 'skywork-8b', version: '1' };
    const first = await server.ok(RECORD, {
      v: gid(v1),
      s: scorer,
      scores: [1, 2, 3, 4].map((value, ordinal) => ({ ordinal, value })),
    });
    const r = first.recordSampleScores.result;
    assert.equal(first.recordSampleScores.recorded, 4);
    assert.equal(r.metric, 'external:rm');
    assert.deepEqual(r.scorer, scorer);
    assert.equal(r.value, 2.5);
    assert.equal(r.n, 4);
    assert.equal(r.status, 'PARTIAL');
    assert.equal(r.statusReason, 'scores for 4 of 5 samples');
    assert.equal(r.details.coverage, 0.8);
    // percentile_cont (linear interpolation) over [1,2,3,4]: p10 = 1 + 0.3 = 1.3, p50 = 2.5, p90 = 3.7.
    assert.ok(Math.abs(r.details.quantiles.p10 - 1.3) < 1e-12);
    assert.equal(r.details.quantiles.p50, 2.5);
    assert.ok(Math.abs(r.details.quantiles.p90 - 3.7) < 1e-12);
    assert.equal(r.details.min, 1);
    assert.equal(r.details.max, 4);

    // The fifth sample by its id; re-pushing ordinal 0 replaces its score: values 5,2,3,4,10.
    const samples = await server.ok(
      `query ($v: ID!) { version(id: $v) { samples(first: 10) { edges { node { id } } } } }`,
      { v: gid(v1) },
    );
    const fifth = samples.version.samples.edges[4].node.id;
    const second = await server.ok(RECORD, {
      v: gid(v1),
      s: scorer,
      scores: [
        { sample: fifth, value: 10 },
        { ordinal: 0, value: 5 },
      ],
    });
    assert.equal(second.recordSampleScores.result.status, 'COMPLETE');
    assert.equal(second.recordSampleScores.result.value, 24 / 5);
    assert.equal(second.recordSampleScores.result.details.coverage, 1);
    assert.equal(await scoreCount(v1), 5);

    const page = await server.ok(
      `query ($v: ID!) { version(id: $v) { sampleScores(metric: "external:rm", first: 2) { result { metric } edges { node { ordinal value } } pageInfo { hasNextPage endCursor } } } }`,
      { v: gid(v1) },
    );
    assert.deepEqual(
      page.version.sampleScores.edges.map((e: { node: unknown }) => e.node),
      [
        { ordinal: 0, value: 5 },
        { ordinal: 1, value: 2 },
      ],
    );
    assert.equal(page.version.sampleScores.pageInfo.hasNextPage, true);
  });

  it('refuses scores for samples outside the version, repeats and non-finite values, storing nothing', async () => {
    const before = await scoreCount(v2);
    const bad = async (scores: unknown[], pattern: RegExp) => {
      const result = await server.gql(RECORD, { v: gid(v2), s: { name: 'judge' }, scores });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.match(result.errors![0]!.message, pattern);
      assert.equal(await scoreCount(v2), before, 'nothing stored');
    };
    await bad(
      [
        { ordinal: 0, value: 1 },
        { ordinal: 2, value: 1 },
      ],
      /scores\[1\]: ordinal 2 is not in version \d+, whose ordinals run from 0 to 1; nothing was stored/,
    );
    await bad(
      [
        { ordinal: 1, value: 1 },
        { ordinal: 1, value: 2 },
      ],
      /scores\[1\]: the sample at ordinal 1 was already scored at scores\[0\]/,
    );
    await bad(
      [{ ordinal: 0, value: 1, sample: null }, { value: 2 }],
      /scores\[1\]: give exactly one of sample and ordinal/,
    );
    const otherSample = await server.ok(
      `query ($v: ID!) { version(id: $v) { samples(first: 1) { edges { node { id } } } } }`,
      { v: gid(v3) },
    );
    await bad(
      [{ sample: otherSample.version.samples.edges[0].node.id, value: 1 }],
      /scores\[0\]: sample \d+ is not in version/,
    );
    const empty = await server.gql(RECORD, {
      v: gid(v2),
      s: { name: '  ' },
      scores: [{ ordinal: 0, value: 1 }],
    });
    assert.match(empty.errors![0]!.message, /scorer.name must not be empty/);
    const missing = await server.gql(RECORD, {
      v: gid(987654),
      s: { name: 'x' },
      scores: [{ ordinal: 0, value: 1 }],
    });
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('takes large score files over HTTP, all or nothing, with line numbers', async () => {
    const url = `${server.url}/v1/versions/${gid(v2)}/scores?scorer=ifd&model=qwen`;
    const ndjson = { 'content-type': 'application/x-ndjson' };
    const bad = await fetch(url, {
      method: 'POST',
      headers: ndjson,
      body: '{"ordinal":0,"value":0.5}\n{"ordinal":1,"value":"high"}\n',
    });
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(badBody.errors[0]!.extensions.code, 'BAD_USER_INPUT');
    assert.match(badBody.errors[0]!.message, /^line 2: value must be a finite number/);
    const broken = await fetch(url, {
      method: 'POST',
      headers: ndjson,
      body: '{"ordinal":0,"value":0.5}\n{"ordinal":1,\n',
    });
    assert.equal(broken.status, 400);
    assert.match(
      ((await broken.json()) as { errors: { message: string }[] }).errors[0]!.message,
      /^line 2: /,
    );
    const stray = await fetch(url, { method: 'POST', headers: ndjson, body: '{"ordinal":0,"score":0.5}\n' });
    assert.match(
      ((await stray.json()) as { errors: { message: string }[] }).errors[0]!.message,
      /line 1: unknown field "score"/,
    );
    assert.equal(await scoreCount(v2), 0);

    const good = await fetch(url, {
      method: 'POST',
      headers: ndjson,
      body: '{"ordinal":0,"value":0.5}\n{"ordinal":1,"value":1.5}\n',
    });
    assert.equal(good.status, 200);
    const body = (await good.json()) as {
      recorded: number;
      result: { metric: string; value: number; status: string };
    };
    assert.deepEqual(
      [body.recorded, body.result.metric, body.result.value, body.result.status],
      [2, 'external:ifd', 1, 'COMPLETE'],
    );
    const noScorer = await fetch(`${server.url}/v1/versions/${gid(v2)}/scores`, {
      method: 'POST',
      headers: ndjson,
      body: '',
    });
    assert.equal(noScorer.status, 400);
  });

  it('compares versions and flags results computed with other parameters', async () => {
    const n1 = await enqueueComputeMetrics(
      server.database.db,
      v1,
      ['diversity.distinct_n', 'complexity.length'],
      { 'diversity.distinct_n': { n: 1 } },
    );
    const n2 = await enqueueComputeMetrics(
      server.database.db,
      v3,
      ['diversity.distinct_n', 'complexity.length'],
      { 'diversity.distinct_n': { n: 2 } },
    );
    await runJob(server.database, n1.id);
    await runJob(server.database, n2.id);
    const query = `query ($v: [ID!]!, $m: [String!], $p: JSON) { compareVersions(versions: $v, metrics: $m, params: $p) {
      metrics warnings rows { version { id } cells { metric value n estimator comparable note } } } }`;
    const table = (
      await server.ok(query, { v: [gid(v1), gid(v3)], m: ['complexity.length', 'diversity.distinct_n'] })
    ).compareVersions;
    assert.deepEqual(table.metrics, ['complexity.length', 'diversity.distinct_n']);
    // Lengths 2,4,6,8,10 -> mean 6; 3,3,3 -> 3.
    assert.deepEqual(
      table.rows.map((r: { cells: { value: number }[] }) => r.cells[0]!.value),
      [6, 3],
    );
    assert.deepEqual(
      table.rows.map((r: { cells: { comparable: boolean }[] }) => r.cells[0]!.comparable),
      [true, true],
    );
    const distinct = table.rows.map(
      (r: { cells: { comparable: boolean; note: string | null }[] }) => r.cells[1]!,
    );
    assert.equal(distinct[0].comparable, true);
    assert.equal(distinct[1].comparable, false);
    assert.match(distinct[1].note, /different parameters \(n: 1 vs 2\)/);
    assert.equal(table.warnings.length, 1);

    // Asking for n=1 leaves v3 without a matching result instead of mixing.
    const matched = (
      await server.ok(query, {
        v: [gid(v1), gid(v3)],
        m: ['diversity.distinct_n'],
        p: { 'diversity.distinct_n': { n: 1 } },
      })
    ).compareVersions;
    // v1's responses hold 2+4+6+8+10 = 30 unigrams, 10 of them distinct (w0..w9).
    assert.equal(matched.rows[0].cells[0].value, 10 / 30);
    assert.equal(matched.rows[1].cells[0].value, null);
    assert.equal(matched.rows[1].cells[0].note, 'computed only with other parameters');
  });

  it('finds the Pareto frontier and lists excluded versions with the reason', async () => {
    const push = (v: number, name: string, value: number) =>
      server.ok(RECORD, {
        v: gid(v),
        s: { name },
        scores: Array.from({ length: v === v1 ? 5 : v === v2 ? 2 : 3 }, (_, ordinal) => ({ ordinal, value })),
      });
    await push(v1, 'qx', 1);
    await push(v1, 'qy', 1);
    await push(v2, 'qx', 2);
    await push(v2, 'qy', 0.5);
    await push(v3, 'qx', 0.5); // v3 has no qy
    const data = await server.ok(
      `query ($s: VersionScopeInput) { paretoFrontier(x: {metric: "external:qx"}, y: {metric: "external:qy"}, scope: $s) {
      xDirection points { version { id } x y onFrontier } frontier { version { id } } excluded { version { id } reason } } }`,
      {
        s: { datasets: ['scores-a', 'scores-b', 'scores-c'] },
      },
    );
    const p = data.paretoFrontier;
    assert.equal(p.xDirection, 'HIGHER_IS_BETTER');
    assert.deepEqual(
      p.frontier.map((f: { version: { id: string } }) => f.version.id).sort(),
      [gid(v1), gid(v2)].sort(),
    );
    assert.deepEqual(p.excluded, [{ version: { id: gid(v3) }, reason: 'no result for external:qy' }]);

    const neutral = await server.gql(
      `{ paretoFrontier(x: {metric: "complexity.length"}, y: {metric: "external:qy"}) { points { x } } }`,
    );
    assert.match(neutral.errors![0]!.message, /complexity.length has no better direction; pass x.direction/);
    // NEUTRAL names no better end either, so it cannot stand in for one.
    const neutralOverride = await server.gql(
      `{ paretoFrontier(x: {metric: "external:qx"}, y: {metric: "external:qy", direction: NEUTRAL}) { xDirection yDirection } }`,
    );
    assert.equal(neutralOverride.errors![0]!.extensions!.code, 'BAD_USER_INPUT');
    assert.match(
      neutralOverride.errors![0]!.message,
      /^y\.direction must be HIGHER_IS_BETTER or LOWER_IS_BETTER/,
    );
    const lower = await server.ok(
      `{ paretoFrontier(x: {metric: "complexity.length", direction: LOWER_IS_BETTER}, y: {metric: "external:qy"}) { frontier { version { id } } excluded { version { id } reason } } }`,
    );
    // v1: length 6, qy 1; v3 has length 3 but no qy; v2 has no complexity.length result.
    assert.deepEqual(
      lower.paretoFrontier.frontier.map((f: { version: { id: string } }) => f.version.id),
      [gid(v1)],
    );
  });

  it('marks the frontier like a brute-force dominance check', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 200; round++) {
      const points: ParetoPoint[] = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) => ({
        versionId: i,
        x: { value: Math.floor(random() * 5) } as ValuedResult,
        y: { value: Math.floor(random() * 5) } as ValuedResult,
        onFrontier: false,
      }));
      const xs = random() < 0.5 ? 1 : -1;
      const ys = random() < 0.5 ? 1 : -1;
      markFrontier(points, xs, ys);
      for (const p of points) {
        const dominated = points.some(
          (q) =>
            q !== p &&
            xs * q.x.value! >= xs * p.x.value! &&
            ys * q.y.value! >= ys * p.y.value! &&
            (xs * q.x.value! > xs * p.x.value! || ys * q.y.value! > ys * p.y.value!),
        );
        assert.equal(p.onFrontier, !dominated, JSON.stringify(points.map((q) => [q.x.value, q.y.value])));
      }
    }
  });

  it('shows metric deltas against lineage parents, flagging other parameters', async () => {
    // v2 (lengths 2, 4) was filtered from v1 (lengths 2..10).
    const run = await recordRun(server, gid(v2), [{ version: gid(v1), role: 'FILTERED_FROM' }]);
    assert.equal(run.errors, undefined, JSON.stringify(run.errors));
    const job = await enqueueComputeMetrics(
      server.database.db,
      v2,
      ['complexity.length', 'diversity.distinct_n'],
      { 'diversity.distinct_n': { n: 2 } },
    );
    await runJob(server.database, job.id);
    const data = await server.ok(
      `query ($v: ID!) { version(id: $v) { metricDeltas(metrics: ["complexity.length", "diversity.distinct_n"]) {
      metric parent { id } role delta relativeDelta comparable note result { value } parentResult { value } } } }`,
      { v: gid(v2) },
    );
    const byMetric = Object.fromEntries(
      data.version.metricDeltas.map((d: { metric: string }) => [d.metric, d]),
    );
    assert.equal(byMetric['complexity.length'].parent.id, gid(v1));
    assert.equal(byMetric['complexity.length'].role, 'FILTERED_FROM');
    assert.equal(byMetric['complexity.length'].result.value, 3);
    assert.equal(byMetric['complexity.length'].parentResult.value, 6);
    assert.equal(byMetric['complexity.length'].delta, -3);
    assert.equal(byMetric['complexity.length'].relativeDelta, -0.5);
    assert.equal(byMetric['complexity.length'].comparable, true);
    assert.equal(byMetric['diversity.distinct_n'].comparable, false);
    assert.equal(byMetric['diversity.distinct_n'].delta, null);
    assert.match(byMetric['diversity.distinct_n'].note, /only with other parameters .*n: 2 vs 1/);
  });
});
