// File-system errors in words: what the CLI prints when a file the user named cannot be read, or
// one it writes cannot be written. One helper each way for every such file (chain exports, proof
// bundles, node configs, key files, API tokens), so the same errno reads the same whichever file it
// is; only the file's role and where its path came from differ. Node's own message for a failed
// write names neither the file nor, for a full disk, anything but the errno.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BayledgerError, type ErrorCode } from '../core/errors.js';

/** Which file a message is about, in the caller's words. */
export interface FileRole {
  /**
   * What the file is, as a noun the message puts before "file": 'chain export', 'node config',
   * 'key', 'token'.
   */
  readonly what: string;
  /** Where its path came from, added in parentheses: '--token-file', 'named in nodes.json ...'. */
  readonly source?: string;
}

/** The role `what`, with where its path came from when the caller knows (`source`). */
export function fileRole(what: string, source?: string): FileRole {
  return source === undefined ? { what } : { what, source };
}

/** 'a key file', 'an item file'. */
export function aFile(what: string): string {
  return `${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} file`;
}

export function roleOf(role: FileRole | string): FileRole {
  return typeof role === 'string' ? { what: role } : role;
}

/** `message (detail; source)`, the parentheses only when there is something to put in them. */
function worded(message: string, role: FileRole, detail?: string): string {
  const notes = [detail, role.source].filter((note) => note !== undefined);
  return notes.length === 0 ? message : `${message} (${notes.join('; ')})`;
}

/**
 * The errno code ('ENOENT', 'ENOSPC') of a file-system error, or undefined for anything else: a
 * typed error of ours, Node's own codes (ERR_...), a value that is not an Error.
 */
export function errnoOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || error instanceof BayledgerError) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * A file-system error of reading `path` (`role` names the file, e.g. 'chain export') as a one-line
 * BayledgerError naming the path, or undefined when `error` is not a file-system error. Node's own
 * message carries the syscall and, once it has crossed a process, a stack trace; the user needs
 * the path, the file's role and the reason. A missing file is NOT_FOUND, any other CONFIG_INVALID.
 */
export function fileReadError(
  error: unknown,
  path: string,
  role: FileRole | string,
): BayledgerError | undefined {
  const code = errnoOf(error);
  if (code === undefined) return undefined;
  const file = roleOf(role);
  const say = (errorCode: ErrorCode, message: string, detail?: string) =>
    new BayledgerError(errorCode, worded(message, file, detail), path);
  switch (code) {
    case 'ENOENT':
      return say('NOT_FOUND', `${file.what} file not found`);
    case 'ENOTDIR':
      return say('NOT_FOUND', `${file.what} file not found`, 'a folder on its path is a file');
    case 'EISDIR':
      return say('CONFIG_INVALID', `is a directory, expected ${aFile(file.what)}`);
    case 'EACCES':
    case 'EPERM':
      return say('CONFIG_INVALID', `permission denied reading the ${file.what} file`);
    default:
      return say('CONFIG_INVALID', `cannot read the ${file.what} file`, code);
  }
}

/** What each errno of a failed write means to the user, and the error code it is reported under. */
const WRITE_REASONS = {
  ENOSPC: ['INSUFFICIENT_STORAGE', 'no space left on its disk'],
  EDQUOT: ['INSUFFICIENT_STORAGE', 'the disk quota is used up'],
  EACCES: ['FILE_UNWRITABLE', 'permission denied'],
  EPERM: ['FILE_UNWRITABLE', 'permission denied'],
  EROFS: ['FILE_UNWRITABLE', 'its disk is read-only'],
  ENOENT: ['FILE_UNWRITABLE', 'its folder does not exist'],
  ENOTDIR: ['FILE_UNWRITABLE', 'its folder does not exist'],
  EISDIR: ['FILE_UNWRITABLE', 'a directory is in the way'],
  EEXIST: ['FILE_EXISTS', 'it already exists'],
} as const satisfies Record<string, readonly [ErrorCode, string]>;

/** An errno that fileWriteError words by name (any other reads as 'the system refused'). */
export type WriteErrno = keyof typeof WRITE_REASONS;

function writeFailure(code: string, path: string, role: FileRole | string): BayledgerError {
  const file = roleOf(role);
  const [errorCode, reason] = Object.hasOwn(WRITE_REASONS, code)
    ? WRITE_REASONS[code as WriteErrno]
    : (['FILE_UNWRITABLE', 'the system refused'] as const);
  return new BayledgerError(
    errorCode,
    worded(`cannot write the ${file.what} file: ${reason}`, file, code),
    path,
  );
}

/**
 * A file-system error of writing `path` (`role` names the file, e.g. 'chain export') as a one-line
 * BayledgerError naming the path, or undefined when `error` is not a file-system error. A full
 * disk or quota is INSUFFICIENT_STORAGE, a file that may not be replaced FILE_EXISTS, anything
 * else FILE_UNWRITABLE.
 */
export function fileWriteError(
  error: unknown,
  path: string,
  role: FileRole | string,
): BayledgerError | undefined {
  const code = errnoOf(error);
  return code === undefined ? undefined : writeFailure(code, path, role);
}

/**
 * The caller's own refusal to write `path`, seen before any write (a directory where the file
 * would go), in the words fileWriteError gives the errno `code` the write would have failed with:
 * the early refusal and the late failure read the same.
 */
export function fileWriteRefusal(code: WriteErrno, path: string, role: FileRole | string): BayledgerError {
  return writeFailure(code, path, role);
}

/**
 * The error for a path that exists but is not a regular file (a directory, a device, a socket),
 * worded like fileReadError's: a directory, when `info` says so, reads as EISDIR does ('is a
 * directory, expected a ... file'), anything else as 'not a regular file'. `code` is the caller's:
 * a key file keeps KEY_FILE_INVALID.
 */
export function notRegularFileError(
  path: string,
  role: FileRole | string,
  code: ErrorCode = 'CONFIG_INVALID',
  info?: { isDirectory(): boolean },
): BayledgerError {
  const file = roleOf(role);
  const what = info?.isDirectory() === true ? 'is a directory' : 'not a regular file';
  return new BayledgerError(code, worded(`${what}, expected ${aFile(file.what)}`, file), path);
}

/**
 * Stats `path`, a file the user named, and fails in fileReadError's words unless it is a regular
 * file: for callers that check a file before they read it (its size, or before a process starts),
 * so a mistyped path is reported in one line naming it, its role and where it came from.
 */
export async function statRegularFile(path: string, role: FileRole | string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileReadError(error, path, role) ?? error;
  }
  if (!info.isFile()) throw notRegularFileError(path, role, 'CONFIG_INVALID', info);
  return info;
}
