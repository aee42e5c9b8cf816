/**
 * The process's logger: pino, one JSON object per line on stderr (stdout carries CLI output). In
 * a terminal, and only when pino-pretty (a dev dependency) is installed, lines are formatted for
 * people instead. Code logs through the small `Logger` seam below, message first and fields
 * second; `child` adds fields to every line of a request or a job.
 *
 * A line never throws: BigInts are written as JSON numbers and cycles as "[Circular]" (pino's
 * safe serializer). Secrets never reach the output: fields named like credentials are censored
 * by pino's `redact`, and every finished line is scrubbed of bearer tokens, API key secrets and
 * URL passwords, wherever in the line they are (a message, an error text, a nested field).
 */
import { createRequire } from 'node:module';
import { pino, type Logger as Pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bindings` (a request id, a job id and kind). */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Unset: pretty when writing to a terminal's stderr and pino-pretty is installed, else json. */
  format?: LogFormat;
  /** Where finished lines go, one call per line with its newline (default: stderr). */
  write?: (line: string) => void;
}

/** Field names whose values are censored wherever they appear at the top level or one level down. */
const SECRET_FIELDS = ['authorization', 'apiKey', 'key', 'password', 'secret', 'token'];
const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((name) => `*.${name}`),
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'headers["x-api-key"]',
];

/** Secrets in free text, replaced in the finished line (JSON: neither pattern crosses a quote). */
const SECRET_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer)\s+[^\s"\\]+/gi, '$1 [Redacted]'],
  [/\b(qdc_[a-z0-9]{8,32}_)[A-Za-z0-9_-]{20,}/g, '$1[Redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"\\]*):[^\s@/"\\]+@/gi, '$1:[Redacted]@'],
];

export function scrubSecrets(line: string): string {
  for (const [pattern, replacement] of SECRET_TEXT) line = line.replace(pattern, replacement);
  return line;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const toStderr = options.write === undefined;
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const pretty =
    options.format === 'json' || (options.format === undefined && !(toStderr && process.stderr.isTTY))
      ? null
      : loadPrettifier(toStderr && process.stderr.isTTY === true);
  const format = pretty ? (line: string) => pretty(scrubSecrets(line)) : scrubSecrets;
  const root = pino(
    { level: options.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[Redacted]' } },
    { write: (line: string) => write(format(line)) },
  );
  const logger = wrap(root, () => root);
  if (options.format === 'pretty' && !pretty) {
    logger.warn('QDC_LOG_FORMAT=pretty, but pino-pretty (a dev dependency) is not installed: logging JSON');
  }
  return logger;
}

/** pino-pretty's line formatter, or null when it is not installed (a production install). */
function loadPrettifier(colorize: boolean): ((line: string) => string) | null {
  let prettyModule: typeof import('pino-pretty');
  try {
    prettyModule = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  } catch {
    return null;
  }
  return prettyModule.prettyFactory({
    colorize: colorize && prettyModule.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * Longest message or string field written, in characters. A failed query's error text carries its
 * bound parameters, so one 5 MiB request used to become a 5 MB log line (security review F13).
 */
export const MAX_LOGGED_TEXT = 8192;

function capText(text: string): string {
  return text.length <= MAX_LOGGED_TEXT
    ? text
    : `${text.slice(0, MAX_LOGGED_TEXT)}... [${text.length - MAX_LOGGED_TEXT} more characters]`;
}

/** The fields with every string value, at the top level or one level down, capped. */
function capFields(fields: LogFields): LogFields {
  let capped: LogFields | undefined;
  for (const [name, value] of Object.entries(fields)) {
    let next = value;
    if (typeof value === 'string') next = capText(value);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner = value as LogFields;
      if (Object.values(inner).some((v) => typeof v === 'string' && v.length > MAX_LOGGED_TEXT)) {
        next = Object.fromEntries(
          Object.entries(inner).map(([k, v]) => [k, typeof v === 'string' ? capText(v) : v]),
        );
      }
    }
    if (next !== value) (capped ??= { ...fields })[name] = next;
  }
  return capped ?? fields;
}

/** The seam over a pino logger; a child's pino logger is made on its first written line. */
function wrap(root: Pino, get: () => Pino): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (!root.isLevelEnabled(level)) return;
      if (fields) get()[level](capFields(fields), capText(message));
      else get()[level](capText(message));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child(bindings) {
      let child: Pino | undefined;
      return wrap(root, () => (child ??= get().child(bindings)));
    },
  };
}

const silent = () => {};
export const silentLogger: Logger = {
  debug: silent,
  info: silent,
  warn: silent,
  error: silent,
  child: () => silentLogger,
};
