import type { TestServer } from './testServer.js';

export async function createDataset(server: TestServer, slug: string, extra: Record<string, unknown> = {}) {
  const data = await server.ok(
    `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id slug name } }`,
    { input: { slug, name: `Dataset ${slug}`, ...extra } },
  );
  return data.createDataset as { id: string; slug: string; name: string };
}

export async function createVersion(server: TestServer, dataset: string, samples: Record<string, unknown>[]) {
  const data = await server.ok(
    `mutation($input: CreateVersionInput!) {
      createVersion(input: $input) { created duplicateSamples version { id version contentHash sampleCount } }
    }`,
    { input: { dataset, samples } },
  );
  return data.createVersion as {
    created: boolean;
    duplicateSamples: number;
    version: { id: string; version: number; contentHash: string; sampleCount: number };
  };
}

/** A dataset with one version of `n` distinct samples; returns the version id. */
export async function makeVersion(server: TestServer, slug: string, n = 2, tag = slug): Promise<string> {
  await createDataset(server, slug);
  const samples = Array.from({ length: n }, (_, i) => ({
    prompt: `${tag} prompt ${i}`,
    response: `${tag} answer ${i}`,
  }));
  return (await createVersion(server, slug, samples)).version.id;
}

export async function recordRun(
  server: TestServer,
  output: string,
  inputs: { version: string; role: string }[],
  extra: Record<string, unknown> = {},
) {
  return server.gql(
    `mutation($input: RecordGenerationRunInput!) { recordGenerationRun(input: $input) { id } }`,
    { input: { output, inputs, ...extra } },
  );
}
