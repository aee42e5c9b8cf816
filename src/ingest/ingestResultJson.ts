/**
 * The JSON answer to a bulk ingest: what `POST /v1/datasets/{slug}/versions` returns and what
 * `qdc ingest --json` prints, so both doors describe a version the same way.
 */
import type { VersionRow } from '../db/schema.js';
import { toGlobalId } from '../globalId.js';
import type { IngestResult } from './ingest.js';

export function versionJson(slug: string, v: VersionRow) {
  return {
    id: toGlobalId('DatasetVersion', v.id),
    dataset: slug,
    version: v.version,
    contentHash: v.contentHash,
    sampleCount: v.sampleCount,
    byteSize: v.byteSize,
    createdAt: v.createdAt.toISOString(),
  };
}

export function ingestResultJson(slug: string, r: IngestResult) {
  return {
    created: r.created,
    version: versionJson(slug, r.version),
    format: r.format,
    container: r.container,
    records: r.records,
    ingested: r.records - r.rejected,
    rejected: r.rejected,
    rejections: r.rejections,
    duplicateSamples: r.duplicateSamples,
    duplicates: r.duplicates,
    inputBytes: r.inputBytes,
  };
}
