/**
 * Schema-aware GraphQL fuzzing (issue 21 item 3), shared by test/graphql.fuzz.test.ts and
 * bench/fuzz. Operations are generated from the server's introspection: random root fields with
 * random selections, arguments that are mostly well typed (real global ids, cursors and slugs
 * seen so far, edge values of every scalar) and sometimes wrong (out-of-range numbers, malformed
 * ids and cursors, unknown enum values, missing required fields, random JSON), as literals or as
 * variables, over POST and GET, plus some syntactically broken documents. Operation `i` of seed
 * `s` is generated from its own PRNG (seeded from s and i), so one failing operation can be
 * regenerated alone: `generateOperation(schema, s, i, pools)` with the pools it printed.
 */
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLUnionType,
  isLeafType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { createHash } from 'node:crypto';
import { mulberry32 } from '../../src/mulberry32.js';

export interface FuzzOperation {
  method: 'POST' | 'GET';
  /** Absent: a persisted query sent by its hash alone. */
  query?: string;
  variables?: Record<string, unknown>;
  /** Request extensions (APQ's persistedQuery). */
  extensions?: unknown;
}

/** Values seen in earlier answers, which later operations reuse as arguments. */
export interface FuzzPools {
  ids: string[];
  cursors: string[];
  slugs: string[];
  strings: string[];
}

export interface FuzzFinding {
  index: number;
  operation: FuzzOperation;
  status: number;
  reason: string;
  body: string;
}

export async function fetchSchema(url: string, headers: Record<string, string> = {}): Promise<GraphQLSchema> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const body = (await res.json()) as { data: IntrospectionQuery };
  return buildClientSchema(body.data);
}

type Rand = () => number;

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const chance = (rand: Rand, p: number) => rand() < p;

const NODE_TYPES = ['Dataset', 'DatasetVersion', 'Sample', 'Job', 'GenerationRun', 'Component', 'Algorithm'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'math', 'code', 'chat', 'seed', 'noise', 'tint', 'qdc'];
const ODD_STRINGS = [
  '',
  ' ',
  'x',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udfffb',
  '😀'.repeat(3),
  'é\u0301',
  '%',
  '%zz',
  '%00',
  '../..',
  '..',
  '\\',
  '"',
  "'",
  '\n\r\t',
  '{"a":1}',
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'A'.repeat(300),
  'z'.repeat(5000),
];
const INTS = [0, 1, 2, 3, 5, 10, 20, 99, 100, 101, 1000, -1, -100, 2147483647, -2147483648];
const BAD_INTS = [2147483648, -2147483649, 1e12, 1.5, Number.MAX_SAFE_INTEGER];
const FLOATS = [0, 0.5, 1, -1, 0.999, 1e-300, 1e300, -1e300, 3.14, 42];
const DATES = [
  '2026-01-31T12:00:00Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-13-45',
  'yesterday',
  '',
];

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function randomId(rand: Rand, pools: FuzzPools): string {
  const r = rand();
  if (r < 0.55 && pools.ids.length) return pick(rand, pools.ids);
  if (r < 0.7) return b64(`${pick(rand, NODE_TYPES)}:${pick(rand, [1, 2, 3, 7, 99999, 2147483647])}`);
  return pick(rand, [
    b64(`${pick(rand, NODE_TYPES)}:-1`),
    b64(`${pick(rand, NODE_TYPES)}:0`),
    b64(`${pick(rand, NODE_TYPES)}:1e99`),
    b64(`${pick(rand, NODE_TYPES)}:99999999999999999999`),
    b64(`${pick(rand, NODE_TYPES)}:abc`),
    b64(`${pick(rand, NODE_TYPES)}:`),
    b64(`Nope:1`),
    b64(':'),
    b64('\u0000:1'),
    '!!!',
    '',
    '====',
    'RGF0YXNldDox=',
    pick(rand, ODD_STRINGS),
  ]);
}

function randomCursor(rand: Rand, pools: FuzzPools): string {
  if (chance(rand, 0.5) && pools.cursors.length) return pick(rand, pools.cursors);
  return pick(rand, [
    b64('{}'),
    b64('[]'),
    b64('null'),
    b64('"x"'),
    b64('[1]'),
    b64('{"id":-1}'),
    b64('[1e400,"x"]'),
    b64(JSON.stringify([pick(rand, DATES), 1])),
    b64('not json'),
    b64('\u0000'),
    randomId(rand, pools),
    pick(rand, ODD_STRINGS),
  ]);
}

function randomString(rand: Rand, pools: FuzzPools, name: string): string {
  const lower = name.toLowerCase();
  if (chance(rand, 0.3)) {
    if ((lower.includes('dataset') || lower.includes('slug')) && pools.slugs.length)
      return pick(rand, pools.slugs);
    if (lower === 'after' || lower === 'before' || lower.includes('cursor')) return randomCursor(rand, pools);
  }
  const r = rand();
  if (r < 0.25 && pools.strings.length) return pick(rand, pools.strings);
  if (r < 0.6) {
    const n = 1 + Math.floor(rand() * 3);
    return Array.from({ length: n }, () => pick(rand, WORDS)).join(pick(rand, ['-', ' ', '.', '_']));
  }
  if (r < 0.7) return `${pick(rand, WORDS)}-${Math.floor(rand() * 1e6)}`;
  return pick(rand, ODD_STRINGS);
}

/** Random JSON, depth-bounded; sometimes deep or wide. */
function randomJson(rand: Rand, depth = 0): unknown {
  const r = rand();
  if (depth > 3 || r < 0.3) {
    return pick(rand, [null, true, false, 0, -1, 1.5, 1e300, '', 'x', '\u0000', '\ud800', 42, 'name']);
  }
  if (r < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(rand, depth + 1));
  if (r < 0.53) {
    let deep: unknown = 1;
    for (let i = 0; i < 200 + Math.floor(rand() * 2000); i++) deep = [deep];
    return deep;
  }
  const keys = ['n', 'seed', 'size', 'field', 'k', 'threshold', 'params', 'a', '__proto__', 'constructor'];
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--) out[pick(rand, keys)] = randomJson(rand, depth + 1);
  return out;
}

class Generator {
  private variableDefs: string[] = [];
  private variables: Record<string, unknown> = {};
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rand: Rand,
    private readonly pools: FuzzPools,
    /** Probability of a wrong value wherever a value is generated. */
    private readonly wrong: number,
    private readonly useVariables: boolean,
  ) {}

  operation(): FuzzOperation {
    const rand = this.rand;
    const mutation = this.schema.getMutationType();
    const isMutation = mutation !== null && mutation !== undefined && chance(rand, 0.35);
    const root = isMutation ? mutation : this.schema.getQueryType()!;
    const fields = Object.values(root.getFields());
    const count = chance(rand, 0.85) ? 1 : 2;
    const selections: string[] = [];
    for (let i = 0; i < count; i++) {
      const field = pick(rand, fields);
      selections.push(`${i ? `f${i}: ` : ''}${this.field(field, 0)}`);
    }
    const defs = this.variableDefs.length ? `(${this.variableDefs.join(', ')})` : '';
    const query = `${isMutation ? 'mutation' : 'query'} Fuzz${defs} { ${selections.join(' ')} }`;
    const method = !isMutation && chance(rand, 0.2) ? 'GET' : 'POST';
    return { method, query, variables: this.variableDefs.length ? this.variables : undefined };
  }

  private field(field: GraphQLField<unknown, unknown>, depth: number): string {
    const rand = this.rand;
    const args: string[] = [];
    for (const arg of field.args) {
      const required = arg.type instanceof GraphQLNonNull;
      if (required ? chance(rand, 0.03) : chance(rand, 0.55)) continue;
      args.push(`${arg.name}: ${this.argument(arg.name, arg.type)}`);
    }
    if (chance(rand, 0.003)) args.push(`noSuchArg: 1`);
    const head = `${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
    const selection = this.selection(field.type, depth + 1);
    return selection ? `${head} ${selection}` : head;
  }

  private selection(type: GraphQLOutputType, depth: number): string {
    const rand = this.rand;
    const named = getNamedType(type);
    if (isLeafType(named)) return chance(rand, 0.003) ? '{ id }' : '';
    if (chance(rand, 0.003)) return '';
    const parts = ['__typename'];
    if (named instanceof GraphQLObjectType || named instanceof GraphQLInterfaceType) {
      const fields = Object.values(named.getFields());
      const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
      const deeper = depth < 4 ? fields.filter((f) => !isLeafType(getNamedType(f.type))) : [];
      for (let i = 1 + Math.floor(rand() * 3); i > 0 && leaves.length; i--) {
        const leaf = pick(rand, leaves);
        parts.push(`${leaf.name === 'id' ? '' : `l${parts.length}: `}${this.field(leaf, depth)}`);
      }
      if (leaves.some((f) => f.name === 'id')) parts.push('id');
      for (let i = Math.floor(rand() * 2.5); i > 0 && deeper.length; i--) {
        parts.push(`d${parts.length}: ${this.field(pick(rand, deeper), depth)}`);
      }
      if (chance(rand, 0.003)) parts.push('noSuchField');
    }
    if (named instanceof GraphQLInterfaceType || named instanceof GraphQLUnionType) {
      const possible = this.schema.getPossibleTypes(named);
      if (possible.length) {
        const concrete = pick(rand, possible);
        const inner = this.selection(concrete, depth + 1);
        if (inner) parts.push(`... on ${concrete.name} ${inner}`);
      }
    }
    return `{ ${parts.join(' ')} }`;
  }

  /** An argument as a literal or a variable. */
  private argument(name: string, type: GraphQLInputType): string {
    const value = this.value(name, type);
    if (this.useVariables && chance(this.rand, 0.5)) {
      const variable = `v${this.variableDefs.length}`;
      // Now and then a variable declared with a type other than the argument's.
      const declared = chance(this.rand, 0.01)
        ? pick(this.rand, ['Int', 'String!', '[ID]', 'JSON'])
        : String(type);
      this.variableDefs.push(`$${variable}: ${declared}`);
      if (value !== undefined) this.variables[variable] = value;
      return `$${variable}`;
    }
    return literal(value === undefined ? null : value, type);
  }

  /** A value for `type`: right with probability 1 - wrong, else of the wrong shape or range. */
  private value(name: string, type: GraphQLInputType, depth = 0): unknown {
    const rand = this.rand;
    if (type instanceof GraphQLNonNull) {
      if (chance(rand, this.wrong * 0.1)) return null;
      return this.value(name, type.ofType, depth);
    }
    if (chance(rand, 0.02)) return null;
    if (chance(rand, this.wrong * 0.05)) return pick(rand, [[], {}, 'str', 7, true, [1, 'x']]);
    if (type instanceof GraphQLList) {
      const n = chance(rand, 0.05) ? 50 + Math.floor(rand() * 200) : Math.floor(rand() * 4);
      return Array.from({ length: n }, () => this.value(name, type.ofType, depth + 1));
    }
    if (type instanceof GraphQLInputObjectType) {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        const required = field.type instanceof GraphQLNonNull;
        if (required ? chance(rand, this.wrong * 0.1) : chance(rand, 0.5)) continue;
        out[field.name] = this.value(field.name, field.type, depth + 1);
      }
      if (chance(rand, this.wrong * 0.1)) out.noSuchField = 1;
      return out;
    }
    if (type instanceof GraphQLEnumType) {
      if (chance(rand, this.wrong * 0.3)) return new EnumName(pick(rand, ['NOPE', 'lower', 'SEED_']));
      return new EnumName(pick(rand, type.getValues()).name);
    }
    const scalar = type as GraphQLScalarType;
    const wrong = chance(rand, this.wrong);
    switch (scalar.name) {
      case 'Int':
        return wrong ? pick(rand, BAD_INTS) : chance(rand, 0.7) ? pick(rand, INTS) : Math.floor(rand() * 50);
      case 'Float':
        return wrong ? pick(rand, ['1.5', -1e308, 2147483648]) : pick(rand, FLOATS);
      case 'Boolean':
        return wrong ? pick(rand, [0, 'true']) : chance(rand, 0.5);
      case 'ID':
        return wrong ? pick(rand, [7, -1, 1.5]) : randomId(rand, this.pools);
      case 'DateTime':
        return pick(rand, DATES);
      case 'JSON':
        return randomJson(rand);
      default:
        if (wrong) return pick(rand, [7, true, 1.5]);
        if (/^(after|before)$/i.test(name)) return randomCursor(rand, this.pools);
        return randomString(rand, this.pools, name);
    }
  }
}

/** An enum value (printed bare in literals, as its name in variables). */
class EnumName {
  constructor(readonly name: string) {}
  toJSON() {
    return this.name;
  }
}

/** A value as a GraphQL literal; JSON-scalar objects print as object literals. */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof EnumName) return value.name;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const inner = type instanceof GraphQLNonNull ? type.ofType : type;
  if (Array.isArray(value)) {
    const item = inner instanceof GraphQLList ? inner.ofType : inner;
    return `[${value.map((v) => literal(v, item)).join(', ')}]`;
  }
  const fields = inner instanceof GraphQLInputObjectType ? inner.getFields() : {};
  const entries = Object.entries(value as Record<string, unknown>).filter(([k]) => /^[_A-Za-z]\w*$/.test(k));
  return `{ ${entries.map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? inner)}`).join(', ')} }`;
}

/** Breaks a document: cuts it, drops or doubles a character, or inserts noise. */
function corrupt(rand: Rand, query: string): string {
  const at = Math.floor(rand() * query.length);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return query.slice(0, at);
    case 1:
      return query.slice(0, at) + query.slice(at + 1);
    case 2:
      return query.slice(0, at) + query[at] + query.slice(at);
    case 3:
      return (
        query.slice(0, at) +
        pick(rand, ['{', '}', '(', ')', '$', '"', '...', '@skip', '#', '\u0000']) +
        query.slice(at)
      );
    default:
      return `${query} ${query}`;
  }
}

/** The operation as an automatic persisted query: registered, by hash only, or malformed. */
function persistedVariant(rand: Rand, operation: FuzzOperation): FuzzOperation {
  const hash = createHash('sha256').update(operation.query!).digest('hex');
  const extensions = pick(rand, [
    { persistedQuery: { version: 1, sha256Hash: hash } },
    { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    { persistedQuery: { version: 2, sha256Hash: hash } },
    { persistedQuery: { version: 1 } },
    { persistedQuery: 'x' },
    { persistedQuery: null },
    [1],
  ]);
  const byHashOnly = chance(rand, 0.5);
  return { ...operation, extensions, query: byHashOnly ? undefined : operation.query };
}

/** Operation `index` of `seed`: a function of (schema, seed, index, pools) only. */
export function generateOperation(
  schema: GraphQLSchema,
  seed: number,
  index: number,
  pools: FuzzPools,
): FuzzOperation {
  const rand = mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const wrong = pick(rand, [0, 0.05, 0.2, 0.5]);
  const operation = new Generator(schema, rand, pools, wrong, chance(rand, 0.6)).operation();
  if (chance(rand, 0.06)) return { ...operation, method: 'POST', query: corrupt(rand, operation.query!) };
  if (chance(rand, 0.05)) return persistedVariant(rand, operation);
  return operation;
}

const STACK = /\n\s+at [^\n]+[:(]\d+:\d+|node:internal|\/node_modules\/|\.ts:\d+|\.js:\d+:\d+/;
const SQL =
  /syntax error at or near|violates [\w ]*constraint|duplicate key value|invalid input syntax for|Failed query|relation "\w+"|column "\w+"|\b(select|insert into|delete from)\s[^\n]{0,200}\s(from|where|values)\s/i;

/** What is wrong with one answer, or null when it is acceptable. */
export function judgeResponse(status: number, text: string): string | null {
  if (status >= 500) return `HTTP status ${status}`;
  let body: { errors?: { extensions?: Record<string, unknown> }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  for (const error of body.errors ?? []) {
    if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR';
    if (error.extensions && 'stacktrace' in error.extensions) return 'stacktrace in extensions';
  }
  const errorsText = JSON.stringify(body.errors ?? []);
  if (STACK.test(errorsText)) return 'stack trace in an error';
  if (SQL.test(errorsText)) return 'SQL text in an error';
  return null;
}

/** Adds the ids, cursors, slugs and short strings of an answer to the pools (bounded). */
export function harvest(pools: FuzzPools, value: unknown, key = ''): void {
  if (typeof value === 'string') {
    const into =
      key === 'id' ? pools.ids : /cursor$/i.test(key) ? pools.cursors : key === 'slug' ? pools.slugs : null;
    if (into && !into.includes(value)) {
      if (into.length >= 200) into.splice(Math.floor(into.length / 2), 1);
      into.push(value);
    } else if (!into && value.length <= 40 && pools.strings.length < 200 && !pools.strings.includes(value)) {
      pools.strings.push(value);
    }
    return;
  }
  if (Array.isArray(value)) for (const item of value) harvest(pools, item, key);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) harvest(pools, v, k);
  }
}

export async function send(url: string, operation: FuzzOperation): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let res: Response;
  if (operation.method === 'GET') {
    const params = new URLSearchParams();
    if (operation.query !== undefined) params.set('query', operation.query);
    if (operation.variables) params.set('variables', JSON.stringify(operation.variables));
    if (operation.extensions !== undefined) params.set('extensions', JSON.stringify(operation.extensions));
    res = await fetch(`${url}/graphql?${params}`, { headers });
  } else {
    res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: operation.query,
        variables: operation.variables,
        extensions: operation.extensions,
      }),
    });
  }
  return { status: res.status, text: await res.text() };
}

export interface FuzzRun {
  operations: number;
  findings: FuzzFinding[];
  /** Answers by outcome: `data` (no errors), or the first error's code. */
  outcomes: Record<string, number>;
}

/** Runs `count` operations of `seed` one after another against the server at `url`. */
export async function fuzz(
  url: string,
  schema: GraphQLSchema,
  seed: number,
  count: number,
  pools: FuzzPools,
  start = 0,
): Promise<FuzzRun> {
  const findings: FuzzFinding[] = [];
  const outcomes: Record<string, number> = {};
  for (let index = start; index < start + count; index++) {
    const operation = generateOperation(schema, seed, index, pools);
    let answer: { status: number; text: string };
    try {
      answer = await send(url, operation);
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause ?? error;
      findings.push({ index, operation, status: 0, reason: `no answer: ${String(cause)}`, body: '' });
      continue;
    }
    const { status, text } = answer;
    const reason = judgeResponse(status, text);
    if (reason) {
      findings.push({ index, operation, status, reason, body: text.slice(0, 2000) });
      continue;
    }
    const body = JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const outcome = body.errors?.length ? String(body.errors[0]!.extensions?.code ?? 'NO_CODE') : 'data';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (body.data) harvest(pools, body.data);
  }
  return { operations: count, findings, outcomes };
}

/** A finding as a reproducible report: seed, index, the operation and what came back. */
export function describeFinding(seed: number, finding: FuzzFinding): string {
  return [
    `seed ${seed}, operation ${finding.index}: ${finding.reason} (HTTP ${finding.status})`,
    `  ${finding.operation.method} ${finding.operation.query ?? '(no query)'}`,
    finding.operation.extensions !== undefined
      ? `  extensions ${JSON.stringify(finding.operation.extensions)}`
      : '',
    finding.operation.variables
      ? `  variables ${JSON.stringify(finding.operation.variables).slice(0, 2000)}`
      : '',
    `  answer ${finding.body}`,
  ]
    .filter(Boolean)
    .join('\n');
}
