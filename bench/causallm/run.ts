/**
 * bench/causallm: tokens/s of complexity.perplexity and complexity.ifd (the metric code with the
 * project's causal-LM runner: transformers.js AutoModelForCausalLM on onnxruntime-node) versus a
 * bare onnxruntime-node session on the same ONNX file, with the same threads, the same token
 * sequences and the same batches, measured in the same run. Goal: metric >= 0.8x. It prints; it
 * never fails on timings.
 *
 *   ort     THE baseline: a bare InferenceSession (same session options), the sequences the metric
 *           sends to the model already tokenized (tokenization is not timed for it), the runner's
 *           own batching rule (length-sorted, right-padded), and the same log-softmax loss loop.
 *   metric  runInMemory(metric) over the samples: the template, tokenization, truncation and
 *           answer spans of the metric, the runner's batching and the transformers.js forward.
 * tokens/s = tokens of the sequences sent to the model / wall time; the same count for both.
 *
 * Model: a generated GPT-2-shaped causal LM (test/helpers/tinyCausalLm.ts) with --hidden (256)
 * and --layers (4), byte-level tokens (257), 512 positions, fp32, in a temp directory.
 *
 *   npm run bench:causallm -- [--n 300] [--threads 1,2] [--batch 8,32] [--rounds 3] [--hidden 256] [--layers 4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { bucketed, sequenceLosses } from '../../src/embeddings/causalLm.js';
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { silentLogger } from '../../src/logger.js';
import { ifdMetric } from '../../src/metrics/complexity/ifd.js';
import { perplexityMetric } from '../../src/metrics/complexity/perplexity.js';
import { resolveParams } from '../../src/metrics/params.js';
import { runInMemory } from '../../src/metrics/runInMemory.js';
import type { CausalLanguageModel, MetricDefinition, MetricSample } from '../../src/metrics/types.js';
import { testEmbeddingConfig } from '../../test/helpers/testEmbedders.js';
import {
  DEFAULT_SHAPE,
  TINY_CAUSAL_LM_ID,
  TINY_CAUSAL_LM_VOCAB,
  writeTinyCausalLm,
} from '../../test/helpers/tinyCausalLm.js';
import { loadBaseRows, rng } from '../datasets.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    threads: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: '8,32' },
    rounds: { type: 'string', default: '3' },
    hidden: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
  },
});
const N = Number(args.n);
const THREADS = args.threads.split(',').map(Number);
const BATCHES = args.batch.split(',').map(Number);
const ROUNDS = Math.max(1, Number(args.rounds));
const GOAL = 0.8;

function benchSamples(n: number): MetricSample[] {
  const rows = loadBaseRows();
  const random = rng(20261203);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.slice(0, n).map((row, ordinal) => ({
    ordinal,
    contentHash: String(ordinal).padStart(64, '0'),
    prompt: row.prompt,
    response: row.response,
    reference: row.reference,
  }));
}

/** The model, recording what the metric sends it (sequences, in call order) and the loss total. */
function recording(model: CausalLanguageModel) {
  const calls: (readonly number[])[][] = [];
  let lossSum = 0;
  const wrapped: CausalLanguageModel = {
    ...model,
    encode: (text) => model.encode(text),
    async tokenLosses(sequences) {
      calls.push([...sequences]);
      const losses = await model.tokenLosses(sequences);
      for (const l of losses) for (const v of l) lossSum += v;
      return losses;
    },
  };
  return { wrapped, calls, lossSum: () => lossSum };
}

async function bareSession(file: string, threads: number) {
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const run = async (batch: readonly (readonly number[])[]): Promise<Float64Array[]> => {
    const width = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    const positions = new BigInt64Array(batch.length * width);
    batch.forEach((sequence, row) => {
      for (let j = 0; j < width; j++) {
        const at = row * width + j;
        if (j < sequence.length) {
          ids[at] = BigInt(sequence[j]!);
          mask[at] = 1n;
          positions[at] = BigInt(j);
        } else positions[at] = 1n;
      }
    });
    const dims = [batch.length, width];
    const { logits } = await session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      position_ids: new ort.Tensor('int64', positions, dims),
    });
    const data = logits!.data as Float32Array;
    const losses = batch.map((sequence, row) =>
      sequenceLosses(data, row * width * TINY_CAUSAL_LM_VOCAB, TINY_CAUSAL_LM_VOCAB, sequence),
    );
    logits!.dispose();
    return losses;
  };
  return { session, run };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'qdc-bench-causallm-'));
  const shape = { ...DEFAULT_SHAPE, hidden: Number(args.hidden), layers: Number(args.layers) };
  await writeTinyCausalLm(root, TINY_CAUSAL_LM_ID, shape);
  const file = join(root, TINY_CAUSAL_LM_ID, 'onnx', 'model.onnx');
  const samples = benchSamples(N);
  console.log(
    `bench/causallm: n=${N} samples, model hidden ${shape.hidden} x ${shape.layers} layers, vocab ${TINY_CAUSAL_LM_VOCAB}, fp32; ` +
      `rounds ${ROUNDS}; load ${loadavg()[0]!.toFixed(1)}; node ${process.version}`,
  );
  const rows: string[] = [];
  try {
    for (const threads of THREADS) {
      for (const batchSize of BATCHES) {
        const registry = new EmbedderRegistry(
          testEmbeddingConfig({ modelDir: root, threads, batchSize, languageModel: TINY_CAUSAL_LM_ID }),
          silentLogger,
        );
        const bare = await bareSession(file, threads);
        try {
          const model = await registry.languageModel('');
          for (const metric of [perplexityMetric, ifdMetric] as MetricDefinition[]) {
            const params = resolveParams(metric, { model: model.key });
            // Untimed: what the metric sends the model (the baseline's input), and a warm-up of both.
            const probe = recording(model);
            await runInMemory(metric, params, samples, { languageModel: async () => probe.wrapped });
            const sequences = probe.calls;
            // The probe ran every batch shape through the metric's session once; so does the baseline.
            for (const call of sequences) await bucketed(call, batchSize, TINY_CAUSAL_LM_VOCAB, bare.run);
            const tokens = sequences.flat().reduce((sum, ids) => sum + ids.length, 0);
            let bestOrt = Infinity;
            let bestMetric = Infinity;
            const ratios: number[] = [];
            let ortLoss = 0;
            for (let round = 0; round < ROUNDS; round++) {
              const order = round % 2 === 0 ? ['ort', 'metric'] : ['metric', 'ort'];
              const times: Record<string, number> = {};
              for (const mode of order) {
                const started = performance.now();
                if (mode === 'ort') {
                  ortLoss = 0;
                  for (const call of sequences) {
                    const losses = await bucketed(call, batchSize, TINY_CAUSAL_LM_VOCAB, bare.run);
                    for (const l of losses) for (const v of l) ortLoss += v;
                  }
                } else {
                  await runInMemory(metric, params, samples, { languageModel: async () => model });
                }
                times[mode] = (performance.now() - started) / 1000;
              }
              bestOrt = Math.min(bestOrt, times.ort!);
              bestMetric = Math.min(bestMetric, times.metric!);
              ratios.push(times.ort! / times.metric!);
            }
            const same = Math.abs(ortLoss - probe.lossSum()) <= 1e-6 * Math.abs(ortLoss);
            ratios.sort((a, b) => a - b);
            const ratio = bestOrt / bestMetric;
            const row = [
              metric.key,
              threads,
              batchSize,
              fmt(tokens),
              fmt(tokens / bestOrt),
              fmt(tokens / bestMetric),
              `**${ratio.toFixed(2)}**`,
              ratios[Math.floor(ratios.length / 2)]!.toFixed(2),
              same ? 'equal' : `DIFFER ${ortLoss} vs ${probe.lossSum()}`,
              ratio >= GOAL ? 'PASS' : 'FAIL',
            ].join(' | ');
            rows.push(`| ${row} |`);
            console.log(`| ${row} |`);
          }
        } finally {
          await bare.session.release();
          await registry.close();
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    '\n| metric | threads | batch | tokens | ort (baseline) tokens/s | metric tokens/s | / ort (best) | median of rounds | losses | goal >= 0.8 |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log(`load at the end ${loadavg()[0]!.toFixed(1)}`);
}

await main();
