// Filing a fully verified, decrypted container into the inbox (design section 1 step 5):
//
//   inbox/<patient pseudonym hex>/<transferId hex>/item-00.bin, item-01.bin, ..., manifest.json
//
// The container is split into its items in one streaming pass that hashes each item; the files
// are written under the partial folder, checked against the declared sizes and digests, fsynced,
// and only then renamed into place in one step. So the inbox holds complete, checked transfers
// or nothing: a mismatch leaves no file behind.
import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, toHex } from '../../core/bytes.js';
import { isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import {
  type ContainerManifest,
  decodeContainerManifest,
  decodeManifestLength,
  MANIFEST_LENGTH_BYTES,
} from './container.js';
import {
  fsyncDirectory,
  PRIVATE_DIRECTORY_MODE,
  PRIVATE_FILE_MODE,
  renameDurably,
  writeFileDurably,
  writeFully,
} from './durable-fs.js';

export const INBOX_MANIFEST_FILE = 'manifest.json';

/** One item as the declaration describes it. */
export interface ExpectedItem {
  readonly category: string;
  readonly documentType: string;
  readonly sizeBytes: number;
  /** SHA-256 of the item's plaintext. */
  readonly digest: Uint8Array;
}

/** One line of manifest.json. */
export interface FiledItem {
  readonly file: string;
  readonly category: string;
  readonly documentType: string;
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the file. */
  readonly digest: string;
}

export interface FilingRequest {
  readonly containerPath: string;
  readonly containerBytes: number;
  readonly items: readonly ExpectedItem[];
  /** Scratch folder (inside the partial folder, same file system as the inbox). */
  readonly workDir: string;
  /** inbox/<patient hex>/<transferId hex> */
  readonly finalDir: string;
  readonly transferId: Uint8Array;
  readonly payloadRoot: Uint8Array;
}

export type FilingOutcome =
  | { ok: true; items: FiledItem[] }
  | { ok: false; reason: 'MANIFEST_INVALID' | 'ITEM_SIZE_MISMATCH' | 'DIGEST_MISMATCH'; detail: string };

export function itemFileName(index: number): string {
  return `item-${String(index).padStart(2, '0')}.bin`;
}

/** Splits, checks and files the container; on any mismatch nothing reaches the inbox. */
export async function fileContainer(request: FilingRequest): Promise<FilingOutcome> {
  const container = await open(request.containerPath, 'r');
  try {
    await rm(request.workDir, { recursive: true, force: true });
    await mkdir(request.workDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const outcome = await splitAndCheck(container, request);
    if (!outcome.ok) {
      await rm(request.workDir, { recursive: true, force: true });
      return outcome;
    }
    await publish(request, outcome.items);
    return outcome;
  } finally {
    await container.close();
  }
}

async function readExactly(handle: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

async function readManifest(
  container: FileHandle,
): Promise<{ manifest: ContainerManifest; headBytes: number } | { detail: string }> {
  try {
    const length = decodeManifestLength(await readExactly(container, MANIFEST_LENGTH_BYTES, 0));
    const manifestBytes = await readExactly(container, length, MANIFEST_LENGTH_BYTES);
    return { manifest: decodeContainerManifest(manifestBytes), headBytes: MANIFEST_LENGTH_BYTES + length };
  } catch (error) {
    if (!isBayledgerError(error)) throw error;
    return { detail: error.message };
  }
}

async function splitAndCheck(container: FileHandle, request: FilingRequest): Promise<FilingOutcome> {
  const head = await readManifest(container);
  if ('detail' in head) return { ok: false, reason: 'MANIFEST_INVALID', detail: head.detail };
  const { itemSizes } = head.manifest;
  const total = itemSizes.reduce((sum, size) => sum + size, head.headBytes);
  if (total !== request.containerBytes) {
    return {
      ok: false,
      reason: 'MANIFEST_INVALID',
      detail: `manifest describes ${total} bytes, the container has ${request.containerBytes}`,
    };
  }
  if (itemSizes.length !== request.items.length) {
    return {
      ok: false,
      reason: 'ITEM_SIZE_MISMATCH',
      detail: `container has ${itemSizes.length} items, the declaration ${request.items.length}`,
    };
  }
  const filed: FiledItem[] = [];
  let position = head.headBytes;
  for (let i = 0; i < itemSizes.length; i++) {
    const expected = request.items[i]!;
    if (itemSizes[i] !== expected.sizeBytes) {
      return {
        ok: false,
        reason: 'ITEM_SIZE_MISMATCH',
        detail: `item ${i} has ${itemSizes[i]} bytes, the declaration says ${expected.sizeBytes}`,
      };
    }
    const file = itemFileName(i);
    const digest = await copyAndHash(
      container,
      position,
      expected.sizeBytes,
      path.join(request.workDir, file),
    );
    if (!bytesEqual(digest, expected.digest)) {
      return { ok: false, reason: 'DIGEST_MISMATCH', detail: `item ${i} does not match its declared digest` };
    }
    filed.push({
      file,
      category: expected.category,
      documentType: expected.documentType,
      sizeBytes: expected.sizeBytes,
      digest: toHex(digest),
    });
    position += expected.sizeBytes;
  }
  return { ok: true, items: filed };
}

/** Copies container[position, position + length) to a new file, fsyncs it, returns its SHA-256. */
async function copyAndHash(
  container: FileHandle,
  position: number,
  length: number,
  target: string,
): Promise<Uint8Array> {
  const hasher = createHash('sha256');
  const output = await open(target, 'wx', PRIVATE_FILE_MODE);
  try {
    const buffer = new Uint8Array(Math.min(Math.max(length, 1), LIMITS.payloadChunkBytes));
    let copied = 0;
    while (copied < length) {
      const want = Math.min(buffer.byteLength, length - copied);
      const { bytesRead } = await container.read(buffer, 0, want, position + copied);
      if (bytesRead === 0) break;
      const piece = buffer.subarray(0, bytesRead);
      hasher.update(piece);
      await writeFully(output, piece, copied);
      copied += bytesRead;
    }
    await output.sync();
  } finally {
    await output.close();
  }
  return new Uint8Array(hasher.digest());
}

async function publish(request: FilingRequest, items: FiledItem[]): Promise<void> {
  const manifest = {
    transferId: toHex(request.transferId),
    payloadRoot: toHex(request.payloadRoot),
    items,
  };
  await writeFileDurably(
    path.join(request.workDir, INBOX_MANIFEST_FILE),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  await fsyncDirectory(request.workDir);
  const patientDir = path.dirname(request.finalDir);
  await mkdir(patientDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await renameDurably(request.workDir, request.finalDir, patientDir);
  await fsyncDirectory(path.dirname(patientDir));
}
