import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCatalog } from '../src/app.js';
import { verifyApiKey } from '../src/auth/apiKeys.js';

const QDC = join(import.meta.dirname, '..', 'bin', 'qdc.mjs');
const { DATABASE_URL: _ignored, ...envWithoutDatabase } = process.env;
const env = { ...envWithoutDatabase, QDC_LOG_LEVEL: 'info' };

function qdc(...args: string[]) {
  const result = spawnSync(process.execPath, [QDC, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('qdc command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for the program and every command', () => {
    const top = qdc('--help');
    assert.equal(top.code, 0);
    for (const name of ['serve', 'migrate', 'keys', 'ingest', 'export']) {
      assert.match(top.stdout, new RegExp(`\\n  ${name} `));
      const help = qdc(name, '--help');
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: qdc /m);
      assert.match(help.stdout, /--help/);
    }
    assert.match(qdc('serve', '--help').stdout, /QDC_AUTH/);
    const unknown = qdc('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badFlag = qdc('keys', 'create', '--rol', 'writer');
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--rol/);
  });

  it('creates a key that is printed once and verifies, lists and revokes it', async () => {
    const dataDir = join(dir, 'db');
    assert.equal(qdc('migrate', '--data-dir', dataDir).code, 0);
    const created = qdc('keys', 'create', '--role', 'writer', '--name', 'ci', '--data-dir', dataDir);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^qdc_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /shown once/);
    const keyId = key.split('_')[1]!;

    const listed = qdc('keys', 'list', '--data-dir', dataDir);
    assert.match(listed.stdout, new RegExp(`${keyId}\\s+writer`));
    assert.ok(!listed.stdout.includes(key), 'list never shows the secret');

    const database = await openCatalog({ dataDir });
    try {
      assert.equal(await verifyApiKey(database.db, key), 'writer');
    } finally {
      await database.close();
    }
    assert.equal(qdc('keys', 'revoke', keyId, '--data-dir', dataDir).code, 0);
    const badRole = qdc('keys', 'create', '--role', 'root', '--data-dir', dataDir);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /role must be one of reader, writer, admin/);
  });

  it('serves, logs the auth mode, and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [QDC, 'serve', '--memory', '--port', '0'], { env });
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 60_000);
      child.stderr.on('data', (chunk) => {
        log += chunk;
        const match = /serving GraphQL at (http:\/\/\S+)\/graphql/.exec(log);
        if (match && /auth: /.test(log)) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    assert.match(log, /auth: OFF \(embedded database on a loopback address\)/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
  });
});
