/**
 * LLM-judge metrics over real HTTP against a scripted chat-completions server on 127.0.0.1 that
 * counts every call: exact scores, failures counted apart, retries (429 with Retry-After, 500,
 * malformed bodies, slow answers), the response cache, the concurrency limit, a stopped and resumed
 * job, and provenance and comparability of the results.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../src/db/connect.js';
import { jobs, judgeTemplates, sampleScores, samples } from '../src/db/schema.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { findResultsOfJobs, incomparability, type MetricResultView } from '../src/metricRuns/results.js';
import { upsertJudgeTemplate } from '../src/judges/templates.js';
import { runJob, testWorker, waitForJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import {
  chatAnswer,
  judgeMarker,
  startJudgeServer,
  type JudgeServer,
  type RecordedCall,
} from './helpers/judgeServer.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';
import type { ResponseJson } from './helpers/testServer.js';

/** The AlpaGasus rating request (gpt4life/alpagasus rating/chatgpt_rating.py), typed out again here. */
const ALPAGASUS_SYSTEM =
  'We would like to request your feedback on the performance of AI assistant in response to the instruction and the given input displayed following.';
const ALPAGASUS_RATING =
  'Please rate according to the accuracy of the response to the instruction and the input. Each assistant receives a score on a scale of 0 to 5, where a higher score indicates higher level of the accuracy. Please first output a single line containing value indicating the scores. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias. \n\n';

async function compute(
  database: Database,
  versionId: number,
  metric: string,
  params: Record<string, unknown>,
): Promise<{ jobId: number; result: MetricResultView; status: string; error: string | null }> {
  const job = await enqueueComputeMetrics(database.db, versionId, [metric], { [metric]: params });
  const finished = await runJob(database, job.id);
  const [result] = await findResultsOfJobs(database.db, [job.id]);
  return { jobId: job.id, result: result!, status: finished.status, error: finished.error };
}

async function scoresOf(database: Database, resultId: number) {
  return database.db
    .select({ ordinal: samples.ordinal, value: sampleScores.value, details: sampleScores.details })
    .from(sampleScores)
    .innerJoin(samples, eq(samples.id, sampleScores.sampleId))
    .where(eq(sampleScores.resultId, resultId))
    .orderBy(samples.ordinal);
}

/** Samples whose response tells the scripted judge what to answer. */
const SCRIPTED = [
  { prompt: 'Name a colour.', response: 'Blue. [judge:4\\nAccurate and short.]' }, // 4
  { prompt: 'Add 2 and 2.', response: 'Five. [judge:Score: 2.5]' }, // 2.5 (first number)
  { prompt: 'Insult me.', response: "[judge:I'm sorry, but I cannot rate this.]" }, // refusal
  { prompt: 'Say hi.', response: 'Hi. [judge:The response is fine.]' }, // unparseable
  { prompt: 'Count to 3.', response: '1 2 3 [judge:7]' }, // out of range (0-5)
  { prompt: 'Capital of France?', response: 'Rome. [judge:0\\nWrong.]' }, // 0
];

describe(`LLM judges over a chat-completions endpoint (${testBackend})`, () => {
  let database: Database;
  let server: JudgeServer;
  let versionId: number;
  const base = () => ({ endpoint: server.url, model: 'judge-model', retryBaseMs: 5 });

  before(async () => {
    database = await openTestDatabase();
    server = await startJudgeServer();
    versionId = await storeVersion(database, 'scripted', SCRIPTED);
  });
  after(async () => {
    await server.close();
    await database.close();
  });

  it('scores every sample through the AlpaGasus template and counts failures apart', async () => {
    const before = server.callsTo('chat/completions').length;
    const { result, status, error } = await compute(database, versionId, 'quality.llm_judge', {
      ...base(),
      inputCostPerMillion: 2,
      outputCostPerMillion: 10,
    });
    assert.equal(status, 'SUCCEEDED', error ?? '');
    assert.equal(result.status, 'COMPLETE', result.statusReason ?? '');
    // Scores 4, 2.5 and 0; a refusal, an unparseable answer and a 7 on a 0-5 scale have none.
    assert.equal(result.value, (4 + 2.5 + 0) / 3);
    assert.equal(result.n, 3);
    assert.equal(result.estimator, 'EXACT');
    const d = result.details as Record<string, ResponseJson>;
    assert.equal(d.judged, 6);
    assert.equal(d.scored, 3);
    assert.equal(d.refusals, 1);
    assert.equal(d.unparseable, 1);
    assert.equal(d.outOfRange, 1);
    assert.deepEqual(
      d.failures.map((f: { ordinal: number; kind: string }) => [f.ordinal, f.kind]),
      [
        [2, 'refusal'],
        [3, 'unparseable'],
        [4, 'out_of_range'],
      ],
    );
    // 6 answers of 10 prompt + 3 completion tokens; priced 2 and 10 per million.
    assert.deepEqual(d.usage, {
      promptTokens: 60,
      completionTokens: 18,
      freshPromptTokens: 60,
      freshCompletionTokens: 18,
    });
    assert.equal(d.cost, (60 * 2 + 18 * 10) / 1e6);
    assert.equal(d.calls.calls, 6);
    assert.equal(d.calls.retries, 0);

    // Provenance: the template bound to name@version, its hash, the model, the endpoint, generation settings.
    const [row] = await database.db
      .select()
      .from(judgeTemplates)
      .where(eq(judgeTemplates.name, 'alpagasus-quality'));
    assert.equal(result.params.template, 'alpagasus-quality@1');
    assert.deepEqual(d.template, { name: 'alpagasus-quality', version: 1, hash: row!.hash });
    assert.equal(d.model, 'judge-model');
    assert.equal(d.endpoint, server.url);
    assert.deepEqual([d.temperature, d.seed, d.maxTokens], [0, 0, 256]);

    const scores = await scoresOf(database, result.id);
    assert.deepEqual(
      scores.map((s) => [s.ordinal, s.value]),
      [
        [0, 4],
        [1, 2.5],
        [5, 0],
      ],
    );
    assert.equal((scores[0]!.details as { judgement: string }).judgement, '4\nAccurate and short.');

    // What was sent: one request per sample, stream off, the recorded settings, AlpaGasus' messages.
    const calls = server.callsTo('chat/completions').slice(before);
    assert.equal(calls.length, 6);
    const first = calls.find((c) => c.body.messages[1].content.includes('Name a colour.'))!;
    assert.deepEqual(first.body, {
      model: 'judge-model',
      messages: [
        { role: 'system', content: ALPAGASUS_SYSTEM },
        {
          role: 'user',
          content: `###Instruction:\nName a colour.\n\n### Input:\n\n\n### Response:\n${SCRIPTED[0]!.response}\n\n${ALPAGASUS_RATING}`,
        },
      ],
      stream: false,
      temperature: 0,
      seed: 0,
      max_tokens: 256,
    });
    assert.equal(first.authorization, null, 'no key configured, none sent');
  });

  it('answers a second run from the cache with no call at all', async () => {
    const first = await compute(database, versionId, 'quality.llm_judge', base());
    const calls = server.callsTo('chat/completions').length;
    const again = await compute(database, versionId, 'quality.llm_judge', { ...base(), concurrency: 2 });
    assert.equal(server.callsTo('chat/completions').length, calls, 'no request reached the endpoint');
    assert.equal(again.result.value, first.result.value);
    const d = again.result.details as Record<string, ResponseJson>;
    assert.equal(d.cachedAnswers, 6);
    assert.deepEqual(d.calls, { calls: 0, retries: 0, cacheHits: 6 });
    assert.equal(d.cost, null);
    // Only the concurrency differs: an operational parameter, so the results compare.
    assert.equal(again.result.paramsHash, first.result.paramsHash);
    assert.equal(incomparability(first.result, again.result), null);
  });

  it('keys the cache and the comparison by model, template and generation settings', async () => {
    const reference = await compute(database, versionId, 'quality.llm_judge', base());
    const before = server.callsTo('chat/completions').length;
    const warmer = await compute(database, versionId, 'quality.llm_judge', { ...base(), temperature: 0.5 });
    assert.equal(server.callsTo('chat/completions').length - before, 6, 'another temperature: asked again');
    assert.match(incomparability(reference.result, warmer.result)!, /temperature: 0 vs 0\.5/);

    const other = await startJudgeServer({ models: ['judge-model', 'other-model'] });
    try {
      const otherModel = await compute(database, versionId, 'quality.llm_judge', {
        ...base(),
        endpoint: other.url,
        model: 'other-model',
      });
      assert.equal(other.callsTo('chat/completions').length, 6);
      assert.ok(other.callsTo('chat/completions').every((c) => c.body.model === 'other-model'));
      assert.match(
        incomparability(reference.result, otherModel.result)!,
        /model: "judge-model" vs "other-model"/,
      );
    } finally {
      await other.close();
    }

    await upsertJudgeTemplate(database.db, {
      name: 'first-number',
      kind: 'SCORE',
      system: '',
      user: 'Rate 0-5.\n{prompt}\n{response}',
      scoreFormat: '{score}',
      labels: null,
      minScore: 0,
      maxScore: 5,
    });
    const mine = await compute(database, versionId, 'quality.llm_judge', {
      ...base(),
      template: 'first-number',
    });
    assert.equal(mine.result.params.template, 'first-number@1');
    assert.equal(mine.result.value, reference.result.value, 'the same scripted answers');
    assert.match(
      incomparability(reference.result, mine.result)!,
      /template: "alpagasus-quality@1" vs "first-number@1"/,
    );
  });

  it('retries 429 (honouring Retry-After), 500, malformed bodies and slow answers, then scores exactly', async () => {
    const flaky = await startJudgeServer({
      reply(call: RecordedCall) {
        const marker = judgeMarker(call)!;
        if (call.attempt === 1 && marker === '3')
          return { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'slow down' } } };
        if (call.attempt === 1 && marker === '2')
          return { status: 500, body: { error: { message: 'boom' } } };
        if (call.attempt === 1 && marker === '5') return { body: '{"choices": [' };
        if (call.attempt === 1 && marker === '1') return { ...chatAnswer('1'), delayMs: 1500 };
        if (call.attempt === 1 && marker === '4') return { body: { choices: [{ message: {} }] } };
        return chatAnswer(marker);
      },
    });
    try {
      const version = await storeVersion(
        database,
        'flaky',
        ['3', '2', '5', '1', '4'].map((score, i) => ({ prompt: `q${i}`, response: `[judge:${score}]` })),
      );
      const { result } = await compute(database, version, 'quality.llm_judge', {
        ...base(),
        endpoint: flaky.url,
        timeoutMs: 500,
      });
      assert.equal(result.status, 'COMPLETE', result.statusReason ?? '');
      assert.equal(result.value, (3 + 2 + 5 + 1 + 4) / 5);
      const calls = flaky.callsTo('chat/completions');
      assert.equal(calls.length, 10, 'each sample: one failed attempt and one retry');
      for (const marker of ['3', '2', '5', '1', '4'])
        assert.deepEqual(
          calls.filter((c) => judgeMarker(c) === marker).map((c) => c.attempt),
          [1, 2],
        );
      assert.deepEqual((result.details as ResponseJson).calls, { calls: 10, retries: 5, cacheHits: 0 });
    } finally {
      await flaky.close();
    }
  });

  it('fails the result with the reason when the endpoint keeps failing after its retries', async () => {
    const broken = await startJudgeServer({
      reply: (call) =>
        judgeMarker(call) === 'x'
          ? { status: 503, body: { error: { message: 'overloaded' } } }
          : chatAnswer('3'),
    });
    try {
      const version = await storeVersion(database, 'broken', [
        { prompt: 'a', response: '[judge:3]' },
        { prompt: 'b', response: '[judge:x]' },
      ]);
      const { result, status } = await compute(database, version, 'quality.llm_judge', {
        ...base(),
        endpoint: broken.url,
        maxRetries: 2,
      });
      assert.equal(status, 'SUCCEEDED', 'the job ran; its result records the failure');
      assert.equal(result.status, 'FAILED');
      assert.match(
        result.statusReason!,
        /answered HTTP 503: \{"error":\{"message":"overloaded"\}\} \(gave up after 3 attempts\)/,
      );
      assert.equal(broken.callsTo('chat/completions').filter((c) => judgeMarker(c) === 'x').length, 3);

      // A Retry-After longer than the connector waits fails at once instead of stalling the job.
      const patient = await startJudgeServer({
        reply: () => ({ status: 429, headers: { 'retry-after': '3600' }, body: {} }),
      });
      try {
        const failed = await compute(database, version, 'quality.llm_judge', {
          ...base(),
          endpoint: patient.url,
        });
        assert.equal(failed.result.status, 'FAILED');
        assert.match(failed.result.statusReason!, /Retry-After asks for 3600 s, more than 120 s/);
        assert.equal(patient.callsTo('chat/completions').length, 2, 'one request per sample, no retry');
      } finally {
        await patient.close();
      }
    } finally {
      await broken.close();
    }
  });

  it('never has more requests in flight than the concurrency limit', async () => {
    const slow = await startJudgeServer({
      reply: (call) => ({ ...chatAnswer(judgeMarker(call)!), delayMs: 30 }),
    });
    try {
      const version = await storeVersion(
        database,
        'many',
        Array.from({ length: 40 }, (_, i) => ({ prompt: `p${i}`, response: `[judge:${i % 6}]` })),
      );
      const { result } = await compute(database, version, 'quality.llm_judge', {
        ...base(),
        endpoint: slow.url,
        concurrency: 3,
      });
      assert.equal(result.status, 'COMPLETE');
      // 40 samples scoring 0..5 cyclically; 5 is within range: sum = 6 * (0+..+5) + (0+1+2+3) = 96.
      assert.equal(result.value, 96 / 40);
      assert.ok(slow.maxInFlight() <= 3, `at most 3 in flight, saw ${slow.maxInFlight()}`);
      assert.ok(slow.maxInFlight() >= 2, `requests overlapped (saw ${slow.maxInFlight()})`);
    } finally {
      await slow.close();
    }
  });

  it('judges a seeded subset as SAMPLED, the same subset every time', async () => {
    const version = await storeVersion(
      database,
      'subset',
      Array.from({ length: 20 }, (_, i) => ({ prompt: `s${i}`, response: `[judge:${i % 5}]` })),
    );
    const before = server.callsTo('chat/completions').length;
    const { result } = await compute(database, version, 'quality.llm_judge', {
      ...base(),
      subsetSize: 7,
      seed: 3,
    });
    assert.equal(server.callsTo('chat/completions').length - before, 7);
    assert.equal(result.estimator, 'SAMPLED');
    assert.equal(result.sampleSize, 7);
    assert.equal(result.n, 7);
    const scores = await scoresOf(database, result.id);
    assert.equal(scores.length, 7);
    const again = await compute(database, version, 'quality.llm_judge', {
      ...base(),
      subsetSize: 7,
      seed: 3,
    });
    assert.deepEqual(
      (await scoresOf(database, again.result.id)).map((s) => s.ordinal),
      scores.map((s) => s.ordinal),
    );
    assert.equal(server.callsTo('chat/completions').length - before, 7, 'the repeat came from the cache');
  });

  it("compares each response with the base version's answer to the same prompt (pairwise)", async () => {
    const pairwise = await startJudgeServer({
      reply(call) {
        const user = call.body.messages[1].content as string;
        const a =
          /\[The Start of Assistant A's Answer\]\n([\s\S]*?)\n\[The End of Assistant A's Answer\]/.exec(
            user,
          )![1]!;
        const b =
          /\[The Start of Assistant B's Answer\]\n([\s\S]*?)\n\[The End of Assistant B's Answer\]/.exec(
            user,
          )![1]!;
        return chatAnswer(
          a === b ? 'Equal. [[C]]' : a.includes('good') ? 'A is better. [[A]]' : 'B is better. [[B]]',
        );
      },
    });
    try {
      const baseVersion = await storeVersion(database, 'pair-base', [
        { prompt: 'p1', response: 'meh' },
        { prompt: 'p2', response: 'fine' },
        { prompt: 'p3', response: 'same' },
        { prompt: 'p2', response: 'a later duplicate prompt is ignored' },
      ]);
      const judged = await storeVersion(database, 'pair-new', [
        { prompt: 'p1', response: 'a good answer' }, // A wins: 1
        { prompt: 'p2', response: 'bad' }, // B wins: 0
        { prompt: 'p3', response: 'same' }, // tie: 0.5
        { prompt: 'p4', response: 'good but the base has no p4' }, // not judged
      ]);
      const { result } = await compute(database, judged, 'quality.llm_preference', {
        ...base(),
        endpoint: pairwise.url,
        base: baseVersion,
      });
      assert.equal(result.status, 'COMPLETE', result.statusReason ?? '');
      assert.equal(result.value, (1 + 0 + 0.5) / 3);
      assert.equal(result.n, 3);
      assert.equal(result.params.template, 'mt-bench-pairwise@1');
      assert.equal(result.params.base, baseVersion);
      assert.equal((result.details as ResponseJson).noBase, 1);
      const calls = pairwise.callsTo('chat/completions');
      assert.equal(calls.length, 3);
      const p2 = calls.find((c) => c.body.messages[1].content.includes('[User Question]\np2\n'))!;
      assert.match(p2.body.messages[1].content, /Assistant B's Answer\]\nfine\n/);
      assert.match(p2.body.messages[0].content, /^Please act as an impartial judge/);
      assert.deepEqual(
        (await scoresOf(database, result.id)).map((s) => [s.ordinal, s.value]),
        [
          [0, 1],
          [1, 0],
          [2, 0.5],
        ],
      );
    } finally {
      await pairwise.close();
    }
  });

  it('resumes a stopped job without asking again for answers it already has', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let answered = 0;
    const gated = await startJudgeServer({
      async reply(call) {
        // The first 10 answers come at once; the rest wait until the worker has been stopped.
        if (++answered > 10) await gate;
        return chatAnswer(judgeMarker(call)!);
      },
    });
    try {
      const n = 30;
      const version = await storeVersion(
        database,
        'resumed',
        Array.from({ length: n }, (_, i) => ({ prompt: `r${i}`, response: `[judge:${i % 4}]` })),
      );
      const job = await enqueueComputeMetrics(database.db, version, ['quality.llm_judge'], {
        'quality.llm_judge': { ...base(), endpoint: gated.url, concurrency: 2 },
      });
      const worker = testWorker(database, { onlyJobId: job.id });
      while (gated.callsTo('chat/completions').length < 12) await new Promise((r) => setTimeout(r, 10));
      const stopping = worker.stop(); // shutdown: the job is handed back to the queue
      release();
      await stopping;
      const [stopped] = await database.db.select().from(jobs).where(eq(jobs.id, job.id));
      assert.equal(stopped!.status, 'QUEUED');
      const firstAttempt = gated.callsTo('chat/completions').length;

      const finished = await runJob(database, job.id);
      assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
      const [result] = await findResultsOfJobs(database.db, [job.id]);
      assert.equal(result!.status, 'COMPLETE');
      // Scores cycle 0..3 over 30 samples: 7 * 6 + (0 + 1) = 43.
      assert.equal(result!.value, 43 / n);
      const all = gated.callsTo('chat/completions');
      const perSample = new Map<string, number>();
      for (const c of all) {
        const key = c.body.messages[1].content as string;
        perSample.set(key, (perSample.get(key) ?? 0) + 1);
      }
      assert.equal(perSample.size, n, 'every sample was asked');
      assert.ok(
        [...perSample.values()].every((count) => count === 1),
        'no sample was asked twice',
      );
      assert.equal(all.length, n);
      assert.ok(firstAttempt < n, 'the first attempt stopped early');
      const [stored] = await database.db
        .select({
          n: sql<number>`count(*)::int`,
          distinct: sql<number>`count(distinct ${sampleScores.sampleId})::int`,
        })
        .from(sampleScores)
        .where(eq(sampleScores.resultId, result!.id));
      assert.deepEqual(stored, { n, distinct: n }, 'one score per sample');
      await waitForJob(database, job.id);
    } finally {
      release();
      await gated.close();
    }
  });
});
