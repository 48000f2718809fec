// Structured logs: one JSON object per line ({ time, level, msg, ...fields }), so operators can
// filter with jq and the e2e tests can parse a node's log (design section 10). Child loggers bind
// fields (org, component, peer) once. Every line passes through the redactor first.

import { toHex } from '../../core/bytes.js';
import { errorMessage, isBayledgerError } from '../../core/errors.js';
import { redactValue } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogThreshold = LogLevel | 'silent';
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly threshold: LogThreshold;
  isEnabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (later fields of the same name win). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are not written. Default 'info'. */
  readonly level?: LogThreshold;
  /** Receives each line without its newline. Default: standard output. */
  readonly sink?: (line: string) => void;
  /** Clock in milliseconds since the epoch; injected so tests get stable times. */
  readonly now?: () => number;
  readonly fields?: LogFields;
}

/** Names the line itself uses; a field with one of these names is written as `field_<name>`. */
const RESERVED_NAMES = new Set(['time', 'level', 'msg', 'redacted']);
/** Long strings and byte strings are cut so one line stays readable and bounded. */
const MAX_STRING_CHARS = 2048;
const MAX_LOGGED_BYTES = 64;

export const LOG_LEVELS: readonly LogThreshold[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function isLogThreshold(value: string): value is LogThreshold {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function describeError(error: Error): Record<string, unknown> {
  if (isBayledgerError(error)) return { name: error.name, code: error.code, message: error.message };
  // Anything that is not a BayledgerError is a bug or an I/O failure: keep the stack to find it.
  return { name: error.name, message: error.message, stack: error.stack };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) {
    const shown = toHex(value.subarray(0, MAX_LOGGED_BYTES));
    return value.byteLength > MAX_LOGGED_BYTES ? `${shown}... (${value.byteLength} bytes)` : shown;
  }
  if (value instanceof Error) return describeError(value);
  if (typeof value === 'string' && value.length > MAX_STRING_CHARS) {
    return `${value.slice(0, MAX_STRING_CHARS)}... (${value.length} characters)`;
  }
  return value;
}

function formatLine(now: number, level: LogLevel, msg: string, fields: LogFields): string {
  const withheld: string[] = [];
  const safe = redactValue(fields, '', withheld) as LogFields;
  const line: Record<string, unknown> = { time: new Date(now).toISOString(), level, msg };
  for (const [name, value] of Object.entries(safe)) {
    if (value === undefined) continue;
    line[RESERVED_NAMES.has(name) ? `field_${name}` : name] = value;
  }
  if (withheld.length > 0) line.redacted = withheld;
  try {
    return JSON.stringify(line, jsonReplacer);
  } catch (error) {
    // A circular or otherwise unserialisable field must not take the node down with it.
    const reason = errorMessage(error);
    return JSON.stringify({ time: line.time, level, msg, logError: `fields not serialisable: ${reason}` });
  }
}

function writeToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = options.level ?? 'info';
  const sink = options.sink ?? writeToStdout;
  const now = options.now ?? Date.now;
  const bound = options.fields ?? {};
  const isEnabled = (level: LogLevel): boolean => LEVEL_RANK[level] >= LEVEL_RANK[threshold];
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (!isEnabled(level)) return;
    sink(formatLine(now(), level, msg, fields === undefined ? bound : { ...bound, ...fields }));
  };
  return {
    threshold,
    isEnabled,
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ level: threshold, sink, now, fields: { ...bound, ...fields } }),
  };
}

/** A logger that writes nothing (tests and tools that must stay quiet). */
export function createSilentLogger(): Logger {
  return createLogger({ level: 'silent', sink: () => {} });
}

/** A logger that keeps its lines in memory, parsed, for tests to assert on. */
export function createMemoryLogger(level: LogThreshold = 'debug'): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level,
    sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}
