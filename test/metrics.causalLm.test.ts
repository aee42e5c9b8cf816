/**
 * complexity.perplexity and complexity.ifd on a tiny GPT-2-shaped causal LM the test writes itself
 * (test/helpers/tinyCausalLm.ts), run through transformers.js + onnxruntime-node, against an
 * independent computation: the same weights in a float64 numpy forward pass with the tokenizer
 * replaced by its definition and IFD transcribed from the reference code (Cherry_LLM), see
 * test/helpers/causalLmReference.py. Then the metrics end to end through GraphQL, a job and the
 * real worker, and bad input.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { EmbedderRegistry } from '../src/embeddings/registry.js';
import { toGlobalId } from '../src/globalId.js';
import { silentLogger } from '../src/logger.js';
import { ifdMetric } from '../src/metrics/complexity/ifd.js';
import { perplexityMetric } from '../src/metrics/complexity/perplexity.js';
import { resolveParams } from '../src/metrics/params.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricDefinition, MetricSample } from '../src/metrics/types.js';
import { openCatalog } from '../src/app.js';
import { qdc } from './helpers/cli.js';
import { runJob } from './helpers/jobs.js';
import { randomSamples, storeVersion, versionSamples } from './helpers/metricData.js';
import { testEmbeddingConfig } from './helpers/testEmbedders.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import {
  TINY_CAUSAL_LM_ID,
  tinyCausalLmIds,
  writeTinyCausalLm,
  type TinyCausalLmWeights,
} from './helpers/tinyCausalLm.js';

const MODEL_KEY = `${TINY_CAUSAL_LM_ID}@main:fp32`;
/** float32 onnxruntime against float64 numpy. */
const TOLERANCE = 2e-5;
/** The reference needs numpy; .ci/run installs it (python3-numpy), a bare machine may not have it. */
const WITHOUT_NUMPY =
  spawnSync('python3', ['-c', 'import numpy']).status === 0
    ? false
    : 'needs python3 with numpy for the independent reference (apt-get install python3-numpy)';

const HANDWRITTEN = [
  { prompt: 'Name a colour.', response: 'Blue.' },
  { prompt: 'Translate "thé" into English.', response: 'Tea — un thé, s’il vous plaît ☕.' },
  { prompt: 'Say nothing.', response: '' },
  { prompt: '', response: 'An answer without a question.' },
  { prompt: 'Repeat: echo echo', response: 'echo' },
  { prompt: 'Write a long answer.', response: 'word '.repeat(120).trim() },
  { prompt: 'A very long question? '.repeat(30), response: 'Short.' },
  { prompt: 'Braces {instruction} stay.', response: 'Yes {instruction} $& stays.' },
  { prompt: 'One letter.', response: 'x' },
];

function samplesOf(list: ReadonlyArray<{ prompt: string; response: string }>): MetricSample[] {
  return list.map((s, ordinal) => ({
    ordinal,
    contentHash: String(ordinal).padStart(64, '0'),
    prompt: s.prompt,
    response: s.response,
    reference: null,
  }));
}

type ReferenceValue = { value: number; details: Record<string, number> } | { skipped: string };

function referenceValues(
  weights: TinyCausalLmWeights,
  samples: readonly MetricSample[],
  runs: readonly Record<string, unknown>[],
): ReferenceValue[][] {
  const plain = {
    shape: weights.shape,
    tokenEmbeddings: [...weights.tokenEmbeddings],
    positionEmbeddings: [...weights.positionEmbeddings],
    layers: weights.layers.map((l) => ({ wq: [...l.wq], wk: [...l.wk], wv: [...l.wv], wo: [...l.wo] })),
    lmHead: [...weights.lmHead],
    lmBias: [...weights.lmBias],
  };
  const output = execFileSync('python3', [join(import.meta.dirname, 'helpers', 'causalLmReference.py')], {
    input: JSON.stringify({
      weights: plain,
      samples: samples.map((s) => ({ prompt: s.prompt, response: s.response })),
      runs,
    }),
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(output.toString('utf8')) as { runs: ReferenceValue[][] }).runs;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

function registryFor(modelDir: string, batchSize: number): EmbedderRegistry {
  return new EmbedderRegistry(
    testEmbeddingConfig({ modelDir, batchSize, languageModel: TINY_CAUSAL_LM_ID }),
    silentLogger,
  );
}

let modelDir: string;
let weights: TinyCausalLmWeights;
let registry: EmbedderRegistry;

before(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'qdc-causal-lm-'));
  weights = await writeTinyCausalLm(modelDir);
  registry = registryFor(modelDir, 4);
});
after(async () => {
  await registry.close();
  rmSync(modelDir, { recursive: true, force: true });
});

describe('the causal LM runner', { skip: WITHOUT_NUMPY }, () => {
  it('tokenizes as the generated tokenizer is defined and names the model fully', async () => {
    const model = await registry.languageModel('');
    assert.equal(model.key, MODEL_KEY);
    assert.equal(model.vocabSize, 257);
    for (const text of ['', 'hello', 'Tea — thé ☕\n\n### Response:'])
      assert.deepEqual(model.encode(text), tinyCausalLmIds(text));
    assert.equal(await registry.languageModel(TINY_CAUSAL_LM_ID), model, 'the same loaded model');
  });

  it('gives every sequence the same losses whatever the batch and its padding', async () => {
    const model = await registry.languageModel('');
    const single = registryFor(modelDir, 1);
    try {
      const alone = await single.languageModel('');
      const texts = ['a', 'ab', 'the quick brown fox', '', 'x'.repeat(90), 'hello world'];
      const sequences = texts.map(tinyCausalLmIds);
      const batched = await model.tokenLosses(sequences);
      const oneByOne = await alone.tokenLosses(sequences);
      const [reference] = referenceValues(
        weights,
        samplesOf(texts.map((response) => ({ prompt: '', response }))),
        [{ kind: 'perplexity', field: 'response', max_length: 512 }],
      );
      sequences.forEach((ids, i) => {
        assert.equal(batched[i]!.length, Math.max(0, ids.length - 1));
        batched[i]!.forEach((loss, j) => assertClose(loss, oneByOne[i]![j]!, `text ${i} token ${j}`));
        const ref = reference![i]!;
        if ('value' in ref) assertClose(Math.exp(mean(batched[i]!)), ref.value, `perplexity of text ${i}`);
        else assert.ok(batched[i]!.length === 0, `text ${i} has nothing to predict`);
      });
    } finally {
      await single.close();
    }
  });
});

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

describe('perplexity and IFD against the independent computation', { skip: WITHOUT_NUMPY }, () => {
  const samples = samplesOf([
    ...HANDWRITTEN,
    ...randomSamples(24, 11).map((s, i) => ({ prompt: s.prompt, response: i % 7 === 3 ? '' : s.response })),
  ]);
  const runs: Array<{
    metric: MetricDefinition;
    given: Record<string, unknown>;
    reference: Record<string, unknown>;
  }> = [
    { metric: ifdMetric, given: {}, reference: { kind: 'ifd', template: 'alpaca', max_length: 512 } },
    {
      metric: ifdMetric,
      given: { template: 'wiz', max_length: 160 },
      reference: { kind: 'ifd', template: 'wiz', max_length: 160 },
    },
    {
      metric: ifdMetric,
      given: { max_length: 220 },
      reference: { kind: 'ifd', template: 'alpaca', max_length: 220 },
    },
    {
      metric: perplexityMetric,
      given: {},
      reference: { kind: 'perplexity', field: 'response', max_length: 512 },
    },
    {
      metric: perplexityMetric,
      given: { field: 'prompt+response', max_length: 64 },
      reference: { kind: 'perplexity', field: 'prompt+response', max_length: 64 },
    },
  ];
  let references: ReferenceValue[][];
  before(() => {
    references = referenceValues(
      weights,
      samples,
      runs.map((r) => r.reference),
    );
  });

  runs.forEach((run, index) => {
    it(`${run.metric.key} ${JSON.stringify(run.given)}: per-sample values, skips and the mean`, async () => {
      const params = resolveParams(run.metric, { ...run.given, model: MODEL_KEY });
      const { outcome, sampleValues } = await runInMemory(run.metric, params, samples, {
        batchSize: 5,
        languageModel: (name) => registry.languageModel(name),
      });
      const reference = references[index]!;
      const scored = reference.flatMap((r, ordinal) => ('value' in r ? [{ ordinal, ...r }] : []));
      assert.ok(scored.length >= 10, 'most samples are scored');
      assert.deepEqual(
        sampleValues.map((v) => v.ordinal).sort((a, b) => a - b),
        scored.map((s) => s.ordinal),
      );
      for (const expected of scored) {
        const actual = sampleValues.find((v) => v.ordinal === expected.ordinal)!;
        assertClose(actual.value, expected.value, `ordinal ${expected.ordinal}`);
        for (const [name, value] of Object.entries(expected.details)) {
          if (Number.isInteger(value) && name !== 'loss') assert.equal(actual.details![name], value, name);
          else assertClose(actual.details![name] as number, value, `ordinal ${expected.ordinal} ${name}`);
        }
      }
      const skips: Record<string, number> = {};
      for (const r of reference) if ('skipped' in r) skips[r.skipped] = (skips[r.skipped] ?? 0) + 1;
      for (const [reason, count] of Object.entries(outcome.details.skippedBy as Record<string, number>))
        assert.equal(count, skips[reason] ?? 0, `skipped as ${reason}`);
      assert.equal(outcome.details.skipped, reference.length - scored.length);
      assert.equal(outcome.n, scored.length);
      assertClose(outcome.value!, mean(scored.map((s) => s.value)), 'mean');
      assert.equal(outcome.details.model, TINY_CAUSAL_LM_ID);
      assert.equal(outcome.details.revision, 'main');
      assert.equal(outcome.details.dtype, 'fp32');
      const tokens = outcome.details.tokens as Record<string, number>;
      if (run.metric === ifdMetric) {
        const above = scored.filter((s) => s.value > 1).length;
        assert.equal(outcome.details.aboveOne, above);
        assert.equal(outcome.details.shareAboveOne, above / scored.length);
        assert.equal(
          tokens.responseConditioned,
          scored.reduce((sum, s) => sum + s.details.responseTokens!, 0),
        );
        assert.equal(
          tokens.responseAlone,
          scored.reduce((sum, s) => sum + s.details.aloneTokens!, 0),
        );
      } else {
        assert.equal(
          tokens.predicted,
          scored.reduce((sum, s) => sum + s.details.tokens! - 1, 0),
        );
      }
    });
  });

  it('the cases the definition singles out are skipped for the reasons the reference has', () => {
    const [alpaca, wiz, shortAlpaca, response, joined] = references;
    // "Say nothing." has an empty response: never scored, counted.
    assert.deepEqual(alpaca![2], { skipped: 'empty_response' });
    assert.deepEqual(response![2], { skipped: 'empty' });
    // The 30-fold question: past max_length 220 with the Alpaca template.
    assert.deepEqual(shortAlpaca![6], { skipped: 'prompt_too_long' });
    // The long answer is cut: at max_length after its instruction, and alone at max_length - instruction + 4.
    const long = shortAlpaca![5]!;
    assert.ok('value' in long && long.details.responseTokens! < 599 && long.details.aloneTokens! < 599);
    assert.ok('value' in wiz![0]! && 'value' in joined![5]!);
  });

  it('4 merged shards give the values of the whole', async () => {
    for (const metric of [ifdMetric, perplexityMetric] as MetricDefinition[]) {
      const params = resolveParams(metric, { model: MODEL_KEY });
      const options = { languageModel: (name: string) => registry.languageModel(name) };
      const whole = await runInMemory(metric, params, samples, { ...options, batchSize: 100 });
      const sharded = await runInMemory(metric, params, samples, { ...options, batchSize: 3, shards: 4 });
      assert.equal(sharded.outcome.n, whole.outcome.n);
      assertClose(sharded.outcome.value!, whole.outcome.value!, metric.key);
      assert.deepEqual(sharded.outcome.details.skippedBy, whole.outcome.details.skippedBy);
      assert.deepEqual(sharded.outcome.details.tokens, whole.outcome.details.tokens);
    }
  });
});

describe('perplexity and IFD as catalog metrics', () => {
  let server: TestServer;
  let versionId: number;

  before(async () => {
    server = await startTestServer({ embedders: registry });
    versionId = await storeVersion(server.database, 'causal-lm', [
      ...HANDWRITTEN.filter((s) => s.prompt !== ''),
      ...randomSamples(30, 5).map((s) => ({ prompt: s.prompt, response: s.response })),
    ]);
  });
  after(() => server.stop());

  const compute = (metrics: string[], params?: unknown) =>
    server.gql(
      `mutation ($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
      { v: toGlobalId('DatasetVersion', versionId), m: metrics, p: params },
    );

  it('computes both through a job with the model named in params and details, per-sample scores stored', async () => {
    const queued = await compute(['complexity.ifd', 'complexity.perplexity'], {
      'complexity.perplexity': { field: 'prompt+response' },
    });
    assert.equal(queued.errors, undefined, JSON.stringify(queued.errors));
    const jobId = Number(
      Buffer.from((queued.data as { computeMetrics: { id: string } }).computeMetrics.id, 'base64url')
        .toString('utf8')
        .split(':')[1],
    );
    const job = await runJob(server.database, jobId, registry);
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');

    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics { id metric value n status params details } } }`,
      { v: toGlobalId('DatasetVersion', versionId) },
    );
    const samples = await versionSamples(server.database, versionId);
    for (const metric of [ifdMetric, perplexityMetric] as MetricDefinition[]) {
      const stored = version.metrics.find((r: { metric: string }) => r.metric === metric.key);
      assert.equal(stored.status, 'COMPLETE');
      assert.equal(stored.params.model, MODEL_KEY, 'the default model stored by its full name');
      const params = resolveParams(metric, stored.params);
      const expected = await runInMemory(metric, params, samples, {
        languageModel: (name) => registry.languageModel(name),
      });
      assert.equal(stored.n, expected.outcome.n);
      assertClose(stored.value, expected.outcome.value!, metric.key);
      assert.equal(stored.details.model, TINY_CAUSAL_LM_ID);
      assert.equal(stored.details.dtype, 'fp32');
      assert.deepEqual(stored.details.tokens, expected.outcome.details.tokens);
      assert.deepEqual(stored.details.skippedBy, expected.outcome.details.skippedBy);
      const resultId = Number(Buffer.from(stored.id, 'base64url').toString('utf8').split(':')[1]);
      const scores = rowsOf<{ ordinal: number; value: number; details: Record<string, number> }>(
        await server.database.db.execute(
          sql`select s.ordinal, ss.value, ss.details from sample_scores ss join samples s on s.id = ss.sample_id where ss.result_id = ${resultId} order by s.ordinal`,
        ),
      );
      const emitted = [...expected.sampleValues].sort((a, b) => a.ordinal - b.ordinal);
      assert.deepEqual(
        scores.map((s) => s.ordinal),
        emitted.map((v) => v.ordinal),
      );
      scores.forEach((s, i) =>
        assertClose(Number(s.value), emitted[i]!.value, `${metric.key} #${s.ordinal}`),
      );
    }
    const ifd = version.metrics.find((r: { metric: string }) => r.metric === 'complexity.ifd');
    assert.equal(ifd.details.skippedBy.empty_response, 1, 'the empty response is counted, not scored');
  });

  it('refuses a model it cannot load, a malformed name and an out-of-range length, queueing nothing', async () => {
    const queuedBefore = await queuedJobs(server);
    const missing = await compute(['complexity.ifd'], { model: 'nobody/missing-lm' });
    assert.equal(missing.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(
      missing.errors![0]!.message,
      /could not load causal language model nobody\/missing-lm@main:fp32/,
    );
    assert.match(missing.errors![0]!.message, /QDC_MODEL_DIR/);

    const malformed = await compute(['complexity.perplexity'], { model: 'not a model name' });
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');

    const range = await compute(['complexity.perplexity'], { max_length: 1 });
    assert.equal(range.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(range.errors![0]!.message, /"max_length" must be an integer from 2 to 32768/);
    assert.equal(await queuedJobs(server), queuedBefore);
  });

  it('refuses both metrics when QDC_MODEL_DIR has no such model, queueing nothing', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'qdc-no-models-'));
    const empty = registryFor(emptyDir, 4);
    const other = await startTestServer({ database: server.database, embedders: empty });
    try {
      const queuedBefore = await queuedJobs(server);
      for (const metric of ['complexity.ifd', 'complexity.perplexity']) {
        const result = await other.gql(
          `mutation ($v: ID!, $m: [String!]) { computeMetrics(version: $v, metrics: $m) { id } }`,
          { v: toGlobalId('DatasetVersion', versionId), m: [metric] },
        );
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.ok(
          result.errors![0]!.message.includes(`QDC_MODEL_DIR=${emptyDir}`),
          result.errors![0]!.message,
        );
      }
      assert.equal(await queuedJobs(server), queuedBefore);
    } finally {
      await other.stop();
      await empty.close();
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('qdc compute with a causal LM', () => {
  const list = randomSamples(12, 21).map((s) => ({ prompt: s.prompt, response: s.response }));
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-compute-lm-'));
    const database = await openCatalog({ dataDir: join(dir, 'db') });
    await storeVersion(database, 'lm-demo', list);
    await database.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = (models: string) => ({
    QDC_MODEL_DIR: models,
    QDC_LM_MODEL: TINY_CAUSAL_LM_ID,
    QDC_ALLOW_REMOTE_MODELS: 'false',
    QDC_EMBEDDER: 'lexical',
  });

  it('computes IFD from QDC_MODEL_DIR and stores the model by name', async () => {
    const run = await qdc(
      [
        'compute',
        'lm-demo@1',
        '-m',
        'complexity.ifd',
        '--param',
        'template=wiz',
        '--data-dir',
        join(dir, 'db'),
      ],
      { env: env(modelDir) },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^complexity\.ifd\s+[\d.]+\s+12\s+EXACT\s+COMPLETE\s+/m);
    const json = await qdc(['metrics', 'lm-demo@1', '--json', '--data-dir', join(dir, 'db')]);
    const [row] = JSON.parse(json.stdout) as Array<{
      metric: string;
      value: number;
      params: Record<string, unknown>;
    }>;
    assert.equal(row!.metric, 'complexity.ifd');
    assert.deepEqual(row!.params, { model: MODEL_KEY, max_length: 512, template: 'wiz' });
    const expected = await runInMemory(ifdMetric, row!.params as never, samplesOf(list), {
      languageModel: (name) => registry.languageModel(name),
    });
    assertClose(row!.value, expected.outcome.value!, 'IFD through the CLI');
  });

  it('fails before queueing when QDC_MODEL_DIR lacks the model', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'qdc-no-lm-'));
    try {
      const run = await qdc(
        ['compute', 'lm-demo@1', '-m', 'complexity.perplexity', '--data-dir', join(dir, 'db')],
        {
          env: env(empty),
        },
      );
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /could not load causal language model qdc-test\/tiny-gpt2@main:fp32/);
      assert.doesNotMatch(run.stderr, /queued job/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

async function queuedJobs(server: TestServer): Promise<number> {
  return Number(
    rowsOf<{ n: string | number }>(await server.database.db.execute(sql`select count(*) as n from jobs`))[0]!
      .n,
  );
}
