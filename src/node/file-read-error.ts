// File-system errors in words: what the CLI prints when a file the user named cannot be read.
import { BayledgerError } from '../core/errors.js';

/**
 * A file-system error of reading `path` (`what` names the file, e.g. 'chain export') as a one-line
 * BayledgerError naming the path, or undefined when `error` is not a file-system error. Node's own
 * message carries the syscall and, once it has crossed a process, a stack trace; the user needs
 * the path and the reason.
 */
export function fileReadError(error: unknown, path: string, what: string): BayledgerError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  switch (code) {
    case 'ENOENT':
      return new BayledgerError('NOT_FOUND', 'no such file', path);
    case 'ENOTDIR':
      return new BayledgerError('NOT_FOUND', 'no such file (a folder on its path is a file)', path);
    case 'EISDIR':
      return new BayledgerError('CONFIG_INVALID', `is a directory, expected a ${what} file`, path);
    case 'EACCES':
    case 'EPERM':
      return new BayledgerError('CONFIG_INVALID', `permission denied reading the ${what}`, path);
    default:
      return new BayledgerError('CONFIG_INVALID', `cannot read the ${what} (${code})`, path);
  }
}
