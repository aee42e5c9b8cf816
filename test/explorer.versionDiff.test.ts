/**
 * Query.versionDiff on a filter chain the test builds (seed -> filtered -> deduplicated and
 * extended), against a naive in-JS diff: samples are compared by their JSON text (equal content
 * is equal content hash), added/removed/kept counted and listed in ordinal order, metric deltas
 * from the means of the scores the test pushed, histograms counted on edges worked out here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDataset, createVersion, recordRun } from './helpers/fixtures.js';
import { prng } from './helpers/prng.js';
import { missingSamples } from '../src/catalog/versionDiff.js';
import type { Page } from '../src/catalog/pagination.js';
import type { SampleRow } from '../src/db/schema.js';
import { idOf } from '../src/globalId.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

type Input = {
  prompt: string;
  response: string;
};

const DIFF = `query ($base: ID!, $head: ID!) {
  versionDiff(base: $base, head: $head) {
    base { id } head { id }
    addedCount removedCount keptCount
  }
}`;

const PAGE = `query ($base: ID!, $head: ID!, $first: Int, $after: String, $removed: Boolean!) {
  versionDiff(base: $base, head: $head) {
    added(first: $first, after: $after) @skip(if: $removed) {
      pageInfo { hasNextPage endCursor } edges { node { ordinal prompt response } }
    }
    removed(first: $first, after: $after) @include(if: $removed) {
      pageInfo { hasNextPage endCursor } edges { node { ordinal prompt response } }
    }
  }
}`;

const DELTAS = `query ($base: ID!, $head: ID!, $metrics: [String!]) {
  versionDiff(base: $base, head: $head) {
    metricDeltas(metrics: $metrics) {
      metric delta relativeDelta comparable note
      baseResult { value version { id } } headResult { value version { id } }
    }
  }
}`;

const HISTOGRAMS = `query ($base: ID!, $head: ID!, $metric: String!, $bins: Int) {
  versionDiff(base: $base, head: $head) {
    scoreHistograms(metric: $metric, bins: $bins) {
      edges
      base { counts total result { metric version { id } } }
      head { counts total result { metric version { id } } }
    }
  }
}`;

const key = (s: Input) => JSON.stringify([s.prompt, s.response]);

/** The naive diff: by content, as sets, each side in its own ordinal order. */
function naiveDiff(base: Input[], head: Input[]) {
  const inBase = new Set(base.map(key));
  const inHead = new Set(head.map(key));
  const added = head.map((s, ordinal) => ({ ordinal, ...s })).filter((s) => !inBase.has(key(s)));
  const removed = base.map((s, ordinal) => ({ ordinal, ...s })).filter((s) => !inHead.has(key(s)));
  return { added, removed, kept: head.length - added.length };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('versionDiff: samples added, removed and kept by content hash, deltas, paired histograms', () => {
  let server: TestServer;
  const versions: { id: string; samples: Input[]; scores: number[] }[] = [];

  before(async () => {
    server = await startTestServer();
    const random = prng(11);
    const sample = (i: number): Input => ({ prompt: `task ${i}`, response: `answer ${i} ${i % 7}` });
    // seed: 0..399, with sample 5's content repeated at the end (a duplicate within a version)
    const seed = [...Array.from({ length: 400 }, (_, i) => sample(i)), sample(5)];
    // filtered: a random ~60% of the seed, shuffled, plus 40 new samples and a duplicate of a new one
    const kept = seed.slice(0, 400).filter(() => random() < 0.6);
    for (let i = kept.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kept[i], kept[j]] = [kept[j]!, kept[i]!];
    }
    const fresh = Array.from({ length: 40 }, (_, i) => sample(1000 + i));
    const filtered = [...kept.slice(0, 120), ...fresh, ...kept.slice(120), sample(1003)];
    // dedup: every third sample of filtered dropped (its duplicates too), 5 new at the front
    const dropped = new Set(filtered.filter((_, i) => i % 3 === 0).map(key));
    const dedup = [
      ...Array.from({ length: 5 }, (_, i) => sample(2000 + i)),
      ...filtered.filter((s) => !dropped.has(key(s))),
    ];
    const chain = [
      ['diff-seed', seed],
      ['diff-filtered', filtered],
      ['diff-dedup', dedup],
    ] as const;
    for (const [slug, samples] of chain) {
      await createDataset(server, slug);
      const created = await createVersion(server, slug, [...samples]);
      assert.equal(created.version.sampleCount, samples.length);
      // A score per sample: a ~ normal-ish value, shifted per version so the means differ.
      const scores = samples.map(
        (_, i) => Math.round((random() + random() + versions.length) * 100) / 100 + (i % 2),
      );
      await server.ok(
        `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
          recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded } }`,
        {
          v: created.version.id,
          s: { name: 'q' },
          scores: scores.map((value, ordinal) => ({ ordinal, value })),
        },
      );
      versions.push({ id: created.version.id, samples: [...samples], scores });
    }
    await recordRun(server, versions[1]!.id, [{ version: versions[0]!.id, role: 'FILTERED_FROM' }]);
    await recordRun(server, versions[2]!.id, [{ version: versions[1]!.id, role: 'FILTERED_FROM' }]);
    // Only the seed has scorer r: its delta has no head side.
    await server.ok(
      `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
        recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded } }`,
      { v: versions[0]!.id, s: { name: 'r' }, scores: [{ ordinal: 0, value: 1 }] },
    );
  });
  after(() => server.stop());

  async function allRows(base: string, head: string, removed: boolean, first: number) {
    const rows: (Input & { ordinal: number })[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const data: ResponseJson = await server.ok(PAGE, { base, head, first, after: cursor, removed });
      const connection: ResponseJson = removed ? data.versionDiff.removed : data.versionDiff.added;
      assert.ok(connection.edges.length <= first);
      rows.push(...connection.edges.map((e: ResponseJson) => e.node));
      if (!connection.pageInfo.hasNextPage) return rows;
      cursor = connection.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  const pairs = [
    [0, 1],
    [1, 2],
    [0, 2],
    [2, 0],
    [1, 1],
  ] as const;

  for (const [b, h] of pairs) {
    it(`counts and pages the diff of version ${b} -> ${h} like the naive diff`, async () => {
      const base = versions[b]!;
      const head = versions[h]!;
      const expected = naiveDiff(base.samples, head.samples);
      const data = await server.ok(DIFF, { base: base.id, head: head.id });
      assert.deepEqual(data.versionDiff, {
        base: { id: base.id },
        head: { id: head.id },
        addedCount: expected.added.length,
        removedCount: expected.removed.length,
        keptCount: expected.kept,
      });
      assert.deepEqual(await allRows(base.id, head.id, false, 17), expected.added);
      assert.deepEqual(await allRows(base.id, head.id, true, 23), expected.removed);
    });
  }

  it('pages the same through the set form as through probes (a window of a few ordinals)', async () => {
    const { db } = server.database;
    for (const [b, h] of pairs) {
      const [base, head] = [versions[b]!, versions[h]!];
      const expected = naiveDiff(base.samples, head.samples);
      for (const [from, other, want] of [
        [head, base, expected.added],
        [base, head, expected.removed],
      ] as const) {
        for (const window of [1, 7, 100]) {
          const got: number[] = [];
          let after: number[] | null = null;
          for (let i = 0; i < 1000; i++) {
            const page: Page<SampleRow> = await missingSamples(
              db,
              idOf('DatasetVersion', from.id),
              idOf('DatasetVersion', other.id),
              { first: 13, after },
              'test',
              window,
            );
            got.push(...page.items.map((s) => s.ordinal));
            if (!page.hasNextPage) break;
            after = [page.items.at(-1)!.ordinal];
          }
          assert.deepEqual(
            got,
            want.map((s) => s.ordinal),
            `${b} -> ${h}, window ${window}`,
          );
        }
      }
    }
  });

  it('the chain has all three kinds of change (the fixture is not degenerate)', () => {
    const d = naiveDiff(versions[0]!.samples, versions[1]!.samples);
    assert.ok(
      d.added.length === 41 && d.removed.length > 100 && d.kept > 100,
      JSON.stringify(d).length.toString(),
    );
    const dups = versions[1]!.samples.filter(
      (s) => key(s) === key({ prompt: 'task 1003', response: 'answer 1003 2' }),
    );
    assert.equal(dups.length, 2, 'a sample added twice counts twice');
  });

  it('gives metric deltas head minus base from the pushed scores, and flags a missing side', async () => {
    const [base, head] = [versions[0]!, versions[2]!];
    const data = await server.ok(DELTAS, { base: base.id, head: head.id, metrics: null });
    const byMetric = new Map<string, ResponseJson>(
      data.versionDiff.metricDeltas.map((d: ResponseJson) => [d.metric, d]),
    );
    assert.deepEqual([...byMetric.keys()].sort(), ['external:q', 'external:r']);
    const q = byMetric.get('external:q')!;
    const expected = mean(head.scores) - mean(base.scores);
    assert.ok(Math.abs(q.delta - expected) < 1e-9, `${q.delta} vs ${expected}`);
    assert.ok(Math.abs(q.relativeDelta - expected / Math.abs(mean(base.scores))) < 1e-9);
    assert.equal(q.comparable, true);
    assert.equal(q.baseResult.version.id, base.id);
    assert.equal(q.headResult.version.id, head.id);
    const r = byMetric.get('external:r')!;
    assert.equal(r.comparable, false);
    assert.equal(r.delta, null);
    assert.equal(r.headResult, null);
    assert.match(r.note, /head version/);
  });

  it('counts both versions on shared bin edges from the lowest to the highest value of either', async () => {
    const [base, head] = [versions[1]!, versions[2]!];
    const bins = 7;
    const data = await server.ok(HISTOGRAMS, { base: base.id, head: head.id, metric: 'external:q', bins });
    const histogram = data.versionDiff.scoreHistograms;
    const all = [...base.scores, ...head.scores];
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    assert.equal(histogram.edges.length, bins + 1);
    assert.ok(Math.abs(histogram.edges[0] - lo) < 1e-12 && Math.abs(histogram.edges[bins] - hi) < 1e-12);
    const naiveCounts = (values: number[]) => {
      const counts = new Array<number>(bins).fill(0);
      for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
      return counts;
    };
    assert.deepEqual(histogram.base.counts, naiveCounts(base.scores));
    assert.deepEqual(histogram.head.counts, naiveCounts(head.scores));
    assert.equal(histogram.base.total, base.samples.length);
    assert.equal(histogram.head.total, head.samples.length);
    assert.equal(histogram.base.result.version.id, base.id);
    assert.equal(histogram.head.result.version.id, head.id);
  });

  it('refuses unknown versions, foreign cursors and a metric one side lacks, with codes', async () => {
    const [seed, filtered] = [versions[0]!, versions[1]!];
    const unknown = await server.gql(DIFF, { base: seed.id, head: 'RGF0YXNldFZlcnNpb246OTk5OTk' });
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const malformed = await server.gql(DIFF, { base: 'nonsense', head: seed.id });
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const first = await server.ok(PAGE, {
      base: seed.id,
      head: filtered.id,
      first: 2,
      after: null,
      removed: false,
    });
    const foreign = await server.gql(PAGE, {
      base: seed.id,
      head: filtered.id,
      first: 2,
      after: first.versionDiff.added.pageInfo.endCursor,
      removed: true,
    });
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(foreign.errors![0]!.message, /not a valid cursor/);
    // A forged cursor past the largest ordinal: an empty page, not a database error.
    const forged = Buffer.from(JSON.stringify(['diff-added', 2 ** 31 + 5])).toString('base64url');
    const past = await server.ok(PAGE, {
      base: seed.id,
      head: filtered.id,
      first: 5,
      after: forged,
      removed: false,
    });
    assert.deepEqual(past.versionDiff.added.edges, []);
    const tooBig = await server.gql(PAGE, {
      base: seed.id,
      head: filtered.id,
      first: 101,
      after: null,
      removed: true,
    });
    assert.equal(tooBig.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const lacking = await server.gql(HISTOGRAMS, { base: seed.id, head: filtered.id, metric: 'external:r' });
    assert.equal(lacking.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(lacking.errors![0]!.message, /external:r .*head version/);
    const badBins = await server.gql(HISTOGRAMS, {
      base: seed.id,
      head: filtered.id,
      metric: 'external:q',
      bins: 0,
    });
    assert.equal(badBins.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});
