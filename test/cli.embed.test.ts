/** `qdc embed` as a real process on a PGlite data directory: progress, the summary, resumability, and then embedding metrics through `qdc compute`. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../src/app.js';
import { storeVersion, randomSamples } from './helpers/metricData.js';
import { qdc } from './helpers/cli.js';

describe('qdc embed on a data directory', () => {
  let dir: string;
  const env = { QDC_PROGRESS_INTERVAL_MS: '0', QDC_EMBEDDER: 'lexical' };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-embed-'));
    const database = await openCatalog({ dataDir: join(dir, 'db') });
    await storeVersion(database, 'demo', randomSamples(1200, 9));
    await database.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('embeds with a progress line, builds the index, and embeds nothing the second time', async () => {
    const first = await qdc(['embed', 'demo', '--data-dir', join(dir, 'db')], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /^embed: queued job \d+ on version \d+ \(1200 samples\) into qdc\/lexical-hash@v1:fp32$/m,
    );
    assert.match(first.stderr, /embed: \d+% [\d,]+ samples/);
    assert.match(
      first.stdout,
      /^space qdc\/lexical-hash@v1:fp32 \(384 dims\): embedded 1200 samples at \d+ samples\/s, 0 already had a vector$/m,
    );
    assert.match(
      first.stdout,
      /^built the space's HNSW index over 1200 vectors in [\d.]+ s \(maintenance_work_mem 64 MB\)$/m,
    );

    const second = await qdc(['embed', 'demo@1', '--data-dir', join(dir, 'db')], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /embedded 0 samples, 1200 already had a vector/);
    assert.match(second.stdout, /the space's HNSW index already existed \(1200 vectors\)/);

    const compute = await qdc(
      ['compute', 'demo', '--metrics', 'diversity.vendi,diversity.chamfer', '--data-dir', join(dir, 'db')],
      { env },
    );
    assert.equal(compute.code, 0, compute.stderr);
    assert.match(
      compute.stdout,
      /^diversity\.vendi\s+[\d.]+\s+1200\s+EXACT\s+COMPLETE\s+space=qdc\/lexical-hash@v1:fp32$/m,
    );
    assert.match(
      compute.stdout,
      /^diversity\.chamfer\s+[\d.]+\s+1200\s+EXACT\s+COMPLETE\s+space=qdc\/lexical-hash@v1:fp32$/m,
    );
  });

  it('refuses an unknown version and a malformed space with a clear message', async () => {
    const unknown = await qdc(['embed', 'nope', '--data-dir', join(dir, 'db')], { env });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /nope/);
    const bad = await qdc(['embed', 'demo', '--space', 'bad space!', '--data-dir', join(dir, 'db')], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"bad space!" is not an embedding space name/);
  });
});
