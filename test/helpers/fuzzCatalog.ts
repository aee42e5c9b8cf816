/** A small catalog for the fuzzer to aim at: datasets, versions, a run, a job; their ids go to the pools. */
import { harvest, type FuzzPools } from './fuzz.js';

async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`seeding the fuzz catalog failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function seedFuzzCatalog(url: string, pools: FuzzPools): Promise<void> {
  const versions: string[] = [];
  for (const slug of ['fuzz-math', 'fuzz-chat']) {
    await post(url, `mutation($i: CreateDatasetInput!) { createDataset(input: $i) { id } }`, {
      i: { slug, name: `Fuzz ${slug}`, task: 'math-reasoning', tags: ['fuzz'], card: { a: 1 } },
    });
    const samples = Array.from({ length: 6 }, (_, i) => ({
      prompt: `${slug} question ${i}: what is ${i} plus ${i}?`,
      response: `Add them.\n#### ${2 * i}`,
      reference: `#### ${2 * i}`,
      metadata: { i },
    }));
    const data = (await post(
      url,
      `mutation($i: CreateVersionInput!) { createVersion(input: $i) { version { id } } }`,
      { i: { dataset: slug, samples } },
    )) as { createVersion: { version: { id: string } } };
    versions.push(data.createVersion.version.id);
  }
  await post(url, `mutation($i: RecordGenerationRunInput!) { recordGenerationRun(input: $i) { id } }`, {
    i: { output: versions[1], inputs: [{ version: versions[0], role: 'SEED' }] },
  });
  await post(
    url,
    `mutation($v: ID!) { computeMetrics(version: $v, metrics: ["diversity.distinct_n"]) { id } }`,
    {
      v: versions[0],
    },
  );
  harvest(
    pools,
    await post(
      url,
      `{ datasets(first: 10) { edges { cursor node { id slug versions { edges { cursor node { id
         samples(first: 3) { edges { cursor node { id } } } } } } } } }
       jobs(first: 5) { edges { node { id } } } components { id key }
       algorithms { id key } }`,
    ),
  );
}
