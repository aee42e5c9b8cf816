import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApolloServer } from '../src/graphql/apollo.js';
import { createLogger, MAX_LOGGED_TEXT, type LogLevel } from '../src/logger.js';
import { qdc } from './helpers/cli.js';

/** A logger writing JSON lines into an array, and the lines parsed. */
function captured(level?: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', write: (line) => lines.push(line) });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('the logger', () => {
  it('writes one JSON object per line, with level, time, message and fields', () => {
    const { logger, lines, parsed } = captured();
    logger.info('job started', { job: 7, kind: 'metrics.compute' });
    logger.error('it broke: 100% of it');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), line);
    const [started, broke] = parsed();
    assert.equal(started!.level, 30);
    assert.equal(typeof started!.time, 'number');
    assert.equal(started!.msg, 'job started');
    assert.equal(started!.job, 7);
    assert.equal(started!.kind, 'metrics.compute');
    assert.equal(broke!.level, 50);
    assert.equal(broke!.msg, 'it broke: 100% of it');
  });

  it('writes only lines at or above its level (QDC_LOG_LEVEL)', () => {
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    for (const [rank, level] of levels.entries()) {
      const { logger, parsed } = captured(level);
      const child = logger.child({ requestId: 'r' });
      for (const at of levels) {
        logger[at](`root ${at}`);
        child[at](`child ${at}`);
      }
      const written = parsed().map((line) => line.msg);
      const expected = levels.slice(rank).flatMap((at) => [`root ${at}`, `child ${at}`]);
      assert.deepEqual(written, expected, `level ${level}`);
    }
  });

  it('caps long messages and string fields, so a 5 MiB parameter is not a 5 MB line (review F13)', () => {
    const { logger, lines, parsed } = captured();
    const huge = `Failed query: insert ... params: ${'x'.repeat(5 * 1024 * 1024)}`;
    logger.error(huge, { error: huge, path: ['createVersion'], query: { text: huge, variables: 3 } });
    logger.info('short', { error: 'fine' });
    assert.ok(lines[0]!.length < 4 * MAX_LOGGED_TEXT, `line of ${lines[0]!.length} characters`);
    const [capped, short] = parsed();
    const expected = `${huge.slice(0, MAX_LOGGED_TEXT)}... [${huge.length - MAX_LOGGED_TEXT} more characters]`;
    assert.equal(capped!.msg, expected);
    assert.equal(capped!.error, expected);
    assert.deepEqual(capped!.query, { text: expected, variables: 3 });
    assert.deepEqual(capped!.path, ['createVersion']);
    assert.equal(short!.error, 'fine');
  });

  it('never throws on a BigInt or a cycle in a field', () => {
    const { logger, lines, parsed } = captured();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info('odd fields', { bytes: 2n ** 70n, cyclic, list: [cyclic] });
    logger.child({ big: 12n, cyclic }).warn('odd bindings');
    assert.equal(lines.length, 2);
    const [fields, bindings] = parsed();
    assert.match(lines[0]!, /"bytes":1180591620717411303424\b/, 'the BigInt is written exactly');
    assert.equal((fields!.cyclic as Record<string, unknown>).name, 'loop');
    assert.match(lines[0]!, /\[Circular\]/);
    assert.equal(bindings!.big, 12);
    assert.equal(bindings!.msg, 'odd bindings');
  });

  it('gives every line of a child its bindings, and children of children theirs too', () => {
    const { logger, parsed } = captured();
    const request = logger.child({ requestId: 'abc' });
    request.info('one');
    request.child({ job: 3 }).error('two', { extra: true });
    logger.info('three');
    const [one, two, three] = parsed();
    assert.equal(one!.requestId, 'abc');
    assert.equal(two!.requestId, 'abc');
    assert.equal(two!.job, 3);
    assert.equal(two!.extra, true);
    assert.equal(three!.requestId, undefined);
  });

  it('censors credentials in fields and in free text', () => {
    const secret = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
    const apiKey = `qdc_0123456789abcdef_${secret}`;
    const { logger, lines, parsed } = captured();
    logger.warn(`request failed with Authorization: Bearer ${apiKey}`, {
      authorization: `Bearer ${apiKey}`,
      apiKey,
      key: apiKey,
      request: { headers: { authorization: `Bearer ${apiKey}` } },
      error: `connect to postgres://qdc:${secret}@db.internal:5432/qdc failed; key ${apiKey}`,
    });
    logger.child({ token: secret }).info('bound');
    const text = lines.join('');
    assert.ok(!text.includes(secret), text);
    const [line, bound] = parsed();
    assert.equal(line!.authorization, '[Redacted]');
    assert.equal(line!.apiKey, '[Redacted]');
    assert.equal(line!.key, '[Redacted]');
    assert.equal(bound!.token, '[Redacted]');
    // What is not secret stays, so the line is still useful.
    assert.equal(line!.msg, 'request failed with Authorization: Bearer [Redacted]');
    assert.match(line!.error as string, /postgres:\/\/qdc:\[Redacted\]@db\.internal:5432\/qdc failed/);
    assert.match(line!.error as string, /key qdc_0123456789abcdef_\[Redacted\]$/, 'the key id stays');
  });

  it('formats lines for people with QDC_LOG_FORMAT=pretty (pino-pretty is a dev dependency)', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'pretty', write: (line) => lines.push(line) });
    logger.child({ requestId: 'abc' }).warn('lease lost', { job: 4, apiKey: 'qdc_secret' });
    const text = lines.join('');
    assert.throws(() => JSON.parse(lines[0]!));
    assert.match(text, /WARN.*: lease lost/);
    assert.match(text, /requestId: "abc"/);
    assert.match(text, /job: 4/);
    assert.ok(!text.includes('qdc_secret'), text);
  });
});

describe("Apollo Server's own log", () => {
  it('is written through the same logger, as JSON lines', async () => {
    const { logger, parsed } = captured();
    const apollo = createApolloServer(logger, 'graphql-js');
    await apollo.start();
    await apollo.stop();
    await assert.rejects(
      apollo.executeOperation({ query: '{ __typename }' }),
      /after the server has stopped/,
    );
    const [warning] = parsed();
    assert.equal(warning?.level, 40);
    assert.match(String(warning?.msg), /^A GraphQL operation was received during server shutdown/);
  });
});

describe('the qdc command logs', () => {
  it('JSON lines to stderr when stderr is not a terminal, and nothing but output to stdout', async () => {
    const run = await qdc(['migrate', '--memory'], { env: { QDC_LOG_LEVEL: 'info' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    assert.ok(
      parsed.some((line) => line.level === 30 && line.msg === 'database is up to date (in-memory PGlite)'),
      run.stderr,
    );
  });

  it('refuses an unknown QDC_LOG_FORMAT', async () => {
    const run = await qdc(['migrate', '--memory'], { env: { QDC_LOG_FORMAT: 'xml' } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /QDC_LOG_FORMAT must be "json" or "pretty" \(got "xml"\)/);
  });
});
