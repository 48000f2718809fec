// Files that hold secrets (key files, API tokens) are readable by their owner only. Writing
// creates the file with mode 0600 before any content exists, so there is no moment when a secret
// sits in a world-readable file; reading refuses a file that group or others can read, like ssh
// does for private keys, because such a key may already be compromised.
import { constants } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { BayledgerError, type ErrorCode, fail } from '../../core/errors.js';
import {
  aFile,
  type FileRole,
  fileReadError,
  fileWriteError,
  notRegularFileError,
  roleOf,
} from '../file-read-error.js';

export const OWNER_ONLY_MODE = 0o600;
/** A key file is a few hundred bytes; anything much larger is not one. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface WriteSecretOptions {
  /** Replace an existing file. Without it, an existing file is an error (FILE_EXISTS). */
  readonly overwrite?: boolean;
  /** What the file is, for a message that it cannot be written ('key', 'token'). Default 'secret'. */
  readonly role?: FileRole | string;
}

function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Writes `text` to a file of mode 0600, synced to disk. Refuses to overwrite unless asked. A file
 * that could not be written whole (a full disk) is removed: half a key is worse than none. Write
 * failures are worded by fileWriteError.
 */
export async function writeSecretFile(
  path: string,
  text: string,
  options: WriteSecretOptions = {},
): Promise<void> {
  const role = options.role ?? 'secret';
  let handle: FileHandle;
  try {
    // 'wx' fails if the file exists (O_CREAT | O_EXCL), so nobody can pre-create it with a laxer mode.
    handle = await open(path, options.overwrite ? 'w' : 'wx', OWNER_ONLY_MODE);
  } catch (error) {
    if (isErrnoException(error, 'EEXIST')) {
      fail(
        'FILE_EXISTS',
        'already exists; refusing to overwrite a secret file (use --force to replace it)',
        path,
      );
    }
    throw fileWriteError(error, path, role) ?? error;
  }
  try {
    // The umask may have narrowed the mode, and an overwritten file keeps its old mode: set it
    // exactly, before the first byte of the secret is written.
    await handle.chmod(OWNER_ONLY_MODE);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw fileWriteError(error, path, role) ?? error;
  }
  await handle.close();
}

export interface ReadSecretOptions {
  /** The code for a path that is not a regular file (a key file's is KEY_FILE_INVALID). */
  readonly notFileCode?: ErrorCode;
  /** Larger files are refused (KEY_FILE_INVALID). Default MAX_SECRET_FILE_BYTES. */
  readonly maxBytes?: number;
}

/**
 * Reads a secret file, refusing one that group or others may read (KEY_FILE_INSECURE). `role`
 * names the file, and where its path came from, in a message that it cannot be read (see
 * fileReadError): 'key', or { what: 'token', source: '--token-file' }.
 */
export async function readSecretFile(
  path: string,
  role: FileRole | string = 'secret',
  options: ReadSecretOptions = {},
): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_SECRET_FILE_BYTES;
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (error) {
    throw fileReadError(error, path, role) ?? error;
  }
  try {
    // fstat on the open handle: the mode we check belongs to the file we read.
    const info = await handle.stat();
    if (!info.isFile()) {
      throw notRegularFileError(path, role, options.notFileCode ?? 'KEY_FILE_INVALID', info);
    }
    const mode = info.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new BayledgerError(
        'KEY_FILE_INSECURE',
        `mode ${mode.toString(8).padStart(3, '0')} lets group or others read this secret; fix with: chmod 600 ${path}`,
        path,
      );
    }
    if (info.size > maxBytes) {
      fail(
        'KEY_FILE_INVALID',
        `${info.size} bytes, too large for ${aFile(roleOf(role).what)} (at most ${maxBytes})`,
        path,
      );
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
