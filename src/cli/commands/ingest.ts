/**
 * `qdc ingest <file> --dataset <slug>`: streams a JSONL / JSON-array file (optionally gzipped) into a
 * new dataset version, either straight into the database (default) or through a running server's
 * POST /v1/datasets/{slug}/versions route (`--server`). Prints the version's global id on stdout.
 */
import { stat } from 'node:fs/promises';
import { openCatalog } from '../../app.js';
import {
  findDatasetBySlug,
  registerDataset,
  requireDatasetBySlug,
  type DatasetFields,
} from '../../catalog/datasets.js';
import { loadConfig } from '../../config.js';
import { ingestResultJson } from '../../ingest/ingestResultJson.js';
import {
  FORMAT_EXAMPLE_MAPPING,
  FORMAT_EXAMPLES,
  FORMATS,
  parseFieldMapping,
  parseFormat,
} from '../../ingest/formats.js';
import { describeRejection, ingestStream, MAX_LISTED_REJECTIONS, type OnError } from '../../ingest/ingest.js';
import { PARQUET_CONTENT_TYPE } from '../../ingest/exportParquet.js';
import { looksLikeParquet, openParquetFile } from '../../ingest/parquetFile.js';
import {
  datasetFieldsFromCard,
  findSplitFiles,
  readDatasetCard,
  type SplitFiles,
} from '../../ingest/huggingFace.js';
import { UsageError, type Command } from '../command.js';
import type { Progress } from '../progress.js';
import { countNewlines, describeFsError, gunzipped, openInput } from '../inputFiles.js';
import { datasetFieldOptions, datasetFieldsFrom, optionOf } from '../datasetFields.js';
import {
  API_KEY_ENV_DOC,
  CommandFailure,
  makeProgress,
  PROGRESS_ENV_DOC,
  remoteFetch,
  remoteFrom,
  remoteGraphQL,
  remoteOptions,
  reportFailure,
  responseFailure,
  type Remote,
} from '../remote.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

/** How many rejections the human summary lists (--json has up to MAX_LISTED_REJECTIONS). */
const SHOWN_REJECTIONS = 5;

type IngestJson = ReturnType<typeof ingestResultJson>;

const formatList = FORMATS.map((f) => `  ${f}\n      ${FORMAT_EXAMPLES[f]}`).join('\n');

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Stream a JSONL, JSON-array (optionally .gz) or Parquet file into a new dataset version.',
  usage:
    'qdc ingest <file|dir|-> --dataset <slug> [--split NAME] [--create [--name TEXT] [--task T] [--license ID] [--tag T]...]\n' +
    '                  [--format auto|<format>] [--map field=path,...] [--on-error fail|skip]\n' +
    '                  [--max-record-bytes N] [--json] [--no-progress]\n' +
    '                  [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    dataset: {
      type: 'string',
      short: 'd',
      description: 'Slug of the dataset that receives the version (it must exist unless --create).',
      valueName: 'slug',
    },
    split: {
      type: 'string',
      description:
        'With a Hugging Face dataset directory: the split to ingest (default train, or the only split).',
      valueName: 'name',
    },
    create: {
      type: 'boolean',
      description:
        'Register the dataset first when no dataset has this slug, with the fields below (name default: the slug).',
    },
    ...datasetFieldOptions,
    format: {
      type: 'string',
      short: 'f',
      description: 'Sample format (see below); default auto: detected from the first record.',
      valueName: 'format',
    },
    map: {
      type: 'string',
      short: 'm',
      description: 'Field mapping field=path,... (see below).',
      valueName: 'mapping',
    },
    'on-error': {
      type: 'string',
      description:
        'fail (default): one bad record refuses the whole file; skip: bad records are left out and listed.',
      valueName: 'mode',
    },
    'max-record-bytes': {
      type: 'string',
      description:
        'Longest accepted record in bytes (default $QDC_MAX_RECORD_BYTES or 1 MiB; with --server, at most its limit).',
      valueName: 'n',
    },
    json: {
      type: 'boolean',
      description: 'Print the full result as JSON on stdout instead of the version id.',
    },
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    'Input:',
    '  <file> is JSONL (one record per line) or a JSON array of records; the container is detected',
    '  from the first non-blank byte. "-" reads stdin (uncompressed). A name ending in .gz is',
    '  gunzipped (with --server it is sent as is, with Content-Encoding: gzip).',
    '  A Parquet file (named .parquet, or starting with the PAR1 magic) is read row group by row group;',
    '  its columns are the record keys, so the formats and --map apply to them (nested columns such as',
    '  messages or conversations as list<struct> included). Rejections name the row and row group.',
    '',
    'Hugging Face datasets: <dir> is a local dataset directory or hub snapshot. The files of --split are',
    "found from the card's configs/data_files, else by the Hub's file names (data/train-00000-of-00002.parquet,",
    'train.jsonl, default/train/0000.parquet, ...) and ingested in path order as one version. With --create',
    "the README.md card's YAML fills the dataset's fields (pretty_name, license, task_categories,",
    'source_datasets, tags, language) unless an option gives them; the whole YAML is kept as its card.',
    'With --server, a split must be a single file.',
    '',
    'Formats (--format; one example record each):',
    formatList,
    '',
    'Field mapping (--map): comma-separated field=path entries. Fields: prompt, response, reference,',
    'messages, metadata. A path is dot-separated keys; numeric segments index arrays. With --format',
    'mapping only the mapped fields are read; with another format the mapping overrides its fields.',
    'Unmapped top-level keys land in metadata. Example for the "mapping" record above:',
    `  --format mapping --map ${FORMAT_EXAMPLE_MAPPING}`,
    '',
    'Creating the dataset (--create): --name, --description, --task, --domain, --license, --source and',
    '--tag describe it, as "qdc datasets create" does; with an existing dataset they are ignored (change',
    'it with "qdc datasets update"). The dataset stays registered even if the file is then refused.',
    '',
    "Output: the new (or identical, already existing) version's global id on stdout; a summary",
    '(counts, the first rejections with their line numbers) and progress on stderr. Ingesting',
    'content identical to an existing version of the dataset returns that version.',
    'Exit codes: 0 done, 1 refused (bad record, unknown dataset, server error), 2 usage error.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    '  QDC_MAX_RECORD_BYTES      Default for --max-record-bytes.',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'expected a file to ingest (or - for stdin)' : 'expected exactly one file',
      );
    let file = positionals[0]!;
    const slug = values.dataset as string | undefined;
    if (!slug) throw new UsageError('--dataset <slug> is required');
    const datasetFields = datasetFieldsFrom(values);
    const fieldOptions = Object.keys(datasetFields);
    if (!values.create && fieldOptions.length > 0) {
      throw new UsageError(`--${optionOf(fieldOptions[0]!)} only applies with --create`);
    }
    const splitName = values.split as string | undefined;
    const directory = file !== '-' && (await isDirectory(file));
    if (splitName !== undefined && !directory)
      throw new UsageError('--split applies to a Hugging Face dataset directory');
    let split: SplitFiles | null = null;
    let cardFields: DatasetFields = {};
    if (directory) {
      try {
        split = await findSplitFiles(file, splitName);
        const card = values.create ? await readDatasetCard(file) : null;
        if (card) cardFields = datasetFieldsFromCard(card);
      } catch (error) {
        return reportFailure('ingest', error);
      }
      process.stderr.write(
        `split ${split.split}: ${split.shards.length} file(s): ${split.shards.map((s) => s.name).join(', ')}\n`,
      );
    }
    const create = values.create
      ? { ...cardFields, ...datasetFields, name: datasetFields.name ?? cardFields.name ?? slug }
      : null;
    const onError = (values['on-error'] as string | undefined) ?? 'fail';
    if (onError !== 'fail' && onError !== 'skip')
      throw new UsageError(`--on-error must be fail or skip (got "${onError}")`);
    const formatText = values.format as string | undefined;
    const format =
      formatText === undefined || formatText.trim().toLowerCase() === 'auto'
        ? ('auto' as const)
        : parseFormat(formatText);
    const mapText = values.map as string | undefined;
    const mapping = mapText === undefined ? undefined : parseFieldMapping(mapText);
    const remote = remoteFrom(values);
    const maxText = values['max-record-bytes'] as string | undefined;
    let maxRecordBytes: number | undefined;
    if (maxText !== undefined) {
      maxRecordBytes = Number(maxText);
      if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1) {
        throw new UsageError(`--max-record-bytes must be a positive integer (got "${maxText}")`);
      }
    }
    if (split && remoteFrom(values)) {
      if (split.shards.length !== 1)
        throw new UsageError(
          `split ${split.split} has ${split.shards.length} files; with --server a split must be one file (ingest directly, without --server)`,
        );
      file = split.shards[0]!.path;
      split = null;
    }
    const gzip = file !== '-' && !split && file.toLowerCase().endsWith('.gz');
    const parquet =
      file !== '-' && !gzip && (file.toLowerCase().endsWith('.parquet') || (await looksLikeParquet(file)));

    try {
      const result = remote
        ? await ingestRemote(remote, {
            file,
            slug,
            gzip,
            parquet,
            values,
            create,
            format,
            map: mapText,
            onError,
            maxRecordBytes,
          })
        : await ingestDirect({
            file,
            slug,
            gzip,
            parquet,
            split,
            values,
            create,
            format,
            mapping,
            onError,
            maxRecordBytes,
          });
      printSummary(result);
      process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.version.id}\n`);
      return 0;
    } catch (error) {
      return reportFailure('ingest', error);
    }
  },
};

interface CommonArgs {
  file: string;
  slug: string;
  gzip: boolean;
  /** A Parquet file (by its .parquet name or its PAR1 magic bytes). */
  parquet: boolean;
  values: Record<string, unknown>;
  /** With --create: the fields of the dataset to register if the slug is free. */
  create: (DatasetFields & { name: string }) | null;
  onError: OnError;
}

async function ingestDirect(
  args: CommonArgs & {
    format: ReturnType<typeof parseFormat> | 'auto';
    mapping: ReturnType<typeof parseFieldMapping> | undefined;
    maxRecordBytes: number | undefined;
    split: SplitFiles | null;
  },
): Promise<IngestJson> {
  const config = loadConfig();
  if (args.parquet || args.split) return ingestFileDirect(args, config);
  const input = await openInput(args.file);
  let database: Awaited<ReturnType<typeof openCatalog>> | undefined;
  let progress: Progress | null = null;
  try {
    database = await openCatalog(connectOptions(config, args.values));
    await ensureDirectDataset(database, args);
    // Bytes are counted as read from the file (compressed for .gz), so they match its size.
    progress = makeProgress(args.values, { label: 'ingest', unit: 'rows', totalBytes: input.size });
    let bytes = 0;
    let records = 0;
    const counted = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        progress?.update(records, bytes);
        yield chunk;
      }
    };
    const raw = counted(input.stream);
    const source = args.gzip ? gunzipped(raw, args.file) : raw;
    const result = await ingestStream(database, args.slug, source, {
      format: args.format,
      mapping: args.mapping,
      onError: args.onError,
      container: 'auto',
      maxRecordBytes: args.maxRecordBytes ?? config.maxRecordBytes,
      onProgress: (n) => {
        records = n;
        progress?.update(records, bytes);
      },
    });
    progress?.update(result.records, bytes);
    progress?.finish();
    return ingestResultJson(args.slug, result);
  } catch (error) {
    progress?.fail();
    throw error;
  } finally {
    await input.close();
    await database?.close();
  }
}

/**
 * A Parquet file is read in place (random access by row group), not streamed; so are the shards of
 * a Hugging Face split.
 */
async function ingestFileDirect(
  args: CommonArgs & {
    format: ReturnType<typeof parseFormat> | 'auto';
    mapping: ReturnType<typeof parseFieldMapping> | undefined;
    maxRecordBytes: number | undefined;
    split: SplitFiles | null;
  },
  config: ReturnType<typeof loadConfig>,
): Promise<IngestJson> {
  let file: Awaited<ReturnType<typeof openParquetFile>> | null = null;
  if (!args.split) {
    try {
      file = await openParquetFile(args.file);
    } catch (error) {
      throw new CommandFailure(`cannot read ${args.file}: ${describeFsError(error)}`);
    }
  }
  let database: Awaited<ReturnType<typeof openCatalog>> | undefined;
  let progress: Progress | null = null;
  try {
    database = await openCatalog(connectOptions(config, args.values));
    await ensureDirectDataset(database, args);
    progress = makeProgress(args.values, { label: 'ingest', unit: 'rows' });
    const result = await ingestStream(
      database,
      args.slug,
      file ? { parquet: file.buffer } : { shards: args.split!.shards },
      {
        format: args.format,
        mapping: args.mapping,
        onError: args.onError,
        inputName: args.file,
        maxRecordBytes: args.maxRecordBytes ?? config.maxRecordBytes,
        onProgress: (n) => progress?.update(n, 0),
      },
    );
    progress?.update(result.records, result.inputBytes);
    progress?.finish();
    return ingestResultJson(args.slug, result);
  } catch (error) {
    progress?.fail();
    throw error;
  } finally {
    await file?.close();
    await database?.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function ensureDirectDataset(
  database: Awaited<ReturnType<typeof openCatalog>>,
  args: Pick<CommonArgs, 'slug' | 'create'>,
): Promise<void> {
  if (args.create && !(await findDatasetBySlug(database.db, args.slug))) {
    await registerDataset(database.db, { slug: args.slug, ...args.create });
    process.stderr.write(`created dataset ${args.slug}\n`);
  }
  // An unknown dataset is refused before any progress is drawn.
  await requireDatasetBySlug(database.db, args.slug);
}

async function ingestRemote(
  remote: Remote,
  args: CommonArgs & {
    format: ReturnType<typeof parseFormat> | 'auto';
    map: string | undefined;
    maxRecordBytes: number | undefined;
  },
): Promise<IngestJson> {
  const input = await openInput(args.file);
  try {
    if (args.create) await ensureRemoteDataset(remote, args.slug, args.create);
  } catch (error) {
    await input.close();
    throw error;
  }
  const query = new URLSearchParams();
  query.set('format', args.format);
  if (args.map !== undefined) query.set('map', args.map);
  query.set('onError', args.onError);
  // The server takes a lower limit than its QDC_MAX_RECORD_BYTES, never a higher one.
  if (args.maxRecordBytes !== undefined) query.set('maxRecordBytes', String(args.maxRecordBytes));
  const progress = makeProgress(args.values, { label: 'ingest', unit: 'rows', totalBytes: input.size });
  // While uploading, JSONL lines approximate the records (the server's count replaces them at the end).
  let bytes = 0;
  let lines = 0;
  const countLines = !args.gzip && !args.parquet;
  const body = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of input.stream) {
      bytes += chunk.length;
      if (countLines) lines += countNewlines(chunk);
      progress?.update(lines, bytes);
      yield chunk;
    }
  };
  try {
    const response = await remoteFetch(
      remote,
      `/v1/datasets/${encodeURIComponent(args.slug)}/versions?${query}`,
      {
        method: 'POST',
        headers: {
          // application/json lets the server detect the container (JSON array or JSONL), as direct mode does.
          'content-type': args.parquet ? PARQUET_CONTENT_TYPE : 'application/json',
          accept: 'application/json',
          ...(args.gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: body(),
        duplex: 'half',
      },
    );
    if (!response.ok) throw await responseFailure(response);
    const result = (await response.json()) as IngestJson;
    progress?.update(result.records, bytes);
    progress?.finish();
    return result;
  } catch (error) {
    progress?.fail();
    throw error;
  } finally {
    await input.close();
  }
}

/** Registers the dataset on the server unless a dataset already has the slug. */
async function ensureRemoteDataset(
  remote: Remote,
  slug: string,
  fields: DatasetFields & { name: string },
): Promise<void> {
  const exists = async () =>
    (
      await remoteGraphQL<{ dataset: { id: string } | null }>(
        remote,
        'query ($slug: String!) { dataset(slug: $slug) { id } }',
        { slug },
      )
    ).dataset !== null;
  if (await exists()) return;
  try {
    await remoteGraphQL(remote, `mutation ($in: CreateDatasetInput!) { createDataset(input: $in) { id } }`, {
      in: { slug, ...fields },
    });
    process.stderr.write(`created dataset ${slug}\n`);
  } catch (error) {
    // Someone registered it in the meantime: ingest into theirs, as if it had existed.
    if (!(await exists())) throw error;
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function printSummary(r: IngestJson): void {
  const ref = `${r.version.dataset}@${r.version.version}`;
  const lines = [
    r.created
      ? `created version ${ref}`
      : `version ${ref} already existed with identical content; it is returned and nothing new was stored`,
    `  id            ${r.version.id}`,
    `  content hash  ${r.version.contentHash}`,
    `  records ${count(r.records)}: ingested ${count(r.ingested)}, rejected ${count(r.rejected)}, ` +
      `duplicates ${count(r.duplicateSamples)} (format ${r.format}, ${r.container})`,
  ];
  const shown = r.rejections.slice(0, SHOWN_REJECTIONS);
  for (const j of shown) lines.push(`  rejected ${describeRejection(j)}: ${j.reason}`);
  if (r.rejected > shown.length) {
    lines.push(
      `  ... and ${count(r.rejected - shown.length)} more rejected (--json lists the first ${MAX_LISTED_REJECTIONS})`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}
