/**
 * bench/tint: samples/s of TInt generation straight into the catalog (the `tint.generate` job
 * with the real worker, on PostgreSQL and on embedded PGlite) versus the same generation to
 * /dev/null, and the peak RSS of each configuration at a small and a large n. Every figure is
 * also given as a ratio against the /dev/null baseline measured in the same run (ratios carry over
 * between machines, absolute times do not). The bench prints; it never fails on timings.
 *
 * Configurations, each in its own child process (child.ts) so its peak RSS is its own:
 *   generate   generateSample only, nothing written (the generator's own cost)
 *   devnull    generateSample + JSON.stringify, JSONL to /dev/null: THE baseline
 *   copytext   all the Node work of the catalog path without a database: generateSample +
 *              canonicalizeSample (canonical JSON, sha256) + version hash + duplicate set + COPY
 *              text in 1 MiB chunks, to /dev/null
 *   postgres   the catalog path on PostgreSQL (COPY FROM STDIN), enqueue -> SUCCEEDED
 *   pglite     the catalog path on PGlite in a fresh temp directory (COPY from in-memory blobs)
 * At the small n every configuration runs --rounds times, interleaved, best time kept; at the
 * large n once. PGlite at the large n is stopped after --pglite-timeout minutes.
 *
 *   npm run bench:tint -- [--n 1000000] [--small 10000] [--rounds 3] [--pglite-timeout 10]
 *                         [--skip-pglite-large] [--quick]     (--quick: n = 100k, 1 round)
 *   (DATABASE_URL names the PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres;
 *    the bench creates qdc_bench_tint_<pid> there and drops it at the end)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openCatalog } from '../../src/app.js';
import { WORKLOAD_TEXT } from './workload.js';
import { createScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string' },
    small: { type: 'string', default: '10000' },
    rounds: { type: 'string' },
    'pglite-timeout': { type: 'string', default: '10' },
    'skip-pglite-large': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const LARGE = Number(args.n ?? (args.quick ? 100_000 : 1_000_000));
const SMALL = Number(args.small);
const ROUNDS = Math.max(1, Number(args.rounds ?? (args.quick ? 1 : 3)));
const PGLITE_TIMEOUT_MS = Number(args['pglite-timeout']) * 60_000;
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const CONFIGS = ['generate', 'devnull', 'copytext', 'postgres', 'pglite'] as const;
type Config = (typeof CONFIGS)[number];
const LABEL: Record<Config, string> = {
  generate: 'generate only (nothing written)',
  devnull: 'generate + JSON.stringify -> /dev/null (baseline)',
  copytext: 'generate + canonicalize/hash + COPY text -> /dev/null',
  postgres: 'catalog path, PostgreSQL (job + worker + COPY)',
  pglite: 'catalog path, PGlite on disk (job + worker + COPY blobs)',
};

interface ChildResult {
  mode: string;
  n: number;
  ms: number;
  samplesPerSec: number;
  startRssMB: number;
  maxRssMB: number;
  cpuMs: number;
  versionHash?: string;
  /** PostgreSQL server processes' CPU during the run (local server only). */
  serverCpuMs?: number | null;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const log = (message: string) => process.stderr.write(`${message}\n`);
const ratio = (x: number, base: number) => (x / base).toFixed(2);

/** CPU ms (utime + stime) and command line of every visible process named `postgres`. */
function postgresProcesses(): Map<number, { cpuMs: number; cmdline: string }> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const out = new Map<number, { cpuMs: number; cmdline: string }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of the stat line
      out.set(Number(pid), {
        cpuMs: (ticks * 1000) / ticksPerSecond,
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * Samples /proc every 100 ms while a run lasts and adds up the CPU of the server processes that
 * work for it: the backends (and autovacuum workers) of the bench database, and the checkpointer,
 * background writer and WAL writer. A backend's CPU is the last value seen before it exited, so up
 * to 100 ms per backend can be missed. Returns null when no server process is visible (remote server).
 */
function serverCpuMonitor(dbName: string): { stop(): number | null } {
  const relevant = (cmdline: string) =>
    cmdline.includes(` ${dbName} `) || /: (checkpointer|background writer|walwriter)/.test(cmdline);
  const base = new Map<number, number>();
  const last = new Map<number, number>();
  const first = postgresProcesses();
  for (const [pid, p] of first) if (relevant(p.cmdline)) base.set(pid, p.cpuMs);
  const sample = () => {
    for (const [pid, p] of postgresProcesses()) if (relevant(p.cmdline)) last.set(pid, p.cpuMs);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (first.size === 0) return null;
      let ms = 0;
      for (const [pid, cpu] of last) ms += cpu - (base.get(pid) ?? 0);
      return ms;
    },
  };
}

async function child(argv: string[], timeoutMs?: number): Promise<ChildResult | null> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  let timedOut = false;
  const timer = timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, timeoutMs)
    : undefined;
  const [code] = await once(proc, 'exit');
  clearTimeout(timer);
  if (timedOut) return null;
  if (code !== 0) throw new Error(`child ${argv.join(' ')} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

async function main() {
  const startedAll = performance.now();
  const load = [loadavg()[0]!];
  const scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_tint');
  const benchUrl = scratch.url;
  const url = new URL(benchUrl);
  const localServer = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const tempDirs: string[] = [];
  let bench: pg.Client | undefined;
  try {
    await (await openCatalog({ databaseUrl: benchUrl })).close(); // migrate once, untimed
    bench = new pg.Client({ connectionString: benchUrl });
    await bench.connect();

    let slugs = 0;
    const run = async (config: Config, n: number, timeoutMs?: number): Promise<ChildResult | null> => {
      log(`${config} at n = ${fmt(n)} ...`);
      if (config === 'postgres') {
        await bench!.query('checkpoint');
        const monitor = localServer ? serverCpuMonitor(scratch.name) : null;
        const result = await child(['catalog', String(n), `tint-bench-${++slugs}`, benchUrl]);
        return { ...result!, serverCpuMs: monitor?.stop() ?? null };
      }
      if (config === 'pglite') {
        const dir = mkdtempSync(join(tmpdir(), 'qdc-bench-tint-pglite-'));
        tempDirs.push(dir);
        try {
          return await child(['catalog', String(n), 'tint-bench', `pglite:${dir}`], timeoutMs);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      return child([config, String(n)]);
    };

    // Small n: interleaved rounds, best time kept (the peak RSS is the largest seen).
    const small = new Map<Config, ChildResult[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      log(`-- n = ${fmt(SMALL)}, round ${round}/${ROUNDS}`);
      for (const config of CONFIGS) {
        const result = await run(config, SMALL);
        small.set(config, [...(small.get(config) ?? []), result!]);
      }
    }
    // Large n: once each; the baseline runs first, the database paths between the other baselines.
    const large = new Map<Config, ChildResult | null>();
    log(`-- n = ${fmt(LARGE)}`);
    for (const config of ['devnull', 'postgres', 'copytext', 'pglite', 'generate'] as const) {
      if (config === 'pglite' && args['skip-pglite-large']) continue;
      large.set(config, await run(config, LARGE, config === 'pglite' ? PGLITE_TIMEOUT_MS : undefined));
    }
    load.push(loadavg()[0]!);

    // ----- report -----
    const best = (xs: ChildResult[]) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const smallBest = new Map(
      CONFIGS.map((c) => [
        c,
        { ...best(small.get(c)!), maxRssMB: Math.max(...small.get(c)!.map((r) => r.maxRssMB)) },
      ]),
    );
    const baseSmall = smallBest.get('devnull')!;
    const baseLarge = large.get('devnull')!;
    const hashes = new Set(
      [...smallBest.values()]
        .filter((r) => r.versionHash)
        .map((r) => `${r.n}:${r.versionHash}`)
        .concat([...large.values()].filter((r) => r?.versionHash).map((r) => `${r!.n}:${r!.versionHash}`)),
    );

    console.log(
      `\nbench/tint: ${WORKLOAD_TEXT}; PostgreSQL at ${url.host}; n = ${fmt(SMALL)} (best of ${ROUNDS}) and ${fmt(LARGE)} (once); ` +
        `load average ${load.map((l) => l.toFixed(1)).join(' -> ')}`,
    );
    const header = [
      'configuration',
      `samples/s ${fmt(SMALL)}`,
      '/ baseline',
      `samples/s ${fmt(LARGE)}`,
      '/ baseline',
      `Node CPU µs/sample ${fmt(LARGE)}`,
      `server CPU µs/sample ${fmt(LARGE)}`,
      `peak RSS ${fmt(SMALL)}`,
      `peak RSS ${fmt(LARGE)}`,
      'RSS at start',
    ];
    const rows = CONFIGS.map((config) => {
      const s = smallBest.get(config)!;
      const l = large.get(config);
      const notRun =
        config === 'pglite' && args['skip-pglite-large'] ? 'skipped' : `> ${args['pglite-timeout']} min`;
      return [
        LABEL[config],
        fmt(s.samplesPerSec),
        ratio(s.samplesPerSec, baseSmall.samplesPerSec),
        l ? fmt(l.samplesPerSec) : notRun,
        l ? ratio(l.samplesPerSec, baseLarge.samplesPerSec) : '-',
        l ? ((l.cpuMs * 1000) / l.n).toFixed(0) : '-',
        l?.serverCpuMs != null ? ((l.serverCpuMs * 1000) / l.n).toFixed(0) : '-',
        `${s.maxRssMB.toFixed(0)} MB`,
        l ? `${l.maxRssMB.toFixed(0)} MB` : '-',
        `${(l ?? s).startRssMB.toFixed(0)} MB`,
      ];
    });
    console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    const pgL = large.get('postgres')!;
    const pliteL = large.get('pglite');
    const copyL = large.get('copytext')!;
    const genL = large.get('generate')!;
    console.log(`\nat n = ${fmt(LARGE)}:`);
    console.log(
      `  catalog/baseline: PostgreSQL ${ratio(pgL.samplesPerSec, baseLarge.samplesPerSec)}, PGlite ${pliteL ? ratio(pliteL.samplesPerSec, baseLarge.samplesPerSec) : '-'}`,
    );
    console.log(
      `  generate only / baseline ${ratio(genL.samplesPerSec, baseLarge.samplesPerSec)}; Node side of the catalog path (copytext) / baseline ${ratio(copyL.samplesPerSec, baseLarge.samplesPerSec)}`,
    );
    console.log(
      `  PostgreSQL catalog / copytext ${ratio(pgL.samplesPerSec, copyL.samplesPerSec)} (what the database, the job and the worker cost on top of the Node work)`,
    );
    const perSample = (ms: number | null | undefined, n: number) =>
      ms == null ? '-' : `${((ms * 1000) / n).toFixed(0)} µs`;
    console.log(
      `  per sample, PostgreSQL path: wall ${perSample(pgL.ms, pgL.n)}, Node CPU ${perSample(pgL.cpuMs, pgL.n)}, server CPU ${perSample(pgL.serverCpuMs, pgL.n)}; ` +
        `copytext: wall ${perSample(copyL.ms, copyL.n)}, CPU ${perSample(copyL.cpuMs, copyL.n)}; baseline: wall ${perSample(baseLarge.ms, baseLarge.n)}, CPU ${perSample(baseLarge.cpuMs, baseLarge.n)}`,
    );
    if (pliteL)
      console.log(
        `  per sample, PGlite path (database in the same process): wall ${perSample(pliteL.ms, pliteL.n)}, CPU ${perSample(pliteL.cpuMs, pliteL.n)}`,
      );
    console.log(
      `  version hashes: ${hashes.size === 2 ? 'copytext, PostgreSQL and PGlite agree at both n' : `DIFFER: ${[...hashes].join(', ')}`}`,
    );
    console.log(`  total bench time ${((performance.now() - startedAll) / 60_000).toFixed(1)} min`);
    console.log(
      JSON.stringify({ small: Object.fromEntries(smallBest), large: Object.fromEntries(large), load }),
    );
  } finally {
    await bench?.end();
    await scratch.drop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
