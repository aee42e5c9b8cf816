import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import {
  datasetCursorKind,
  findDatasetsByIds,
  listDatasets,
  registerDataset,
} from '../src/catalog/datasets.js';
import { decodeCursor, type PageRequest } from '../src/catalog/pagination.js';
import {
  findRunsBy,
  inputsOfRuns,
  neighboursOfVersions,
  recordGenerationRun,
} from '../src/catalog/lineage.js';
import { findAlgorithmsBy } from '../src/catalog/taxonomy/taxonomy.js';
import { createVersion, findVersionsByIds, listVersionsOfDatasets } from '../src/catalog/versions.js';
import type { Database } from '../src/db/connect.js';
import { preparedSelect } from '../src/db/preparedSelect.js';
import {
  algorithms,
  datasets,
  datasetVersions,
  generationRuns,
  runInputs,
  type DatasetRow,
  type VersionRow,
} from '../src/db/schema.js';
import { anyOf } from '../src/db/sqlHelpers.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';

/** Rows in a fixed order, so results from different queries compare with deepStrictEqual. */
const byId = <T extends { id: number }>(rows: T[]) => [...rows].sort((a, b) => a.id - b.id);

describe(`prepared selects of the loaders (${testBackend})`, () => {
  let database: Database;
  const ids: { datasets: number[]; versions: number[][]; runs: number[] } = {
    datasets: [],
    versions: [],
    runs: [],
  };

  before(async () => {
    database = await openTestDatabase();
    const { db } = database;
    // Dataset 0 has 5 versions, dataset 1 has 2, dataset 2 none; runs link them across datasets.
    const counts = [5, 2, 0];
    for (const [d, count] of counts.entries()) {
      const dataset = await registerDataset(db, {
        slug: `d${d}`,
        name: `D${d}`,
        tags: d === 0 ? ['x', 'y z'] : [],
        card: d === 1 ? { k: [1, null, 'ü'] } : undefined,
      });
      ids.datasets.push(dataset.id);
      const versions: number[] = [];
      for (let v = 0; v < count; v++)
        versions.push((await createVersion(database, `d${d}`, [{ prompt: `d${d} v${v}` }])).version.id);
      ids.versions.push(versions);
    }
    const [a, b] = ids.versions as [number[], number[]];
    const runs = [
      { output: a[1]!, inputs: [{ versionId: a[0]!, role: 'SOURCE' as const }] },
      {
        output: a[2]!,
        inputs: [
          { versionId: a[1]!, role: 'SOURCE' as const },
          { versionId: b[0]!, role: 'SEED' as const },
        ],
      },
      {
        output: b[1]!,
        inputs: [
          { versionId: a[0]!, role: 'SEED' as const },
          { versionId: b[0]!, role: 'SOURCE' as const },
        ],
      },
    ];
    for (const run of runs) {
      const row = await recordGenerationRun(db, {
        outputVersionId: run.output,
        inputs: run.inputs.map((i) => ({ ...i, ref: String(i.versionId) })),
        algorithmKey: 'self-instruct',
        generatorModel: 'gpt-4-0613',
        params: { temperature: 0.7 },
      });
      ids.runs.push(row.id);
    }
  });
  after(() => database.close());

  it('finds datasets, versions and runs by id like a plain drizzle select', async () => {
    const { db } = database;
    const allVersions = ids.versions.flat();
    assert.deepStrictEqual(
      byId(await findDatasetsByIds(db, ids.datasets)),
      await db.select().from(datasets).orderBy(asc(datasets.id)),
    );
    assert.deepStrictEqual(
      byId(await findVersionsByIds(db, allVersions)),
      await db.select().from(datasetVersions).orderBy(asc(datasetVersions.id)),
    );
    assert.deepStrictEqual(
      byId(await findRunsBy(db, 'id', ids.runs)),
      await db.select().from(generationRuns).orderBy(asc(generationRuns.id)),
    );
    const byOutput = await findRunsBy(db, 'outputVersionId', [ids.versions[1]![1]!, ids.versions[0]![0]!]);
    assert.deepStrictEqual(
      byOutput.map((r) => r.id),
      [ids.runs[2]],
      'only the version with a run has one',
    );
    // Ids that match nothing, and the empty list (no statement at all).
    assert.deepStrictEqual(await findVersionsByIds(db, [999_999, Number.MAX_SAFE_INTEGER]), []);
    assert.equal((await findVersionsByIds(db, [-1, ids.versions[0]![0]!, 2 ** 40])).length, 1);
    const before = database.statements.count;
    assert.deepStrictEqual(await findVersionsByIds(db, []), []);
    assert.equal(database.statements.count, before);
  });

  it('finds run inputs in (run, input, role) order and algorithms by id or key', async () => {
    const { db } = database;
    const expectedInputs = await db
      .select()
      .from(runInputs)
      .orderBy(asc(runInputs.runId), asc(runInputs.inputVersionId), asc(runInputs.role));
    assert.deepStrictEqual(await inputsOfRuns(db, [...ids.runs].reverse()), expectedInputs);
    const [selfInstruct] = await findAlgorithmsBy(db, 'key', ['self-instruct', 'no-such-key']);
    assert.ok(selfInstruct);
    const [expected] = await db
      .select()
      .from(algorithms)
      .where(sql`${algorithms.key} = 'self-instruct'`);
    assert.deepStrictEqual(selfInstruct, expected);
    assert.deepStrictEqual(await findAlgorithmsBy(db, 'id', [selfInstruct.id]), [expected]);
  });

  it('gives parents and children as the runs and their inputs say', async () => {
    const { db } = database;
    const runs = await db.select().from(generationRuns);
    const inputs = await db.select().from(runInputs);
    const allVersions = ids.versions.flat();
    type Link = Awaited<ReturnType<typeof neighboursOfVersions>>[number];
    const byRunThenNeighbour = (x: Link, y: Link) =>
      x.runId - y.runId || x.neighbourVersionId - y.neighbourVersionId || x.versionId - y.versionId;
    const naive = (upstream: boolean) =>
      inputs
        .map((input) => {
          const run = runs.find((r) => r.id === input.runId)!;
          return upstream
            ? {
                versionId: run.outputVersionId,
                neighbourVersionId: input.inputVersionId,
                role: input.role,
                runId: run.id,
              }
            : {
                versionId: input.inputVersionId,
                neighbourVersionId: run.outputVersionId,
                role: input.role,
                runId: run.id,
              };
        })
        .sort(byRunThenNeighbour);
    const sorted = (rows: Link[]) => [...rows].sort(byRunThenNeighbour);
    assert.deepStrictEqual(sorted(await neighboursOfVersions(db, allVersions, 'UPSTREAM')), naive(true));
    assert.deepStrictEqual(sorted(await neighboursOfVersions(db, allVersions, 'DOWNSTREAM')), naive(false));
    assert.equal(naive(true).length, 5);
  });

  it("pages each dataset's versions, highest first, before and after a cursor", async () => {
    const { db } = database;
    const all = await db.select().from(datasetVersions);
    const naivePage = (datasetId: number, first: number, below: number | null) => {
      const list = all
        .filter((v) => v.datasetId === datasetId && (below === null || v.version < below))
        .sort((x, y) => y.version - x.version);
      return { items: list.slice(0, first), hasNextPage: list.length > first };
    };
    const order = [ids.datasets[2]!, ids.datasets[0]!, ids.datasets[1]!];
    for (const first of [0, 1, 2, 5, 10]) {
      const pages = await listVersionsOfDatasets(db, order, { first, after: null });
      assert.deepStrictEqual([...pages.keys()], order);
      for (const id of order) {
        const page = pages.get(id)!;
        assert.deepStrictEqual(
          { items: page.items, hasNextPage: page.hasNextPage },
          naivePage(id, first, null),
          `first ${first}`,
        );
      }
    }
    // Walk dataset 0 two at a time through its cursors: 5, 4 | 3, 2 | 1.
    const seen: VersionRow[] = [];
    let after: (string | number)[] | null = null;
    for (let guard = 0; guard < 5; guard++) {
      const pages: Awaited<ReturnType<typeof listVersionsOfDatasets>> = await listVersionsOfDatasets(
        db,
        [ids.datasets[0]!],
        { first: 2, after },
      );
      const page = pages.get(ids.datasets[0]!)!;
      const below: number | null = after === null ? null : (after[0] as number);
      assert.deepStrictEqual(
        { items: page.items, hasNextPage: page.hasNextPage },
        naivePage(ids.datasets[0]!, 2, below),
      );
      seen.push(...page.items);
      if (!page.hasNextPage) break;
      after = [page.items[page.items.length - 1]!.version];
    }
    assert.deepStrictEqual(
      seen.map((v) => v.version),
      [5, 4, 3, 2, 1],
    );
  });

  it('lists datasets unfiltered in each order, page by page, as the filtered (built) query and a plain sort do', async () => {
    const { db } = database;
    // Created last but first by name, so that no two orders agree.
    const extra = await registerDataset(db, { slug: 'named-first', name: 'D-a' });
    const all = await db.select().from(datasets);
    const orders = {
      CREATED_AT_DESC: [...all].sort((a, b) => b.id - a.id),
      CREATED_AT_ASC: [...all].sort((a, b) => a.id - b.id),
      NAME_ASC: [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id)),
    } as const;
    for (const [orderBy, expected] of Object.entries(orders) as [keyof typeof orders, DatasetRow[]][]) {
      for (const first of [1, 2, 5]) {
        // Every dataset here is named D<n>, so the text filter matches all of them and takes the built path.
        for (const filter of [null, { text: 'D' }]) {
          const seen: DatasetRow[] = [];
          let after: PageRequest['after'] = null;
          for (let pages = 0; pages < 10; pages++) {
            const page = await listDatasets(db, { orderBy, filter, page: { first, after } });
            seen.push(...page.items);
            if (!page.hasNextPage) break;
            after = decodeCursor(
              datasetCursorKind(orderBy),
              page.cursorOf(page.items[page.items.length - 1]!),
            );
          }
          assert.deepStrictEqual(
            seen,
            expected,
            `${orderBy}, first ${first}, filter ${JSON.stringify(filter)}`,
          );
        }
      }
    }
    await db.delete(datasets).where(eq(datasets.id, extra.id));
  });

  it('sends one counted statement per call, the same text every time', async () => {
    const { db } = database;
    const texts: string[] = [];
    database.statements.listener = (text) => texts.push(text);
    try {
      await findVersionsByIds(db, [ids.versions[0]![0]!]);
      await findVersionsByIds(db, ids.versions.flat());
      await listVersionsOfDatasets(db, ids.datasets, { first: 3, after: null });
      await listVersionsOfDatasets(db, ids.datasets, { first: 1, after: [4] });
    } finally {
      database.statements.listener = undefined;
    }
    assert.equal(texts.length, 4);
    assert.equal(texts[0], texts[1]);
    assert.notEqual(texts[2], texts[3], 'the page after a cursor is its own statement');
  });

  it('reads inside a transaction, where uncommitted rows are visible', async () => {
    const { db } = database;
    const marker = 'written in the transaction';
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx
          .update(datasets)
          .set({ description: marker })
          .where(sql`${datasets.id} = ${ids.datasets[2]!}`);
        const [inside] = await findDatasetsByIds(tx, [ids.datasets[2]!]);
        assert.equal(inside?.description, marker);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    const [outside] = await findDatasetsByIds(db, [ids.datasets[2]!]);
    assert.equal(outside?.description, null);
  });

  it('gives every one of 20 concurrent calls the same rows', async () => {
    const { db } = database;
    const expected = byId(await findVersionsByIds(db, ids.versions.flat()));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => findVersionsByIds(db, ids.versions.flat())),
    );
    for (const result of results) assert.deepStrictEqual(byId(result), expected);
  });

  it('decodes computed fields with their mapWith and refuses a call that leaves a placeholder empty', async () => {
    const { db } = database;
    const statement = preparedSelect(
      { id: getTableColumns(datasets).id, slugLength: sql<number>`length(${datasets.slug})`.mapWith(Number) },
      (select) =>
        select
          .from(datasets)
          .where(anyOf(datasets.id, sql.placeholder('ids'), 'bigint'))
          .orderBy(asc(datasets.id)),
    );
    assert.deepStrictEqual(await statement.all(db, { ids: ids.datasets.slice(0, 2) }), [
      { id: ids.datasets[0], slugLength: 2 },
      { id: ids.datasets[1], slugLength: 2 },
    ]);
    await assert.rejects(statement.all(db, {}), /No value for placeholder "ids"/);
  });
});
