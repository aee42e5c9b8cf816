/**
 * `qdc export --hf DIR --server URL`: the Hugging Face directory of exportHuggingFace.ts built from
 * a running server's public routes only: the card's dataset, metric results and lineage from one
 * GraphQL query, the shard from `GET /v1/versions/{id}/samples.parquet?scores=...`, and the extra
 * message keys of the card's features from the downloaded shard's schema.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parquetSchema } from 'hyparquet';
import { writeHfDirectory, type HfExportResult, type VersionReport } from '../ingest/exportHuggingFace.js';
import { openParquetFile } from '../ingest/parquetFile.js';
import { readParquetMetadata } from '../ingest/readers/parquetReader.js';
import { CommandFailure, remoteFetch, remoteGraphQL, responseFailure, type Remote } from './remote.js';
import type { RemoteVersion } from './versionRef.js';

const REPORT_QUERY = `query ($id: ID!) {
  version(id: $id) {
    dataset { slug name description task domain license sourceUri tags }
    metrics(succeededOnly: true) { metric value status estimator n seed sampleSize params computedAt }
    generatedBy {
      algorithm { key name }
      generatorModel params startedAt finishedAt
      inputs { role version { id version contentHash dataset { slug } } }
    }
  }
}`;

interface ReportData {
  version: {
    dataset: VersionReport['dataset'];
    metrics: VersionReport['metrics'];
    generatedBy: {
      algorithm: { key: string; name: string } | null;
      generatorModel: string | null;
      params: Record<string, unknown>;
      startedAt: string | null;
      finishedAt: string | null;
      inputs: {
        role: string;
        version: { id: string; version: number; contentHash: string; dataset: { slug: string } };
      }[];
    } | null;
  } | null;
}

/** The card's report as direct mode builds it, from the server's GraphQL API. */
async function remoteReport(remote: Remote, versionId: string): Promise<VersionReport> {
  const { version } = await remoteGraphQL<ReportData>(remote, REPORT_QUERY, { id: versionId });
  if (!version) throw new CommandFailure(`no version with id ${versionId}`);
  const run = version.generatedBy;
  return {
    dataset: version.dataset,
    // The card lists the newest results that succeeded (COMPLETE or PARTIAL), as in direct mode.
    metrics: version.metrics,
    lineage: run && {
      algorithm: run.algorithm,
      generatorModel: run.generatorModel,
      params: run.params,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      inputs: run.inputs.map((i) => ({
        version: `${i.version.dataset.slug}@${i.version.version}`,
        id: i.version.id,
        role: i.role,
        contentHash: i.version.contentHash,
      })),
    },
  };
}

/** The keys of the messages struct other than role and content, from an exported shard's schema. */
async function extraMessageKeysOf(path: string): Promise<string[]> {
  const file = await openParquetFile(path);
  try {
    const root = parquetSchema(await readParquetMetadata(file.buffer, path));
    const element = root.children.find((c) => c.element.name === 'messages')?.children[0]?.children[0];
    return (element?.children ?? [])
      .map((c) => c.element.name)
      .filter((name) => name !== 'role' && name !== 'content');
  } finally {
    await file.close();
  }
}

export async function exportHfRemote(
  remote: Remote,
  version: RemoteVersion,
  dir: string,
  options: { split: string | undefined; scores: readonly string[]; onRows?: (rows: number) => void },
): Promise<HfExportResult> {
  return writeHfDirectory(dir, {
    split: options.split,
    version: {
      id: version.id,
      version: version.version,
      sampleCount: version.sampleCount,
      contentHash: version.contentHash,
    },
    report: () => remoteReport(remote, version.id),
    scoreMetrics: options.scores,
    writeShard: async (path) => {
      const query = options.scores.length ? `?scores=${encodeURIComponent(options.scores.join(','))}` : '';
      const response = await remoteFetch(
        remote,
        `/v1/versions/${encodeURIComponent(version.id)}/samples.parquet${query}`,
        { method: 'GET' },
      );
      if (!response.ok) throw await responseFailure(response);
      if (!response.body) throw new CommandFailure('the server sent no body');
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        createWriteStream(path),
      );
      options.onRows?.(version.sampleCount);
      return extraMessageKeysOf(path);
    },
  });
}
