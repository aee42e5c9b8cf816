import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  readRecords,
  type ReaderItem,
  type ReaderOptions,
  type ReaderSummary,
} from '../src/ingest/readers.js';

type Split = (buf: Buffer) => Buffer[];

const whole: Split = (buf) => [buf];
const every =
  (size: number): Split =>
  (buf) => {
    const out: Buffer[] = [];
    for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
    return out;
  };
/** Chunks of random sizes 1..maxSize from a seeded PRNG (mulberry32), so failures are reproducible. */
const randomChunks =
  (seed: number, maxSize: number): Split =>
  (buf) => {
    let state = seed >>> 0;
    const next = (): number => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out: Buffer[] = [];
    for (let i = 0; i < buf.length;) {
      const size = 1 + Math.floor(next() * maxSize);
      out.push(buf.subarray(i, i + size));
      i += size;
    }
    return out;
  };

async function* sourceOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function read(
  input: string | Buffer,
  options: Partial<ReaderOptions> = {},
  split: Split = whole,
): Promise<{ items: ReaderItem[]; summary: ReaderSummary }> {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const generator = readRecords(sourceOf(split(buf)), { maxRecordBytes: 1024, ...options });
  const items: ReaderItem[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done === true) return { items, summary: next.value };
    items.push(next.value);
  }
}

const rec = (line: number, offset: number, value: unknown): ReaderItem => ({
  kind: 'record',
  line,
  offset,
  value,
});
const rej = (line: number, offset: number, reason: string, fatal = false): ReaderItem => ({
  kind: 'rejected',
  line,
  offset,
  reason,
  fatal,
});

function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return `malformed JSON: ${(error as Error).message}`;
  }
  throw new Error(`${text} is valid JSON`);
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const SPLITS: Array<[string, Split]> = [
  ['whole', whole],
  ['1-byte', every(1)],
  ['2-byte', every(2)],
  ['3-byte', every(3)],
  ['7-byte', every(7)],
  ['random seed 1', randomChunks(1, 16)],
  ['random seed 42', randomChunks(42, 5)],
  ['random seed 1234', randomChunks(1234, 64)],
];

/** Reads `input` under every chunking and asserts they all give the same items and summary; returns them. */
async function readAllSplits(input: string | Buffer, options: Partial<ReaderOptions> = {}) {
  const reference = await read(input, options, whole);
  for (const [name, split] of SPLITS) {
    const got = await read(input, options, split);
    assert.deepEqual(got, reference, `chunking ${name} gives the same result`);
  }
  return reference;
}

describe('readRecords: JSONL', () => {
  it('yields each line with its 1-based line number and byte offset', async () => {
    const { items, summary } = await readAllSplits('{"a":1}\n{"b":2}\n[3]\n');
    assert.deepEqual(items, [rec(1, 0, { a: 1 }), rec(2, 8, { b: 2 }), rec(3, 16, [3])]);
    assert.deepEqual(summary, { container: 'jsonl', records: 3, rejected: 0, bytes: 20 });
  });

  it('strips the \\r of CRLF line endings', async () => {
    const { items, summary } = await readAllSplits('{"a":1}\r\n{"b":"x"}\r\n');
    assert.deepEqual(items, [rec(1, 0, { a: 1 }), rec(2, 9, { b: 'x' })]);
    assert.equal(summary.bytes, 20);
  });

  it('skips blank and whitespace-only lines silently but still counts them', async () => {
    const { items, summary } = await readAllSplits('\n{"a":1}\n\n   \n\t\r\n{"b":2}\n\n');
    assert.deepEqual(items, [rec(2, 1, { a: 1 }), rec(6, 17, { b: 2 })]);
    assert.deepEqual(summary, { container: 'jsonl', records: 2, rejected: 0, bytes: 26 });
  });

  it('reads a final line without a trailing newline', async () => {
    const { items } = await readAllSplits('{"a":1}\n42');
    assert.deepEqual(items, [rec(1, 0, { a: 1 }), rec(2, 8, 42)]);
    const crOnly = await readAllSplits('{"a":1}\r');
    assert.deepEqual(crOnly.items, [rec(1, 0, { a: 1 })]);
  });

  it('skips a UTF-8 BOM at the start (offsets still count it), even when split across chunks', async () => {
    const { items, summary } = await readAllSplits(Buffer.concat([BOM, Buffer.from('{"a":1}\n{"b":2}\n')]));
    assert.deepEqual(items, [rec(1, 3, { a: 1 }), rec(2, 11, { b: 2 })]);
    assert.equal(summary.bytes, 19);
    // A BOM anywhere else is content.
    const later = await read(Buffer.concat([Buffer.from('{"a":1}\n'), BOM, Buffer.from('{"b":2}\n')]));
    assert.equal(later.items[1]!.kind, 'rejected');
    // Bytes that only start like a BOM are content.
    const partial = await readAllSplits(Buffer.from([0xef, 0xbb]));
    assert.deepEqual(partial.items, [rej(1, 0, 'invalid UTF-8')]);
  });

  it('reports a malformed line with its line number and goes on', async () => {
    const { items, summary } = await readAllSplits('{"a":1}\n{"b":}\n{"c":3}\n');
    assert.deepEqual(items, [rec(1, 0, { a: 1 }), rej(2, 8, parseError('{"b":}')), rec(3, 15, { c: 3 })]);
    assert.match((items[1] as { reason: string }).reason, /^malformed JSON: /);
    assert.deepEqual(summary, { container: 'jsonl', records: 2, rejected: 1, bytes: 23 });
  });

  it('rejects a line that is not valid UTF-8', async () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
    const input = Buffer.concat([Buffer.from('{"a":1}\n'), bad, Buffer.from('\n{"c":3}\n')]);
    const { items, summary } = await readAllSplits(input);
    assert.deepEqual(items, [rec(1, 0, { a: 1 }), rej(2, 8, 'invalid UTF-8'), rec(3, 18, { c: 3 })]);
    assert.equal(summary.rejected, 1);
  });

  it('rejects an over-long line without stopping, and reads the next line', async () => {
    const big = `{"big":"${'x'.repeat(60)}"}`; // 70 bytes
    const input = `{"a":1}\n${big}\n{"c":3}\n${big}`;
    const { items, summary } = await readAllSplits(input, { maxRecordBytes: 50 });
    assert.deepEqual(items, [
      rec(1, 0, { a: 1 }),
      rej(2, 8, 'line is longer than the limit of 50 bytes'),
      rec(3, 79, { c: 3 }),
      rej(4, 87, 'line is longer than the limit of 50 bytes'),
    ]);
    assert.deepEqual(summary, { container: 'jsonl', records: 2, rejected: 2, bytes: 157 });
  });

  it('applies the limit to the line without its line ending', async () => {
    const fifty = `{"k":"${'x'.repeat(42)}"}`;
    const fiftyOne = `{"k":"${'x'.repeat(43)}"}`;
    assert.equal(fifty.length, 50);
    const { items } = await readAllSplits(`${fifty}\r\n${fiftyOne}\r\n${fifty}`, { maxRecordBytes: 50 });
    assert.deepEqual(items, [
      rec(1, 0, { k: 'x'.repeat(42) }),
      rej(2, 52, 'line is longer than the limit of 50 bytes'),
      rec(3, 105, { k: 'x'.repeat(42) }),
    ]);
  });

  it('treats each line as a JSON value with an explicit jsonl container, even when it starts with [', async () => {
    const { items, summary } = await readAllSplits('[1,2]\n[3]\n', { container: 'jsonl' });
    assert.deepEqual(items, [rec(1, 0, [1, 2]), rec(2, 6, [3])]);
    assert.equal(summary.container, 'jsonl');
  });

  it('uses the line start as the offset when the input starts with whitespace', async () => {
    const { items, summary } = await readAllSplits('  \n  {"a":1}\n');
    assert.deepEqual(items, [rec(2, 3, { a: 1 })]);
    assert.equal(summary.container, 'jsonl');
  });
});

describe('readRecords: JSON array', () => {
  it('detects a JSON array from the first non-whitespace byte', async () => {
    const { items, summary } = await readAllSplits('  \n [ {"a":1},\n  {"b":2} ]\n');
    assert.deepEqual(items, [rec(2, 6, { a: 1 }), rec(3, 17, { b: 2 })]);
    assert.deepEqual(summary, { container: 'json-array', records: 2, rejected: 0, bytes: 27 });
  });

  it('does not split on commas and brackets inside strings or nested values', async () => {
    const input = '[{"s":"a,]}[{\\"b"}, [1,[2,{"x":"]"}]] ,"q,\\"]" ,-1.5e3,true,null,{}]';
    assert.equal(input.length, 68);
    const { items, summary } = await readAllSplits(input);
    assert.deepEqual(items, [
      rec(1, 1, { s: 'a,]}[{"b' }),
      rec(1, 20, [1, [2, { x: ']' }]]),
      rec(1, 39, 'q,"]'),
      rec(1, 48, -1500),
      rec(1, 55, true),
      rec(1, 60, null),
      rec(1, 65, {}),
    ]);
    assert.deepEqual(summary, { container: 'json-array', records: 7, rejected: 0, bytes: 68 });
  });

  it('handles escaped backslashes before a closing quote', async () => {
    // The string value is a\ (one backslash): the quote after \\ closes it.
    const { items } = await readAllSplits('[{"p":"a\\\\"},"\\\\",{"q":"\\\\\\""}]');
    assert.deepEqual(items, [rec(1, 1, { p: 'a\\' }), rec(1, 13, '\\'), rec(1, 18, { q: '\\"' })]);
  });

  it('rejects a malformed but delimited element without stopping', async () => {
    const { items, summary } = await readAllSplits('[{"a":1}, {"b":}, {"c":3}]');
    assert.deepEqual(items, [rec(1, 1, { a: 1 }), rej(1, 10, parseError('{"b":}')), rec(1, 18, { c: 3 })]);
    assert.deepEqual(summary, { container: 'json-array', records: 2, rejected: 1, bytes: 26 });
    const junk = await readAllSplits('[1, tru, 2]');
    assert.deepEqual(junk.items, [rec(1, 1, 1), rej(1, 4, parseError('tru')), rec(1, 9, 2)]);
  });

  it('rejects an element that is not valid UTF-8 without stopping', async () => {
    const input = Buffer.concat([
      Buffer.from('["ok",'),
      Buffer.from([0x22, 0xc3, 0x28, 0x22]),
      Buffer.from(',"fine"]'),
    ]);
    const { items } = await readAllSplits(input);
    assert.deepEqual(items, [rec(1, 1, 'ok'), rej(1, 6, 'invalid UTF-8'), rec(1, 11, 'fine')]);
  });

  it('rejects an over-long element without stopping', async () => {
    const big = `{"big":[${'1,'.repeat(39)}1],"s":"]},"}`; // 8 + 78 + 13 = 99 bytes
    assert.equal(big.length, 99);
    const { items, summary } = await readAllSplits(`[{"a":1},\n${big},\n{"c":3}]`, { maxRecordBytes: 50 });
    assert.deepEqual(items, [
      rec(1, 1, { a: 1 }),
      rej(2, 10, 'array element is longer than the limit of 50 bytes'),
      rec(3, 111, { c: 3 }),
    ]);
    assert.equal(summary.rejected, 1);
  });

  it('fails fatally when the array ends early, reporting the position', async () => {
    const { items, summary } = await readAllSplits('[{"a":1},\n{"b":2},\n{"c":');
    assert.deepEqual(items, [
      rec(1, 1, { a: 1 }),
      rec(2, 10, { b: 2 }),
      rej(
        3,
        24,
        "JSON array ends early at byte 24 (line 3): missing ']'; the element starting at byte 19 (line 3) is cut off",
        true,
      ),
    ]);
    assert.deepEqual(summary, { container: 'json-array', records: 2, rejected: 1, bytes: 24 });

    const cutScalar = await readAllSplits('[1,2');
    assert.deepEqual(cutScalar.items, [
      rec(1, 1, 1),
      rej(
        1,
        4,
        "JSON array ends early at byte 4 (line 1): missing ']'; the element starting at byte 3 (line 1) is cut off",
        true,
      ),
    ]);
    const afterElement = await readAllSplits('[1, 2\n');
    assert.deepEqual(afterElement.items, [
      rec(1, 1, 1),
      rec(1, 4, 2),
      rej(2, 6, "JSON array ends early at byte 6 (line 2): missing ']'", true),
    ]);
    const afterOpen = await readAllSplits('[');
    assert.deepEqual(afterOpen.items, [
      rej(1, 1, "JSON array ends early at byte 1 (line 1): missing ']'", true),
    ]);
  });

  it('fails fatally on content after the closing ]', async () => {
    const { items, summary } = await readAllSplits('[1,2]\n x');
    assert.deepEqual(items, [
      rec(1, 1, 1),
      rec(1, 3, 2),
      rej(2, 7, "JSON array: unexpected content after the closing ']' at byte 7 (line 2), found 'x'", true),
    ]);
    assert.deepEqual(summary, { container: 'json-array', records: 2, rejected: 1, bytes: 7 });
    const twoArrays = await readAllSplits('[1] [2]');
    assert.deepEqual(twoArrays.items, [
      rec(1, 1, 1),
      rej(1, 4, "JSON array: unexpected content after the closing ']' at byte 4 (line 1), found '['", true),
    ]);
    const trailingWhitespace = await readAllSplits('[1]\n\n \r\n');
    assert.deepEqual(trailingWhitespace.items, [rec(1, 1, 1)]);
  });

  it('fails fatally on a missing comma or junk between elements, and stops there', async () => {
    const { items, summary } = await readAllSplits('[{"a":1} {"b":2}, {"c":3}]');
    assert.deepEqual(items, [
      rec(1, 1, { a: 1 }),
      rej(1, 9, "JSON array: expected ',' or ']' after an element at byte 9 (line 1), found '{'", true),
    ]);
    assert.deepEqual(summary, { container: 'json-array', records: 1, rejected: 1, bytes: 9 });
    const scalars = await readAllSplits('[1\n 2]');
    assert.deepEqual(scalars.items, [
      rec(1, 1, 1),
      rej(2, 4, "JSON array: expected ',' or ']' after an element at byte 4 (line 2), found '2'", true),
    ]);
    const trailingComma = await readAllSplits('[1,]');
    assert.deepEqual(trailingComma.items, [
      rec(1, 1, 1),
      rej(1, 3, "JSON array: expected an element at byte 3 (line 1), found ']'", true),
    ]);
    const binary = await readAllSplits(Buffer.from([0x5b, 0x31, 0x20, 0x00, 0x5d]));
    assert.deepEqual(binary.items, [
      rec(1, 1, 1),
      rej(1, 3, "JSON array: expected ',' or ']' after an element at byte 3 (line 1), found byte 0x00", true),
    ]);
  });

  it('gives zero records for an empty array', async () => {
    for (const input of ['[]', ' [ \n ] \n', Buffer.concat([BOM, Buffer.from('[]')])]) {
      const { items, summary } = await readAllSplits(input);
      assert.deepEqual(items, []);
      assert.equal(summary.container, 'json-array');
      assert.equal(summary.records, 0);
    }
  });

  it('skips a BOM before the array', async () => {
    const { items } = await readAllSplits(Buffer.concat([BOM, Buffer.from('[1,2]')]));
    assert.deepEqual(items, [rec(1, 4, 1), rec(1, 6, 2)]);
  });

  it('fails fatally when an explicit json-array container does not start with [', async () => {
    const { items } = await readAllSplits('\n{"a":1}\n', { container: 'json-array' });
    assert.deepEqual(items, [rej(2, 1, "JSON array: expected '[' at byte 1 (line 2), found '{'", true)]);
  });
});

describe('readRecords: streams', () => {
  it('gives zero items for empty input, whitespace only, or a BOM only', async () => {
    const inputs: Array<string | Buffer> = [
      '',
      ' \n\r\n\t ',
      BOM,
      Buffer.concat([BOM, Buffer.from('\n \n')]),
    ];
    for (const input of inputs) {
      const { items, summary } = await readAllSplits(input);
      assert.deepEqual(items, []);
      assert.deepEqual(summary, {
        container: 'jsonl',
        records: 0,
        rejected: 0,
        bytes: Buffer.byteLength(input),
      });
    }
    const explicitArray = await read('  ', { container: 'json-array' });
    assert.deepEqual(explicitArray, {
      items: [],
      summary: { container: 'json-array', records: 0, rejected: 0, bytes: 2 },
    });
    // Empty chunks are ignored.
    const generator = readRecords(sourceOf([new Uint8Array(0), Buffer.from('{"a":1}'), new Uint8Array(0)]), {
      maxRecordBytes: 100,
    });
    assert.deepEqual((await generator.next()).value, rec(1, 0, { a: 1 }));
    assert.deepEqual((await generator.next()).value, {
      container: 'jsonl',
      records: 1,
      rejected: 0,
      bytes: 7,
    });
  });

  it('gives the same items whatever the chunking, with multi-byte characters, escapes and CRLF', async () => {
    const invalid = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
    const text1 = '{"t":"héllo ✓ 🎉","q":"say \\"hi\\"\\\\"}\r\n';
    const text2 = '\r\n  \n{"n":[1,{"x":"]"}]}\n{"bad":}\n';
    const text3 = `{"long":"${'é'.repeat(40)}"}\n["🎉",2]`;
    const input = Buffer.concat([
      BOM,
      Buffer.from(text1),
      Buffer.from(text2),
      invalid,
      Buffer.from('\n'),
      Buffer.from(text3),
    ]);
    const { items, summary } = await readAllSplits(input, { maxRecordBytes: 60 });
    // Offsets by hand: BOM 3; text1 is 44 bytes (the line is 6 + 15 + 2 + 5 + 12 + 2 = 42, + CRLF); "\r\n" 2,
    // "  \n" 3; the n line 19 + 1; the bad line 8 + 1; the invalid line 9 + 1; the long line is 9 + 80 + 2 = 91
    // bytes (over 60) + 1; then the last line.
    assert.equal(Buffer.byteLength(text1), 44);
    assert.deepEqual(items, [
      rec(1, 3, { t: 'héllo ✓ 🎉', q: 'say "hi"\\' }),
      rec(4, 52, { n: [1, { x: ']' }] }),
      rej(5, 72, parseError('{"bad":}')),
      rej(6, 81, 'invalid UTF-8'),
      rej(7, 91, 'line is longer than the limit of 60 bytes'),
      rec(8, 183, ['🎉', 2]),
    ]);
    assert.deepEqual(summary, { container: 'jsonl', records: 3, rejected: 3, bytes: input.length });

    const array = Buffer.from('[{"t":"héllo ✓ 🎉"},\r\n"\\"✓\\\\",\n{"a":["🎉",",]"]}]');
    const fromArray = await readAllSplits(array);
    assert.deepEqual(fromArray.items, [
      rec(1, 1, { t: 'héllo ✓ 🎉' }),
      rec(2, 27, '"✓\\'),
      rec(3, 38, { a: ['🎉', ',]'] }),
    ]);
  });

  it('loses nothing over 20k lines, as JSONL and as a JSON array', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++)
      lines.push(JSON.stringify({ i, s: i % 7 === 0 ? 'héllo ✓ 🎉' : 'x'.repeat(i % 50) }));
    const jsonl = Buffer.from(lines.join('\n') + '\n');
    for (const split of [whole, randomChunks(7, 4096), every(65536)]) {
      const { items, summary } = await read(jsonl, {}, split);
      assert.equal(items.length, 20_000);
      let offset = 0;
      items.forEach((item, i) => {
        assert.deepEqual(item, rec(i + 1, offset, JSON.parse(lines[i]!)));
        offset += Buffer.byteLength(lines[i]!) + 1;
      });
      assert.deepEqual(summary, { container: 'jsonl', records: 20_000, rejected: 0, bytes: jsonl.length });
    }

    const array = Buffer.from('[\n' + lines.join(',\n') + '\n]\n');
    for (const split of [whole, randomChunks(9, 4096)]) {
      const { items, summary } = await read(array, {}, split);
      assert.equal(items.length, 20_000);
      let offset = 2;
      items.forEach((item, i) => {
        assert.deepEqual(item, rec(i + 2, offset, JSON.parse(lines[i]!)));
        offset += Buffer.byteLength(lines[i]!) + 2;
      });
      assert.deepEqual(summary, {
        container: 'json-array',
        records: 20_000,
        rejected: 0,
        bytes: array.length,
      });
    }
  });

  it('closes the source when the consumer stops early or after a fatal rejection', async () => {
    let closed = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from('[1,2');
        yield Buffer.from(']x');
        yield Buffer.from('never read');
      } finally {
        closed++;
      }
    }
    const { items, summary } = await (async () => {
      const generator = readRecords(source(), { maxRecordBytes: 10 });
      const got: ReaderItem[] = [];
      for (;;) {
        const next = await generator.next();
        if (next.done === true) return { items: got, summary: next.value };
        got.push(next.value);
      }
    })();
    assert.equal(items.length, 3);
    assert.equal((items[2] as { fatal: boolean }).fatal, true);
    assert.deepEqual(summary, { container: 'json-array', records: 2, rejected: 1, bytes: 5 });
    assert.equal(closed, 1);

    for await (const item of readRecords(source(), { maxRecordBytes: 10 })) {
      assert.deepEqual(item, rec(1, 1, 1));
      break;
    }
    assert.equal(closed, 2);
  });

  it('rejects an invalid maxRecordBytes', async () => {
    await assert.rejects(read('{}', { maxRecordBytes: 0 }), RangeError);
  });
});
