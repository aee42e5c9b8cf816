/**
 * A small catalog for the interchange tests: a seed set, a set generated from it with Self-Instruct
 * (run recorded), the complexity.length metric computed on the generated set and pushed judge
 * scores. Values worked out by hand: see GENERATED_* below.
 */
import { fromGlobalId } from '../../src/globalId.js';
import { runJob } from './jobs.js';
import type { TestServer } from './testServer.js';

export const SEED = [
  { prompt: 'Give three tips for staying healthy.', response: 'Eat vegetables, sleep well, exercise.' },
  { prompt: 'What is 17 * 3?', response: '17 * 3 = 51' },
];
export const GENERATED = [
  { prompt: 'List two uses of a paperclip.', response: 'Holding papers; resetting a router.' },
  { prompt: 'What is 12 + 30?', response: '42', reference: '42' },
  { prompt: 'Say hi', response: 'Hi there', metadata: { source: 'hand-written' } },
];
/** Whitespace tokens of the responses: 5, 1 and 2. */
export const GENERATED_RESPONSE_LENGTH = 8 / 3;
export const JUDGE = [0.25, 0.5, 0.9];
export const JUDGE_MEAN = (0.25 + 0.5 + 0.9) / 3;

export interface Fixture {
  seedId: string;
  genId: string;
  runId: string;
}

export async function buildFixture(server: TestServer): Promise<Fixture> {
  const dataset = 'mutation($in: CreateDatasetInput!) { createDataset(input: $in) { id } }';
  const version = 'mutation($in: CreateVersionInput!) { createVersion(input: $in) { version { id } } }';
  await server.ok(dataset, { in: { slug: 'seed-tasks', name: 'Seed tasks', license: 'Apache-2.0' } });
  await server.ok(dataset, {
    in: {
      slug: 'gen',
      name: 'Generated tasks',
      description: 'Tasks generated with Self-Instruct.',
      license: 'MIT',
      task: 'instruction-following',
      tags: ['synthetic'],
    },
  });
  const seedId = (await server.ok(version, { in: { dataset: 'seed-tasks', samples: SEED } })).createVersion
    .version.id;
  const genId = (await server.ok(version, { in: { dataset: 'gen', samples: GENERATED } })).createVersion
    .version.id;
  const run = await server.ok(
    'mutation($in: RecordGenerationRunInput!) { recordGenerationRun(input: $in) { id } }',
    {
      in: {
        output: genId,
        inputs: [{ version: seedId, role: 'SEED' }],
        algorithm: 'self-instruct',
        generatorModel: 'gpt-4-0613',
        params: { temperature: 0.7, top_p: 0.9 },
        startedAt: '2026-01-02T03:04:05.000Z',
        finishedAt: '2026-01-02T04:00:00.000Z',
      },
    },
  );
  const job = await server.ok(
    'mutation($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id } }',
    {
      v: genId,
    },
  );
  await runJob(server.database, Number(fromGlobalId(job.computeMetrics.id).id), server.embedders);
  const pushed = await fetch(`${server.url}/v1/versions/${genId}/scores?scorer=judge&model=judge-7b`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: JUDGE.map((value, ordinal) => JSON.stringify({ ordinal, value })).join('\n'),
  });
  if (!pushed.ok) throw new Error(`pushing scores failed: ${await pushed.text()}`);
  return { seedId, genId, runId: run.recordGenerationRun.id };
}
