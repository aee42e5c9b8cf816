import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type Connection, type TestServer } from './helpers/testServer.js';

type DatasetPage = { datasets: Connection<{ slug: string; name: string }> };
type VersionPages = {
  dataset: {
    versions: Connection<{ version: number; samples: Connection<{ ordinal: number; prompt: string }> }>;
  };
};

const PAGE = `query($first: Int, $after: String, $orderBy: DatasetOrder, $filter: DatasetFilter) {
  datasets(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
    totalCount edges { cursor node { slug name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

describe(`pagination (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    for (let i = 0; i < 25; i += 1) {
      await createDataset(server, `ds-${String(i).padStart(2, '0')}`, {
        name: `Name ${String((i * 7) % 25).padStart(2, '0')}`,
        task: i % 2 === 0 ? 'math' : 'code',
        tags: i % 5 === 0 ? ['gold'] : [],
        description: i === 3 ? 'Contains 100% of_the tricky chars' : null,
      });
    }
  });
  after(() => server.stop());

  async function pageThrough(orderBy: string, first: number, onPage?: (n: number) => Promise<void>) {
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 100; n += 1) {
      const data: DatasetPage = await server.ok(PAGE, { first, after, orderBy });
      seen.push(...data.datasets.edges.map((e) => e.node.slug));
      await onPage?.(n);
      if (!data.datasets.pageInfo.hasNextPage) break;
      after = data.datasets.pageInfo.endCursor;
    }
    return seen;
  }

  it('defaults to 20, newest first, with a correct pageInfo and totalCount', async () => {
    const data = await server.ok(PAGE, {});
    assert.equal(data.datasets.edges.length, 20);
    assert.equal(data.datasets.totalCount, 25);
    assert.equal(data.datasets.edges[0].node.slug, 'ds-24');
    assert.equal(data.datasets.pageInfo.hasNextPage, true);
    assert.equal(data.datasets.pageInfo.hasPreviousPage, false);
    assert.equal(data.datasets.pageInfo.startCursor, data.datasets.edges[0].cursor);
    assert.equal(data.datasets.pageInfo.endCursor, data.datasets.edges[19].cursor);
  });

  it('never skips or repeats a row across pages while rows are inserted', async () => {
    for (const orderBy of ['CREATED_AT_DESC', 'CREATED_AT_ASC', 'NAME_ASC']) {
      const before = (await server.ok<DatasetPage>(PAGE, { first: 100, orderBy })).datasets.edges.map(
        (e) => e.node.slug,
      );
      let inserted = 0;
      const paged = await pageThrough(orderBy, 4, async () => {
        inserted += 1;
        // Names sort into the middle of NAME_ASC, ids land at the ends of the creation orders.
        await createDataset(server, `new-${orderBy.toLowerCase().replace(/_/g, '-')}-${inserted}`, {
          name: `Name 12-${inserted}`,
        });
      });
      assert.equal(new Set(paged).size, paged.length, `${orderBy}: a row was repeated`);
      for (const slug of before) assert.ok(paged.includes(slug), `${orderBy}: ${slug} was skipped`);
      const positions = before.map((slug: string) => paged.indexOf(slug));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
        `${orderBy}: order changed`,
      );
    }
  });

  it('orders by name with ties broken by id', async () => {
    const slugs = await pageThrough('NAME_ASC', 7);
    const data = await server.ok<DatasetPage>(PAGE, { first: 100, orderBy: 'NAME_ASC' });
    const names = data.datasets.edges.map((e) => e.node.name);
    assert.deepEqual(
      names,
      [...names].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.deepEqual(
      slugs,
      data.datasets.edges.map((e) => e.node.slug),
    );
  });

  it('filters by task, tag and text (wildcards in text are literal)', async () => {
    const math = await server.ok<DatasetPage>(PAGE, { first: 100, filter: { task: 'math' } });
    assert.equal(math.datasets.totalCount, 13);
    assert.ok(math.datasets.edges.every((e) => Number(e.node.slug.slice(3)) % 2 === 0));
    const gold = await server.ok<DatasetPage>(PAGE, { first: 100, filter: { tag: 'gold', task: 'code' } });
    assert.deepEqual(gold.datasets.edges.map((e) => e.node.slug).sort(), ['ds-05', 'ds-15']);
    const text = await server.ok<DatasetPage>(PAGE, { first: 100, filter: { text: '100% OF_the' } });
    assert.deepEqual(
      text.datasets.edges.map((e) => e.node.slug),
      ['ds-03'],
    );
    const noMatch = await server.ok(PAGE, { first: 100, filter: { text: '100%%' } });
    assert.equal(noMatch.datasets.totalCount, 0);
  });

  it('pages through versions and samples', async () => {
    await createDataset(server, 'paged');
    for (let v = 0; v < 5; v += 1) {
      await createVersion(
        server,
        'paged',
        Array.from({ length: 7 }, (_, i) => ({ prompt: `v${v} s${i}` })),
      );
    }
    const q = `query($after: String, $sAfter: String) { dataset(slug: "paged") {
      versions(first: 2, after: $after) { edges { node { version samples(first: 3, after: $sAfter) {
        edges { node { ordinal prompt } } pageInfo { hasNextPage endCursor } } } } pageInfo { hasNextPage endCursor } } } }`;
    const versions: number[] = [];
    let after: string | null = null;
    for (;;) {
      const data: VersionPages = await server.ok(q, { after });
      versions.push(...data.dataset.versions.edges.map((e) => e.node.version));
      if (!data.dataset.versions.pageInfo.hasNextPage) break;
      after = data.dataset.versions.pageInfo.endCursor;
    }
    assert.deepEqual(versions, [5, 4, 3, 2, 1]);

    const ordinals: number[] = [];
    let sAfter: string | null = null;
    for (;;) {
      const data: VersionPages = await server.ok(q, { sAfter });
      const samples = data.dataset.versions.edges[0]!.node.samples;
      ordinals.push(...samples.edges.map((e) => e.node.ordinal));
      if (!samples.pageInfo.hasNextPage) break;
      sAfter = samples.pageInfo.endCursor;
    }
    assert.deepEqual(ordinals, [0, 1, 2, 3, 4, 5, 6]);
  });

  it('returns an empty page for first: 0 and rejects cursors from another list', async () => {
    const empty = await server.ok(PAGE, { first: 0 });
    assert.deepEqual(empty.datasets.edges, []);
    assert.equal(empty.datasets.pageInfo.endCursor, null);
    const byName = await server.ok(PAGE, { first: 1, orderBy: 'NAME_ASC' });
    const wrong = await server.gql(PAGE, {
      first: 1,
      orderBy: 'CREATED_AT_DESC',
      after: byName.datasets.pageInfo.endCursor,
    });
    assert.equal(wrong.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});
