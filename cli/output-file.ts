// Files the CLI writes for the user (a proof bundle, node.json, genesis.json): a failure is named
// in fileWriteError's words (the path, the file's role, the reason and its errno) instead of
// Node's, which for a full disk names no file at all, and no half-written file is left behind.
import { rm, writeFile } from 'node:fs/promises';
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
  try {
    await writeFile(filePath, content, { flag: options.exclusive ? 'wx' : 'w', mode: options.mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(filePath, { force: true });
    throw fileWriteError(error, filePath, role) ?? error;
  }
}
