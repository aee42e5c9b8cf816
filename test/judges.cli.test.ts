/** `qdc compute -m quality.llm_judge --param endpoint=...` as a real process on a PGlite data dir. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../src/app.js';
import { qdc } from './helpers/cli.js';
import { storeVersion } from './helpers/metricData.js';
import { startJudgeServer, type JudgeServer } from './helpers/judgeServer.js';

describe('qdc compute with a judge metric', () => {
  let dir: string;
  let server: JudgeServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-judge-'));
    const database = await openCatalog({ dataDir: join(dir, 'db') });
    await storeVersion(database, 'judged', [
      { prompt: 'one', response: '[judge:2]' },
      { prompt: 'two', response: '[judge:5]' },
    ]);
    await database.close();
    server = await startJudgeServer();
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes endpoint, model and the template as --param and prints the mean score', async () => {
    const run = await qdc([
      'compute',
      'judged@1',
      '-m',
      'quality.llm_judge',
      '--param',
      `endpoint=${server.url}`,
      '--param',
      'model=judge-model',
      '--param',
      'quality.llm_judge:template=alpagasus-quality',
      '--data-dir',
      join(dir, 'db'),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^quality\.llm_judge\s+3\.5000\s+2\s+EXACT\s+COMPLETE\s.*model=judge-model template=alpagasus-quality@1$/m,
    );
    assert.equal(server.callsTo('chat/completions').length, 2);
  });

  it('refuses an unknown model before queueing', async () => {
    const run = await qdc([
      'compute',
      'judged@1',
      '-m',
      'quality.llm_judge',
      '--param',
      `endpoint=${server.url}`,
      '--param',
      'model=nope',
      '--data-dir',
      join(dir, 'db'),
    ]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /does not serve model "nope"; it serves judge-model/);
  });
});
