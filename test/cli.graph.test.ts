/**
 * `qdc runs record`, `lineage`, `scores push`, `compare`, `overlap` and `search` as real processes,
 * one session on a database the CLI opens itself (a PGlite data directory, or a scratch PostgreSQL
 * database under DATABASE_URL) and the same session through a served instance. Values are worked
 * out by hand from the samples below; the two modes must print the same JSON (ids and times aside).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { qdc } from './helpers/cli.js';
import { testWorker } from './helpers/jobs.js';
import { createScratchDatabase, testBackend, type ScratchDatabase } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';
import type { RunningWorker } from '../src/jobs/worker.js';

const SEED = [
  { prompt: 'Give three tips for staying healthy.', response: 'Eat vegetables, sleep well, exercise.' },
  { prompt: 'What is 17 * 3?', response: '17 * 3 = 51' },
  { prompt: 'Name a prime number.', response: 'Seven' },
];
const GENERATED = [
  { prompt: 'List two uses of a paperclip.', response: 'Holding papers; resetting a router.' },
  { prompt: 'What is 12 + 30?', response: '42' },
  { prompt: 'What is 17 * 3?', response: '17 * 3 = 51' }, // an exact copy of SEED[1]
];
const FILTERED = [GENERATED[0]!, GENERATED[2]!];
// Whitespace tokens: SEED responses 5 + 5 + 1; GENERATED prompts 6 + 5 + 5.
const SEED_RESPONSE_LENGTH = 11 / 3;
const GENERATED_PROMPT_LENGTH = 16 / 3;
const JUDGE = [0.2, 0.4, 0.9];
const ENV = { QDC_EMBEDDER: 'lexical' };

type Outputs = Record<string, unknown>;

/** Replaces ids and timestamps, which differ between the two databases, by their kind. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'id' || k.endsWith('At') ? (v === null ? null : `<${k}>`) : normalize(v),
      ]),
    );
  }
  return value;
}

function session(where: () => string[], dir: () => string, outputs: Outputs) {
  const run = async (args: string[]) => {
    const result = await qdc([...args, ...where()], { env: ENV });
    assert.equal(result.code, 0, `qdc ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const json = async <T = ResponseJson>(name: string, args: string[]): Promise<T> => {
    const parsed = JSON.parse((await run([...args, '--json'])).stdout) as T;
    outputs[name] = parsed;
    return parsed;
  };

  it('ingests three datasets', async () => {
    for (const [file, slug] of [
      ['seed.jsonl', 'seed-tasks'],
      ['gen.jsonl', 'gen'],
      ['filtered.jsonl', 'gen-filtered'],
    ]) {
      await run(['ingest', join(dir(), file!), '--dataset', slug!, '--create', '--no-progress']);
    }
  });

  it('runs record: stores inputs with roles, algorithm, model and parameters', async () => {
    const recorded = await json('runs', [
      'runs',
      'record',
      'gen@1',
      '--input',
      'seed:seed-tasks@1',
      '--algorithm',
      'self-instruct',
      '--model',
      'gpt-4-0613',
      '--param',
      'temperature=0.7',
      '--param',
      'prompt=list tasks',
      '--notes',
      'demo run',
    ]);
    assert.equal(recorded.output.ref, 'gen@1');
    assert.deepEqual(
      recorded.inputs.map((i: ResponseJson) => [i.role, i.version.ref, i.version.sampleCount]),
      [['SEED', 'seed-tasks@1', 3]],
    );
    assert.equal(recorded.algorithm.key, 'self-instruct');
    assert.equal(recorded.generatorModel, 'gpt-4-0613');
    assert.deepEqual(recorded.params, { temperature: 0.7, prompt: 'list tasks' });
    assert.equal(recorded.notes, 'demo run');

    const text = await run(['runs', 'record', 'gen-filtered@1', '--input', 'filtered-from:gen@1']);
    assert.match(text.stdout, /^recorded run \S+: gen-filtered@1$/m);
    assert.match(text.stdout, /^ {2}FILTERED_FROM\s+gen@1$/m);

    const twice = await qdc(['runs', 'record', 'gen@1', '--input', 'seed:seed-tasks@1', ...where()], {
      env: ENV,
    });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already has a generation run.*\(BAD_USER_INPUT\)/);
    const cycle = await qdc(
      ['runs', 'record', 'seed-tasks@1', '--input', 'source:gen-filtered@1', ...where()],
      {
        env: ENV,
      },
    );
    assert.equal(cycle.code, 1);
    assert.match(cycle.stderr, /its own ancestor/);
    const badRole = await qdc(['runs', 'record', 'gen@1', '--input', 'parent:seed-tasks@1', ...where()]);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /unknown role "parent"/);
  });

  it('export --croissant: the JSONL export it points to has its sha256; the run is its provenance', async () => {
    const remote = where()[0] === '--server';
    const args = [
      'export',
      'gen@1',
      '--croissant',
      ...(remote ? [] : ['--base-url', 'http://catalog.test/']),
    ];
    const doc = JSON.parse((await run(args)).stdout);
    const jsonl = (await run(['export', 'gen@1', '--no-progress'])).stdout;
    const file = doc.distribution[0];
    assert.equal(file.sha256, createHash('sha256').update(jsonl, 'utf8').digest('hex'));
    assert.equal(file.contentSize, `${Buffer.byteLength(jsonl)} B`);
    assert.match(
      file.contentUrl,
      remote
        ? /^http:\/\/127\.0\.0\.1:\d+\/v1\/versions\/[^/]+\/samples\.jsonl$/
        : /^http:\/\/catalog\.test\/v1\/versions\/[^/]+\/samples\.jsonl$/,
    );
    assert.deepEqual(
      doc['prov:wasDerivedFrom'].map((d: ResponseJson) => [d.name, d['qdc:role']]),
      [['seed-tasks@1', 'SEED']],
    );
    assert.equal(doc['prov:wasGeneratedBy']['qdc:algorithm'], 'self-instruct');
    assert.equal(doc['prov:wasGeneratedBy']['qdc:generatorModel'], 'gpt-4-0613');
  });

  it('lineage: draws the tree both ways and bounds it by depth', async () => {
    const up = await run(['lineage', 'gen-filtered@1']);
    assert.equal(
      up.stdout,
      [
        'gen-filtered@1 (2 samples)',
        '└── FILTERED_FROM gen@1 (3 samples)',
        '    └── SEED seed-tasks@1 (3 samples) [self-instruct, gpt-4-0613]',
        '',
      ].join('\n'),
    );
    const cut = await run(['lineage', 'gen-filtered@1', '--depth', '1']);
    assert.equal(
      cut.stdout,
      [
        'gen-filtered@1 (2 samples)',
        '└── FILTERED_FROM gen@1 (3 samples) ...',
        '(partial: --depth or --max-nodes left versions out)',
        '',
      ].join('\n'),
    );
    const both = await run(['lineage', 'gen@1', '--direction', 'both']);
    assert.equal(
      both.stdout,
      [
        'gen@1 (3 samples)',
        'upstream (inputs):',
        '  └── SEED seed-tasks@1 (3 samples) [self-instruct, gpt-4-0613]',
        'downstream (outputs):',
        '  └── FILTERED_FROM gen-filtered@1 (2 samples)',
        '',
      ].join('\n'),
    );
    const walk = await json('lineage', ['lineage', 'seed-tasks@1', '--direction', 'down']);
    assert.equal(walk.root.ref, 'seed-tasks@1');
    assert.deepEqual(
      walk.nodes.map((n: ResponseJson) => [n.version.ref, n.degree, n.direction]),
      [
        ['gen@1', 1, 'DOWNSTREAM'],
        ['gen-filtered@1', 2, 'DOWNSTREAM'],
      ],
    );
    assert.deepEqual(
      walk.edges.map((e: ResponseJson) => [e.from.ref, e.role, e.to.ref]),
      [
        ['seed-tasks@1', 'SEED', 'gen@1'],
        ['gen@1', 'FILTERED_FROM', 'gen-filtered@1'],
      ],
    );
    assert.equal(walk.isPartial, false);
  });

  it('scores push: stores JSONL scores all or nothing, with line numbers', async () => {
    const pushed = await json('scores', [
      'scores',
      'push',
      'gen@1',
      join(dir(), 'judge.jsonl'),
      '--scorer',
      'judge',
      '--model',
      'judge-7b',
    ]);
    assert.equal(pushed.recorded, 3);
    assert.equal(pushed.result.metric, 'external:judge');
    assert.equal(pushed.result.n, 3);
    assert.ok(
      Math.abs(pushed.result.value - 0.5) < 1e-12,
      `mean of ${JUDGE} is 0.5, got ${pushed.result.value}`,
    );
    assert.equal(pushed.result.details.min, 0.2);
    assert.equal(pushed.result.details.max, 0.9);

    const bad = await qdc([
      'scores',
      'push',
      'gen@1',
      join(dir(), 'bad.jsonl'),
      '--scorer',
      'other',
      ...where(),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 2: .*nothing was stored/);
  });

  it('scores push: reads a Parquet file (written by DuckDB), all or nothing, with row numbers', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const good = join(dir(), 'rm.parquet');
    const bad = join(dir(), 'rm-bad.parquet');
    try {
      // Ordinal 1 is left unscored; the rows are out of order on purpose.
      await duck.run(
        `COPY (SELECT * FROM (VALUES (2::BIGINT, 0.75::DOUBLE), (0::BIGINT, 0.25::DOUBLE)) t(ordinal, value)) TO '${good}' (FORMAT parquet)`,
      );
      // Row 3 names an ordinal gen@1 does not have.
      await duck.run(
        `COPY (SELECT * FROM (VALUES (0::INTEGER, 0.5::DOUBLE), (1, 0.5), (7, 0.5)) t(ordinal, value)) TO '${bad}' (FORMAT parquet)`,
      );
    } finally {
      duck.closeSync();
    }
    const pushed = await json('scoresParquet', ['scores', 'push', 'gen@1', good, '--scorer', 'rm']);
    assert.equal(pushed.recorded, 2);
    assert.equal(pushed.result.metric, 'external:rm');
    assert.equal(pushed.result.n, 2);
    assert.ok(
      Math.abs(pushed.result.value - 0.5) < 1e-12,
      `mean of 0.25 and 0.75, got ${pushed.result.value}`,
    );

    // Read back per sample through the export: ordinal order, null where nothing was pushed.
    const exported = await run(['export', 'gen@1', '--scores', 'external:rm', '--no-progress']);
    const scores = exported.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { scores: Record<string, number | null> }).scores['external:rm']);
    assert.deepEqual(scores, [0.25, null, 0.75]);

    const refused = await qdc(['scores', 'push', 'gen@1', bad, '--scorer', 'rm2', ...where()]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /row 3: ordinal 7 is not in version .*nothing was stored/);
    const compare = await run(['compare', 'gen@1', '-m', 'external:rm2', '--json']);
    assert.equal(JSON.parse(compare.stdout).rows[0].cells[0].value, null, 'nothing of rm2 was stored');
  });

  it('compare: a table of values with n, flagging other parameters as not comparable', async () => {
    await run(['compute', 'seed-tasks@1', '-m', 'complexity.length', '--no-progress']);
    await run(['compute', 'gen@1', '-m', 'complexity.length', '--param', 'field=prompt', '--no-progress']);
    const table = await json('compare', [
      'compare',
      'seed-tasks@1',
      'gen@1',
      '-m',
      'complexity.length,external:judge',
    ]);
    assert.deepEqual(table.metrics, ['complexity.length', 'external:judge']);
    const cells = table.rows.map((r: ResponseJson) => [
      r.version.ref,
      ...r.cells.map((c: ResponseJson) => [c.value, c.n, c.comparable]),
    ]);
    assert.equal(cells[0][0], 'seed-tasks@1');
    assert.ok(Math.abs(cells[0][1][0] - SEED_RESPONSE_LENGTH) < 1e-9);
    assert.deepEqual(cells[0][1].slice(1), [3, true]);
    assert.deepEqual(cells[0][2], [null, null, false], 'seed-tasks has no judge scores');
    assert.ok(Math.abs(cells[1][1][0] - GENERATED_PROMPT_LENGTH) < 1e-9);
    assert.deepEqual(cells[1][1].slice(1), [3, false], 'field=prompt is not comparable with field=response');
    assert.ok(Math.abs(cells[1][2][0] - 0.5) < 1e-12);
    assert.equal(table.warnings.length, 1);
    assert.match(table.warnings[0], /complexity\.length.*field/);

    const text = await run(['compare', 'seed-tasks@1', 'gen@1', '-m', 'complexity.length,external:judge']);
    assert.deepEqual(
      text.stdout
        .split('\n')
        .slice(0, 3)
        .map((l) => l.split(/\s{2,}/)),
      [
        ['VERSION', 'complexity.length', 'external:judge'],
        ['seed-tasks@1', '3.667 (3)', '-'],
        ['gen@1', '5.333 (3) *', '0.5 (3)'],
      ],
    );
    assert.match(text.stdout, /^\* complexity\.length: /m);
  });

  it('overlap: finds the one exact copy of a seed sample in the generated set', async () => {
    const overlap = await json('overlap', [
      'overlap',
      'gen@1',
      '--against',
      'seed-tasks@1',
      '--threshold',
      '0.99',
      '--no-progress',
    ]);
    assert.equal(overlap.version.ref, 'gen@1');
    assert.equal(overlap.against.ref, 'seed-tasks@1');
    assert.equal(overlap.status, 'COMPLETE');
    assert.deepEqual(
      [overlap.sampleCount, overlap.matchedSamples, overlap.exactPairs, overlap.nearPairs],
      [3, 1, 1, 0],
    );
    assert.ok(Math.abs(overlap.contaminationRate - 1 / 3) < 1e-12);
    assert.deepEqual(
      overlap.pairs.map((p: ResponseJson) => [p.kind, p.sample.ordinal, p.matched.ordinal, p.similarity]),
      [['EXACT', 2, 1, 1]],
    );
  });

  it('search: nearest samples, within a dataset and under a score predicate', async () => {
    // The overlap job embedded gen@1 and seed-tasks@1; gen-filtered@1 is embedded here.
    await run(['embed', 'gen-filtered@1', '--no-progress']);
    const text = `${SEED[1]!.prompt}\n${SEED[1]!.response}`;
    const everywhere = await json('search', ['search', text, '-k', '4']);
    assert.equal(everywhere.space.key, 'qdc/lexical-hash@v1:fp32');
    const top = everywhere.hits.slice(0, 3);
    assert.deepEqual(
      top.map((h: ResponseJson) => `${h.version.ref}#${h.sample.ordinal}`).sort(),
      ['gen-filtered@1#1', 'gen@1#2', 'seed-tasks@1#1'],
      'the three copies of the sample come first',
    );
    for (const hit of top) assert.ok(Math.abs(hit.similarity - 1) < 1e-5, `similarity ${hit.similarity}`);
    assert.ok(everywhere.hits[3].similarity < 0.99);

    const inSeed = await json('searchScoped', ['search', text, '--scope', 'dataset:seed-tasks', '-k', '10']);
    assert.deepEqual(
      inSeed.hits.map((h: ResponseJson) => `${h.version.ref}#${h.sample.ordinal}`),
      [
        'seed-tasks@1#1',
        ...inSeed.hits.slice(1).map((h: ResponseJson) => `seed-tasks@1#${h.sample.ordinal}`),
      ],
    );
    assert.equal(inSeed.hits.length, 3);

    const scored = await json('searchScores', ['search', text, '--scope', 'score:external:judge>=0.4']);
    assert.deepEqual(
      scored.hits.map((h: ResponseJson) => `${h.version.ref}#${h.sample.ordinal}`).sort(),
      ['gen@1#1', 'gen@1#2'],
      'only gen@1 has judge scores; ordinal 0 scored 0.2',
    );
    const terminal = await run(['search', text, '-k', '1', '--scope', 'version:gen-filtered@1']);
    assert.match(terminal.stdout, /^ {2}1 {2}1\.0000 {2}gen-filtered@1#1\s+What is 17 \* 3\?$/m);
    const bad = await qdc(['search', text, '--scope', 'colour:red', ...where()], { env: ENV });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /expected dataset:SLUG/);
  });
}

function writeFiles(dir: string) {
  const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
  writeFileSync(join(dir, 'seed.jsonl'), lines(SEED));
  writeFileSync(join(dir, 'gen.jsonl'), lines(GENERATED));
  writeFileSync(join(dir, 'filtered.jsonl'), lines(FILTERED));
  writeFileSync(join(dir, 'judge.jsonl'), lines(JUDGE.map((value, ordinal) => ({ ordinal, value }))));
  writeFileSync(
    join(dir, 'bad.jsonl'),
    lines([
      { ordinal: 0, value: 1 },
      { ordinal: 1, score: 2 },
    ]),
  );
}

describe('qdc graph commands: --help', () => {
  it('every new command explains itself', async () => {
    for (const [command, usage] of [
      ['runs', /^Usage: qdc runs record <output-version>/m],
      ['lineage', /^Usage: qdc lineage <version> \[--direction up\|down\|both\]/m],
      ['compare', /^Usage: qdc compare <version> \[<version>\.\.\.\] \[-m METRIC,\.\.\.\]/m],
      ['search', /^Usage: qdc search "<text>" \[-k N\] \[--scope KIND:VALUE\]/m],
      ['overlap', /^Usage: qdc overlap <version> \[--against VERSION\]/m],
      ['scores', /^Usage: qdc scores push <version> <file\.jsonl/m],
    ] as const) {
      const help = await qdc([command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, usage);
      assert.match(help.stdout, /--json/);
      assert.match(help.stdout, /--server <url>/);
    }
  });
});

const direct: Outputs = {};
const served: Outputs = {};

describe(`qdc graph commands on a database of their own (${testBackend})`, () => {
  let dir: string;
  let scratch: ScratchDatabase | null = null;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-graph-'));
    writeFiles(dir);
    if (testBackend === 'postgres') scratch = await createScratchDatabase();
  });
  after(async () => {
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  session(
    () => (scratch ? ['--database-url', scratch.url] : ['--data-dir', join(dir, 'db')]),
    () => dir,
    direct,
  );
});

describe('qdc graph commands through a server', () => {
  let dir: string;
  let server: TestServer;
  let worker: RunningWorker;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-graph-remote-'));
    writeFiles(dir);
    server = await startTestServer();
    worker = testWorker(server.database);
  });
  after(async () => {
    await worker.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  session(
    () => ['--server', server.url],
    () => dir,
    served,
  );

  it('prints the same JSON as direct mode', () => {
    assert.deepEqual(Object.keys(served).sort(), Object.keys(direct).sort());
    assert.ok(Object.keys(direct).length >= 8);
    for (const name of Object.keys(direct)) {
      assert.deepEqual(normalize(served[name]), normalize(direct[name]), name);
    }
  });

  it('the server holds the run the CLI recorded', async () => {
    const data = await server.ok<ResponseJson>(
      'query { dataset(slug: "gen") { latestVersion { generatedBy { generatorModel params inputs { role } } } } }',
    );
    assert.deepEqual(data.dataset.latestVersion.generatedBy, {
      generatorModel: 'gpt-4-0613',
      params: { temperature: 0.7, prompt: 'list tasks' },
      inputs: [{ role: 'SEED' }],
    });
  });
});
