/**
 * `qdc export <version>`: writes a version's samples as JSONL (the catalog's own prompt_response
 * shape, which `qdc ingest` turns back into the identical version) to a file or stdout, optionally
 * gzipped; straight from the database (default) or through a running server (`--server`).
 */
import { open, unlink } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { openCatalog } from '../../app.js';
import { findDatasetsByIds } from '../../catalog/datasets.js';
import { loadConfig } from '../../config.js';
import { toGlobalId } from '../../globalId.js';
import { exportVersionJsonl, parseMetricList, scoreColumnsFor } from '../../ingest/export.js';
import { exportVersionHf, type HfExportResult } from '../../ingest/exportHuggingFace.js';
import { exportVersionParquet } from '../../ingest/exportParquet.js';
import { formatBytes, type Progress } from '../progress.js';
import { UsageError, type Command } from '../command.js';
import { describeFsError } from '../inputFiles.js';
import { croissantExportOptions, exportCroissant } from '../croissantExport.js';
import { exportHfRemote } from '../hfRemoteExport.js';
import { resolveDirect, resolveRemote } from '../versionRef.js';
import {
  API_KEY_ENV_DOC,
  CommandFailure,
  makeProgress,
  PROGRESS_ENV_DOC,
  remoteFetch,
  remoteFrom,
  remoteOptions,
  reportFailure,
  responseFailure,
  type Remote,
} from '../remote.js';
import { writeCatalogDump } from './backup.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

/** What the export needs to know about the version up front. */
interface VersionInfo {
  id: string;
  slug: string;
  number: number;
  sampleCount: number;
  byteSize: number;
  contentHash: string;
}

export const exportCommand: Command = {
  name: 'export',
  summary: "Write a version's samples as JSONL or Parquet (re-ingestable to the identical version).",
  usage:
    'qdc export <version-id | slug@N | slug> [-o FILE] [--format jsonl|parquet] [--gzip] [--scores METRICS]\n' +
    '                  [--hf DIR [--split NAME]] [--no-progress]\n' +
    '                  [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]\n' +
    '       qdc export --all -o FILE [--gzip] [--data-dir DIR | --database-url URL | --server URL]',
  options: {
    output: {
      type: 'string',
      short: 'o',
      description: 'Write to this file (default stdout); a name ending in .gz is gzipped.',
      valueName: 'file',
    },
    format: {
      type: 'string',
      short: 'f',
      description:
        'jsonl (default) or parquet (implied by -o FILE.parquet); Parquet goes to a file, not a terminal.',
      valueName: 'format',
    },
    gzip: {
      type: 'boolean',
      short: 'z',
      description: 'Gzip the output (implied by -o FILE.gz; JSONL only).',
    },
    hf: {
      type: 'string',
      description:
        'Write a Hugging Face dataset directory (Parquet shard + README.md card with metrics and lineage) instead.',
      valueName: 'dir',
    },
    split: { type: 'string', description: 'With --hf: the split name (default train).', valueName: 'name' },
    scores: {
      type: 'string',
      description:
        'Add per-sample scores of these metrics (comma-separated keys, e.g. quality.length_ok,external:rm) as a "scores" object on each line.',
      valueName: 'metrics',
    },
    all: {
      type: 'boolean',
      description:
        'Write the whole catalog (every table) as one dump instead, the format of "qdc backup"; needs -o FILE.',
    },
    ...croissantExportOptions,
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    'Version: a version\'s global id (as printed by "qdc ingest"), slug@N for version N of a',
    'dataset, or a bare slug for its latest version.',
    '',
    'Each line is one sample in ordinal order: {"prompt","response","reference","messages","metadata"}',
    '(nulls kept). "qdc ingest" of the file into the same dataset returns the same version.',
    '',
    'With --format parquet the file has typed columns: prompt, response, reference (string), messages',
    '(list<struct<role, content, ...>>), metadata (JSON text) and one double column "scores.<metric>"',
    'per --scores metric, in row groups of up to 50,000 rows; "qdc ingest" of it also returns the',
    'same version (scores aside).',
    '',
    'With --hf DIR, DIR (new or empty) gets data/<split>-00000-of-00001.parquet and a README.md dataset',
    "card whose YAML (and body) carry the version's content hash, its latest metric results (value,",
    'estimator, n, params) and its lineage (inputs, algorithm, generator model, params); push it with',
    '"huggingface-cli upload <user>/<name> DIR --repo-type dataset". With --server the same directory',
    'comes from the public routes (GraphQL for the card, samples.parquet for the shard).',
    '',
    'With --all (no version), FILE gets the whole catalog as one dump, the format of "qdc backup";',
    '"qdc restore FILE" loads it into a fresh catalog on either backend (PGlite <-> PostgreSQL).',
    '',
    'With --scores, each line also has "scores": {"<metric>": value or null}, taken from the newest',
    'complete or partial result of each metric that stored per-sample values (never a failed run).',
    'Such a file is for analysis: ingesting it again puts the scores into metadata, which makes a',
    'different version.',
    'Progress goes to stderr, so stdout can carry the data: qdc export demo@1 | head.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (values.all) return exportAll(values, positionals);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'expected a version to export' : 'expected exactly one version',
      );
    const ref = positionals[0]!;
    const output = values.output as string | undefined;
    const gzip = values.gzip === true || (output !== undefined && output.toLowerCase().endsWith('.gz'));
    const formatText = (values.format as string | undefined)?.trim().toLowerCase();
    if (formatText !== undefined && formatText !== 'jsonl' && formatText !== 'parquet')
      throw new UsageError(`--format must be jsonl or parquet (got "${String(values.format)}")`);
    const format =
      formatText ?? (output !== undefined && output.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl');
    if (format === 'parquet' && gzip)
      throw new UsageError('--gzip applies to JSONL only (Parquet pages are already compressed)');
    if (format === 'parquet' && output === undefined && process.stdout.isTTY)
      throw new UsageError('Parquet is binary: write it to a file with -o FILE.parquet (or pipe stdout)');
    const remote = remoteFrom(values);
    const hf = values.hf as string | undefined;
    if (values.split !== undefined && hf === undefined) throw new UsageError('--split applies to --hf');
    if (hf !== undefined) {
      if (output !== undefined || values.format !== undefined || values.gzip)
        throw new UsageError('--hf writes its own files: drop -o, --format and --gzip');
      try {
        if (remote) await exportHfThroughServer(remote, ref, hf, values);
        else await exportHfDirect(ref, hf, values);
        return 0;
      } catch (error) {
        return reportFailure('export', error);
      }
    }
    try {
      if (values.croissant) {
        await exportCroissant(ref, remote, values);
        return 0;
      }
      const scores = parseMetricList(values.scores as string | undefined);
      const args: OutputArgs = { output, gzip, scores, values, format };
      if (remote) await exportRemote(remote, ref, args);
      else await exportDirect(ref, args);
      return 0;
    } catch (error) {
      return reportFailure('export', error);
    }
  },
};

/** `qdc export --all -o FILE`: the catalog dump, for moving a catalog between backends. */
async function exportAll(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length) throw new UsageError('--all exports the whole catalog: drop the version');
  const output = values.output as string | undefined;
  if (output === undefined) throw new UsageError('--all needs -o FILE (a .gz name is gzipped)');
  for (const option of ['format', 'scores', 'hf', 'split', 'croissant']) {
    if (values[option] !== undefined) throw new UsageError(`--${option} does not apply to --all`);
  }
  try {
    const { rows } = await writeCatalogDump(
      values,
      output,
      values.gzip === true || output.toLowerCase().endsWith('.gz'),
    );
    process.stderr.write(
      `export: ${rows.toLocaleString('en-US')} rows of the whole catalog written to ${output}\n`,
    );
    return 0;
  } catch (error) {
    return reportFailure('export', error);
  }
}

interface OutputArgs {
  output: string | undefined;
  gzip: boolean;
  scores: string[];
  values: Record<string, unknown>;
  format: 'jsonl' | 'parquet';
}

async function exportDirect(ref: string, args: OutputArgs): Promise<void> {
  const database = await openCatalog(connectOptions(loadConfig(), args.values));
  try {
    const version = await resolveDirect(database.db, ref);
    const [dataset] = await findDatasetsByIds(database.db, [version.datasetId]);
    const scoreColumns = await scoreColumnsFor(database.db, version.id, args.scores);
    const info: VersionInfo = {
      id: toGlobalId('DatasetVersion', version.id),
      slug: dataset?.slug ?? `dataset ${version.datasetId}`,
      number: version.version,
      sampleCount: version.sampleCount,
      byteSize: version.byteSize,
      contentHash: version.contentHash,
    };
    await writeExport(info, args, (state) =>
      (async function* () {
        const onRows = (rows: number) => state.setRows(rows);
        const chunks =
          args.format === 'parquet'
            ? exportVersionParquet(
                database.db,
                version.id,
                {
                  versionId: info.id,
                  dataset: info.slug,
                  version: info.number,
                  contentHash: info.contentHash,
                },
                onRows,
                scoreColumns,
              )
            : exportVersionJsonl(database.db, version.id, onRows, scoreColumns);
        for await (const chunk of chunks) {
          state.addBytes(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
          yield chunk;
        }
      })(),
    );
  } finally {
    await database.close();
  }
}

async function exportHfDirect(ref: string, dir: string, values: Record<string, unknown>): Promise<void> {
  const database = await openCatalog(connectOptions(loadConfig(), values));
  try {
    const version = await resolveDirect(database.db, ref);
    const scoreColumns = await scoreColumnsFor(
      database.db,
      version.id,
      parseMetricList(values.scores as string | undefined),
    );
    await writeHfWithProgress(values, dir, version, (onRows) =>
      exportVersionHf(database.db, version, dir, {
        split: values.split as string | undefined,
        scoreColumns,
        onRows,
      }),
    );
  } finally {
    await database.close();
  }
}

async function exportHfThroughServer(
  remote: Remote,
  ref: string,
  dir: string,
  values: Record<string, unknown>,
): Promise<void> {
  const version = await resolveRemote(remote, ref);
  await writeHfWithProgress(values, dir, version, (onRows) =>
    exportHfRemote(remote, version, dir, {
      split: values.split as string | undefined,
      scores: parseMetricList(values.scores as string | undefined),
      onRows,
    }),
  );
}

/** Runs a Hugging Face directory export (direct or remote) with the progress line and summary. */
async function writeHfWithProgress(
  values: Record<string, unknown>,
  dir: string,
  version: { version: number; sampleCount: number; contentHash: string },
  write: (onRows: (rows: number) => void) => Promise<HfExportResult>,
): Promise<void> {
  const progress = makeProgress(values, { label: 'export', unit: 'rows' });
  try {
    const result = await write((rows) => progress?.update(rows, 0));
    progress?.finish(`${result.files.join(', ')} written to ${dir}`);
  } catch (error) {
    progress?.fail();
    throw error;
  }
  process.stderr.write(
    `exported version ${version.version} (${version.sampleCount.toLocaleString('en-US')} samples) to ${dir}\n` +
      `  content hash  ${version.contentHash}\n`,
  );
  process.stdout.write(`${dir}\n`);
}

async function exportRemote(remote: Remote, ref: string, args: OutputArgs): Promise<void> {
  const version = await resolveRemote(remote, ref);
  const query = args.scores.length ? `?scores=${encodeURIComponent(args.scores.join(','))}` : '';
  const response = await remoteFetch(
    remote,
    `/v1/versions/${encodeURIComponent(version.id)}/samples.${args.format}${query}`,
    {
      method: 'GET',
      // fetch decompresses transparently; --gzip compresses again locally.
      headers: { 'accept-encoding': 'gzip' },
    },
  );
  if (!response.ok) throw await responseFailure(response);
  const header = Number(response.headers.get('x-qdc-sample-count'));
  const info: VersionInfo = {
    id: version.id,
    slug: version.dataset.slug,
    number: version.version,
    sampleCount: Number.isSafeInteger(header) && header >= 0 ? header : version.sampleCount,
    byteSize: version.byteSize,
    contentHash: response.headers.get('x-qdc-content-hash') ?? version.contentHash,
  };
  const body = response.body;
  if (!body) throw new CommandFailure('the server sent no body');
  await writeExport(info, args, (state) =>
    (async function* () {
      let rows = 0;
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          if (args.format === 'jsonl') {
            for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) rows += 1;
            state.setRows(rows);
          }
          state.addBytes(chunk.length);
          yield chunk;
        }
        // A Parquet body has no line breaks to count; its rows are known once it is complete.
        if (args.format === 'parquet') state.setRows(info.sampleCount);
      } catch (error) {
        if (error instanceof CommandFailure) throw error;
        throw new CommandFailure(
          `the download broke off after ${rows} of ${info.sampleCount} rows: ${(error as Error).message}`,
        );
      }
    })(),
  );
}

interface ExportState {
  setRows(rows: number): void;
  addBytes(bytes: number): void;
}

/**
 * Streams the JSONL chunks from `produce` (which reports rows and uncompressed bytes through the
 * state) to the output, gzipping when asked; pipeline() waits for 'drain', so memory stays bounded.
 * A failed export removes its partial output file.
 */
async function writeExport(
  info: VersionInfo,
  args: OutputArgs,
  produce: (state: ExportState) => AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const ref = `${info.slug}@${info.number}`;
  let sink: Writable;
  let closeSink: () => Promise<void> = async () => {};
  if (args.output !== undefined) {
    try {
      const handle = await open(args.output, 'w');
      const stream = handle.createWriteStream({ highWaterMark: 1 << 20 });
      sink = stream;
      closeSink = async () => {
        if (!stream.closed) await new Promise<void>((resolve) => stream.close(() => resolve()));
      };
    } catch (error) {
      throw new CommandFailure(`cannot write ${args.output}: ${describeFsError(error)}`);
    }
  } else {
    sink = process.stdout;
  }
  // The total is estimated: a line is the sample's canonical JSON (the version's byteSize) plus '\n'.
  const progress: Progress | null = makeProgress(args.values, {
    label: 'export',
    unit: 'rows',
    totalBytes: info.byteSize + info.sampleCount,
  });
  let rows = 0;
  let bytes = 0;
  let written = 0;
  const state: ExportState = {
    setRows(n) {
      rows = n;
      progress?.update(rows, bytes);
    },
    addBytes(n) {
      bytes += n;
      progress?.update(rows, bytes);
    },
  };
  const countWritten = async function* (source: AsyncIterable<Buffer | string>) {
    for await (const chunk of source) {
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  };
  try {
    const source = Readable.from(produce(state));
    const toStdout = args.output === undefined;
    if (args.gzip) await pipeline(source, createGzip({ level: 6 }), countWritten, sink, { end: !toStdout });
    else await pipeline(source, countWritten, sink, { end: !toStdout });
    if (rows !== info.sampleCount) {
      throw new CommandFailure(`the export ended after ${rows} of ${info.sampleCount} rows`);
    }
    progress?.update(rows, bytes);
    const where = args.output === undefined ? 'stdout' : args.output;
    progress?.finish(`${formatBytes(written)} written to ${where}${args.gzip ? ' (gzip)' : ''}`);
    process.stderr.write(
      `exported ${ref} (${info.sampleCount.toLocaleString('en-US')} samples)\n` +
        `  id            ${info.id}\n` +
        `  content hash  ${info.contentHash}\n`,
    );
  } catch (error) {
    progress?.fail();
    await closeSink();
    if (args.output !== undefined) await unlink(args.output).catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE')
      throw new CommandFailure('the output was closed before the export finished (EPIPE)');
    if (code && args.output !== undefined && (error as NodeJS.ErrnoException).syscall) {
      throw new CommandFailure(`cannot write ${args.output}: ${describeFsError(error)}`);
    }
    throw error;
  }
}
