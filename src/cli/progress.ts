import { performance } from 'node:perf_hooks';

/**
 * Progress reporting for long CLI work (bulk ingest, export, metric jobs).
 *
 * On a TTY the line is redrawn in place ('\r' + line + clear-to-end) with a bar when the
 * total is known; elsewhere (CI logs, redirected stderr) one plain line is written per
 * interval. Formatting is locale-independent ('.' decimals, ',' thousands, decimal byte units).
 */

export interface ProgressOptions {
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Total bytes expected (e.g. file size) for percent and ETA; undefined = unknown (no ETA, no percent). */
  totalBytes?: number;
  /** Total units expected, for percent and ETA when no byte total is given (e.g. samples of a metric job). */
  totalUnits?: number;
  /** Noun for the counted units, default 'rows'. */
  unit?: string;
  /** Label shown first, e.g. 'ingest'. */
  label?: string;
  /** Minimum ms between redraws. Default 100 on a TTY, 5000 otherwise (a log line each time). */
  intervalMs?: number;
  /** Clock for tests (default performance.now). */
  now?: () => number;
}

const CLEAR_TO_END = '\x1b[K';
const DEFAULT_COLUMNS = 80;
const MAX_BAR_CELLS = 30;
const MIN_BAR_CELLS = 8;

/** Integer with ',' thousands separators, independent of the machine locale. */
function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

/** Units per second: one decimal below 10 (slow jobs), else a separated integer. */
function formatRate(n: number): string {
  if (!Number.isFinite(n)) return '?';
  return n < 10 ? n.toFixed(1) : formatCount(n);
}

const BYTE_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['kB', 1],
  ['MB', 1],
  ['GB', 2],
  ['TB', 2],
  ['PB', 2],
];

/** Decimal byte units: 0 B, 999 B, 1.0 kB, 12.3 MB, 1.20 GB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '? B';
  if (n < 0) return `-${formatBytes(-n)}`;
  if (Math.round(n) < 1000) return `${Math.round(n)} B`;
  let scaled = n;
  let text = '';
  for (const [unit, decimals] of BYTE_UNITS) {
    scaled /= 1000;
    text = `${scaled.toFixed(decimals)} ${unit}`;
    // Promote when rounding would print e.g. "1000.0 kB".
    if (Number(scaled.toFixed(decimals)) < 1000) return text;
  }
  return text;
}

/** 0.4 s (below 10 s), 12 s (below a minute), 3m05s (below an hour), 1h02m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 0) ms = 0;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}

function knownTotal(totalBytes: number | undefined): number | undefined {
  return totalBytes !== undefined && Number.isFinite(totalBytes) && totalBytes > 0 ? totalBytes : undefined;
}

/** Bytes are shown when something was counted or a total is known (a metric job may pass 0 bytes throughout). */
function showsBytes(bytes: number, total: number | undefined): boolean {
  return bytes > 0 || total !== undefined;
}

/**
 * One progress line. Without `width` the plain log form
 * (`ingest: 48% 412,000 rows, 396.1 MB, 19.8 MB/s, ETA 21 s`); with `width` (terminal columns)
 * the TTY form with a bar when the total is known, fitted to `width - 1` characters
 * (`ingest [██████░░░░░░] 48% 412,000 rows 396.1 MB 19.8 MB/s ETA 21 s`).
 * Rates and ETA are omitted while elapsedMs <= 0; ETA only when bytes > 0 and the total is known.
 * When no bytes are counted and no total is known, a units rate replaces bytes.
 */
export function formatProgressLine(p: {
  label?: string;
  unit: string;
  units: number;
  bytes: number;
  totalBytes?: number;
  /** Used for percent and ETA when totalBytes is not known. */
  totalUnits?: number;
  elapsedMs: number;
  width?: number;
}): string {
  const total = knownTotal(p.totalBytes);
  const totalUnits = total === undefined ? knownTotal(p.totalUnits) : undefined;
  const seconds = p.elapsedMs / 1000;
  const timed = Number.isFinite(seconds) && seconds > 0;
  const fraction =
    total !== undefined
      ? Math.min(1, Math.max(0, p.bytes / total))
      : totalUnits !== undefined
        ? Math.min(1, Math.max(0, p.units / totalUnits))
        : undefined;

  const items: string[] = [];
  if (fraction !== undefined) items.push(`${Math.floor(fraction * 100)}%`);
  items.push(`${formatCount(p.units)} ${p.unit}`);
  if (showsBytes(p.bytes, total)) {
    items.push(formatBytes(p.bytes));
    if (timed) {
      const byteRate = p.bytes / seconds;
      items.push(`${formatBytes(byteRate)}/s`);
      if (total !== undefined && p.bytes > 0) {
        items.push(`ETA ${formatDuration((Math.max(0, total - p.bytes) / byteRate) * 1000)}`);
      }
    }
  } else if (timed) {
    const unitRate = p.units / seconds;
    items.push(`${formatRate(unitRate)} ${p.unit}/s`);
    if (totalUnits !== undefined && p.units > 0) {
      items.push(`ETA ${formatDuration((Math.max(0, totalUnits - p.units) / unitRate) * 1000)}`);
    }
  }

  if (p.width === undefined) {
    const head = p.label ? `${p.label}: ` : '';
    // The percent reads as a prefix of the count: "48% 412,000 rows, 396.1 MB, ..."
    if (fraction !== undefined) {
      const [percent, count, ...rest] = items;
      return head + [`${percent} ${count}`, ...rest].join(', ');
    }
    return head + items.join(', ');
  }

  const maxLength = Number.isFinite(p.width) && p.width > 1 ? Math.floor(p.width) - 1 : DEFAULT_COLUMNS - 1;
  const prefix = p.label ? `${p.label} ` : '';
  if (fraction !== undefined) {
    // prefix + "[" + cells + "] " + items
    const cells = Math.min(MAX_BAR_CELLS, maxLength - prefix.length - 3 - items.join(' ').length);
    if (cells >= MIN_BAR_CELLS) {
      // Rounded, but the bar is only full once the total is reached.
      const filled = fraction < 1 ? Math.min(cells - 1, Math.round(fraction * cells)) : cells;
      return `${prefix}[${'█'.repeat(filled)}${'░'.repeat(cells - filled)}] ${items.join(' ')}`;
    }
  }
  // Too narrow for a bar: drop trailing items, then cut.
  while (items.length > 1 && (prefix + items.join(' ')).length > maxLength) items.pop();
  return (prefix + items.join(' ')).slice(0, maxLength);
}

/** Counts and rates as written by finish() and fail(). */
function summaryCounts(unit: string, units: number, bytes: number, total: number | undefined): string {
  return `${formatCount(units)} ${unit}` + (showsBytes(bytes, total) ? `, ${formatBytes(bytes)}` : '');
}

export class Progress {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly totalBytes: number | undefined;
  private readonly totalUnits: number | undefined;
  private readonly unit: string;
  private readonly label: string | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastDrawAt: number;
  private units = 0;
  private bytes = 0;
  private done = false;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.totalBytes = knownTotal(options.totalBytes);
    this.totalUnits = knownTotal(options.totalUnits);
    this.unit = options.unit ?? 'rows';
    this.label = options.label || undefined;
    const interval = options.intervalMs ?? (this.tty ? 100 : 5000);
    this.intervalMs = Number.isFinite(interval) && interval > 0 ? interval : 0;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastDrawAt = this.startedAt;
  }

  /** Absolute counts so far; redraws at most every intervalMs (first draw one interval after construction). */
  update(units: number, bytes: number): void {
    if (this.done) return;
    this.units = units;
    this.bytes = bytes;
    const now = this.now();
    if (now - this.lastDrawAt < this.intervalMs) return;
    this.lastDrawAt = now;
    const elapsedMs = now - this.startedAt;
    const fields = {
      label: this.label,
      unit: this.unit,
      units,
      bytes,
      totalBytes: this.totalBytes,
      totalUnits: this.totalUnits,
      elapsedMs,
    };
    if (this.tty) {
      const width = this.stream.columns && this.stream.columns > 0 ? this.stream.columns : DEFAULT_COLUMNS;
      this.stream.write(`\r${formatProgressLine({ ...fields, width })}${CLEAR_TO_END}`);
    } else {
      this.stream.write(`${formatProgressLine(fields)}\n`);
    }
  }

  /**
   * Final line, always printed (once), e.g.
   * "ingest: 1,000,000 rows, 812.4 MB in 41 s (24,272 rows/s, 19.7 MB/s)", then "; <suffix>" when given.
   * Uses the counts from the last update().
   */
  finish(suffix?: string): void {
    if (this.done) return;
    this.done = true;
    const elapsedMs = this.now() - this.startedAt;
    const seconds = elapsedMs / 1000;
    let line = `${this.head()}${summaryCounts(this.unit, this.units, this.bytes, this.totalBytes)} in ${formatDuration(elapsedMs)}`;
    if (Number.isFinite(seconds) && seconds > 0) {
      const rates = [`${formatRate(this.units / seconds)} ${this.unit}/s`];
      if (showsBytes(this.bytes, this.totalBytes)) rates.push(`${formatBytes(this.bytes / seconds)}/s`);
      line += ` (${rates.join(', ')})`;
    }
    if (suffix) line += `; ${suffix}`;
    this.writeFinal(line);
  }

  /** Clears the bar (TTY) and prints "<label>: failed after 12 s (412,000 rows, 396.1 MB): <message>". */
  fail(message?: string): void {
    if (this.done) return;
    this.done = true;
    const elapsedMs = this.now() - this.startedAt;
    let line = `${this.head()}failed after ${formatDuration(elapsedMs)} (${summaryCounts(this.unit, this.units, this.bytes, this.totalBytes)})`;
    if (message) line += `: ${message}`;
    this.writeFinal(line);
  }

  private head(): string {
    return this.label ? `${this.label}: ` : '';
  }

  private writeFinal(line: string): void {
    this.stream.write(this.tty ? `\r${CLEAR_TO_END}${line}\n` : `${line}\n`);
  }
}
