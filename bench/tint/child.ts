/**
 * One configuration of bench/tint in its own process, so its peak RSS is its own. Prints one JSON
 * line {mode, n, ms, samplesPerSec, startRssMB, maxRssMB, cpuMs, bytes, ...}; progress to stderr.
 *
 *   child.ts generate <n>          generateSample only (the texts are counted, nothing is written)
 *   child.ts devnull <n>           generateSample + JSON.stringify of each sample, one JSONL chunk
 *                                  per batch of 1000 written to /dev/null (with backpressure):
 *                                  the baseline of the issue
 *   child.ts copytext <n>          everything the catalog path does in Node except the database:
 *                                  generateSample + canonicalizeSample (canonical JSON + sha256)
 *                                  + version hash + duplicate set + COPY text in 1 MiB chunks,
 *                                  written to /dev/null
 *   child.ts catalog <n> <slug> <database-url | pglite:<dir>>
 *                                  the real path: openCatalog, enqueueTIntGeneration, the real
 *                                  worker (concurrency 1) until the job SUCCEEDED; timed from
 *                                  enqueue to SUCCEEDED seen (opening and migrating are not timed)
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJobHandlers, openCatalog } from '../../src/app.js';
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { loadConfig } from '../../src/config.js';
import { canonicalizeSample } from '../../src/catalog/canonicalSample.js';
import { VersionHasher } from '../../src/catalog/contentHash.js';
import { CopyChunker } from '../../src/catalog/copyText.js';
import { enqueueTIntGeneration } from '../../src/generation/tintJob.js';
import { DuplicateSet } from '../../src/catalog/duplicateSet.js';
import { FINISHED_STATUSES, getJob } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { silentLogger } from '../../src/logger.js';
import { generateSample } from '../../src/tint/generate.js';
import { validateTIntSpec } from '../../src/tint/spec.js';
import { BATCH_SIZE, workload } from './workload.js';

const [mode, nArg, slug, target] = process.argv.slice(2);
const n = Number(nArg);
if (!mode || !Number.isInteger(n) || n < 1)
  throw new Error(
    'usage: child.ts generate|devnull|copytext <n> | catalog <n> <slug> <database-url | pglite:dir>',
  );

const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
/** Progress to stderr about every 10% for runs of 100k samples and more. */
const progressEvery = n >= 100_000 ? Math.ceil(n / 10 / BATCH_SIZE) * BATCH_SIZE : Infinity;
function progress(done: number, started: number) {
  process.stderr.write(
    `  [${mode}${target ? ` ${target.startsWith('pglite:') ? 'pglite' : 'postgres'}` : ''}] ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

async function write(out: WriteStream, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function end(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

async function runBaseline() {
  const spec = validateTIntSpec(workload(n));
  const startRss = rssMB();
  const cpuBefore = cpuMs();
  const out = mode === 'generate' ? null : createWriteStream('/dev/null');
  let bytes = 0;
  let chars = 0;
  const hasher = new VersionHasher();
  const seen = new DuplicateSet();
  const chunker = new CopyChunker(1, 1 << 20);
  let duplicates = 0;
  const started = performance.now();
  for (let start = 0; start < n; start += BATCH_SIZE) {
    const stop = Math.min(n, start + BATCH_SIZE);
    if (mode === 'generate') {
      for (let index = start; index < stop; index++) {
        const sample = generateSample(spec, 'train', index);
        chars += sample.prompt.length + sample.response.length;
      }
    } else if (mode === 'devnull') {
      const lines: string[] = [];
      for (let index = start; index < stop; index++)
        lines.push(JSON.stringify(generateSample(spec, 'train', index)));
      const text = `${lines.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      await write(out!, text);
    } else if (mode === 'copytext') {
      for (let index = start; index < stop; index++) {
        const sample = canonicalizeSample(generateSample(spec, 'train', index), `train sample ${index}`);
        hasher.add(sample.contentHash);
        if (seen.add(sample.contentHash, index) >= 0) duplicates += 1;
        const full = chunker.add(index, sample);
        if (full) {
          bytes += full.length;
          await write(out!, full);
        }
      }
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
    if (stop % progressEvery === 0 && stop < n) progress(stop, started);
  }
  if (mode === 'copytext') {
    const rest = chunker.take();
    if (rest) {
      bytes += rest.length;
      await write(out!, rest);
    }
  }
  if (out) await end(out);
  const ms = performance.now() - started;
  return {
    ms,
    startRssMB: startRss,
    cpuMs: cpuMs() - cpuBefore,
    bytes,
    chars,
    ...(mode === 'copytext' ? { versionHash: hasher.digest(), duplicates } : {}),
  };
}

async function runCatalog() {
  if (!slug || !target) throw new Error('usage: child.ts catalog <n> <slug> <database-url | pglite:dir>');
  const database = await openCatalog(
    target.startsWith('pglite:') ? { dataDir: target.slice('pglite:'.length) } : { databaseUrl: target },
  );
  try {
    const startRss = rssMB();
    const cpuBefore = cpuMs();
    const started = performance.now();
    const job = await enqueueTIntGeneration(database.db, { ...workload(n), dataset: slug });
    const worker = startWorker(database, {
      handlers: createJobHandlers({ embedders: new EmbedderRegistry(loadConfig().embedding, silentLogger) }),
      concurrency: 1,
      logger: silentLogger,
      onlyJobId: job.id,
      pollMs: 20,
    });
    let finished;
    let reported = 0;
    try {
      for (;;) {
        const row = await getJob(database.db, job.id);
        if (!row) throw new Error(`job ${job.id} disappeared`);
        if (FINISHED_STATUSES.includes(row.status)) {
          finished = row;
          break;
        }
        if (row.progressDone - reported >= progressEvery) {
          reported = row.progressDone;
          progress(reported, started);
        }
        await sleep(20);
      }
    } finally {
      await worker.stop();
    }
    const ms = performance.now() - started;
    if (finished.status !== 'SUCCEEDED')
      throw new Error(`job ${job.id} ended ${finished.status}: ${finished.error ?? ''}`);
    const train = (
      finished.result as {
        train: { versionId: number; samples: number; created: boolean; noised: number; truncated: number };
      }
    ).train;
    if (train.samples !== n || !train.created)
      throw new Error(`job wrote ${train.samples} samples (created: ${train.created}), expected ${n} new`);
    const [version] = await database.rawTransaction((tx) =>
      tx.query<{ content_hash: string; sample_count: string; byte_size: string }>(
        'select content_hash, sample_count, byte_size from dataset_versions where id = $1',
        [train.versionId],
      ),
    );
    return {
      ms,
      jobMs:
        finished.finishedAt && finished.startedAt
          ? finished.finishedAt.getTime() - finished.startedAt.getTime()
          : null,
      startRssMB: startRss,
      cpuMs: cpuMs() - cpuBefore,
      backend: database.backend,
      versionHash: version!.content_hash,
      sampleCount: Number(version!.sample_count),
      canonicalBytes: Number(version!.byte_size),
      noised: train.noised,
      truncated: train.truncated,
    };
  } finally {
    await database.close();
  }
}

const result = mode === 'catalog' ? await runCatalog() : await runBaseline();
console.log(
  JSON.stringify({ mode, n, samplesPerSec: (n * 1000) / result.ms, maxRssMB: maxRssMB(), ...result }),
);
