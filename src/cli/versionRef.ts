/** Naming a version on the command line: a global id, `slug@N`, or a bare slug (its latest version). */
import type { Executor } from '../db/connect.js';
import type { VersionRow } from '../db/schema.js';
import { fromGlobalId, idOf } from '../globalId.js';
import { requireVersionById, requireVersionByRef } from '../ingest/export.js';
import { CommandFailure, remoteGraphQL, type Remote } from './remote.js';

export const VERSION_REF_HELP =
  'Version: a version\'s global id (as printed by "qdc ingest"), slug@N for version N of a dataset, or a bare slug for its latest version.';

const REF_PATTERN = /^([^@\s]+)@([1-9][0-9]*)$/;

/** True when `ref` decodes as a global id (of any type; the caller checks it names a version). */
export function looksLikeGlobalId(ref: string): boolean {
  if (ref.includes('@')) return false;
  try {
    fromGlobalId(ref);
    return true;
  } catch {
    return false;
  }
}

export async function resolveDirect(db: Executor, ref: string): Promise<VersionRow> {
  if (looksLikeGlobalId(ref)) return requireVersionById(db, idOf('DatasetVersion', ref, 'version'));
  return requireVersionByRef(db, ref);
}

const VERSION_FIELDS = 'id version sampleCount byteSize contentHash dataset { slug }';

export interface RemoteVersion {
  id: string;
  version: number;
  sampleCount: number;
  byteSize: number;
  contentHash: string;
  dataset: { slug: string };
}

export async function resolveRemote(remote: Remote, ref: string): Promise<RemoteVersion> {
  if (looksLikeGlobalId(ref)) {
    idOf('DatasetVersion', ref, 'version');
    const data = await remoteGraphQL<{ version: RemoteVersion | null }>(
      remote,
      `query ($id: ID!) { version(id: $id) { ${VERSION_FIELDS} } }`,
      { id: ref },
    );
    if (!data.version) throw new CommandFailure(`no version with id ${ref}`);
    return data.version;
  }
  const match = REF_PATTERN.exec(ref);
  const slug = match ? match[1]! : ref;
  if (!match && /[@\s]/.test(ref)) {
    throw new CommandFailure(
      `"${ref}" is not a version reference: use <dataset-slug>@<number> or a version id`,
    );
  }
  if (match) {
    const number = Number(match[2]);
    const data = await remoteGraphQL<{ dataset: { version: RemoteVersion | null } | null }>(
      remote,
      `query ($slug: String!, $number: Int!) { dataset(slug: $slug) { version(number: $number) { ${VERSION_FIELDS} } } }`,
      { slug, number },
    );
    if (!data.dataset) throw new CommandFailure(`no dataset with slug "${slug}"`);
    if (!data.dataset.version) throw new CommandFailure(`dataset "${slug}" has no version ${number}`);
    return data.dataset.version;
  }
  const data = await remoteGraphQL<{ dataset: { latestVersion: RemoteVersion | null } | null }>(
    remote,
    `query ($slug: String!) { dataset(slug: $slug) { latestVersion { ${VERSION_FIELDS} } } }`,
    { slug },
  );
  if (!data.dataset) throw new CommandFailure(`no dataset with slug "${slug}"`);
  if (!data.dataset.latestVersion) throw new CommandFailure(`dataset "${slug}" has no versions yet`);
  return data.dataset.latestVersion;
}
