/**
 * Lineage between versions: generation runs (inputs -> algorithm/model/params -> output) and the
 * bounded walk over them. The graph is kept acyclic: a run that would make a version its own
 * ancestor is refused, and lineage writes are serialized so two runs cannot race into a cycle.
 */
import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/connect.js';
import {
  algorithms,
  datasetVersions,
  readyVersion,
  generationRuns,
  runInputs,
  type GenerationRunRow,
  type RunInputRow,
} from '../db/schema.js';
import { anyOf, bigintArray, rowsOf } from '../db/sqlHelpers.js';
import { preparedSelect } from '../db/preparedSelect.js';
import { BadInputError, NotFoundError } from '../errors.js';

export type InputRole = RunInputRow['role'];
export type LineageDirection = 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';

export const MAX_LINEAGE_DEPTH = 10;
export const MAX_LINEAGE_NODES = 1000;
export const MAX_RUN_INPUTS = 1000;

export interface RecordRunInput {
  outputVersionId: number;
  /** `ref` is how the caller named the version, used in error messages. */
  output?: { ref: string };
  inputs: readonly { versionId: number; role: InputRole; ref: string }[];
  algorithmKey?: string | null;
  generatorModel?: string | null;
  params?: unknown;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  notes?: string | null;
}

export async function recordGenerationRun(db: Db, input: RecordRunInput): Promise<GenerationRunRow> {
  const outputRef = input.output?.ref ?? String(input.outputVersionId);
  const params = input.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new BadInputError('params must be a JSON object', { field: 'params' });
  }
  if (input.inputs.length > MAX_RUN_INPUTS) {
    throw new BadInputError(`a run may have at most ${MAX_RUN_INPUTS} inputs (got ${input.inputs.length})`);
  }
  if (input.startedAt && input.finishedAt && input.finishedAt < input.startedAt) {
    throw new BadInputError('finishedAt is before startedAt', { field: 'finishedAt' });
  }
  const self = input.inputs.find((i) => i.versionId === input.outputVersionId);
  if (self) throw new BadInputError(`version ${self.ref} cannot be an input of the run that produced it`);
  const uniqueInputs = [...new Map(input.inputs.map((i) => [`${i.versionId}:${i.role}`, i])).values()];

  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('qdc.lineage'))`);
    const ids = [input.outputVersionId, ...uniqueInputs.map((i) => i.versionId)];
    const found = new Set(
      (
        await tx
          .select({ id: datasetVersions.id })
          .from(datasetVersions)
          .where(and(anyOf(datasetVersions.id, ids, 'bigint'), readyVersion))
      ).map((r) => r.id),
    );
    if (!found.has(input.outputVersionId)) throw new NotFoundError(`no version with id ${outputRef}`);
    const missing = uniqueInputs.filter((i) => !found.has(i.versionId));
    if (missing.length > 0) {
      throw new NotFoundError(
        `no version with id ${[...new Set(missing.map((m) => m.ref))].join(', ')} (inputs)`,
      );
    }
    let algorithmId: number | null = null;
    if (input.algorithmKey) {
      const [alg] = await tx
        .select({ id: algorithms.id })
        .from(algorithms)
        .where(eq(algorithms.key, input.algorithmKey));
      if (!alg)
        throw new BadInputError(`unknown algorithm "${input.algorithmKey}" (see Query.algorithms)`, {
          field: 'algorithm',
        });
      algorithmId = alg.id;
    }
    const [existing] = await tx
      .select({ id: generationRuns.id })
      .from(generationRuns)
      .where(eq(generationRuns.outputVersionId, input.outputVersionId));
    if (existing) {
      throw new BadInputError(
        `version ${outputRef} already has a generation run; a version is produced by one run`,
        {
          field: 'output',
        },
      );
    }
    if (
      await isAncestorOfAny(
        tx,
        input.outputVersionId,
        uniqueInputs.map((i) => i.versionId),
      )
    ) {
      throw new BadInputError(
        `this run would make version ${outputRef} its own ancestor: it is already upstream of one of the inputs`,
        { field: 'inputs' },
      );
    }
    const [run] = await tx
      .insert(generationRuns)
      .values({
        outputVersionId: input.outputVersionId,
        algorithmId,
        generatorModel: input.generatorModel ?? null,
        params: params as Record<string, unknown>,
        startedAt: input.startedAt ?? null,
        finishedAt: input.finishedAt ?? null,
        notes: input.notes ?? null,
      })
      .returning();
    if (uniqueInputs.length > 0) {
      await tx
        .insert(runInputs)
        .values(uniqueInputs.map((i) => ({ runId: run!.id, inputVersionId: i.versionId, role: i.role })));
    }
    return run!;
  });
}

/** True if `candidate` is among the ancestors of any version in `versionIds` (or one of them). */
async function isAncestorOfAny(
  db: Executor,
  candidate: number,
  versionIds: readonly number[],
): Promise<boolean> {
  if (versionIds.length === 0) return false;
  const result = await db.execute(sql`
    with recursive ancestors(id) as (
      select unnest(${bigintArray(versionIds)})
      union
      select ${runInputs.inputVersionId}
      from ancestors a
      join ${generationRuns} on ${generationRuns.outputVersionId} = a.id
      join ${runInputs} on ${runInputs.runId} = ${generationRuns.id}
    )
    select exists (select 1 from ancestors where id = ${candidate}) as found`);
  return rowsOf<{ found: boolean }>(result)[0]?.found === true;
}

export interface LineageNode {
  versionId: number;
  degree: number;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  truncated: boolean;
}

export interface LineageEdge {
  fromVersionId: number;
  toVersionId: number;
  role: InputRole;
  runId: number;
}

export interface LineageResult {
  rootVersionId: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
  isPartial: boolean;
}

export function validateLineageBounds(depth: number, maxNodes: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_LINEAGE_DEPTH) {
    throw new BadInputError(`depth must be an integer from 1 to ${MAX_LINEAGE_DEPTH} (got ${depth})`, {
      field: 'depth',
    });
  }
  if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_LINEAGE_NODES) {
    throw new BadInputError(`maxNodes must be an integer from 1 to ${MAX_LINEAGE_NODES} (got ${maxNodes})`, {
      field: 'maxNodes',
    });
  }
}

/**
 * Walks lineage from a version with ONE recursive query. The walk goes one hop past `depth` only
 * to learn whether anything was cut off (`isPartial`, per-node `truncated`); `union` keeps at most
 * one row per (direction, version, depth), so dense DAGs stay polynomial.
 */
export async function walkLineage(
  db: Executor,
  options: { versionId: number; ref?: string; direction: LineageDirection; depth: number; maxNodes: number },
): Promise<LineageResult> {
  validateLineageBounds(options.depth, options.maxNodes);
  const directions = options.direction === 'BOTH' ? ['UPSTREAM', 'DOWNSTREAM'] : [options.direction];
  const start = options.versionId;
  const result = await db.execute(sql`
    with recursive edges as (
      select ${runInputs.inputVersionId} as parent, ${generationRuns.outputVersionId} as child,
        ${runInputs.role} as role, ${generationRuns.id} as run_id
      from ${runInputs} join ${generationRuns} on ${generationRuns.id} = ${runInputs.runId}
    ),
    walk(dir, version_id, depth) as (
      select d.dir, ${datasetVersions.id}, 0
      from ${datasetVersions}, unnest(${sql`ARRAY[${sql.join(
        directions.map((d) => sql`${d}`),
        sql`, `,
      )}]::text[]`}) as d(dir)
      where ${datasetVersions.id} = ${start} and ${readyVersion}
      union
      select w.dir, case when w.dir = 'UPSTREAM' then e.parent else e.child end, w.depth + 1
      from walk w
      join edges e on (w.dir = 'UPSTREAM' and e.child = w.version_id)
                   or (w.dir = 'DOWNSTREAM' and e.parent = w.version_id)
      where w.depth <= ${options.depth}
    ),
    reached as (
      select dir, version_id, min(depth) as degree
      from walk where version_id <> ${start}
      group by dir, version_id
    ),
    ranked as (
      select *, row_number() over (order by degree, dir desc, version_id) as rn
      from reached where degree <= ${options.depth}
    ),
    kept as (select dir, version_id, degree from ranked where rn <= ${options.maxNodes}),
    members as (select version_id from kept union select ${start}::bigint)
    select
      (select count(*) from ${datasetVersions} where ${datasetVersions.id} = ${start} and ${readyVersion})::int as root_found,
      coalesce((
        select json_agg(json_build_object(
          'versionId', k.version_id, 'degree', k.degree, 'direction', k.dir,
          'truncated', exists (
            select 1 from edges e
            where (k.dir = 'UPSTREAM' and e.child = k.version_id
                   and e.parent not in (select version_id from members))
               or (k.dir = 'DOWNSTREAM' and e.parent = k.version_id
                   and e.child not in (select version_id from members))
          )) order by k.degree, k.dir desc, k.version_id)
        from kept k), '[]'::json) as nodes,
      coalesce((
        select json_agg(json_build_object(
          'fromVersionId', e.parent, 'toVersionId', e.child, 'role', e.role, 'runId', e.run_id)
          order by e.run_id, e.parent, e.role)
        from edges e
        where e.parent in (select version_id from members) and e.child in (select version_id from members)
      ), '[]'::json) as edges,
      (exists (select 1 from reached where degree > ${options.depth})
        or (select count(*) from ranked) > ${options.maxNodes}) as partial`);
  const [row] = rowsOf<{ root_found: number; nodes: unknown; edges: unknown; partial: boolean }>(result);
  if (!row || row.root_found === 0) throw new NotFoundError(`no version with id ${options.ref ?? start}`);
  const nodes = parseJson<LineageNode[]>(row.nodes).map((n) => ({ ...n, versionId: Number(n.versionId) }));
  const edges = parseJson<LineageEdge[]>(row.edges).map((e) => ({
    ...e,
    fromVersionId: Number(e.fromVersionId),
    toVersionId: Number(e.toVersionId),
    runId: Number(e.runId),
  }));
  return { rootVersionId: start, nodes, edges, isPartial: row.partial };
}

/** node-postgres parses json columns; PGlite may hand back text. */
function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

const runsBy = {
  id: runsWhere(generationRuns.id),
  outputVersionId: runsWhere(generationRuns.outputVersionId),
};

function runsWhere(column: typeof generationRuns.id | typeof generationRuns.outputVersionId) {
  return preparedSelect(getTableColumns(generationRuns), (select) =>
    select.from(generationRuns).where(anyOf(column, sql.placeholder('values'), 'bigint')),
  );
}

export async function findRunsBy(
  db: Executor,
  field: 'id' | 'outputVersionId',
  values: readonly number[],
): Promise<GenerationRunRow[]> {
  if (values.length === 0) return [];
  return runsBy[field].all(db, { values });
}

const inputsOfRunsStatement = preparedSelect(getTableColumns(runInputs), (select) =>
  select
    .from(runInputs)
    .where(anyOf(runInputs.runId, sql.placeholder('runIds'), 'bigint'))
    .orderBy(asc(runInputs.runId), asc(runInputs.inputVersionId), asc(runInputs.role)),
);

export async function inputsOfRuns(db: Executor, runIds: readonly number[]): Promise<RunInputRow[]> {
  if (runIds.length === 0) return [];
  return inputsOfRunsStatement.all(db, { runIds });
}

export interface LineageLinkRow {
  versionId: number;
  neighbourVersionId: number;
  role: InputRole;
  runId: number;
}

/** Direct parents (`UPSTREAM`) or children (`DOWNSTREAM`) of many versions at once. */
export async function neighboursOfVersions(
  db: Executor,
  versionIds: readonly number[],
  direction: 'UPSTREAM' | 'DOWNSTREAM',
): Promise<LineageLinkRow[]> {
  if (versionIds.length === 0) return [];
  return neighbours[direction].all(db, { versionIds });
}

const neighbours = { UPSTREAM: neighboursStatement(true), DOWNSTREAM: neighboursStatement(false) };

function neighboursStatement(upstream: boolean) {
  const fields = {
    versionId: upstream ? generationRuns.outputVersionId : runInputs.inputVersionId,
    neighbourVersionId: upstream ? runInputs.inputVersionId : generationRuns.outputVersionId,
    role: runInputs.role,
    runId: generationRuns.id,
  };
  return preparedSelect(fields, (select) =>
    select
      .from(runInputs)
      .innerJoin(generationRuns, eq(generationRuns.id, runInputs.runId))
      .where(anyOf(fields.versionId, sql.placeholder('versionIds'), 'bigint'))
      .orderBy(asc(generationRuns.id), asc(runInputs.inputVersionId)),
  );
}
