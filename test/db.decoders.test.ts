import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asc, getTableColumns } from 'drizzle-orm';
import { registerDataset } from '../src/catalog/datasets.js';
import { recordGenerationRun } from '../src/catalog/lineage.js';
import { createVersion } from '../src/catalog/versions.js';
import type { Database } from '../src/db/connect.js';
import {
  algorithms,
  components,
  datasets,
  datasetVersions,
  generationRuns,
  runInputs,
  samples,
} from '../src/db/schema.js';
import { preparedSelect } from '../src/db/preparedSelect.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';

// preparedSelect decodes rows with src/db/decoders.ts; the same values as drizzle's own mapping.
describe(`the row decoders decode like drizzle (${testBackend})`, () => {
  let database: Database;

  before(async () => {
    database = await openTestDatabase();
    const { db } = database;
    // Nulls, arrays, jsonb, timestamps, bigints, enums and numbers in every table read below.
    await registerDataset(db, { slug: 'plain', name: 'Plain' });
    await registerDataset(db, {
      slug: 'full',
      name: 'Full',
      description: 'with "quotes" and ünïcode',
      task: 'math',
      domain: 'arithmetic',
      license: 'MIT',
      tags: ['a', 'b c'],
      card: { nested: { list: [1, 2.5, null], flag: true } },
    });
    const v1 = await createVersion(database, 'full', [
      { prompt: 'p1', response: 'r1', reference: 'x', metadata: { k: 1 } },
      {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'ho' },
        ],
      },
    ]);
    const v2 = await createVersion(database, 'plain', [{ prompt: 'q', response: 'a' }]);
    await recordGenerationRun(db, {
      outputVersionId: v2.version.id,
      inputs: [{ versionId: v1.version.id, role: 'SEED', ref: String(v1.version.id) }],
      algorithmKey: 'self-instruct',
      generatorModel: 'gpt-4-0613',
      params: { temperature: 0.7, stop: ['\n'] },
    });
  });
  after(() => database.close());

  for (const [name, table, order] of [
    ['datasets', datasets, datasets.id],
    ['dataset_versions', datasetVersions, datasetVersions.id],
    ['samples', samples, samples.id],
    ['generation_runs', generationRuns, generationRuns.id],
    ['run_inputs', runInputs, runInputs.inputVersionId],
    ['algorithms', algorithms, algorithms.id],
    ['components', components, components.id],
  ] as const) {
    it(`gives the same rows as db.select() for ${name}`, async () => {
      const { db } = database;
      const expected = await db.select().from(table).orderBy(asc(order));
      const statement = preparedSelect(getTableColumns(table), (select) =>
        select.from(table).orderBy(asc(order)),
      );
      const actual = await statement.all(db, {});
      assert.ok(expected.length > 0, `${name} has rows to compare`);
      assert.deepStrictEqual(actual, expected);
    });
  }
});
