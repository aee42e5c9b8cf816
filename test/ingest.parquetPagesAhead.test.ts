import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { openParquetFile } from '../src/ingest/parquetFile.js';
import { InflatedPages, inflateRowGroup } from '../src/ingest/readers/parquetPagesAhead.js';
import { compressors, MAX_PAGE_BYTES } from '../src/ingest/readers/parquetCompressors.js';
import { readParquetRecords } from '../src/ingest/readers/parquetReader.js';

describe('Parquet pages inflated ahead on the thread pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-pages-ahead-'));
  let duck: DuckDBConnection;
  before(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(() => {
    duck.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const codec of ['brotli', 'gzip'] as const) {
    it(`${codec}: every page of every row group is found ready, and the rows equal a plain read`, async () => {
      const path = join(dir, `${codec}.parquet`);
      // 3 row groups of 4000 rows: a long text, a nullable one and a list column.
      await duck.run(`COPY (
          SELECT 'prompt ' || i || ' ' || repeat(md5(i::text), 40) AS prompt,
                 CASE WHEN i % 7 = 0 THEN NULL ELSE 'answer ' || i END AS response,
                 [md5(i::text), md5((i + 1)::text)] AS tags
          FROM range(12000) t(i))
        TO '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 4000)`);
      const file = await openParquetFile(path);
      try {
        const metadata = await parquetMetadataAsync(file.buffer);
        assert.equal(metadata.row_groups.length, 3);
        let start = 0;
        for (const group of metadata.row_groups) {
          const end = start + Number(group.num_rows);
          const inflated = await inflateRowGroup(file.buffer, group);
          assert.ok(inflated.size >= 3, `${inflated.size} pages inflated ahead`);
          const ahead = await parquetReadObjects({
            file: file.buffer,
            metadata,
            compressors: { ...compressors, ...inflated.decompressors() },
            rowStart: start,
            rowEnd: end,
          });
          assert.equal(inflated.size, 0, 'hyparquet took every inflated page');
          const plain = await parquetReadObjects({
            file: file.buffer,
            metadata,
            compressors,
            rowStart: start,
            rowEnd: end,
          });
          assert.deepEqual(ahead, plain);
          start = end;
        }
        // The reader the ingest uses gives the same rows in order.
        const reader = readParquetRecords(file.buffer, { name: 'x.parquet' });
        let row = 0;
        for await (const item of reader) {
          if (item.kind !== 'record') continue;
          const value = item.value as { prompt: string; response: string | null };
          assert.ok(value.prompt.startsWith(`prompt ${row} `), value.prompt.slice(0, 20));
          assert.equal(value.response, row % 7 === 0 ? null : `answer ${row}`);
          row += 1;
        }
        assert.equal(row, 12000);
      } finally {
        await file.close();
      }
    });
  }

  it('refuses a page claiming more than the page limit, and one that inflates past its claim', () => {
    const page = brotliCompressSync(Buffer.alloc(1000, 'a'));
    for (const codec of ['BROTLI', 'GZIP', 'SNAPPY', 'ZSTD', 'LZ4'] as const) {
      assert.throws(
        () => compressors[codec]!(page, MAX_PAGE_BYTES + 1),
        /a page claims 536870913 bytes uncompressed, over the limit of 536870912 bytes for one page/,
        codec,
      );
    }
    // A page whose header says 10 bytes is not inflated to its real 1000.
    assert.throws(() => compressors.BROTLI!(page, 10), /larger than|maxOutputLength|too large/i);
    assert.throws(
      () => compressors.GZIP!(gzipSync(Buffer.alloc(1000, 'a')), 10),
      /larger than|maxOutputLength|too large/i,
    );
    assert.equal(compressors.BROTLI!(page, 1000).length, 1000);
  });

  it('matches a page by its bytes, not its length, and inflates what it does not hold itself', () => {
    const pages = new InflatedPages();
    const a = brotliCompressSync(Buffer.from('first page'));
    const b = Buffer.from(a);
    b[b.length - 1] = b[b.length - 1]! ^ 1; // same length, other bytes
    pages.add(a, Buffer.from('ready'));
    assert.equal(pages.take(b), undefined);
    const decompress = pages.decompressors().BROTLI;
    assert.equal(Buffer.from(decompress(a, 5)).toString(), 'ready');
    assert.equal(pages.size, 0);
    // Taken once: the same bytes again are inflated for real.
    assert.equal(Buffer.from(decompress(a, 10)).toString(), 'first page');
  });
});
