// Staged uploads (issue 6 item 2): the CLI streams each item file to the hospital node, which
// writes it straight to disk (never holding it in memory), hashing it as it arrives. A declaration
// then names the staged files by id; sealing reads them once more and they are deleted as soon as
// the sealed payload is in the outbox, so plaintext stays on the node only between the two calls.
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { PRIVATE_FILE_MODE } from '../transfer/durable-fs.js';

export interface StagedUpload {
  /** 32 lowercase hex characters. */
  readonly id: string;
  readonly sizeBytes: number;
  /** SHA-256 of the uploaded bytes. */
  readonly digest: Uint8Array;
}

const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The staged file of an upload id; refuses anything that is not an id (no path tricks). */
export function uploadPath(uploadsDir: string, id: string): string {
  if (!UPLOAD_ID_PATTERN.test(id))
    fail('REQUEST_MALFORMED', 'an upload id is 32 lowercase hex characters', id);
  return path.join(uploadsDir, id);
}

/** Writes one upload to `uploadsDir/<new id>` (mode 0600), hashing it on the way. */
export async function stageUpload(
  uploadsDir: string,
  body: AsyncIterable<Uint8Array>,
): Promise<StagedUpload> {
  const staged = await readdir(uploadsDir);
  if (staged.length >= LIMITS.maxStagedUploads) {
    fail(
      'NOT_READY',
      `${staged.length} uploads are already waiting for a declaration; declare or retry later`,
    );
  }
  const id = randomBytes(16).toString('hex');
  const file = uploadPath(uploadsDir, id);
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.byteLength) {
        const result = await handle.write(chunk, written, chunk.byteLength - written, sizeBytes + written);
        written += result.bytesWritten;
      }
      sizeBytes += chunk.byteLength;
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw error;
  }
  await handle.close();
  if (sizeBytes === 0) {
    await rm(file, { force: true });
    fail('REQUEST_MALFORMED', 'an item file cannot be empty');
  }
  return { id, sizeBytes, digest: new Uint8Array(hash.digest()) };
}

/** Size of a staged upload; NOT_FOUND if it does not exist (never uploaded, or already used). */
export async function stagedSize(uploadsDir: string, id: string): Promise<number> {
  const info = await stat(uploadPath(uploadsDir, id)).catch(() => undefined);
  if (info === undefined) fail('NOT_FOUND', `no staged upload ${id} (each upload serves one declaration)`);
  return info.size;
}

export async function removeUploads(uploadsDir: string, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((id) => rm(uploadPath(uploadsDir, id), { force: true })));
}

/** Uploads left by an earlier run serve no declaration any more (the CLI uploads again). */
export async function removeAllUploads(uploadsDir: string): Promise<number> {
  const entries = await readdir(uploadsDir).catch(() => [] as string[]);
  await Promise.all(entries.map((name) => rm(path.join(uploadsDir, name), { force: true, recursive: true })));
  return entries.length;
}
