/**
 * The export's Parquet writer on its own, read back by DuckDB (an independent reader) and by our
 * hyparquet-based reader: text columns that span many pages and several row groups, nulls,
 * multi-byte UTF-8 (accents, CJK, emoji, a lone surrogate), empty strings, a nested list column and
 * a double column, in every codec. Expected values are the input rows themselves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { parquetSchemaFor } from '../src/ingest/exportParquet.js';
import { StreamingParquetWriter, type ExportCodec } from '../src/ingest/parquetWriter.js';

interface Row {
  prompt: string | null;
  response: string | null;
  messages: { role: string; content: string | null }[] | null;
  score: number | null;
}

const WORDS = ['héllo', '世界', 'emoji 🎉', 'plain', '', 'ünïcödé', 'a'.repeat(300)];

/** Deterministic rows; every 5th prompt null, every 9th response null, a lone surrogate once. */
function rows(count: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < count; i++) {
    const word = WORDS[i % WORDS.length]!;
    out.push({
      prompt: i % 5 === 0 ? null : `${i}: ${word} ${'lorem ipsum '.repeat(i % 40)}`,
      response: i % 9 === 0 ? null : i === 7 ? 'lone \ud800 surrogate' : `${word}${i}`,
      messages:
        i % 4 === 0
          ? null
          : [
              { role: 'user', content: `m${i}` },
              { role: 'assistant', content: null },
            ],
      score: i % 3 === 0 ? null : i / 7,
    });
  }
  return out;
}

function writeFile(path: string, data: Row[], codec: ExportCodec, groupRows: number): Promise<void> {
  return (async () => {
    const writer = new StreamingParquetWriter({
      schema: parquetSchemaFor([], [{ metric: 'm', resultId: 1 }]),
      codec,
      createdBy: 'test',
      kvMetadata: [{ key: 'k', value: 'v' }],
    });
    const chunks: Uint8Array[] = [];
    for (let start = 0; start < data.length; start += groupRows) {
      const group = data.slice(start, start + groupRows);
      const prompt = writer.textColumn();
      const response = writer.textColumn();
      const reference = writer.textColumn();
      const metadata = writer.textColumn();
      for (const r of group) {
        prompt.push(r.prompt);
        response.push(r.response);
        reference.push(null);
        metadata.push(r.score === null ? null : JSON.stringify({ i: r.score }));
      }
      await writer.writeRowGroup(
        [
          { name: 'prompt', text: prompt },
          { name: 'response', text: response },
          { name: 'reference', text: reference },
          { name: 'messages', data: group.map((r) => r.messages), statistics: false },
          { name: 'metadata', text: metadata },
          { name: 'scores.m', data: group.map((r) => r.score), statistics: true },
        ],
        group.length,
      );
      chunks.push(writer.take());
    }
    writer.finish();
    chunks.push(writer.take());
    writeFileSync(path, Buffer.concat(chunks));
  })();
}

describe('StreamingParquetWriter', () => {
  let dir: string;
  let duck: DuckDBConnection;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-parquet-writer-'));
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(() => {
    duck.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  const data = rows(12000);
  for (const codec of ['BROTLI', 'GZIP', 'UNCOMPRESSED'] as const) {
    it(`writes ${codec} files that DuckDB reads value for value`, async () => {
      const path = join(dir, `${codec}.parquet`);
      // ~1.5 MB of prompt text per 5000-row group: two or more pages per text column chunk.
      await writeFile(path, data, codec, 5000);
      const read = (
        await duck.runAndReadAll(
          `SELECT prompt, response, reference, to_json(messages) AS messages, metadata, "scores.m" AS score
           FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`,
        )
      ).getRowObjectsJson();
      assert.equal(read.length, data.length);
      for (let i = 0; i < data.length; i++) {
        const want = data[i]!;
        const got = read[i]!;
        assert.equal(got.prompt, want.prompt, `prompt of row ${i}`);
        // A lone surrogate is written as U+FFFD, as TextEncoder and every UTF-8 writer do.
        assert.equal(
          got.response,
          want.response?.replace('\ud800', '\ufffd') ?? null,
          `response of row ${i}`,
        );
        assert.equal(got.reference, null);
        assert.deepEqual(
          got.messages === null ? null : JSON.parse(got.messages as string),
          want.messages,
          `messages of row ${i}`,
        );
        assert.equal(got.metadata, want.score === null ? null : JSON.stringify({ i: want.score }));
        assert.equal(got.score, want.score);
      }
      const bytes = readFileSync(path);
      const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      assert.equal(metadata.row_groups.length, 3);
      assert.deepEqual(
        metadata.row_groups.map((g) => Number(g.num_rows)),
        [5000, 5000, 2000],
      );
      assert.equal(metadata.row_groups[0]!.columns[0]!.meta_data!.codec, codec);
      assert.deepEqual(metadata.key_value_metadata, [{ key: 'k', value: 'v' }]);
      // The prompt chunk of a full group spans several pages, so it has an offset index.
      assert.ok(metadata.row_groups[0]!.columns[0]!.offset_index_length! > 0);
    });
  }
});
