/**
 * Judges through the real server: computeMetrics with judge and reward params, the templates, the
 * stored secrets, agreement between two judges and with pushed human labels, the bad input that
 * must be refused before anything is queued, and the API key never appearing in a response or a
 * log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { jobs } from '../src/db/schema.js';
import { toGlobalId } from '../src/globalId.js';
import { createLogger } from '../src/logger.js';
import { testWorker, waitForJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { chatAnswer, startJudgeServer, type JudgeServer, type RecordedCall } from './helpers/judgeServer.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const KEY_ENV = 'QDC_TEST_JUDGE_KEY';
const ENV_KEY = 'sk-env-4d1f6b2e9a';
const STORED_KEY = 'sk-stored-7c3e0a5b81';

/** Judge A reads [a:N], judge B (the "second-judge" template) [b:N]. */
function twoJudges(call: RecordedCall) {
  const text = (call.body.messages as Array<{ content: string }>).map((m) => m.content).join('\n');
  const which = text.includes('SECOND JUDGE') ? 'b' : 'a';
  const match = new RegExp(`\\[${which}:(\\d+)\\]`).exec(text);
  return chatAnswer(match ? `Rating: [[${match[1]}]]` : 'no idea');
}

describe(`judges through GraphQL (${testBackend})`, () => {
  let server: TestServer;
  let judge: JudgeServer;
  let versionId: number;
  let version: string;
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) });
  const responses: string[] = [];
  let worker: ReturnType<typeof testWorker>;

  /** gql that also keeps every response body, to look for the key in them. */
  async function gql(query: string, variables?: Record<string, unknown>) {
    const result = await server.gql(query, variables);
    responses.push(JSON.stringify(result));
    return result;
  }
  async function ok(query: string, variables?: Record<string, unknown>) {
    const result = await gql(query, variables);
    if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
    return result.data;
  }
  async function computeAndWait(metrics: string[], params: unknown) {
    const data = await ok(
      `mutation($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
      {
        v: version,
        m: metrics,
        p: params,
      },
    );
    const rows = await server.database.db
      .select()
      .from(jobs)
      .orderBy(sql`${jobs.id} desc`)
      .limit(1);
    await waitForJob(server.database, rows[0]!.id);
    return data.computeMetrics.id as string;
  }
  async function latest(metric: string) {
    const data = await ok(
      `query($v: ID!, $k: [String!]) { node(id: $v) { ... on DatasetVersion { metrics(keys: $k) { id metric value n status statusReason params details } } } }`,
      { v: version, k: [metric] },
    );
    return data.node.metrics as Array<{
      id: string;
      value: number;
      n: number;
      status: string;
      statusReason: string;
      params: ResponseJson;
      details: ResponseJson;
    }>;
  }

  before(async () => {
    process.env[KEY_ENV] = ENV_KEY;
    server = await startTestServer({ logger });
    worker = testWorker(server.database, { logger });
    judge = await startJudgeServer({ models: ['judge-a', 'judge-b'], reply: twoJudges });
    versionId = await storeVersion(
      server.database,
      'graded',
      [
        [1, 2, 1],
        [2, 1, 1],
        [3, 4, 2],
        [4, 3, 2],
        [5, 5, 3],
      ].map(([a, b], i) => ({ prompt: `question ${i} [a:${a}] [b:${b}]`, response: `answer ${i}` })),
    );
    version = toGlobalId('DatasetVersion', versionId);
  });
  after(async () => {
    await worker.stop();
    await judge.close();
    await server.stop();
    delete process.env[KEY_ENV];
  });

  it('lists the built-in templates and stores versions of a new one', async () => {
    const data = await ok(
      `{ judgeTemplates { name version kind minScore maxScore scoreFormat labels builtIn hash } }`,
    );
    assert.deepEqual(
      data.judgeTemplates.map((t: ResponseJson) => [
        t.name,
        t.version,
        t.kind,
        t.minScore,
        t.maxScore,
        t.builtIn,
      ]),
      [
        ['alpagasus-quality', 1, 'SCORE', 0, 5, true],
        ['deita-complexity', 1, 'SCORE', 1, 6, true],
        ['deita-quality', 1, 'SCORE', 1, 6, true],
        ['mt-bench-pairwise', 1, 'PAIRWISE', 0, 1, true],
      ],
    );
    assert.deepEqual(data.judgeTemplates[3].labels, { A: 1, B: 0, C: 0.5 });
    const upsert = `mutation($i: JudgeTemplateInput!) { upsertJudgeTemplate(input: $i) { name version hash } }`;
    const input = {
      name: 'second-judge',
      user: 'SECOND JUDGE. Rate 1-5.\n{prompt}\n{response}\nAnswer as Rating: [[N]].',
      scoreFormat: 'Rating: [[{score}]]',
      minScore: 1,
      maxScore: 5,
    };
    const v1 = (await ok(upsert, { i: input })).upsertJudgeTemplate;
    assert.equal(v1.version, 1);
    const same = (await ok(upsert, { i: input })).upsertJudgeTemplate;
    assert.deepEqual(same, v1, 'the same content is the same version');
    const v2 = (await ok(upsert, { i: { ...input, maxScore: 6 } })).upsertJudgeTemplate;
    assert.equal(v2.version, 2);
    assert.notEqual(v2.hash, v1.hash);
    const back = (await ok(upsert, { i: input })).upsertJudgeTemplate;
    assert.equal(back.version, 1, 'content of an older version returns that version');
    const all = await ok(`{ judgeTemplates(name: "second-judge", allVersions: true) { version } }`);
    assert.deepEqual(all.judgeTemplates, [{ version: 2 }, { version: 1 }]);
  });

  it('refuses bad input with BAD_USER_INPUT and queues nothing', async () => {
    const closed = await startJudgeServer();
    const deadUrl = closed.url;
    await closed.close();
    const jobsBefore = (await server.database.db.select().from(jobs)).length;
    const compute = (params: unknown, metrics = ['quality.llm_judge']) =>
      gql(
        `mutation($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
        {
          v: version,
          m: metrics,
          p: params,
        },
      );
    const cases: Array<[unknown, RegExp, string[]?]> = [
      [
        { endpoint: deadUrl, model: 'judge-a' },
        /cannot reach the judge endpoint http:\/\/127\.0\.0\.1:\d+\/v1: ECONNREFUSED/,
      ],
      [
        { endpoint: judge.url, model: 'gpt-unknown' },
        /does not serve model "gpt-unknown"; it serves judge-a, judge-b/,
      ],
      [
        { endpoint: judge.url, model: 'judge-a', concurrency: 0 },
        /concurrency" must be an integer from 1 to 256 \(got 0\)/,
      ],
      [
        { endpoint: judge.url, model: 'judge-a', temperature: 3 },
        /temperature" must be a number from 0 to 2/,
      ],
      [{ model: 'judge-a' }, /needs the parameter "endpoint"/],
      [{ endpoint: 'ftp://example.org', model: 'judge-a' }, /"endpoint" must be an http\(s\) base URL/],
      [
        { endpoint: judge.url, model: 'judge-a', template: 'no-such' },
        /no judge template "no-such"; the templates are/,
      ],
      [
        { endpoint: judge.url, model: 'judge-a', template: 'second-judge@9' },
        /has no version 9; its versions are 2, 1/,
      ],
      [
        { endpoint: judge.url, model: 'judge-a', template: 'mt-bench-pairwise' },
        /template mt-bench-pairwise is PAIRWISE/,
      ],
      [
        { endpoint: judge.url, model: 'judge-a', apiKeyEnv: 'QDC_TEST_UNSET_KEY' },
        /QDC_TEST_UNSET_KEY \(apiKeyEnv\) is not set/,
      ],
      [{ endpoint: judge.url, model: 'judge-a', apiKeySecret: 'missing' }, /no stored secret "missing"/],
      [
        { endpoint: judge.url, model: 'judge-a', route: 'pooling' },
        /route" must be one of score, rewards, rerank/,
        ['quality.reward'],
      ],
    ];
    for (const [params, message, metrics] of cases) {
      const result = await compute(params, metrics);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(params));
      assert.match(result.errors![0]!.message, message);
    }
    assert.equal((await server.database.db.select().from(jobs)).length, jobsBefore, 'nothing was queued');

    const noScore = await gql(
      `mutation($i: JudgeTemplateInput!) { upsertJudgeTemplate(input: $i) { version } }`,
      { i: { name: 'no-score', user: 'Rate {response}.', scoreFormat: 'Rating:', minScore: 0, maxScore: 5 } },
    );
    assert.equal(noScore.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(noScore.errors![0]!.message, /score format "Rating:" has no \{score\} placeholder/);
    const noSample = await gql(
      `mutation($i: JudgeTemplateInput!) { upsertJudgeTemplate(input: $i) { version } }`,
      { i: { name: 'no-sample', user: 'Rate {answer}.', scoreFormat: '{score}', minScore: 0, maxScore: 5 } },
    );
    assert.match(noSample.errors![0]!.message, /unknown placeholder \{answer\} in user/);
    const builtIn = await gql(
      `mutation($i: JudgeTemplateInput!) { upsertJudgeTemplate(input: $i) { version } }`,
      {
        i: {
          name: 'alpagasus-quality',
          user: '{response}',
          scoreFormat: '{score}',
          minScore: 0,
          maxScore: 5,
        },
      },
    );
    assert.match(builtIn.errors![0]!.message, /is a built-in template/);
    const { judgeTemplates } = await ok(`{ judgeTemplates { name } }`);
    assert.ok(
      !judgeTemplates.some((t: { name: string }) => ['no-score', 'no-sample'].includes(t.name)),
      'nothing stored',
    );
  });

  it('runs two judges as separate results and measures their agreement, also with human labels', async () => {
    await computeAndWait(['quality.llm_judge'], {
      endpoint: judge.url,
      model: 'judge-a',
      template: 'second-judge@1',
      'quality.llm_judge': {},
    });
    // Judge A: the AlpaGasus template (first number of "Rating: [[N]]"); judge B: the second template.
    await computeAndWait(['quality.llm_judge'], { endpoint: judge.url, model: 'judge-a' });
    const results = await latest('quality.llm_judge');
    assert.equal(results.length, 2, 'two judges, two results');
    const a = results.find((r) => r.params.template === 'alpagasus-quality@1')!;
    const b = results.find((r) => r.params.template === 'second-judge@1')!;
    assert.equal(a.value, 3); // 1..5
    assert.equal(b.value, 3); // 2,1,4,3,5
    assert.notEqual(a.params.template, b.params.template);

    const agreement = `query($a: ID!, $b: ID!) { judgeAgreement(a: $a, b: $b) { n onlyA onlyB spearman kendallTauB pearson exactAgreement meanAbsoluteDifference a { id } } }`;
    const ab = (await ok(agreement, { a: a.id, b: b.id })).judgeAgreement;
    // d = -1, 1, -1, 1, 0: rho = 1 - 6*4/(5*24) = 0.8; 2 of 10 pairs discordant: tau = (8-2)/10.
    assert.equal(ab.n, 5);
    assert.ok(Math.abs(ab.spearman - 0.8) < 1e-12);
    assert.ok(Math.abs(ab.kendallTauB - 0.6) < 1e-12);
    assert.ok(Math.abs(ab.pearson - 0.8) < 1e-12);
    assert.equal(ab.exactAgreement, 0.2);
    assert.equal(ab.meanAbsoluteDifference, 0.8);
    assert.equal(ab.a.id, a.id);

    // Human labels 1,1,2,2 for ordinals 0-3 (ordinal 4 unlabelled) pushed as external scores.
    const pushed = await ok(
      `mutation($v: ID!) { recordSampleScores(version: $v, scorer: {name: "humans"}, scores: [{ordinal: 0, value: 1}, {ordinal: 1, value: 1}, {ordinal: 2, value: 2}, {ordinal: 3, value: 2}]) { result { id } } }`,
      { v: version },
    );
    const ah = (await ok(agreement, { a: a.id, b: pushed.recordSampleScores.result.id })).judgeAgreement;
    // A = 1,2,3,4 vs H = 1,1,2,2: H ranks 1.5,1.5,3.5,3.5 -> rho = 4/sqrt(20*... ) worked out below.
    // Ranks x = 1,2,3,4 (dev -1.5,-.5,.5,1.5), y dev -1,-1,1,1: sxy = 4, sxx = 5, syy = 4 -> 4/sqrt(20).
    assert.equal(ah.n, 4);
    assert.equal(ah.onlyA, 1);
    assert.equal(ah.onlyB, 0);
    assert.ok(Math.abs(ah.spearman - 4 / Math.sqrt(20)) < 1e-12);
    // 6 pairs, 2 tied in H, the other 4 concordant: tau-b = 4 / sqrt(6 * 4).
    assert.ok(Math.abs(ah.kendallTauB - 4 / Math.sqrt(24)) < 1e-12);
    assert.equal(ah.exactAgreement, 0.25);
    assert.equal(ah.meanAbsoluteDifference, (0 + 1 + 1 + 2) / 4);

    const other = await storeVersion(server.database, 'elsewhere', [{ prompt: 'x', response: 'y' }]);
    await ok(
      `mutation($v: ID!) { recordSampleScores(version: $v, scorer: {name: "humans"}, scores: [{ordinal: 0, value: 1}]) { recorded } }`,
      {
        v: toGlobalId('DatasetVersion', other),
      },
    );
    const otherResult = (
      await ok(`query($v: ID!) { node(id: $v) { ... on DatasetVersion { metrics { id } } } }`, {
        v: toGlobalId('DatasetVersion', other),
      })
    ).node.metrics[0].id;
    const mismatch = await gql(agreement, { a: a.id, b: otherResult });
    assert.equal(mismatch.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(mismatch.errors![0]!.message, /measure different versions/);
  });

  it('sends the key from the environment or a stored secret and never returns or logs it', async () => {
    const stored = await ok(
      `mutation { setJudgeSecret(name: "judge-prod", value: "${STORED_KEY}") { name } }`,
    );
    assert.deepEqual(stored.setJudgeSecret, { name: 'judge-prod' });
    const callsBefore = judge.calls.length;
    await computeAndWait(['complexity.llm_judge'], {
      endpoint: judge.url,
      model: 'judge-b',
      apiKeyEnv: KEY_ENV,
    });
    await computeAndWait(['complexity.llm_judge'], {
      endpoint: judge.url,
      model: 'judge-a',
      apiKeySecret: 'judge-prod',
    });
    const sent = judge.calls.slice(callsBefore);
    assert.ok(sent.length >= 10);
    assert.ok(
      sent.filter((c) => c.body?.model === 'judge-b').every((c) => c.authorization === `Bearer ${ENV_KEY}`),
    );
    assert.ok(
      sent
        .filter((c) => c.body?.model === 'judge-a')
        .every((c) => c.authorization === `Bearer ${STORED_KEY}`),
    );
    const results = await latest('complexity.llm_judge');
    assert.equal(results.length, 2, 'two models, two results');
    assert.ok(results.every((r) => r.status === 'COMPLETE'));
    // The key named by apiKeyEnv / apiKeySecret does not change what is measured: the names are operational.
    assert.equal(results.find((r) => r.params.model === 'judge-b')!.params.apiKeyEnv, KEY_ENV);

    // An endpoint that echoes the Authorization header in its error: the reason shows it redacted.
    const echo = await startJudgeServer({
      reply: (call) => ({ status: 400, body: { error: `bad request from ${call.authorization}` } }),
    });
    try {
      await computeAndWait(['quality.reward'], {
        endpoint: echo.url,
        model: 'judge-model',
        apiKeyEnv: KEY_ENV,
      });
      const [failed] = await latest('quality.reward');
      assert.equal(failed!.status, 'FAILED');
      assert.match(failed!.statusReason, /HTTP 400: \{"error":"bad request from Bearer \[redacted\]"\}/);
    } finally {
      await echo.close();
    }
    await ok(
      `{ judgeSecrets { name createdAt updatedAt } metricDefinitions { key parameters { name operational } } jobs(first: 50) { edges { node { id payload result error } } } }`,
    );
    for (const body of responses) {
      assert.ok(!body.includes(ENV_KEY), 'the environment key is in no API response');
      assert.ok(!body.includes(STORED_KEY), 'the stored key is in no API response');
    }
    assert.ok(lines.length > 0, 'the server and the worker logged');
    for (const line of lines) {
      assert.ok(!line.includes(ENV_KEY), `a log line has the key: ${line}`);
      assert.ok(!line.includes(STORED_KEY), `a log line has the stored key: ${line}`);
    }
  });
});
