/**
 * Checks a document against Croissant 1.1 as its specification (docs/croissant-spec-1.1.md of
 * mlcommons/croissant) states it: the Appendix 1 @context, the required Dataset properties, the
 * distribution's FileObject/FileSet properties, RecordSets and Fields with resolvable sources, and
 * that every property is a term of the context (or a compact IRI of a declared prefix), so JSON-LD
 * processing keeps all of it. Returns the problems, in words.
 */
import jsonld from 'jsonld';
import type { ResponseJson } from './testServer.js';

const KEYWORDS = new Set(['@context', '@type', '@id', '@value', '@language', '@list', '@set']);

/**
 * schema.org properties (reached through @vocab) that the Croissant 1.1 spec names (every
 * schema.org/<property> link in it), plus alternateName, which its example datasets use.
 */
const SCHEMA_ORG_PROPERTIES = new Set(
  (
    'citation contentSize contentUrl creator dateCreated dateModified datePublished description ' +
    'distribution encodingFormat inLanguage keywords license name publisher sameAs sdLicense ' +
    'sdPublisher sha256 url usageInfo version alternateName'
  ).split(' '),
);

export function croissantProblems(doc: ResponseJson, context: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const ctx = doc['@context'];
  if (!ctx || typeof ctx !== 'object') return ['@context is missing or not an object'];
  for (const [key, value] of Object.entries(context)) {
    if (JSON.stringify(ctx[key]) !== JSON.stringify(value))
      problems.push(`@context.${key} differs from Croissant 1.1`);
  }
  for (const [key, value] of Object.entries(ctx)) {
    if (key in context) continue;
    if (typeof value !== 'string' || !/[/#:]$/.test(value))
      problems.push(`@context.${key} is not a namespace prefix`);
  }
  const prefixes = new Set(
    Object.entries(ctx)
      .filter(([, v]) => typeof v === 'string' && /[/#:]$/.test(v as string))
      .map(([k]) => k),
  );

  // Required Dataset properties (spec: "Dataset-level Information", Required; "Modified and Added").
  if (doc['@type'] !== 'sc:Dataset') problems.push('@type must be sc:Dataset');
  const conformsTo = [doc.conformsTo].flat();
  if (!conformsTo.includes('http://mlcommons.org/croissant/1.1'))
    problems.push('conformsTo must include http://mlcommons.org/croissant/1.1');
  for (const key of ['description', 'name', 'url', 'datePublished']) {
    if (typeof doc[key] !== 'string' || doc[key] === '') problems.push(`${key} (required, ONE) is missing`);
  }
  if (typeof doc.datePublished === 'string' && Number.isNaN(Date.parse(doc.datePublished)))
    problems.push('datePublished is not a Date/DateTime');
  if (!doc.license || [doc.license].flat().length === 0) problems.push('license (required) is missing');
  const creators = [doc.creator ?? []].flat();
  if (creators.length === 0) problems.push('creator (required) is missing');
  for (const c of creators) {
    if (!['sc:Organization', 'sc:Person'].includes(c['@type']))
      problems.push('creator must be an Organization or Person');
  }

  const ids = new Map<string, unknown>();
  const distribution = [doc.distribution ?? []].flat();
  if (distribution.length === 0) problems.push('distribution (required) is empty');
  for (const [i, d] of distribution.entries()) {
    const where = `distribution[${i}]`;
    if (d['@type'] !== 'cr:FileObject' && d['@type'] !== 'cr:FileSet')
      problems.push(`${where} must be a cr:FileObject or cr:FileSet`);
    if (typeof d['@id'] !== 'string') problems.push(`${where} has no @id`);
    ids.set(d['@id'], d);
    if (d['@type'] === 'cr:FileObject') {
      for (const key of ['name', 'contentUrl', 'encodingFormat']) {
        if (typeof d[key] !== 'string' || d[key] === '') problems.push(`${where}.${key} is missing`);
      }
      if (d.containedIn === undefined && !/^[0-9a-f]{64}$/.test(d.sha256 ?? '') && !d.md5)
        problems.push(`${where} needs a sha256 checksum (64 hex digits)`);
    }
  }
  const recordSets = [doc.recordSet ?? []].flat();
  if (recordSets.length === 0) problems.push('recordSet is empty');
  for (const [i, rs] of recordSets.entries()) {
    const where = `recordSet[${i}]`;
    if (rs['@type'] !== 'cr:RecordSet') problems.push(`${where} must be a cr:RecordSet`);
    if (typeof rs['@id'] !== 'string') problems.push(`${where} has no @id`);
    const fields = [rs.field ?? []].flat();
    if (fields.length === 0) problems.push(`${where} has no field`);
    for (const [j, f] of fields.entries()) {
      const at = `${where}.field[${j}]`;
      if (f['@type'] !== 'cr:Field') problems.push(`${at} must be a cr:Field`);
      if (typeof f['@id'] !== 'string' || !f['@id'].startsWith(`${rs['@id']}/`))
        problems.push(`${at}.@id must be <recordSet @id>/<name>`);
      if (!f.dataType) problems.push(`${at}.dataType is missing`);
      const source = f.source;
      const target = source?.fileObject?.['@id'] ?? source?.fileSet?.['@id'];
      if (!ids.has(target)) problems.push(`${at}.source does not reference a distribution @id`);
      const extract = Object.keys(source?.extract ?? {});
      if (extract.length !== 1 || !['column', 'jsonPath', 'fileProperty'].includes(extract[0]!))
        problems.push(`${at}.source.extract must name one column, jsonPath or fileProperty`);
    }
  }

  // Every property is a context term or a compact IRI with a declared prefix.
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    if (!value || typeof value !== 'object') return;
    if ((value as ResponseJson)['@type'] === '@json') return; // a JSON literal: its keys are data
    for (const [key, v] of Object.entries(value)) {
      if (key === '@context') continue;
      const prefix = key.split(':')[0]!;
      if (
        !KEYWORDS.has(key) &&
        !(key in ctx) &&
        !SCHEMA_ORG_PROPERTIES.has(key) &&
        !(key.includes(':') && prefixes.has(prefix))
      )
        problems.push(`${path}.${key} is not a term of the context`);
      walk(v, `${path}.${key}`);
    }
  };
  walk(doc, '$');
  return problems;
}

/** JSON-LD expansion with no network: the context must be inline. */
export async function expandOffline(doc: object): Promise<ResponseJson[]> {
  return (jsonld.expand as ResponseJson)(doc, {
    documentLoader: async (url: string) => {
      throw new Error(`no remote documents in tests (asked for ${url})`);
    },
    base: 'http://catalog.test/v1/versions/x/croissant.json',
  } as ResponseJson) as Promise<ResponseJson[]>;
}
