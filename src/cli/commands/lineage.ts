/**
 * `qdc lineage <version>`: the lineage walk around a version drawn as a tree in the terminal
 * (upstream: each version's inputs below it; downstream: what was generated from it), or the walk
 * as JSON.
 */
import { UsageError, type Command } from '../command.js';
import { refOf, resolveVersion, withCatalogClient } from '../catalogClient.js';
import { API_KEY_ENV_DOC, remoteOptions, reportFailure } from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';
import { fileDatabaseOptions } from './databaseOptions.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

const DIRECTIONS: Record<string, 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH'> = {
  up: 'UPSTREAM',
  upstream: 'UPSTREAM',
  down: 'DOWNSTREAM',
  downstream: 'DOWNSTREAM',
  both: 'BOTH',
};

interface LineageVersion {
  id: string;
  version: number;
  sampleCount: number;
  dataset: { slug: string };
}

export interface LineageJson {
  root: LineageVersion & { ref: string };
  nodes: {
    degree: number;
    direction: string;
    truncated: boolean;
    version: LineageVersion & { ref: string };
  }[];
  edges: {
    role: string;
    from: { id: string; ref: string };
    to: { id: string; ref: string };
    run: { id: string; algorithm: { key: string } | null; generatorModel: string | null; params: unknown };
  }[];
  isPartial: boolean;
}

const V = 'id version sampleCount dataset { slug }';
const LINEAGE_QUERY = `query ($in: LineageInput!) { lineage(input: $in) {
  root { ${V} } isPartial
  nodes { degree direction truncated version { ${V} } }
  edges { role from { id version dataset { slug } } to { id version dataset { slug } }
          run { id algorithm { key } generatorModel params } }
} }`;

export const lineageCommand: Command = {
  name: 'lineage',
  summary: 'Show the lineage around a version as a tree (inputs upstream, outputs downstream).',
  usage:
    'qdc lineage <version> [--direction up|down|both] [--depth N] [--max-nodes N] [--json]\n' +
    '                   [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    direction: {
      type: 'string',
      short: 'd',
      description: 'up (inputs, the default), down (versions generated from it) or both.',
      valueName: 'dir',
    },
    depth: {
      type: 'string',
      description: 'Most hops from the version, 1 to 10 (default 3).',
      valueName: 'n',
    },
    'max-nodes': {
      type: 'string',
      description: 'Most versions to show besides the start, 1 to 1000 (default 100).',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'Print the walk (root, nodes, edges, isPartial) as JSON.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    'In the tree each line is ROLE slug@N [algorithm, model]; a version reached twice is drawn once',
    'and then marked "(see above)"; "..." marks a version whose further lineage was cut by --depth',
    'or --max-nodes.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    API_KEY_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one version');
    const directionText = ((values.direction as string | undefined) ?? 'up').toLowerCase();
    const direction = DIRECTIONS[directionText];
    if (!direction) throw new UsageError(`--direction must be up, down or both (got "${directionText}")`);
    const depth = intOption(values, 'depth', 3);
    const maxNodes = intOption(values, 'max-nodes', 100);
    try {
      const lineage = await withCatalogClient(values, async (client) => {
        const version = await resolveVersion(client, positionals[0]!);
        const data = await client.request<{ lineage: LineageJson }>(LINEAGE_QUERY, {
          in: { version: version.id, direction, depth, maxNodes },
        });
        return lineageJson(data.lineage);
      });
      process.stdout.write(
        values.json ? `${JSON.stringify(lineage, null, 2)}\n` : formatTree(lineage, direction),
      );
      return 0;
    } catch (error) {
      return reportFailure('lineage', error);
    }
  },
};

export function intOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const text = values[name] as string | undefined;
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer (got "${text}")`);
  return n;
}

function lineageJson(raw: LineageJson): LineageJson {
  const ref = <T extends { version: number; dataset: { slug: string } }>(v: T) => ({ ...v, ref: refOf(v) });
  return {
    root: ref(raw.root),
    nodes: raw.nodes.map((n) => ({ ...n, version: ref(n.version) })),
    edges: raw.edges.map((e) => ({
      role: e.role,
      from: { id: e.from.id, ref: refOf(e.from as unknown as LineageVersion) },
      to: { id: e.to.id, ref: refOf(e.to as unknown as LineageVersion) },
      run: e.run,
    })),
    isPartial: raw.isPartial,
  };
}

/** The walk as an indented tree; BOTH draws the upstream and the downstream tree. */
export function formatTree(lineage: LineageJson, direction: 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH'): string {
  const nodes = new Map(lineage.nodes.map((n) => [`${n.direction}:${n.version.id}`, n]));
  const lines: string[] = [`${lineage.root.ref} (${lineage.root.sampleCount} samples)`];
  const sides = direction === 'BOTH' ? (['UPSTREAM', 'DOWNSTREAM'] as const) : [direction];
  for (const side of sides) {
    const seen = new Set<string>([lineage.root.id]);
    const childrenOf = (id: string) =>
      lineage.edges.filter((e) => (side === 'UPSTREAM' ? e.to.id === id : e.from.id === id));
    if (direction === 'BOTH')
      lines.push(side === 'UPSTREAM' ? 'upstream (inputs):' : 'downstream (outputs):');
    const draw = (id: string, prefix: string) => {
      const children = childrenOf(id);
      children.forEach((edge, i) => {
        const last = i === children.length - 1;
        const next = side === 'UPSTREAM' ? edge.from : edge.to;
        const node = nodes.get(`${side}:${next.id}`);
        const how = [edge.run.algorithm?.key, edge.run.generatorModel].filter(Boolean).join(', ');
        const repeated = seen.has(next.id);
        lines.push(
          `${prefix}${last ? '└── ' : '├── '}${edge.role} ${next.ref}` +
            (node ? ` (${node.version.sampleCount} samples)` : '') +
            (how ? ` [${how}]` : '') +
            (repeated ? ' (see above)' : node?.truncated ? ' ...' : ''),
        );
        if (repeated) return;
        seen.add(next.id);
        draw(next.id, `${prefix}${last ? '    ' : '│   '}`);
      });
    };
    draw(lineage.root.id, direction === 'BOTH' ? '  ' : '');
    if (childrenOf(lineage.root.id).length === 0) {
      lines.push(
        `${direction === 'BOTH' ? '  ' : ''}(no ${side === 'UPSTREAM' ? 'inputs' : 'outputs'} recorded)`,
      );
    }
  }
  if (lineage.isPartial) lines.push('(partial: --depth or --max-nodes left versions out)');
  return `${lines.join('\n')}\n`;
}
