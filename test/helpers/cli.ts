/** Runs the real `qdc` CLI as a child process (asynchronously, so an in-process test server keeps serving). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const QDC = join(import.meta.dirname, '..', '..', 'bin', 'qdc.mjs');

/** The environment without anything that would point the CLI elsewhere than the test says. */
const { DATABASE_URL: _db, QDC_API_KEY: _key, QDC_PROGRESS_INTERVAL_MS: _interval, ...baseEnv } = process.env;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function qdc(args: string[], options: { env?: Record<string, string>; input?: Buffer | string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QDC, ...args], {
      env: { ...baseEnv, QDC_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
