/**
 * Gzip lengths from outside this process, the reference for diversity.compression_ratio: CPython's
 * `gzip.compress(data, 9)`, i.e. reference zlib, which the `diversity` package measures with. It
 * shares no code with the metric's deflater.
 */
import { execFileSync } from 'node:child_process';

const PYTHON_GZIP_LENGTH = [
  'import gzip, sys',
  'print(len(gzip.compress(sys.stdin.buffer.read(), 9, mtime=0)))',
].join('\n');

/** len(gzip.compress(text.encode("utf-8"), 9)), computed by python3. */
export function pythonGzipLength(text: string): number {
  const out = execFileSync('python3', ['-c', PYTHON_GZIP_LENGTH], {
    input: Buffer.from(text, 'utf8'),
    encoding: 'utf8',
  });
  return Number(out.trim());
}
