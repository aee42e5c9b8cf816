/**
 * Embedding maps: PCA against hand-worked coordinates and against a naive implementation (power
 * iteration, and cyclic Jacobi on the stored vectors of a real version), UMAP reproducible with a
 * seed, the `embeddings.project` job through GraphQL to SUCCEEDED with its provenance and the
 * binary routes, and bad input refused with its code and nothing queued.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { findSpaceByKey, versionVectors } from '../src/embeddings/spaces.js';
import { fromGlobalId, toGlobalId } from '../src/globalId.js';
import { fitUmap, PcaAccumulator, pcaProject, seededSubsample } from '../src/metrics/embedding/projection.js';
import { embedThroughApi, TOPICS, type Topic } from './helpers/embeddingData.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { runJob } from './helpers/jobs.js';
import { prng } from './helpers/prng.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const LEXICAL = 'qdc/lexical-hash@v1:fp32';

/** PCA coordinates the plain way: centre, covariance by loops, eigenvectors from `eigen`, sign fixed. */
function naivePca(
  points: readonly ArrayLike<number>[],
  eigen: (c: number[][]) => { values: number[]; vectors: number[][] },
): number[][] {
  const n = points.length;
  const d = points[0]!.length;
  const mean = Array.from({ length: d }, (_, k) => points.reduce((s, p) => s + p[k]!, 0) / n);
  const centred = points.map((p) => Array.from({ length: d }, (_, k) => p[k]! - mean[k]!));
  const c = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => centred.reduce((s, p) => s + p[i]! * p[j]!, 0) / n),
  );
  const { values, vectors } = eigen(c);
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const axes = order.slice(0, 2).map((i) => {
    const v = vectors[i]!;
    // Sign convention: the entry of largest magnitude is positive.
    const big = v.reduce((best, x, k) => (Math.abs(x) > Math.abs(v[best]!) ? k : best), 0);
    return v[big]! < 0 ? v.map((x) => -x) : v;
  });
  return centred.map((p) => axes.map((a) => p.reduce((s, x, k) => s + x * a[k]!, 0)));
}

/** Top eigenpairs by power iteration with deflation (enough for matrices with clear gaps). */
function powerIteration(c: number[][]): { values: number[]; vectors: number[][] } {
  const d = c.length;
  const m = c.map((row) => [...row]);
  const values: number[] = [];
  const vectors: number[][] = [];
  for (let r = 0; r < 2; r++) {
    let v = Array.from({ length: d }, (_, i) => 1 / Math.sqrt(d) + i * 1e-3);
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = m.map((row) => row.reduce((s, x, k) => s + x * v[k]!, 0));
      const norm = Math.hypot(...w);
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    values.push(lambda);
    vectors.push(v);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i]![j]! -= lambda * v[i]! * v[j]!;
  }
  return { values, vectors };
}

/** All eigenpairs by cyclic Jacobi rotations (robust for any symmetric matrix). */
function jacobi(c: number[][]): { values: number[]; vectors: number[][] } {
  const d = c.length;
  const a = c.map((row) => [...row]);
  const v: number[][] = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < d; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = cs * akp - sn * akq;
          a[k]![q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = cs * apk - sn * aqk;
          a[q]![k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = cs * vkp - sn * vkq;
          v[k]![q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  return {
    values: a.map((row, i) => row[i]!),
    vectors: Array.from({ length: d }, (_, j) => v.map((row) => row[j]!)),
  };
}

function pcaOf(points: Float32Array[]): Float32Array {
  const acc = new PcaAccumulator(points[0]!.length);
  acc.add(points.slice(0, 3));
  acc.add(points.slice(3));
  const out = new Float32Array(2 * points.length);
  pcaProject(acc.finish(), points, out);
  return out;
}

describe('PCA', () => {
  it('gives the hand-worked coordinates of a cross of four points', () => {
    // Mean (0, 0); covariance diag(0.5, 0.125): the axes are e1 and e2 and the points stay put.
    const points = [
      [1, 0],
      [-1, 0],
      [0, 0.5],
      [0, -0.5],
    ].map((p) => Float32Array.from(p));
    const acc = new PcaAccumulator(2);
    acc.add(points);
    const model = acc.finish();
    assert.deepEqual(Array.from(model.axes[0]), [1, 0]);
    assert.deepEqual(Array.from(model.axes[1]), [0, 1]);
    assert.deepEqual(model.variances, [0.5, 0.125]);
    assert.deepEqual(model.explained, [0.8, 0.2]);
    const out = new Float32Array(8);
    pcaProject(model, points, out);
    assert.deepEqual(Array.from(out), [1, 0, -1, 0, 0, 0.5, 0, -0.5]);
  });

  it('equals power iteration on a small matrix with clear variance gaps, signs fixed', () => {
    const random = prng(3);
    const scales = [5, 2.5, 1, 0.4, 0.2, 0.1];
    // Rotate the planted axes so no coordinate direction is special.
    const rotation = jacobi(
      Array.from({ length: 6 }, (_, i) =>
        Array.from({ length: 6 }, (_, j) => (i === j ? 2 : random() - 0.5)),
      ),
    ).vectors;
    const points = Array.from({ length: 40 }, () => {
      const z = scales.map((s) => s * (random() - 0.5) + 0.3);
      return Float32Array.from({ length: 6 }, (_, k) =>
        rotation.reduce((sum, axis, i) => sum + z[i]! * axis[k]!, 0),
      );
    });
    const expected = naivePca(points, powerIteration);
    const got = pcaOf(points);
    expected.forEach(([x, y], i) => {
      assert.ok(Math.abs(got[2 * i]! - x!) < 1e-5, `x of point ${i}: ${got[2 * i]} vs ${x}`);
      assert.ok(Math.abs(got[2 * i + 1]! - y!) < 1e-5, `y of point ${i}: ${got[2 * i + 1]} vs ${y}`);
    });
  });
});

describe('UMAP', () => {
  const clusters = () => {
    const random = prng(9);
    return Array.from({ length: 60 }, (_, i) =>
      Float32Array.from({ length: 8 }, (_, k) => (k === i % 3 ? 4 : 0) + random() * 0.5),
    );
  };

  it('gives the same coordinates for the same seed and other ones for another seed', () => {
    const params = { neighbors: 10, minDist: 0.1, epochs: 100, seed: 5 };
    const a = fitUmap(clusters(), params).coordinates;
    const b = fitUmap(clusters(), params).coordinates;
    assert.deepEqual(a, b);
    const c = fitUmap(clusters(), { ...params, seed: 6 }).coordinates;
    assert.notDeepEqual(a, c);
  });

  it('keeps the planted clusters apart', () => {
    const xy = fitUmap(clusters(), { neighbors: 10, minDist: 0.1, epochs: 200, seed: 1 }).coordinates;
    let within = 0;
    let across = 0;
    let nw = 0;
    let na = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = i + 1; j < 60; j++) {
        const d = Math.hypot(xy[2 * i]! - xy[2 * j]!, xy[2 * i + 1]! - xy[2 * j + 1]!);
        if (i % 3 === j % 3) {
          within += d;
          nw++;
        } else {
          across += d;
          na++;
        }
      }
    }
    assert.ok(within / nw < (across / na) * 0.5, `within ${within / nw}, across ${across / na}`);
  });

  it('draws a fit subsample of distinct indices, ascending, the same for the same seed', () => {
    const s = seededSubsample(1000, 50, 7);
    assert.equal(new Set(s).size, 50);
    assert.ok(s.every((v, i) => v < 1000 && (i === 0 || v > s[i - 1]!)));
    assert.deepEqual(s, seededSubsample(1000, 50, 7));
    assert.notDeepEqual(s, seededSubsample(1000, 50, 8));
    assert.deepEqual(Array.from(seededSubsample(5, 50, 7)), [0, 1, 2, 3, 4]);
  });
});

const PROJECT = `mutation ($v: ID!, $m: ProjectionMethod!, $s: String, $u: UmapParamsInput) {
  projectVersion(version: $v, method: $m, space: $s, umap: $u) { id kind status progress { total } }
}`;
const PROJECTIONS = `query ($v: ID!) { node(id: $v) { ... on DatasetVersion {
  projections { id method params seed library status n explainedVariance bounds { minX maxX minY maxY }
    details space { key } job { id status } coordinatesUrl ordinalsUrl valuesUrl }
} } }`;

describe(`projection jobs through GraphQL (${testBackend})`, () => {
  let server: TestServer;
  let versionId: string;
  let versionNumber: number;
  const topics = Object.keys(TOPICS) as Topic[];
  const N = 40;

  before(async () => {
    server = await startTestServer();
    await createDataset(server, 'map');
    const samples = Array.from({ length: N }, (_, i) => {
      const t = TOPICS[topics[i % topics.length]!];
      return { prompt: `${t.prompt} (${i})`, response: `${t.response} Variant ${i}.` };
    });
    const created = await createVersion(server, 'map', samples);
    versionId = created.version.id;
    versionNumber = fromGlobalId(versionId).id;
    await embedThroughApi(server, versionId);
    const compute = await server.ok(
      `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id } }`,
      { v: versionId },
    );
    const job = await runJob(server.database, fromGlobalId(compute.computeMetrics.id).id, server.embedders);
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
  });
  after(() => server.stop());

  async function project(method: 'PCA' | 'UMAP', umap?: Record<string, number>) {
    const data = await server.ok(PROJECT, { v: versionId, m: method, u: umap });
    assert.equal(data.projectVersion.kind, 'embeddings.project');
    const job = await runJob(server.database, fromGlobalId(data.projectVersion.id).id, server.embedders);
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    const list = (await server.ok(PROJECTIONS, { v: versionId })).node.projections;
    return list.find((p: { job: { id: string } }) => p.job.id === data.projectVersion.id);
  }

  async function binary(
    path: string,
  ): Promise<{ status: number; bytes: ArrayBuffer; points: string | null }> {
    const response = await fetch(server.url + path);
    return {
      status: response.status,
      bytes: await response.arrayBuffer(),
      points: response.headers.get('x-qdc-points'),
    };
  }

  it('PCA: SUCCEEDED with its provenance; the binary coordinates equal a naive PCA of the stored vectors', async () => {
    const p = await project('PCA');
    assert.equal(p.status, 'COMPLETE');
    assert.equal(p.method, 'PCA');
    assert.equal(p.n, N);
    assert.equal(p.seed, null);
    assert.equal(p.space.key, LEXICAL);
    assert.match(p.library, /^ml-matrix@\d+\.\d+\.\d+/);
    assert.equal(p.params.components, 2);
    assert.equal(p.explainedVariance.length, 2);
    assert.ok(p.explainedVariance[0] >= p.explainedVariance[1] && p.explainedVariance[1] > 0);

    const space = (await findSpaceByKey(server.database.db, LEXICAL))!;
    const stored = await versionVectors(server.database.db, space.id, versionNumber);
    const expected = naivePca(
      stored.map((s) => s.vector),
      jacobi,
    );
    const coordinates = await binary(p.coordinatesUrl);
    assert.equal(coordinates.status, 200);
    assert.equal(coordinates.points, String(N));
    const xy = new Float32Array(coordinates.bytes);
    assert.equal(xy.length, 2 * N);
    expected.forEach(([x, y], i) => {
      assert.ok(Math.abs(xy[2 * i]! - x!) < 1e-4, `x of ${i}: ${xy[2 * i]} vs ${x}`);
      assert.ok(Math.abs(xy[2 * i + 1]! - y!) < 1e-4, `y of ${i}: ${xy[2 * i + 1]} vs ${y}`);
    });
    const minX = Math.min(...expected.map((e) => e[0]!));
    assert.ok(Math.abs(p.bounds.minX - minX) < 1e-4);

    const ordinals = new Uint32Array((await binary(p.ordinalsUrl)).bytes);
    assert.deepEqual(
      Array.from(ordinals),
      Array.from({ length: N }, (_, i) => i),
    );

    // The paged GraphQL points equal the binary ones, page after page.
    const seen: { ordinal: number; x: number; y: number }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        node: {
          points: {
            edges: { node: { ordinal: number; x: number; y: number } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      } = await server.ok(
        `query ($id: ID!, $after: String) { node(id: $id) { ... on Projection {
            points(first: 15, after: $after) { edges { node { ordinal x y } } pageInfo { hasNextPage endCursor } } } } }`,
        { id: p.id, after },
      );
      seen.push(...page.node.points.edges.map((e) => e.node));
      if (!page.node.points.pageInfo.hasNextPage) break;
      after = page.node.points.pageInfo.endCursor;
    }
    assert.equal(seen.length, N);
    seen.forEach((point, i) => {
      assert.equal(point.ordinal, i);
      assert.equal(point.x, xy[2 * i]);
      assert.equal(point.y, xy[2 * i + 1]);
    });

    // Colour values: the per-sample response length, aligned with the points.
    const values = new Float32Array((await binary(`${p.valuesUrl}?metric=complexity.length`)).bytes);
    const rows = rowsOf<{ ordinal: number; value: number }>(
      await server.database.db.execute(sql`select s.ordinal, ss.value from sample_scores ss
        join samples s on s.id = ss.sample_id join metric_results r on r.id = ss.result_id
        join metric_definitions d on d.id = r.definition_id
        where s.version_id = ${versionNumber} and d.key = 'complexity.length' order by s.ordinal`),
    );
    assert.equal(rows.length, N);
    assert.deepEqual(
      Array.from(values),
      rows.map((r) => Math.fround(r.value)),
    );

    // The samples behind selected points, in the order asked.
    const at = await server.ok(
      `query ($v: ID!) { node(id: $v) { ... on DatasetVersion { samplesAt(ordinals: [7, 2, 99]) { ordinal prompt } } } }`,
      { v: versionId },
    );
    assert.deepEqual(
      at.node.samplesAt.map((s: { ordinal: number } | null) => s?.ordinal ?? null),
      [7, 2, null],
    );
    assert.match(at.node.samplesAt[0].prompt, /\(7\)$/);
  });

  it('UMAP: the same seed gives the same map; a fit subsample places the rest with transform', async () => {
    const params = { neighbors: 8, epochs: 60, seed: 11 };
    const a = await project('UMAP', params);
    const b = await project('UMAP', params);
    assert.equal(a.status, 'COMPLETE');
    assert.equal(a.seed, 11);
    assert.match(a.library, /^umap-js@\d+\.\d+\.\d+$/);
    assert.deepEqual(a.params, {
      neighbors: 8,
      minDist: 0.1,
      epochs: 60,
      fitSize: 10000,
      seed: 11,
      distance: 'euclidean',
      init: 'random',
    });
    assert.equal(a.details.fitted, N);
    const xa = (await binary(a.coordinatesUrl)).bytes;
    const xb = (await binary(b.coordinatesUrl)).bytes;
    assert.deepEqual(new Uint8Array(xa), new Uint8Array(xb));
    assert.equal(a.explainedVariance, null);

    const sub = await project('UMAP', { ...params, fitSize: 15 });
    assert.equal(sub.details.fitted, 15);
    assert.equal(sub.details.transformed, N - 15);
    const xs = new Float32Array((await binary(sub.coordinatesUrl)).bytes);
    assert.equal(xs.length, 2 * N);
    assert.ok(xs.every(Number.isFinite));
    const again = await project('UMAP', { ...params, fitSize: 15 });
    assert.deepEqual(new Float32Array((await binary(again.coordinatesUrl)).bytes), xs);
  });

  it('refuses bad input with its code and queues nothing', async () => {
    const jobsBefore = rowsOf<{ n: number }>(
      await server.database.db.execute(sql`select count(*)::int as n from jobs`),
    )[0]!.n;
    const code = async (variables: Record<string, unknown>) => {
      const result = await server.gql(PROJECT, { v: versionId, m: 'UMAP', ...variables });
      assert.equal(result.data, null);
      return { code: result.errors?.[0]?.extensions?.code, message: result.errors?.[0]?.message ?? '' };
    };
    const unknown = await code({ v: toGlobalId('DatasetVersion', 999_999) });
    assert.equal(unknown.code, 'NOT_FOUND');

    await createDataset(server, 'map-bare');
    const bare = (await createVersion(server, 'map-bare', [{ prompt: 'p', response: 'r' }])).version.id;
    const noVectors = await code({ v: bare });
    assert.equal(noVectors.code, 'BAD_USER_INPUT');
    assert.match(noVectors.message, /no vectors in space/);

    const unknownSpace = await code({ s: 'nobody/nothing@v0:fp32' });
    assert.equal(unknownSpace.code, 'BAD_USER_INPUT');

    for (const [umap, argument] of [
      [{ neighbors: 1 }, 'neighbors'],
      [{ minDist: 2 }, 'minDist'],
      [{ fitSize: 5 }, 'fitSize'],
      [{ seed: -1 }, 'seed'],
      [{ epochs: 0 }, 'epochs'],
    ] as const) {
      const refused = await code({ u: umap });
      assert.equal(refused.code, 'BAD_USER_INPUT', JSON.stringify(umap));
      assert.match(refused.message, new RegExp(`umap\\.${argument}`));
    }
    const pcaWithUmap = await server.gql(PROJECT, { v: versionId, m: 'PCA', u: { neighbors: 5 } });
    assert.equal(pcaWithUmap.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const badMethod = await server.gql(PROJECT, { v: versionId, m: 'TSNE' });
    assert.equal(badMethod.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');

    const jobsAfter = rowsOf<{ n: number }>(
      await server.database.db.execute(sql`select count(*)::int as n from jobs`),
    )[0]!.n;
    assert.equal(jobsAfter, jobsBefore);

    // Binary routes: unknown projection 404, bad colour parameters 400, a write 405.
    const missing = await fetch(
      `${server.url}/v1/projections/${toGlobalId('Projection', 999_999)}/coordinates`,
    );
    assert.equal(missing.status, 404);
    assert.equal(
      ((await missing.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      'NOT_FOUND',
    );
    const list = (await server.ok(PROJECTIONS, { v: versionId })).node.projections;
    const values = list[0].valuesUrl;
    for (const query of [
      '',
      '?metric=complexity.length&overlap=self',
      '?metric=quality.nothing',
      '?overlap=self',
    ]) {
      const r = await fetch(server.url + values + query);
      assert.equal(r.status, 400, query);
      const body = (await r.json()) as { errors: { message: string; extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, 'BAD_USER_INPUT', query);
    }
    const post = await fetch(server.url + list[0].coordinatesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(post.status, 405);
  });
});
