/**
 * A version as a Croissant 1.1 dataset description (JSON-LD): the version's JSONL export as its one
 * FileObject (with the sha256 of exactly the bytes `GET /v1/versions/{id}/samples.jsonl` serves),
 * a RecordSet whose fields extract the export's columns, the QDC metric results as descriptive
 * statistics (annotations on the RecordSet, as in the spec's "Representing Descriptive
 * Statistics"), and the generating run as PROV-O provenance (`prov:wasDerivedFrom` the inputs,
 * `prov:wasGeneratedBy` an activity naming the algorithm, the generator model and the parameters).
 *
 * The @context is the spec's Appendix 1 context (vendor/croissant-1.1-context.json) plus the two
 * prefixes the spec asks extensions to declare: `prov` and `qdc` (this catalog's own terms).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Executor } from '../db/connect.js';
import { toGlobalId } from '../globalId.js';
import { exportVersionJsonl } from '../ingest/export.js';
import { findMetric } from '../metrics/registry.js';
import { loadVersionFacts, refOf, type VersionFacts } from './versionFacts.js';

export const CROISSANT_CONTEXT: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('./vendor/croissant-1.1-context.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.1';
export const PROV_NAMESPACE = 'http://www.w3.org/ns/prov#';
/** The namespace of qdc-catalog's own terms (qdc:n, qdc:estimator, ...). */
export const QDC_NAMESPACE = 'urn:qdc-catalog:';

/** The columns of the JSONL export, as Croissant fields. */
const EXPORT_FIELDS: { name: string; dataType: string; description: string }[] = [
  {
    name: 'prompt',
    dataType: 'sc:Text',
    description: 'The instruction or question (null for chat samples).',
  },
  { name: 'response', dataType: 'sc:Text', description: 'The generated answer.' },
  { name: 'reference', dataType: 'sc:Text', description: 'A reference answer, when the sample has one.' },
  {
    name: 'messages',
    dataType: 'sc:Text',
    description: 'Chat turns as a JSON array of {role, content}; null for prompt/response samples.',
  },
  { name: 'metadata', dataType: 'sc:Text', description: 'Free-form JSON metadata of the sample.' },
];

/** Where the documents of a version live; `null`: relative to the document's own URL. */
export interface CroissantOptions {
  /** e.g. `http://host:4000`; null makes every link relative to `/v1/versions/{id}/croissant.json`. */
  baseUrl: string | null;
}

function versionUrl(base: string | null, versionId: number, file: string): string {
  const id = toGlobalId('DatasetVersion', versionId);
  return base === null
    ? `../${encodeURIComponent(id)}/${file}`
    : `${base}/v1/versions/${encodeURIComponent(id)}/${file}`;
}

/** sha256 (hex) and length of the JSONL export's bytes, streamed (nothing is held in memory). */
export async function hashJsonlExport(
  db: Executor,
  versionId: number,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const line of exportVersionJsonl(db, versionId)) {
    const chunk = Buffer.from(line, 'utf8');
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function buildCroissant(
  db: Executor,
  versionId: number,
  options: CroissantOptions,
): Promise<Record<string, unknown>> {
  const facts = await loadVersionFacts(db, versionId);
  const file = await hashJsonlExport(db, versionId);
  return croissantDocument(facts, file, options);
}

/** SPDX ids become their license page; anything else (a URL, free text) is kept as given. */
function licenseOf(license: string | null): string {
  if (!license) return 'https://spdx.org/licenses/NOASSERTION';
  if (/^[A-Za-z0-9.+-]+$/.test(license)) return `https://spdx.org/licenses/${license}.html`;
  return license;
}

export function croissantDocument(
  facts: VersionFacts,
  file: { sha256: string; bytes: number },
  options: CroissantOptions,
): Record<string, unknown> {
  const { version, dataset } = facts;
  const ref = refOf(facts);
  const base = options.baseUrl;
  const fileId = 'samples.jsonl';
  const recordSetId = 'samples';
  const selfUrl = versionUrl(base, version.id, 'croissant.json');
  const doc: Record<string, unknown> = {
    '@context': { ...CROISSANT_CONTEXT, prov: PROV_NAMESPACE, qdc: QDC_NAMESPACE },
    '@type': 'sc:Dataset',
    '@id': selfUrl,
    conformsTo: CROISSANT_CONFORMS_TO,
    name: ref,
    alternateName: dataset.name,
    description:
      dataset.description ??
      `Version ${version.version} of ${dataset.name} (${version.sampleCount} samples), from the qdc-catalog.`,
    license: licenseOf(dataset.license),
    url: dataset.sourceUri ?? selfUrl,
    creator: { '@type': 'sc:Organization', name: 'qdc-catalog', url: base ?? selfUrl },
    datePublished: version.createdAt.toISOString(),
    dateModified: version.createdAt.toISOString(),
    version: `${version.version}.0.0`,
    keywords: [
      ...dataset.tags,
      ...(dataset.task ? [dataset.task] : []),
      ...(dataset.domain ? [dataset.domain] : []),
    ],
    'qdc:contentHash': version.contentHash,
    'qdc:sampleCount': version.sampleCount,
    distribution: [
      {
        '@type': 'cr:FileObject',
        '@id': fileId,
        name: fileId,
        description: 'The samples as JSON Lines, one object per line in sample order (GET samples.jsonl).',
        contentUrl: versionUrl(base, version.id, 'samples.jsonl'),
        contentSize: `${file.bytes} B`,
        encodingFormat: 'application/jsonlines',
        sha256: file.sha256,
      },
    ],
    recordSet: [
      {
        '@type': 'cr:RecordSet',
        '@id': recordSetId,
        name: recordSetId,
        description: `The ${version.sampleCount} samples of ${ref}.`,
        field: EXPORT_FIELDS.map((f) => ({
          '@type': 'cr:Field',
          '@id': `${recordSetId}/${f.name}`,
          name: f.name,
          description: f.description,
          dataType: f.dataType,
          source: { fileObject: { '@id': fileId }, extract: { column: f.name } },
        })),
        annotation: [
          {
            '@type': 'cr:Field',
            '@id': `${recordSetId}/count`,
            name: 'count',
            description: 'Number of samples.',
            value: version.sampleCount,
            dataType: 'http://www.wikidata.org/entity/Q4049983',
          },
          ...facts.metrics.map((m) => metricAnnotation(recordSetId, m)),
        ],
      },
    ],
  };
  if (facts.run) Object.assign(doc, provenance(facts, base));
  return doc;
}

function metricAnnotation(recordSetId: string, m: VersionFacts['metrics'][number]): Record<string, unknown> {
  const definition = findMetric(m.metric);
  const annotation: Record<string, unknown> = {
    '@type': 'cr:Field',
    '@id': `${recordSetId}/qdc/${m.metric}/${m.paramsHash.slice(0, 12)}`,
    name: m.metric,
    description:
      definition?.description ??
      `Scores pushed by the external scorer ${m.metric.slice('external:'.length)}.`,
    value: m.value,
    dataType: 'sc:Float',
    'qdc:metric': m.metric,
    'qdc:status': m.status,
    'qdc:n': m.n,
    'qdc:estimator': m.estimator,
    'qdc:seed': m.seed,
    'qdc:sampleSize': m.sampleSize,
    'qdc:definitionVersion': m.definitionVersion,
    'qdc:params': { '@type': '@json', '@value': m.params },
    'qdc:paramsHash': m.paramsHash,
    'qdc:computedAt': m.computedAt?.toISOString() ?? null,
  };
  if (definition) {
    annotation['qdc:axis'] = definition.axis;
    annotation['qdc:direction'] = definition.direction;
  }
  return Object.fromEntries(Object.entries(annotation).filter(([, v]) => v !== null && v !== undefined));
}

function provenance(facts: VersionFacts, base: string | null): Record<string, unknown> {
  const run = facts.run!;
  const inputs = run.inputs.map((i) => ({
    '@id': versionUrl(base, i.version.id, 'croissant.json'),
    '@type': 'prov:Entity',
    name: refOf(i),
    'qdc:role': i.role,
    'qdc:contentHash': i.version.contentHash,
  }));
  const activity: Record<string, unknown> = {
    '@type': 'prov:Activity',
    '@id': `urn:qdc-catalog:run:${toGlobalId('GenerationRun', run.row.id)}`,
    'prov:label': run.algorithm ? `${run.algorithm.name} generation` : 'generation run',
    'prov:used': inputs.map((i) => ({ '@id': i['@id'] })),
    'qdc:params': { '@type': '@json', '@value': run.row.params },
  };
  if (run.algorithm) {
    activity['qdc:algorithm'] = run.algorithm.key;
    activity['prov:type'] = {
      '@id': `urn:qdc-catalog:algorithm:${run.algorithm.key}`,
      name: run.algorithm.name,
      ...(run.algorithm.arxivId ? { url: `https://arxiv.org/abs/${run.algorithm.arxivId}` } : {}),
    };
  }
  if (run.row.generatorModel) {
    activity['qdc:generatorModel'] = run.row.generatorModel;
    activity['prov:wasAssociatedWith'] = {
      '@type': 'prov:SoftwareAgent',
      'prov:label': run.row.generatorModel,
    };
  }
  if (run.row.startedAt) activity['prov:startedAtTime'] = run.row.startedAt.toISOString();
  if (run.row.finishedAt) activity['prov:endedAtTime'] = run.row.finishedAt.toISOString();
  if (run.row.notes) activity['description'] = run.row.notes;
  return { 'prov:wasDerivedFrom': inputs, 'prov:wasGeneratedBy': activity };
}
