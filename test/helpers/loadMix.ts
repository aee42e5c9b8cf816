/**
 * A mixed workload of concurrent clients against a running server (bench/load and
 * test/load.mix.test.ts): dataset lists, lineage walks and searches, small createVersion calls,
 * bulk ingests and metric jobs, each write with content of its own whose content hash the client
 * computes itself; afterwards every acknowledged version is read back and compared.
 */
import { performance } from 'node:perf_hooks';
import { sampleCanonicalJson, sha256Hex, VersionHasher } from '../../src/catalog/contentHash.js';
import { mulberry32 } from '../../src/mulberry32.js';

/** Operation mix: relative weights. */
export const MIX = {
  list: 30,
  lineage: 20,
  search: 20,
  createVersion: 15,
  ingest: 5,
  computeMetrics: 10,
} as const;
export type Op = keyof typeof MIX;
export const OPS = Object.keys(MIX) as Op[];

interface PlainSample {
  prompt: string;
  response: string;
}

interface Expected {
  id: string;
  count: number;
  hash: string;
}

export interface MixOptions {
  clients: number;
  /** Rows per bulk ingest and per createVersion call. */
  ingestRows?: number;
  createRows?: number;
  /** A client stops when this returns true (before each operation; `done` = its operations so far). */
  stop(done: number): boolean;
}

export interface MixVerdict {
  acknowledged: number;
  stored: number;
  mismatched: number;
  jobStates: Record<string, number>;
}

export class LoadMix {
  readonly latencies = new Map<Op, number[]>(OPS.map((op) => [op, []]));
  readonly errors: { op: Op; message: string }[] = [];
  private readonly written: Expected[] = [];
  private readonly jobs: string[] = [];
  private chain: string[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
    return body.data!;
  }

  /** A six-version filter chain with lineage, its first version embedded, and a dataset per client. */
  async setup(clients: number): Promise<void> {
    const random = mulberry32(7);
    await this.gql(`mutation { createDataset(input: { slug: "seed", name: "seed" }) { id } }`);
    const seedSamples = samplesFor('seed', 300, random);
    this.chain = [await this.createVersion('seed', seedSamples)];
    this.written.push({ id: this.chain[0]!, count: seedSamples.length, hash: expectedHash(seedSamples) });
    for (let step = 1; step <= 5; step += 1) {
      const kept = seedSamples.slice(0, 300 - step * 40);
      const id = await this.createVersion('seed', kept);
      this.written.push({ id, count: kept.length, hash: expectedHash(kept) });
      await this.gql(
        `mutation ($out: ID!, $in: ID!) { recordGenerationRun(input: { output: $out, inputs: [{ version: $in, role: FILTERED_FROM }], params: { step: ${step} } }) { id } }`,
        { out: id, in: this.chain.at(-1) },
      );
      this.chain.push(id);
    }
    const embed = await this.gql<{ embedVersion: { id: string } }>(
      `mutation ($v: ID!) { embedVersion(version: $v) { id } }`,
      { v: this.chain[0] },
    );
    await this.waitForJobs([embed.embedVersion.id]);
    for (let c = 0; c < clients; c += 1) {
      await this.gql(
        `mutation ($slug: String!) { createDataset(input: { slug: $slug, name: $slug }) { id } }`,
        {
          slug: `client-${c}`,
        },
      );
    }
  }

  /** Runs the clients until each one's `stop` says so; failures are collected, not thrown. */
  async run(options: MixOptions): Promise<void> {
    const totalWeight = OPS.reduce((sum, op) => sum + MIX[op], 0);
    const client = async (c: number) => {
      const rng = mulberry32(1000 + c);
      for (let done = 0; !options.stop(done); done += 1) {
        let pick = rng() * totalWeight;
        const op = OPS.find((o) => (pick -= MIX[o]) < 0) ?? 'list';
        const started = performance.now();
        try {
          await this.perform(op, c, done, rng, options);
          this.latencies.get(op)!.push(performance.now() - started);
        } catch (error) {
          this.errors.push({ op, message: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: options.clients }, (_, c) => client(c)));
  }

  private async perform(op: Op, c: number, n: number, rng: () => number, options: MixOptions): Promise<void> {
    const someVersion = () => this.chain[Math.floor(rng() * this.chain.length)];
    if (op === 'list') {
      await this.gql(
        `{ datasets(first: 20) { totalCount edges { node { slug versions(first: 5) { edges { node { id sampleCount contentHash } } } } } } }`,
      );
    } else if (op === 'lineage') {
      await this.gql(
        `query ($v: ID!) { lineage(input: { version: $v, depth: 5 }) { isPartial nodes { degree version { id } } edges { role } } }`,
        { v: someVersion() },
      );
    } else if (op === 'search') {
      await this.gql(
        `query ($q: String!) { searchSamples(query: $q, k: 10) { hits { distance sample { id ordinal } } } }`,
        {
          q: `question ${Math.floor(rng() * 300)} plus`,
        },
      );
    } else if (op === 'createVersion' || op === 'ingest') {
      const rows = op === 'ingest' ? (options.ingestRows ?? 2000) : (options.createRows ?? 20);
      const samples = samplesFor(`client ${c} write ${n}`, rows, rng);
      const id =
        op === 'ingest'
          ? await this.ingest(`client-${c}`, samples)
          : await this.createVersion(`client-${c}`, samples);
      this.written.push({ id, count: rows, hash: expectedHash(samples) });
    } else {
      const data = await this.gql<{ computeMetrics: { id: string } }>(
        `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length", "diversity.distinct_n"]) { id } }`,
        { v: someVersion() },
      );
      this.jobs.push(data.computeMetrics.id);
    }
  }

  /** Waits for the queued jobs, then checks every acknowledged version and that no other exists. */
  async verify(): Promise<MixVerdict> {
    const jobStates = await this.waitForJobs(this.jobs);
    let mismatched = 0;
    for (const expected of this.written) {
      const { node } = await this.gql<{ node: { sampleCount: number; contentHash: string } | null }>(
        `query ($id: ID!) { node(id: $id) { ... on DatasetVersion { sampleCount contentHash } } }`,
        { id: expected.id },
      );
      if (!node || node.sampleCount !== expected.count || node.contentHash !== expected.hash) mismatched += 1;
    }
    // Version numbers are taken in the publishing transaction, so a dataset's latest number is how
    // many versions it holds.
    const { datasets } = await this.gql<{
      datasets: { edges: { node: { latestVersion: { version: number } | null } }[] };
    }>(`{ datasets(first: 100) { edges { node { latestVersion { version } } } } }`);
    const stored = datasets.edges.reduce((sum, e) => sum + (e.node.latestVersion?.version ?? 0), 0);
    return { acknowledged: this.written.length, stored, mismatched, jobStates };
  }

  private async createVersion(dataset: string, samples: PlainSample[]): Promise<string> {
    const data = await this.gql<{ createVersion: { version: { id: string } } }>(
      `mutation ($input: CreateVersionInput!) { createVersion(input: $input) { version { id } } }`,
      { input: { dataset, samples } },
    );
    return data.createVersion.version.id;
  }

  private async ingest(dataset: string, samples: PlainSample[]): Promise<string> {
    const response = await fetch(`${this.baseUrl}/v1/datasets/${dataset}/versions?format=prompt_response`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...this.headers },
      body: samples.map((s) => JSON.stringify(s)).join('\n'),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    return (JSON.parse(text) as { version: { id: string } }).version.id;
  }

  private async waitForJobs(ids: string[]): Promise<Record<string, number>> {
    const states: Record<string, number> = {};
    for (const id of ids) {
      for (;;) {
        const { job } = await this.gql<{ job: { status: string } }>(
          `query ($id: ID!) { job(id: $id) { status } }`,
          {
            id,
          },
        );
        if (!['QUEUED', 'RUNNING'].includes(job.status)) {
          states[job.status] = (states[job.status] ?? 0) + 1;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return states;
  }
}

function samplesFor(tag: string, n: number, random: () => number): PlainSample[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `${tag} question ${i}: what is ${Math.floor(random() * 1000)} plus ${Math.floor(random() * 1000)}?`,
    response: `answer ${i} of ${tag}: ${random().toString(36).slice(2, 12)}`,
  }));
}

/** The version hash from the samples as sent: the definition, not the server's code path. */
function expectedHash(samples: PlainSample[]): string {
  const hasher = new VersionHasher();
  for (const s of samples) {
    hasher.add(sha256Hex(sampleCanonicalJson({ ...s, reference: null, messages: null, metadata: null })));
  }
  return hasher.digest();
}
