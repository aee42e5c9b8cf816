/**
 * OpenLineage (https://openlineage.io, spec 2-0-2) in and out.
 *
 * Out: a version's generating run as a COMPLETE RunEvent: the run's custom `qdc_generation` facet
 * (algorithm, generator model, parameters), inputs and output named `namespace` = the catalog,
 * `name` = the dataset slug, with the standard `version` facet (the version number) and
 * `dataQualityMetrics` facets whose `columnMetrics` carry one entry per QDC metric.
 *
 * In: RunEvents are checked against the vendored OpenLineage JSON schema (and the facets the
 * catalog reads against theirs); a COMPLETE event whose outputs and inputs all name versions the
 * catalog holds records a generation run per output. A dataset is known when its `name` is a
 * dataset slug (or `slug@N`) and a version is named by the `version` facet (a version number or a
 * content hash) or `@N`; anything else is reported back as unknown, never guessed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { and, eq } from 'drizzle-orm';
import { findDatasetBySlug } from '../catalog/datasets.js';
import { findRunsBy, recordGenerationRun, type InputRole } from '../catalog/lineage.js';
import { findVersionByNumber } from '../catalog/versions.js';
import type { Db, Executor } from '../db/connect.js';
import { datasetVersions, readyVersion, type VersionRow } from '../db/schema.js';
import { findUnstorable } from '../storableText.js';
import { BadInputError, isDomainError, NotFoundError } from '../errors.js';
import { toGlobalId } from '../globalId.js';
import { latestResultsOfVersions, type MetricResultView } from '../metricRuns/results.js';
import { loadVersionFacts, refOf, type VersionFacts } from './versionFacts.js';

const OL_CORE = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
const RUN_EVENT_SCHEMA = `${OL_CORE}#/$defs/RunEvent`;
const VERSION_FACET = 'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json';
const DQ_INPUT_FACET = 'https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json';
const DQ_DATASET_FACET = 'https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json';
const QDC_FACETS = 'urn:qdc-catalog:openlineage:QdcGenerationRunFacet.json';
/** Where the catalog serves its own facet schema (relative to its origin). */
export const QDC_FACET_SCHEMA_PATH = '/v1/openlineage/QdcGenerationRunFacet.json';

const ROLES: readonly InputRole[] = [
  'SEED',
  'SOURCE',
  'REFERENCE',
  'FILTERED_FROM',
  'DEDUPLICATED_FROM',
  'MERGED_FROM',
  'OTHER',
];

function readJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Record<string, unknown>;
}

export const QDC_FACET_SCHEMA = readJson('./schemas/QdcGenerationRunFacet.json');

interface Validators {
  runEvent: ValidateFunction;
  versionFacet: ValidateFunction;
  dqInputFacet: ValidateFunction;
  dqDatasetFacet: ValidateFunction;
  qdcGeneration: ValidateFunction;
  qdcInput: ValidateFunction;
}

let validators: Validators | null = null;

/** The vendored schemas compiled once (ajv, JSON Schema 2020-12, with the `uri`/`uuid`/`date-time` formats). */
function getValidators(): Validators {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  const formats = addFormatsModule as unknown as { default?: (a: Ajv2020) => void } & ((a: Ajv2020) => void);
  const addFormats = formats.default ?? formats;
  addFormats(ajv);
  for (const file of [
    'OpenLineage.json',
    'DatasetVersionDatasetFacet.json',
    'DataQualityMetricsInputDatasetFacet.json',
    'DataQualityMetricsDatasetFacet.json',
  ]) {
    ajv.addSchema(readJson(`./vendor/openlineage/${file}`));
  }
  ajv.addSchema(QDC_FACET_SCHEMA);
  const get = (ref: string) => {
    const fn = ajv.getSchema(ref);
    if (!fn) throw new Error(`schema ${ref} is missing`);
    return fn;
  };
  validators = {
    runEvent: get(RUN_EVENT_SCHEMA),
    versionFacet: get(`${VERSION_FACET}#/$defs/DatasetVersionDatasetFacet`),
    dqInputFacet: get(`${DQ_INPUT_FACET}#/$defs/DataQualityMetricsInputDatasetFacet`),
    dqDatasetFacet: get(`${DQ_DATASET_FACET}#/$defs/DataQualityMetricsDatasetFacet`),
    qdcGeneration: get(`${QDC_FACETS}#/$defs/QdcGenerationRunFacet`),
    qdcInput: get(`${QDC_FACETS}#/$defs/QdcInputDatasetFacet`),
  };
  return validators;
}

/** `/run/runId` as `$.run.runId` (array indices as [n]). */
function jsonPath(prefix: string, pointer: string): string {
  let path = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(part)
      ? `[${part}]`
      : /^[A-Za-z_$][\w$]*$/.test(part)
        ? `.${part}`
        : `[${JSON.stringify(part)}]`;
  }
  return path;
}

export interface SchemaProblem {
  path: string;
  message: string;
}

/** The most specific problems: ajv reports the failing branches of anyOf/allOf too. */
function problemsOf(prefix: string, errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  const list = (errors ?? []).filter((e) => !['anyOf', 'oneOf', 'allOf', 'if'].includes(e.keyword));
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const e of list) {
    const path =
      e.keyword === 'required'
        ? jsonPath(prefix, `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`)
        : e.keyword === 'additionalProperties'
          ? jsonPath(
              prefix,
              `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`,
            )
          : jsonPath(prefix, e.instancePath);
    const message =
      e.keyword === 'required'
        ? 'is required'
        : e.keyword === 'enum'
          ? `${e.message} ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
          : (e.message ?? 'is invalid');
    const key = `${path} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}

/** Schema problems of one RunEvent (and of the facets the catalog reads); empty when it is valid. */
export function runEventProblems(event: unknown, prefix = '$'): SchemaProblem[] {
  const v = getValidators();
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return [{ path: prefix, message: 'must be an OpenLineage RunEvent object' }];
  }
  if (!v.runEvent(event)) return problemsOf(prefix, v.runEvent.errors);
  const e = event as RunEvent;
  const problems: SchemaProblem[] = [];
  const check = (fn: ValidateFunction, value: unknown, at: string) => {
    if (value !== undefined && !fn(value)) problems.push(...problemsOf(at, fn.errors));
  };
  check(v.qdcGeneration, e.run.facets?.qdc_generation, `${prefix}.run.facets.qdc_generation`);
  (e.inputs ?? []).forEach((d, i) => {
    check(v.versionFacet, d.facets?.version, `${prefix}.inputs[${i}].facets.version`);
    check(v.qdcInput, d.inputFacets?.qdc_input, `${prefix}.inputs[${i}].inputFacets.qdc_input`);
    check(
      v.dqInputFacet,
      d.inputFacets?.dataQualityMetrics,
      `${prefix}.inputs[${i}].inputFacets.dataQualityMetrics`,
    );
  });
  (e.outputs ?? []).forEach((d, i) => {
    check(v.versionFacet, d.facets?.version, `${prefix}.outputs[${i}].facets.version`);
    check(
      v.dqDatasetFacet,
      d.facets?.dataQualityMetrics,
      `${prefix}.outputs[${i}].facets.dataQualityMetrics`,
    );
  });
  // Names, notes and params are stored as text and jsonb.
  const unstorable = findUnstorable(event, prefix);
  if (unstorable) problems.push({ path: unstorable.path, message: unstorable.problem });
  return problems;
}

interface OlDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Record<string, unknown>>;
  inputFacets?: Record<string, Record<string, unknown>>;
  outputFacets?: Record<string, Record<string, unknown>>;
}

export interface RunEvent {
  eventType?: string;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets?: Record<string, Record<string, unknown>> };
  job: { namespace: string; name: string; facets?: Record<string, unknown> };
  inputs?: OlDataset[];
  outputs?: OlDataset[];
}

// ---------------------------------------------------------------------------------------------
// Out

export interface EmitOptions {
  /** The catalog's origin, e.g. http://host:4000: the datasets' namespace and the facet schema's home. */
  origin: string;
  /** qdc-catalog's version, for `producer`. */
  catalogVersion: string;
}

/** A UUID derived from the run's id, so the same run always has the same runId. */
export function runUuid(runId: number): string {
  const h = createHash('sha256').update(`qdc-catalog:GenerationRun:${runId}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** columnMetrics entries: one per metric result, keyed by metric key. */
function columnMetrics(results: readonly MetricResultView[]): Record<string, Record<string, unknown>> {
  const entries: Record<string, Record<string, unknown>> = {};
  for (const r of results) {
    const details = r.details as { min?: unknown; max?: unknown; quantiles?: Record<string, unknown> };
    const entry: Record<string, unknown> = {
      qdc_value: r.value,
      qdc_status: r.status,
      qdc_estimator: r.estimator,
      qdc_params: r.params,
      qdc_paramsHash: r.paramsHash,
    };
    if (r.n !== null) entry.count = r.n;
    if (typeof details.min === 'number') entry.min = details.min;
    if (typeof details.max === 'number') entry.max = details.max;
    if (details.quantiles && typeof details.quantiles === 'object') {
      const q: Record<string, number> = {};
      for (const [k, v] of Object.entries(details.quantiles)) {
        const m = /^p(\d+)$/.exec(k);
        if (m && typeof v === 'number') q[String(Number(m[1]) / 100)] = v;
      }
      if (Object.keys(q).length > 0) entry.quantiles = q;
    }
    if (r.seed !== null) entry.qdc_seed = r.seed;
    // Two results of one metric with other parameters get their own entries.
    const key = entries[r.metric] ? `${r.metric}#${r.paramsHash.slice(0, 12)}` : r.metric;
    entries[key] = entry;
  }
  return entries;
}

export async function buildRunEvent(
  db: Executor,
  versionId: number,
  options: EmitOptions,
): Promise<RunEvent> {
  const facts = await loadVersionFacts(db, versionId);
  if (!facts.run) {
    throw new NotFoundError(`version ${refOf(facts)} has no recorded generation run to emit`);
  }
  const inputIds = facts.run.inputs.map((i) => i.version.id);
  const inputMetrics = await latestResultsOfVersions(db, inputIds, { succeededOnly: true });
  return runEventOf(facts, inputMetrics, options);
}

export function runEventOf(
  facts: VersionFacts,
  inputMetrics: Map<number, MetricResultView[]>,
  options: EmitOptions,
): RunEvent {
  const run = facts.run!;
  const producer = `urn:qdc-catalog:${options.catalogVersion}`;
  const facet = (schemaURL: string) => ({ _producer: producer, _schemaURL: schemaURL });
  const versionFacet = (v: VersionRow) => ({
    ...facet(`${VERSION_FACET}#/$defs/DatasetVersionDatasetFacet`),
    datasetVersion: String(v.version),
    qdc_contentHash: v.contentHash,
    qdc_versionId: toGlobalId('DatasetVersion', v.id),
  });
  const quality = (schemaURL: string, v: VersionRow, results: readonly MetricResultView[]) => ({
    ...facet(schemaURL),
    rowCount: v.sampleCount,
    bytes: v.byteSize,
    lastUpdated: v.createdAt.toISOString(),
    columnMetrics: columnMetrics(results),
  });
  return {
    eventType: 'COMPLETE',
    eventTime: (run.row.finishedAt ?? run.row.createdAt).toISOString(),
    producer,
    schemaURL: RUN_EVENT_SCHEMA,
    run: {
      runId: runUuid(run.row.id),
      facets: {
        qdc_generation: {
          ...facet(`${options.origin}${QDC_FACET_SCHEMA_PATH}#/$defs/QdcGenerationRunFacet`),
          algorithm: run.algorithm
            ? { key: run.algorithm.key, name: run.algorithm.name, arxivId: run.algorithm.arxivId }
            : null,
          generatorModel: run.row.generatorModel,
          params: run.row.params,
          notes: run.row.notes,
          ...(run.row.startedAt ? { startedAt: run.row.startedAt.toISOString() } : {}),
        },
      },
    },
    job: { namespace: options.origin, name: `generate/${facts.dataset.slug}` },
    inputs: run.inputs.map((i) => ({
      namespace: options.origin,
      name: i.dataset.slug,
      facets: { version: versionFacet(i.version) },
      inputFacets: {
        qdc_input: {
          ...facet(`${options.origin}${QDC_FACET_SCHEMA_PATH}#/$defs/QdcInputDatasetFacet`),
          role: i.role,
        },
        dataQualityMetrics: quality(
          `${DQ_INPUT_FACET}#/$defs/DataQualityMetricsInputDatasetFacet`,
          i.version,
          inputMetrics.get(i.version.id) ?? [],
        ),
      },
    })),
    outputs: [
      {
        namespace: options.origin,
        name: facts.dataset.slug,
        facets: {
          version: versionFacet(facts.version),
          dataQualityMetrics: quality(
            `${DQ_DATASET_FACET}#/$defs/DataQualityMetricsDatasetFacet`,
            facts.version,
            facts.metrics,
          ),
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// In

export interface UnknownDataset {
  /** e.g. `$.outputs[0]`. */
  path: string;
  namespace: string;
  name: string;
  reason: string;
}

export interface EventOutcome {
  /** `$` for a single event, `$[n]` in a batch. */
  path: string;
  runId: string;
  eventType: string | null;
  /** recorded: a generation run per output; ignored: not a COMPLETE event (nothing to record);
   * unresolved: some dataset is unknown (see `unknownDatasets`); refused: the catalog refused the run. */
  status: 'recorded' | 'ignored' | 'unresolved' | 'refused';
  reason?: string;
  recorded: { output: string; outputId: string; runId: string; inputs: { ref: string; role: InputRole }[] }[];
  unknownDatasets: UnknownDataset[];
}

const SLUG_REF = /^([a-z0-9][a-z0-9-]{1,63})(?:@([1-9][0-9]*))?$/;

async function resolveDataset(
  db: Executor,
  d: OlDataset,
  path: string,
): Promise<{ version: VersionRow; ref: string } | UnknownDataset> {
  const unknown = (reason: string): UnknownDataset => ({
    path,
    namespace: d.namespace,
    name: d.name,
    reason,
  });
  const match = SLUG_REF.exec(d.name);
  if (!match) return unknown('the name is not a dataset slug (or slug@N) of this catalog');
  const dataset = await findDatasetBySlug(db, match[1]!);
  if (!dataset) return unknown(`no dataset with slug "${match[1]}"`);
  const facetVersion = d.facets?.version?.datasetVersion as string | undefined;
  const named = facetVersion ?? match[2];
  if (named === undefined) {
    return unknown(
      'no version named: add the "version" dataset facet (a version number or content hash) or use slug@N',
    );
  }
  let version: VersionRow | null = null;
  if (/^[1-9][0-9]*$/.test(named)) {
    version = await findVersionByNumber(db, dataset.id, Number(named));
  } else if (/^[0-9a-f]{64}$/.test(named)) {
    const [row] = await db
      .select()
      .from(datasetVersions)
      .where(
        and(eq(datasetVersions.datasetId, dataset.id), eq(datasetVersions.contentHash, named), readyVersion),
      );
    version = row ?? null;
  } else {
    return unknown(`version "${named}" is neither a version number nor a content hash (64 hex digits)`);
  }
  if (
    match[2] !== undefined &&
    facetVersion !== undefined &&
    version &&
    String(version.version) !== match[2]
  ) {
    return unknown(
      `the name says version ${match[2]} but the version facet names version ${version.version}`,
    );
  }
  if (!version || version.status !== 'READY')
    return unknown(`dataset "${dataset.slug}" has no version ${named}`);
  return { version, ref: `${dataset.slug}@${version.version}` };
}

/**
 * Checks every event first (any schema problem: BadInputError with the JSON paths, nothing
 * recorded), then records the COMPLETE ones whose datasets are all known.
 */
export async function acceptRunEvents(db: Db, body: unknown): Promise<EventOutcome[]> {
  const batch = Array.isArray(body);
  const events = batch ? (body as unknown[]) : [body];
  if (batch && events.length === 0) throw new BadInputError('the array holds no RunEvent', { path: '$' });
  if (events.length > 1000) throw new BadInputError(`at most 1000 events per request (got ${events.length})`);
  const problems = events.flatMap((e, i) => runEventProblems(e, batch ? `$[${i}]` : '$'));
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => `${p.path} ${p.message}`);
    throw new BadInputError(
      `not a valid OpenLineage RunEvent: ${shown.join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}; nothing was recorded`,
      { path: problems[0]!.path, problems },
    );
  }
  const outcomes: EventOutcome[] = [];
  for (const [i, raw] of events.entries()) {
    outcomes.push(await acceptRunEvent(db, raw as RunEvent, batch ? `$[${i}]` : '$'));
  }
  return outcomes;
}

async function acceptRunEvent(db: Db, event: RunEvent, path: string): Promise<EventOutcome> {
  const outcome: EventOutcome = {
    path,
    runId: event.run.runId,
    eventType: event.eventType ?? null,
    status: 'recorded',
    recorded: [],
    unknownDatasets: [],
  };
  if (event.eventType !== 'COMPLETE') {
    return { ...outcome, status: 'ignored', reason: 'only COMPLETE events record a generation run' };
  }
  const outputs = event.outputs ?? [];
  if (outputs.length === 0)
    return { ...outcome, status: 'ignored', reason: 'the event names no output dataset' };
  const inputs: { version: VersionRow; ref: string; role: InputRole }[] = [];
  for (const [n, d] of (event.inputs ?? []).entries()) {
    const resolved = await resolveDataset(db, d, `${path}.inputs[${n}]`);
    if ('reason' in resolved) outcome.unknownDatasets.push(resolved);
    else {
      const role = (d.inputFacets?.qdc_input?.role as InputRole | undefined) ?? 'SOURCE';
      inputs.push({ ...resolved, role: ROLES.includes(role) ? role : 'SOURCE' });
    }
  }
  const resolvedOutputs: { version: VersionRow; ref: string }[] = [];
  for (const [n, d] of outputs.entries()) {
    const resolved = await resolveDataset(db, d, `${path}.outputs[${n}]`);
    if ('reason' in resolved) outcome.unknownDatasets.push(resolved);
    else resolvedOutputs.push(resolved);
  }
  if (outcome.unknownDatasets.length > 0) {
    return {
      ...outcome,
      status: 'unresolved',
      reason: 'some datasets are not in the catalog; nothing was recorded for this event',
    };
  }
  const generation = event.run.facets?.qdc_generation as
    | {
        algorithm?: { key: string } | null;
        generatorModel?: string | null;
        params?: Record<string, unknown>;
        notes?: string | null;
      }
    | undefined;
  const notes = [
    generation?.notes,
    `OpenLineage run ${event.run.runId} of job ${event.job.namespace}/${event.job.name} (producer ${event.producer})`,
  ]
    .filter(Boolean)
    .join('\n');
  // The usual refusal (a retried event: the output already has its run) is caught before anything
  // is written, so an event with several outputs is not recorded for some of them only.
  const existing = await findRunsBy(
    db,
    'outputVersionId',
    resolvedOutputs.map((o) => o.version.id),
  );
  if (existing.length > 0) {
    const taken = resolvedOutputs.find((o) => o.version.id === existing[0]!.outputVersionId)!;
    return {
      ...outcome,
      status: 'refused',
      reason: `${taken.ref}: version ${taken.ref} already has a generation run; a version is produced by one run`,
    };
  }
  for (const output of resolvedOutputs) {
    try {
      const run = await recordGenerationRun(db, {
        outputVersionId: output.version.id,
        output: { ref: output.ref },
        inputs: inputs.map((i) => ({ versionId: i.version.id, role: i.role, ref: i.ref })),
        algorithmKey: generation?.algorithm?.key ?? null,
        generatorModel: generation?.generatorModel ?? null,
        params: generation?.params ?? {},
        finishedAt: new Date(event.eventTime),
        notes,
      });
      outcome.recorded.push({
        output: output.ref,
        outputId: toGlobalId('DatasetVersion', output.version.id),
        runId: toGlobalId('GenerationRun', run.id),
        inputs: inputs.map((i) => ({ ref: i.ref, role: i.role })),
      });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { ...outcome, status: 'refused', reason: `${output.ref}: ${error.message}` };
    }
  }
  return outcome;
}
