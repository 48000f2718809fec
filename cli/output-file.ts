// Files the CLI writes for the user (a proof bundle, node.json, genesis.json): a failure is named
// in fileWriteError's words (the path, the file's role, the reason and its errno) instead of
// Node's, which for a full disk names no file at all, and no half-written file is left behind.
//
// Only a file this call opened is ever removed: a file the system would not let us open (write-
// protected, a directory in the way, an existing file with `exclusive`) is the user's and stays as
// it was. Removing it after any failure once deleted a user's read-only file that could not be
// replaced.
import { type FileHandle, open, rm } from 'node:fs/promises';
import { type FileRole, fileWriteError } from '../src/node/file-read-error.js';

export interface OutputFileOptions {
  /** Refuse an existing file (FILE_EXISTS, and that file is left alone). */
  readonly exclusive?: boolean;
  readonly mode?: number;
}

export async function writeOutputFile(
  filePath: string,
  content: string | Uint8Array,
  role: FileRole | string,
  options: OutputFileOptions = {},
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, options.exclusive ? 'wx' : 'w', options.mode);
  } catch (error) {
    throw fileWriteError(error, filePath, role) ?? error;
  }
  try {
    await handle.writeFile(content);
    await handle.close();
  } catch (error) {
    // Opened (and so emptied) by this call: what is there now is a half-written file of ours.
    await handle.close().catch(() => undefined);
    await rm(filePath, { force: true });
    throw fileWriteError(error, filePath, role) ?? error;
  }
}
