/**
 * The catalog the browser tests look at: a 20k-sample TInt version with noise (and its clean test
 * split), a seed -> raw -> filtered -> deduplicated chain with recorded runs, computed metrics on
 * every version and embeddings of the raw version.
 */
import { idOf } from '../../src/globalId.js';
import { waitForJob } from './jobs.js';
import { createDataset, createVersion, recordRun } from './fixtures.js';
import { prng } from './prng.js';
import type { TestServer } from './testServer.js';

export interface CatalogVersion {
  id: string;
  slug: string;
  version: number;
  sampleCount: number;
}

export interface WebCatalog {
  tint: CatalogVersion;
  tintTest: CatalogVersion;
  seed: CatalogVersion;
  raw: CatalogVersion;
  filtered: CatalogVersion;
  dedup: CatalogVersion;
}

export const TINT_SAMPLES = 20_000;
export const CHAIN_METRICS = ['quality.heuristic_quality', 'diversity.distinct_n', 'complexity.length'];
export const TINT_METRICS = ['quality.tint_trace_validity', 'complexity.length', 'diversity.distinct_n'];

const TOPICS = ['sorting', 'graphs', 'probability', 'recursion', 'hashing', 'geometry', 'parsing', 'caching'];
const VERBS = ['Explain', 'Describe', 'Summarise', 'Compare', 'Illustrate', 'Prove'];
const WORDS =
  'the a an of to in for with on by from when each every node value list key step case rule'.split(' ');

function text(random: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
}

/** `n` chat samples on a few topics with responses of varied length; some too short to pass quality rules. */
function chatSamples(n: number, seed: number) {
  const random = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    const verb = VERBS[Math.floor(random() * VERBS.length)]!;
    const short = random() < 0.25;
    return {
      prompt: `${verb} ${topic} (case ${i}).`,
      response: short
        ? 'ok'
        : `${topic[0]!.toUpperCase()}${topic.slice(1)}: ${text(random, 8 + Math.floor(random() * 40))}.\n\n    code_${i} = ${i} * 2`,
    };
  });
}

async function queue(
  server: TestServer,
  mutation: string,
  variables: Record<string, unknown>,
): Promise<string> {
  const data = await server.ok(mutation, variables);
  return (Object.values(data)[0] as { id: string }).id;
}

async function finished(server: TestServer, jobIds: string[]): Promise<void> {
  for (const id of jobIds) {
    const job = await waitForJob(server.database, idOf('Job', id), 300_000);
    if (job.status !== 'SUCCEEDED') throw new Error(`job ${id} ended ${job.status}: ${job.error}`);
  }
}

const COMPUTE = `mutation ($version: ID!, $metrics: [String!]) { computeMetrics(version: $version, metrics: $metrics) { id } }`;

/** Builds the catalog; a worker must be running on the server's database. */
export async function buildWebCatalog(server: TestServer): Promise<WebCatalog> {
  const tintJob = await queue(
    server,
    `mutation ($input: TIntGenerationInput!) { generateTIntDataset(input: $input) { id } }`,
    {
      input: {
        dataset: 'tint-add',
        op: 'ADD',
        digits: { min: 1, max: 4 },
        n: TINT_SAMPLES,
        testN: 200,
        static: { doc: 0.3, char: 0.2 },
        dynamic: { doc: 0.2, p: 0.3 },
        seed: 7,
      },
    },
  );

  const version = async (
    slug: string,
    extra: Record<string, unknown>,
    samples: Record<string, unknown>[],
  ) => {
    await createDataset(server, slug, extra);
    const created = (await createVersion(server, slug, samples)).version;
    return { id: created.id, slug, version: created.version, sampleCount: created.sampleCount };
  };
  const all = chatSamples(600, 11);
  const seed = await version(
    'chat-seed',
    {
      task: 'instruction-following',
      domain: 'computer-science',
      tags: ['seed', 'human'],
      license: 'CC-BY-4.0',
    },
    all.slice(0, 24),
  );
  const raw = await version(
    'chat-raw',
    {
      task: 'instruction-following',
      domain: 'computer-science',
      tags: ['synthetic', 'raw'],
      license: 'Apache-2.0',
      description: 'Self-Instruct style questions on algorithms, generated from the seed tasks.',
      sourceUri: 'https://example.org/chat-raw',
    },
    all,
  );
  const kept = all.filter((s) => s.response !== 'ok');
  const filtered = await version(
    'chat-filtered',
    { task: 'instruction-following', domain: 'computer-science', tags: ['synthetic', 'filtered'] },
    kept,
  );
  const seen = new Set<string>();
  const unique = kept.filter((s) => {
    const topic = s.prompt.split(' ')[1]!;
    const key = `${topic}:${s.response.length % 7}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const dedup = await version(
    'chat-dedup',
    { task: 'instruction-following', domain: 'computer-science', tags: ['synthetic', 'dedup'] },
    unique,
  );
  const runs = [
    recordRun(server, raw.id, [{ version: seed.id, role: 'SEED' }], {
      algorithm: 'self-instruct',
      generatorModel: 'gpt-4-0613',
      params: { temperature: 0.7, topP: 0.95 },
    }),
    recordRun(server, filtered.id, [{ version: raw.id, role: 'FILTERED_FROM' }], {
      algorithm: 'alpagasus',
      params: { minScore: 4.5 },
    }),
    recordRun(server, dedup.id, [{ version: filtered.id, role: 'DEDUPLICATED_FROM' }], {
      params: { rougeL: 0.7 },
    }),
  ];
  for (const run of await Promise.all(runs)) {
    if (run.errors?.length) throw new Error(`recordGenerationRun: ${JSON.stringify(run.errors)}`);
  }

  await finished(server, [tintJob]);
  const tintData = await server.ok(
    `query ($id: ID!) { job(id: $id) { versions { id version sampleCount dataset { slug } } } }`,
    { id: tintJob },
  );
  const [tint, tintTest] = (
    tintData.job.versions as { id: string; version: number; sampleCount: number; dataset: { slug: string } }[]
  ).map((v) => ({ id: v.id, slug: v.dataset.slug, version: v.version, sampleCount: v.sampleCount }));

  const jobs: string[] = [];
  for (const v of [seed, raw, filtered, dedup]) {
    jobs.push(await queue(server, COMPUTE, { version: v.id, metrics: CHAIN_METRICS }));
  }
  jobs.push(await queue(server, COMPUTE, { version: tint!.id, metrics: TINT_METRICS }));
  jobs.push(await queue(server, COMPUTE, { version: tintTest!.id, metrics: TINT_METRICS }));
  jobs.push(
    await queue(server, `mutation ($version: ID!) { embedVersion(version: $version) { id } }`, {
      version: raw.id,
    }),
  );
  await finished(server, jobs);
  // Near-duplicates within the raw version: its samples repeat topics and verbs (the lexical
  // embedder puts the closest pairs at cosine ~0.7).
  await finished(server, [
    await queue(
      server,
      `mutation ($version: ID!) { findOverlap(version: $version, threshold: 0.65) { id } }`,
      {
        version: raw.id,
      },
    ),
  ]);
  return { tint: tint!, tintTest: tintTest!, seed, raw, filtered, dedup };
}
