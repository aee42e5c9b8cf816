import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Progress,
  formatBytes,
  formatDuration,
  formatProgressLine,
  type ProgressOptions,
} from '../src/cli/progress.js';

function fakeStream(tty: boolean, columns?: number) {
  const writes: string[] = [];
  const stream = {
    isTTY: tty,
    columns,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  } as unknown as NonNullable<ProgressOptions['stream']>;
  return { stream, writes };
}

function fakeClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

describe('formatBytes', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1, '1 B'],
    [999, '999 B'],
    [999.4, '999 B'],
    [999.5, '1.0 kB'],
    [1000, '1.0 kB'],
    [12_345, '12.3 kB'],
    [999_990, '1.0 MB'],
    [12_300_000, '12.3 MB'],
    [812_400_000, '812.4 MB'],
    [999_999_999, '1.00 GB'],
    [1_200_000_000, '1.20 GB'],
    [3_500_000_000_000, '3.50 TB'],
    [-1500, '-1.5 kB'],
    [Number.NaN, '? B'],
    [Number.POSITIVE_INFINITY, '? B'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => assert.equal(formatBytes(input), expected));
  }
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0.0 s'],
    [-5, '0.0 s'],
    [400, '0.4 s'],
    [9_949, '9.9 s'],
    [9_950, '10 s'],
    [12_000, '12 s'],
    [41_200, '41 s'],
    [59_499, '59 s'],
    [59_500, '1m00s'],
    [185_000, '3m05s'],
    [3_599_499, '59m59s'],
    [3_599_500, '1h00m'],
    [3_720_000, '1h02m'],
    [3_779_000, '1h02m'],
    [90_000_000, '25h00m'],
    [Number.POSITIVE_INFINITY, '?'],
    [Number.NaN, '?'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} ms -> ${expected}`, () => assert.equal(formatDuration(input), expected));
  }
});

describe('formatProgressLine', () => {
  // 396.1 MB in 20 s = 19.805 MB/s; (812 - 396.1) MB / 19.805 MB/s = 21.0 s; 396.1 / 812 = 48.8%.
  const known = {
    label: 'ingest',
    unit: 'rows',
    units: 412_000,
    bytes: 396_100_000,
    totalBytes: 812_000_000,
    elapsedMs: 20_000,
  };

  it('plain line with a known total: percent, counts, rate and ETA', () => {
    assert.equal(formatProgressLine(known), 'ingest: 48% 412,000 rows, 396.1 MB, 19.8 MB/s, ETA 21 s');
  });

  it('TTY line draws a bar fitted to the width (width - 1 characters)', () => {
    // 'ingest ' (7) + '[' + 12 cells + '] ' + 44 characters of items = 66 = 67 - 1.
    const line = formatProgressLine({ ...known, width: 67 });
    assert.equal(line, 'ingest [██████░░░░░░] 48% 412,000 rows 396.1 MB 19.8 MB/s ETA 21 s');
    assert.equal(line.length, 66);
  });

  it('TTY bar is capped at 30 cells on wide terminals and only full at 100%', () => {
    const half = {
      label: 'ingest',
      unit: 'rows',
      units: 500_000,
      bytes: 400_000_000,
      totalBytes: 800_000_000,
      elapsedMs: 20_000,
    };
    assert.equal(
      formatProgressLine({ ...half, width: 200 }),
      `ingest [${'█'.repeat(15)}${'░'.repeat(15)}] 50% 500,000 rows 400.0 MB 20.0 MB/s ETA 20 s`,
    );
    assert.equal(
      formatProgressLine({ ...half, bytes: 799_000_000, width: 200 }),
      `ingest [${'█'.repeat(29)}░] 99% 500,000 rows 799.0 MB 40.0 MB/s ETA 0.0 s`,
    );
    // Past the expected total: clamped to 100%, ETA 0.
    assert.equal(
      formatProgressLine({ ...half, bytes: 900_000_000 }),
      'ingest: 100% 500,000 rows, 900.0 MB, 45.0 MB/s, ETA 0.0 s',
    );
  });

  it('narrow TTY: no bar, trailing items dropped to fit', () => {
    const half = {
      label: 'ingest',
      unit: 'rows',
      units: 500_000,
      bytes: 400_000_000,
      totalBytes: 800_000_000,
      elapsedMs: 20_000,
    };
    assert.equal(formatProgressLine({ ...half, width: 40 }), 'ingest 50% 500,000 rows 400.0 MB');
    assert.ok(formatProgressLine({ ...half, width: 10 }).length <= 9);
  });

  it('unknown total: no percent, no ETA, no bar', () => {
    const unknown = {
      label: 'export',
      unit: 'rows',
      units: 1_234_567,
      bytes: 5_000_000_000,
      elapsedMs: 100_000,
    };
    assert.equal(formatProgressLine(unknown), 'export: 1,234,567 rows, 5.00 GB, 50.0 MB/s');
    assert.equal(formatProgressLine({ ...unknown, width: 80 }), 'export 1,234,567 rows 5.00 GB 50.0 MB/s');
    assert.equal(formatProgressLine({ ...unknown, label: undefined }), '1,234,567 rows, 5.00 GB, 50.0 MB/s');
  });

  it('no bytes and no total: a units rate instead of bytes', () => {
    assert.equal(
      formatProgressLine({ label: 'metrics', unit: 'samples', units: 5_000, bytes: 0, elapsedMs: 2_000 }),
      'metrics: 5,000 samples, 2,500 samples/s',
    );
    assert.equal(
      formatProgressLine({ label: 'metrics', unit: 'samples', units: 3, bytes: 0, elapsedMs: 2_000 }),
      'metrics: 3 samples, 1.5 samples/s',
    );
  });

  it('zero (or negative) elapsed time prints no rate, no ETA, no Infinity/NaN', () => {
    const base = { label: 'ingest', unit: 'rows', units: 10, bytes: 1_000, totalBytes: 800_000_000 };
    assert.equal(formatProgressLine({ ...base, elapsedMs: 0 }), 'ingest: 0% 10 rows, 1.0 kB');
    assert.equal(formatProgressLine({ ...base, units: 0, bytes: 0, elapsedMs: 0 }), 'ingest: 0% 0 rows, 0 B');
    assert.equal(
      formatProgressLine({ ...base, totalBytes: undefined, bytes: 0, elapsedMs: 0 }),
      'ingest: 10 rows',
    );
    for (const elapsedMs of [0, -1]) {
      for (const width of [undefined, 80]) {
        for (const totalBytes of [undefined, 0, 800_000_000]) {
          const line = formatProgressLine({ ...base, totalBytes, elapsedMs, width });
          assert.doesNotMatch(line, /Infinity|NaN/, line);
        }
      }
    }
  });

  it('ETA only once bytes > 0', () => {
    const line = formatProgressLine({
      label: 'ingest',
      unit: 'rows',
      units: 0,
      bytes: 0,
      totalBytes: 1_000_000,
      elapsedMs: 5_000,
    });
    assert.equal(line, 'ingest: 0% 0 rows, 0 B, 0 B/s');
  });
});

describe('Progress', () => {
  it('non-TTY: throttles to one plain line per interval, no escape codes', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const progress = new Progress({ stream, now: clock.now, label: 'ingest', totalBytes: 800_000_000 });
    clock.t = 100;
    progress.update(10, 1_000);
    clock.t = 4_999;
    progress.update(100_000, 80_000_000);
    assert.equal(writes.length, 0);

    clock.t = 5_000;
    progress.update(125_000, 100_000_000);
    assert.deepEqual(writes, ['ingest: 12% 125,000 rows, 100.0 MB, 20.0 MB/s, ETA 35 s\n']);

    clock.t = 9_999;
    progress.update(200_000, 150_000_000);
    assert.equal(writes.length, 1);
    clock.t = 10_000;
    progress.update(250_000, 200_000_000);
    assert.equal(writes.length, 2);
    assert.equal(writes[1], 'ingest: 25% 250,000 rows, 200.0 MB, 20.0 MB/s, ETA 30 s\n');

    clock.t = 20_000;
    progress.update(500_000, 400_000_000);
    progress.finish('version 3 created');
    assert.equal(
      writes.at(-1),
      'ingest: 500,000 rows, 400.0 MB in 20 s (25,000 rows/s, 20.0 MB/s); version 3 created\n',
    );
    for (const chunk of writes) {
      assert.ok(!chunk.includes('\r') && !chunk.includes('\x1b'), JSON.stringify(chunk));
      assert.ok(chunk.endsWith('\n'));
    }
  });

  it('honours an explicit interval', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const progress = new Progress({ stream, now: clock.now, intervalMs: 1_000 });
    clock.t = 999;
    progress.update(1, 0);
    assert.equal(writes.length, 0);
    clock.t = 1_000;
    progress.update(2, 0);
    assert.deepEqual(writes, ['2 rows, 2.0 rows/s\n']);
  });

  it('TTY: redraws in place with \\r and clear-to-end, throttled to 100 ms by default', () => {
    const { stream, writes } = fakeStream(true, 80);
    const clock = fakeClock();
    const progress = new Progress({ stream, now: clock.now, label: 'ingest', totalBytes: 800_000_000 });
    clock.t = 50;
    progress.update(1, 1);
    assert.equal(writes.length, 0);
    clock.t = 20_000;
    progress.update(500_000, 400_000_000);
    assert.equal(writes.length, 1);
    const frame = writes[0]!;
    assert.ok(frame.startsWith('\r'));
    assert.ok(frame.endsWith('\x1b[K'));
    assert.ok(!frame.includes('\n'));
    assert.match(frame.slice(1, -3), /^ingest \[█+░+\] 50% 500,000 rows 400\.0 MB 20\.0 MB\/s ETA 20 s$/);
    assert.ok(frame.length - '\r\x1b[K'.length <= 79);

    clock.t = 20_050;
    progress.update(510_000, 410_000_000);
    assert.equal(writes.length, 1);
    clock.t = 20_100;
    progress.update(520_000, 420_000_000);
    assert.equal(writes.length, 2);

    clock.t = 40_000;
    progress.update(1_000_000, 800_000_000);
    progress.finish();
    const last = writes.at(-1)!;
    assert.equal(last, '\r\x1b[Kingest: 1,000,000 rows, 800.0 MB in 40 s (25,000 rows/s, 20.0 MB/s)\n');
  });

  it('TTY without columns falls back to 80', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const progress = new Progress({ stream, now: clock.now, label: 'ingest', totalBytes: 800_000_000 });
    clock.t = 20_000;
    progress.update(500_000, 400_000_000);
    assert.equal(writes[0]!.length - '\r\x1b[K'.length, 79);
  });

  it('finish always prints exactly one final line, even with no update and zero elapsed', () => {
    for (const tty of [false, true]) {
      const { stream, writes } = fakeStream(tty, 80);
      const progress = new Progress({ stream, now: () => 0, unit: 'samples' });
      progress.finish();
      progress.finish('again');
      progress.update(5, 5);
      assert.equal(writes.length, 1);
      assert.ok(writes[0]!.endsWith('0 samples in 0.0 s\n'), JSON.stringify(writes[0]));
      assert.doesNotMatch(writes[0]!, /Infinity|NaN/);
    }
  });

  it('fail clears the bar and reports counts and the message', () => {
    const { stream, writes } = fakeStream(true, 80);
    const clock = fakeClock();
    const progress = new Progress({ stream, now: clock.now, label: 'ingest', totalBytes: 812_000_000 });
    clock.t = 12_000;
    progress.update(412_000, 396_100_000);
    progress.fail('disk full');
    assert.equal(writes.at(-1), '\r\x1b[Kingest: failed after 12 s (412,000 rows, 396.1 MB): disk full\n');
    progress.finish();
    assert.equal(writes.length, 2);

    const plain = fakeStream(false);
    const other = new Progress({ stream: plain.stream, now: () => 400, label: 'export' });
    other.fail();
    assert.deepEqual(plain.writes, ['export: failed after 0.0 s (0 rows)\n']);
  });
});
