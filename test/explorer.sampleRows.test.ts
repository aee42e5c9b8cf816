/**
 * The explorer's reads (schema/explorer.graphql): sampleRows sorted and filtered by per-sample
 * scores and keyset-paged, scoreHistogram on shared edges with faceted filters, Algorithm.runs.
 * Expected values are worked out here by a naive sort/filter/count over the scores the test pushed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDataset, createVersion, recordRun } from './helpers/fixtures.js';
import { prng } from './helpers/prng.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const N = 300;

const ROWS = `query ($id: ID!, $first: Int, $after: String, $columns: [String!], $orderBy: SampleRowOrder, $ranges: [ScoreRangeInput!]) {
  version(id: $id) {
    sampleRows(first: $first, after: $after, columns: $columns, orderBy: $orderBy, ranges: $ranges) {
      columns { metric }
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ordinal scores sample { ordinal prompt } } }
    }
  }
}`;

const HISTOGRAM = `query ($id: ID!, $metric: String!, $bins: Int, $ranges: [ScoreRangeInput!]) {
  version(id: $id) { scoreHistogram(metric: $metric, bins: $bins, ranges: $ranges) { edges counts total result { metric } } }
}`;

interface Row {
  ordinal: number;
  scores: (number | null)[];
}

describe('explorer reads: sampleRows, scoreHistogram, Algorithm.runs', () => {
  let server: TestServer;
  let versionId: string;
  // Score a: values with many ties (0.0 .. 0.9); score b: pushed for every third sample only.
  const a = new Map<number, number>();
  const b = new Map<number, number>();

  before(async () => {
    server = await startTestServer();
    await createDataset(server, 'scored');
    const samples = Array.from({ length: N }, (_, i) => ({
      prompt: `question ${i}`,
      response: `answer ${i}`,
    }));
    versionId = (await createVersion(server, 'scored', samples)).version.id;
    const random = prng(3);
    for (let i = 0; i < N; i++) a.set(i, Math.floor(random() * 10) / 10);
    for (let i = 0; i < N; i += 3) b.set(i, Math.round(random() * 1000) / 10);
    for (const [name, values] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await server.ok(
        `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
          recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded } }`,
        { v: versionId, s: { name }, scores: [...values].map(([ordinal, value]) => ({ ordinal, value })) },
      );
    }
  });
  after(() => server.stop());

  async function all(variables: Record<string, unknown>, first: number): Promise<Row[]> {
    const rows: Row[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const data: ResponseJson = await server.ok(ROWS, { id: versionId, first, after: cursor, ...variables });
      const connection: ResponseJson = data.version.sampleRows;
      for (const edge of connection.edges) {
        assert.equal(edge.node.sample.ordinal, edge.node.ordinal);
        rows.push({ ordinal: edge.node.ordinal, scores: edge.node.scores });
      }
      if (!connection.pageInfo.hasNextPage) return rows;
      cursor = connection.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  it('pages every sample in ordinal order with score columns, null where a sample has no score', async () => {
    const rows = await all({ columns: ['external:a', 'external:b'] }, 70);
    assert.equal(rows.length, N);
    rows.forEach((row, i) => {
      assert.equal(row.ordinal, i);
      assert.deepEqual(row.scores, [a.get(i)!, b.get(i) ?? null]);
    });
  });

  it('sorts by a score both ways with ties by ordinal, across pages, leaving out unscored samples', async () => {
    const ascending = await all({ columns: ['external:b'], orderBy: { metric: 'external:b' } }, 17);
    const expected = [...b].sort((x, y) => x[1] - y[1] || x[0] - y[0]).map(([ordinal]) => ordinal);
    assert.deepEqual(
      ascending.map((r) => r.ordinal),
      expected,
    );
    const descending = await all({ columns: [], orderBy: { metric: 'external:a', descending: true } }, 23);
    const expectedDesc = [...a].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([ordinal]) => ordinal);
    assert.deepEqual(
      descending.map((r) => r.ordinal),
      expectedDesc,
    );
  });

  it('filters by inclusive ranges on several scores, in ordinal order or sorted', async () => {
    const ranges = [
      { metric: 'external:a', min: 0.3, max: 0.6 },
      { metric: 'external:b', min: 20 },
    ];
    const keep = [...a.keys()].filter((i) => {
      const va = a.get(i)!;
      const vb = b.get(i);
      return va >= 0.3 && va <= 0.6 && vb !== undefined && vb >= 20;
    });
    assert.ok(keep.length > 5 && keep.length < 100, `the filter keeps ${keep.length}`);
    const rows = await all({ columns: ['external:a'], ranges }, 9);
    assert.deepEqual(
      rows.map((r) => r.ordinal),
      keep,
    );
    const sorted = await all({ orderBy: { metric: 'external:b', descending: true }, ranges }, 9);
    assert.deepEqual(
      sorted.map((r) => r.ordinal),
      [...keep].sort((x, y) => b.get(y)! - b.get(x)! || x - y),
    );
  });

  it('counts a histogram on the whole version’s edges, ignoring its own range, applying the others', async () => {
    const bins = 5;
    const values = [...a.values()];
    const min = Math.min(...values);
    const max = Math.max(...values);
    const data = await server.ok(HISTOGRAM, {
      id: versionId,
      metric: 'external:a',
      bins,
      ranges: [
        { metric: 'external:a', min: 0.5 },
        { metric: 'external:b', max: 50 },
      ],
    });
    const histogram = data.version.scoreHistogram;
    assert.equal(histogram.result.metric, 'external:a');
    assert.equal(histogram.edges.length, bins + 1);
    assert.equal(histogram.edges[0], min);
    assert.equal(histogram.edges[bins], max);
    const width = (max - min) / bins;
    const counts = new Array(bins).fill(0);
    for (const [ordinal, value] of a) {
      const vb = b.get(ordinal);
      if (vb === undefined || vb > 50) continue;
      counts[Math.min(bins - 1, Math.floor((value - min) / width + 1e-9))]++;
    }
    assert.deepEqual(histogram.counts, counts);
    assert.equal(
      histogram.total,
      counts.reduce((s, c) => s + c, 0),
    );
  });

  it('says which metric lacks per-sample values, and rejects bad pages, ranges and cursors', async () => {
    const missing = await server.gql(ROWS, { id: versionId, columns: ['quality.heuristic_quality'] });
    assert.equal(missing.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(
      missing.errors![0]!.message,
      /quality\.heuristic_quality has no finished result with per-sample values/,
    );
    const big = await server.gql(ROWS, { id: versionId, first: 201 });
    assert.match(big.errors![0]!.message, /first must be an integer from 0 to 200/);
    const reversed = await server.gql(ROWS, {
      id: versionId,
      ranges: [{ metric: 'external:a', min: 2, max: 1 }],
    });
    assert.match(reversed.errors![0]!.message, /ranges\[0\]: min 2 is above max 1/);
    const ordinalCursor = (await server.ok(ROWS, { id: versionId, first: 1 })).version.sampleRows.pageInfo
      .endCursor;
    const replayed = await server.gql(ROWS, {
      id: versionId,
      after: ordinalCursor,
      orderBy: { metric: 'external:a' },
    });
    assert.equal(replayed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const bins = await server.gql(HISTOGRAM, { id: versionId, metric: 'external:a', bins: 0 });
    assert.match(bins.errors![0]!.message, /bins must be an integer from 1 to 200/);
  });

  it('lists the runs of an algorithm, newest first, paged', async () => {
    const outputs: string[] = [];
    for (let i = 0; i < 3; i++) {
      await createDataset(server, `made-${i}`);
      const v = (await createVersion(server, `made-${i}`, [{ prompt: `p${i}` }])).version.id;
      const run = await recordRun(server, v, [{ version: versionId, role: 'SOURCE' }], {
        algorithm: 'evol-instruct',
      });
      assert.equal(run.errors, undefined);
      outputs.push(v);
    }
    const query = `query ($after: String) { algorithm(key: "evol-instruct") { runs(first: 2, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { output { id } } } } } }`;
    const first = (await server.ok(query)).algorithm.runs;
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = (await server.ok(query, { after: first.pageInfo.endCursor })).algorithm.runs;
    assert.equal(second.pageInfo.hasNextPage, false);
    assert.deepEqual(
      [...first.edges, ...second.edges].map((e: ResponseJson) => e.node.output.id),
      [...outputs].reverse(),
    );
    const none = await server.ok(`{ algorithm(key: "magpie") { runs { edges { node { id } } } } }`);
    assert.deepEqual(none.algorithm.runs.edges, []);
  });
});
