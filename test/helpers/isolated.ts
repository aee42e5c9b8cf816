/**
 * Calls an exported function of a project module in a child process with a time limit, for
 * regression tests of inputs that used to block the event loop: a blocked call then fails the test
 * instead of hanging the whole run (a synchronous loop never lets node:test's own timeout fire).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `exportName(...args)` from `src/<modulePath>` (JSON arguments and result), or a thrown error
 * when it did not finish within `timeoutMs`.
 */
export function callIsolated(
  modulePath: string,
  exportName: string,
  args: unknown[],
  timeoutMs = 60_000,
): unknown {
  const url = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', modulePath)).href;
  const code = `
    import { readFileSync } from 'node:fs';
    import * as module from ${JSON.stringify(url)};
    const args = JSON.parse(readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(await module[${JSON.stringify(exportName)}](...args)));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: timeoutMs,
    input: JSON.stringify(args),
    maxBuffer: 64 << 20,
  });
  if (run.signal !== null) throw new Error(`${exportName} did not finish within ${timeoutMs} ms`);
  if (run.status !== 0) throw new Error(`${exportName} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
