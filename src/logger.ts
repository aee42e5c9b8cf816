/**
 * The process's logger: pino, one JSON object per line on stderr (stdout carries CLI output). In
 * a terminal, and only when pino-pretty (a dev dependency) is installed, lines are formatted for
 * people instead. Code logs through the small `Logger` seam below, message first and fields
 * second; `child` adds fields to every line of a request or a job.
 *
 * A line never throws: BigInts are written as JSON numbers and cycles as "[Circular]" (pino's
 * safe serializer).
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

export function createLogger(options: LoggerOptions = {}): Logger {
  const toStderr = options.write === undefined;
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const pretty =
    options.format === 'json' || (options.format === undefined && !(toStderr && process.stderr.isTTY))
      ? null
      : loadPrettifier(toStderr && process.stderr.isTTY === true);
  const root = pino(
    { level: options.level ?? 'info' },
    { write: pretty ? (line: string) => write(pretty(line)) : write },
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

/** The seam over a pino logger; a child's pino logger is made on its first written line. */
function wrap(root: Pino, get: () => Pino): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (!root.isLevelEnabled(level)) return;
      if (fields) get()[level](fields, message);
      else get()[level](message);
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
