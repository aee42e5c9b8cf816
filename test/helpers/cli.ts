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

export function qdc(
  args: string[],
  options: { env?: Record<string, string>; input?: Buffer | string } = {},
): Promise<CliRun> {
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

export interface WorkerProcess {
  /** What the worker logged so far (stderr). */
  log(): string;
  /** SIGKILLs it; resolves with the signal it died of. */
  kill(): Promise<NodeJS.Signals | null>;
}

/** A real `qdc worker` on a PostgreSQL database with a 1 s lease, for tests that kill a worker mid-job. */
export function spawnWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProcess {
  const { NODE_TEST_CONTEXT: _context, ...inherited } = baseEnv;
  const child = spawn(process.execPath, [QDC, 'worker', '--database-url', databaseUrl], {
    env: { ...inherited, QDC_JOB_LEASE_MS: '1000', QDC_JOB_POLL_MS: '50', QDC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  return {
    log: () => log,
    kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
