/**
 * `qdc runs record <output> --input ROLE:VERSION ... --algorithm KEY --model M --param k=v`:
 * records how a version was generated (its lineage), straight in the database or through a server.
 */
import { UsageError, type Command } from '../command.js';
import {
  CLIENT_ENV_HELP,
  CLIENT_OPTIONS,
  resolveVersion,
  summarize,
  withCatalogClient,
  type CatalogClient,
} from '../catalogClient.js';
import { reportFailure } from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';

export const INPUT_ROLES = [
  'SEED',
  'SOURCE',
  'REFERENCE',
  'FILTERED_FROM',
  'DEDUPLICATED_FROM',
  'MERGED_FROM',
  'OTHER',
] as const;

const VERSION_SELECTION = 'id version sampleCount contentHash dataset { slug }';

/** The GraphQL selection of a run, which is what `--json` prints. */
export const RUN_SELECTION = `id output { ${VERSION_SELECTION} } inputs { role version { ${VERSION_SELECTION} } }
  algorithm { key name arxivId } generatorModel params startedAt finishedAt notes createdAt`;

interface RunVersion {
  id: string;
  version: number;
  sampleCount: number;
  contentHash: string;
  dataset: { slug: string };
}

export interface RunJson {
  id: string;
  output: RunVersion & { ref: string };
  inputs: { role: string; version: RunVersion & { ref: string } }[];
  algorithm: { key: string; name: string; arxivId: string | null } | null;
  generatorModel: string | null;
  params: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
  notes: string | null;
  createdAt: string;
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'Record how a version was generated: inputs with roles, algorithm, model, parameters.',
  usage:
    'qdc runs record <output-version> [--input ROLE:VERSION]... [--algorithm KEY] [--model ID]\n' +
    '                [--param KEY=VALUE]... [--params JSON] [--started ISO] [--finished ISO] [--notes TEXT]\n' +
    '                [--json] [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    input: {
      type: 'string',
      multiple: true,
      description: `An input version and its role, e.g. seed:seed-tasks@1; repeat for several. Roles: ${INPUT_ROLES.map((r) => r.toLowerCase()).join(', ')}.`,
      valueName: 'role:version',
    },
    algorithm: {
      type: 'string',
      description: 'Key of a known algorithm, e.g. self-instruct (see the taxonomy).',
      valueName: 'key',
    },
    model: { type: 'string', description: 'Generator model id, e.g. gpt-4-0613.', valueName: 'id' },
    param: {
      type: 'string',
      multiple: true,
      description: 'A generation parameter; VALUE is read as JSON when it parses, else as text. Repeatable.',
      valueName: 'key=value',
    },
    params: {
      type: 'string',
      description: 'Parameters as one JSON object (merged under --param).',
      valueName: 'json',
    },
    started: { type: 'string', description: 'When generation started (ISO 8601).', valueName: 'time' },
    finished: { type: 'string', description: 'When generation finished (ISO 8601).', valueName: 'time' },
    notes: {
      type: 'string',
      description: 'Free-text notes (e.g. what an OTHER role means).',
      valueName: 'text',
    },
    json: { type: 'boolean', description: 'Print the recorded run as JSON.' },
    ...CLIENT_OPTIONS,
  },
  epilog: [
    VERSION_REF_HELP,
    'A version has at most one generating run; a run that would make a version its own ancestor is',
    'refused and nothing is written. Exit codes: 0 recorded, 1 refused, 2 usage error.',
    '',
    ...CLIENT_ENV_HELP,
  ].join('\n'),
  async run({ values, positionals }) {
    const [action, ...rest] = positionals;
    if (action !== 'record') {
      throw new UsageError(
        action === undefined ? 'expected an action: record' : `unknown action "${action}" (expected record)`,
      );
    }
    if (rest.length !== 1) throw new UsageError('record takes exactly one output version');
    const request = parseRecord(values);
    try {
      const run = await withCatalogClient(values, (client) => recordRun(client, rest[0]!, request));
      process.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : formatRun(run));
      return 0;
    } catch (error) {
      return reportFailure('runs', error);
    }
  },
};

interface RecordRequest {
  inputs: { role: string; ref: string }[];
  algorithm: string | null;
  generatorModel: string | null;
  params: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
  notes: string | null;
}

function parseRecord(values: Record<string, unknown>): RecordRequest {
  const inputs = ((values.input as string[] | undefined) ?? []).map((text) => {
    const colon = text.indexOf(':');
    if (colon < 1) throw new UsageError(`--input "${text}" is not ROLE:VERSION (e.g. seed:seed-tasks@1)`);
    const role = text.slice(0, colon).toUpperCase().replace(/-/g, '_');
    if (!(INPUT_ROLES as readonly string[]).includes(role)) {
      throw new UsageError(
        `--input "${text}": unknown role "${text.slice(0, colon)}" (expected ${INPUT_ROLES.map((r) => r.toLowerCase()).join(', ')})`,
      );
    }
    return { role, ref: text.slice(colon + 1) };
  });
  let params: Record<string, unknown> = {};
  if (values.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.params as string);
    } catch (error) {
      throw new UsageError(`--params is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--params must be a JSON object, e.g. {"temperature": 0.7}');
    }
    params = parsed as Record<string, unknown>;
  }
  for (const text of (values.param as string[] | undefined) ?? []) {
    const eq = text.indexOf('=');
    if (eq < 1) throw new UsageError(`--param "${text}" is not KEY=VALUE`);
    const raw = text.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: kept as text.
    }
    params[text.slice(0, eq)] = value;
  }
  const time = (option: string): string | null => {
    const text = values[option] as string | undefined;
    if (text === undefined) return null;
    if (Number.isNaN(Date.parse(text))) throw new UsageError(`--${option} "${text}" is not an ISO 8601 time`);
    return new Date(text).toISOString();
  };
  return {
    inputs,
    algorithm: (values.algorithm as string | undefined) ?? null,
    generatorModel: (values.model as string | undefined) ?? null,
    params,
    startedAt: time('started'),
    finishedAt: time('finished'),
    notes: (values.notes as string | undefined) ?? null,
  };
}

async function recordRun(client: CatalogClient, outputRef: string, request: RecordRequest): Promise<RunJson> {
  const output = await resolveVersion(client, outputRef);
  const inputs = [];
  for (const input of request.inputs) {
    inputs.push({ version: (await resolveVersion(client, input.ref)).id, role: input.role });
  }
  const { recordGenerationRun: run } = await client.request<{ recordGenerationRun: RunJson }>(
    `mutation ($in: RecordGenerationRunInput!) { recordGenerationRun(input: $in) { ${RUN_SELECTION} } }`,
    {
      in: {
        output: output.id,
        inputs,
        algorithm: request.algorithm,
        generatorModel: request.generatorModel,
        params: request.params,
        startedAt: request.startedAt,
        finishedAt: request.finishedAt,
        notes: request.notes,
      },
    },
  );
  return runJson(run);
}

/** Adds `ref` (slug@N) to each version of a run as the API returns it. */
export function runJson(run: RunJson): RunJson {
  return {
    ...run,
    output: summarize(run.output),
    inputs: run.inputs.map((i) => ({ role: i.role, version: summarize(i.version) })),
  };
}

function formatRun(run: RunJson): string {
  const lines = [
    `recorded run ${run.id}: ${run.output.ref}`,
    ...run.inputs.map((i) => `  ${i.role.padEnd(17)} ${i.version.ref}`),
    `  algorithm         ${run.algorithm ? `${run.algorithm.key} (${run.algorithm.name})` : '-'}`,
    `  generator model   ${run.generatorModel ?? '-'}`,
    `  params            ${JSON.stringify(run.params)}`,
  ];
  if (run.notes) lines.push(`  notes             ${run.notes}`);
  return `${lines.join('\n')}\n`;
}
