// Durable file steps shared by the outbox and the inbox. A rename is only durable once the
// directory holding the new name is fsynced (POSIX leaves directory entries in the page cache).
import { writev } from 'node:fs';
import { constants, type FileHandle, open, rename } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Files written by the payload channel hold health data: owner-only permissions. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a whole small file and fsyncs it (mode 0600). */
export async function writeFileDurably(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames `from` to `to` and fsyncs the directory that now holds `to`. */
export async function renameDurably(from: string, to: string, toParent: string): Promise<void> {
  await rename(from, to);
  await fsyncDirectory(toParent);
}

/** Opens (creating if needed, never truncating) for positional reads and writes. Not O_APPEND:
 * on Linux a positional write to an O_APPEND file ignores its position. */
export async function openReadWrite(file: string): Promise<FileHandle> {
  return open(file, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE);
}

/** Writes all of `data` at `position` (a positional write may write less than asked). */
export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const result = await handle.write(data, written, data.byteLength - written, position + written);
    written += result.bytesWritten;
  }
}

/** Writes `parts` back to back from `position`, in as few calls as the system allows (writev). */
export function writeAllFully(
  handle: FileHandle,
  parts: readonly Uint8Array[],
  position: number,
): Promise<void> {
  return writeAllWith((rest, at) => handle.writev(rest, at), parts, position);
}

const writevToDescriptor = promisify(writev);

/**
 * writeAllFully through a bare descriptor: the worker threads that write for the main thread
 * (seal-worker.ts, item-write-worker.ts) get descriptors, not FileHandles, which stay with it.
 */
export function writeAllToDescriptor(
  fd: number,
  parts: readonly Uint8Array[],
  position: number,
): Promise<void> {
  return writeAllWith((rest, at) => writevToDescriptor(fd, rest, at), parts, position);
}

/** One positional writev: through a FileHandle or through a bare descriptor. */
type PositionalWritev = (parts: Uint8Array[], position: number) => Promise<{ bytesWritten: number }>;

/** writeAllFully through any positional writev (a positional writev may write less than asked). */
async function writeAllWith(
  writev: PositionalWritev,
  parts: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let rest = parts.filter((part) => part.byteLength > 0);
  let at = position;
  while (rest.length > 0) {
    let { bytesWritten } = await writev(rest, at);
    at += bytesWritten;
    // Drop what was written; a part written in part stays as its unwritten tail.
    while (rest.length > 0 && bytesWritten >= rest[0]!.byteLength) {
      bytesWritten -= rest[0]!.byteLength;
      rest = rest.slice(1);
    }
    if (rest.length > 0 && bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}

/**
 * Marks an in-flight operation as handled now, so that its failure, if it comes while the caller
 * awaits something else, does not crash the process as an unhandled rejection. The caller still
 * awaits the returned promise later and sees the error there.
 */
export function inFlight<T>(operation: Promise<T>): Promise<T> {
  operation.catch(() => {});
  return operation;
}
