// Staged uploads (issue 6 item 2): the CLI streams each item file to the hospital node, which
// writes it straight to disk (never holding it in memory), hashing it as it arrives. A declaration
// then names the staged files by id; sealing reads them once more and they are deleted as soon as
// the sealed payload is in the outbox, so plaintext stays on the node only between the two calls.
//
// Sealed uploads (the faster path the CLI takes): all of a transfer's items in one body, their
// sizes and the recipient announced up front, sealed for that recipient while the bytes arrive.
// The plaintext never reaches the disk and is read once instead of three times (written, read
// back, sealed); the sealed payload waits in .uploads/sealed-<id>/ until a declaration claims it
// and moves it into the outbox. Either kind serves one declaration; a node start removes every
// upload an earlier run left (removeAllUploads), and a running node those no declaration claimed
// within LIMITS.maxIdleUploadMs (removeIdleUploads).
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseHex, toHex } from '../../core/bytes.js';
import { decodeCanonical } from '../../core/codec/canonical.js';
import { fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { type PayloadCommitment, payloadCommitmentSchema } from '../transfer/commitment.js';
import type { ItemDigest } from '../transfer/container-reader.js';
import { StreamContainerReader } from '../transfer/container-stream.js';
import {
  fsyncDirectory,
  PRIVATE_FILE_MODE,
  renameDurably,
  writeFileDurably,
  writeFully,
} from '../transfer/durable-fs.js';
import { OUTBOX_COMMITMENT_FILE, outboxPayloadDirectory } from '../transfer/outbox.js';
import type { PayloadKeyContext } from '../transfer/payload-crypto.js';
import { sealedLayout, sealPayload } from '../transfer/seal.js';
import type { DiskRoom } from './disk-room.js';

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

/** NOT_READY once LIMITS.maxStagedUploads uploads wait for a declaration (a count, not disk room). */
async function refusePastStagedUploadBound(uploadsDir: string): Promise<void> {
  const staged = await readdir(uploadsDir);
  if (staged.length >= LIMITS.maxStagedUploads) {
    fail(
      'NOT_READY',
      `${staged.length} uploads are already waiting for a declaration; declare or retry later`,
    );
  }
}

/**
 * Writes one upload to `uploadsDir/<new id>` (mode 0600), hashing it on the way. Its size is not
 * announced, so `room` is asked for the next LIMITS.diskRoomCheckBytes before the first byte and
 * again after each of them: INSUFFICIENT_STORAGE, and nothing kept, when the disk runs short.
 */
export async function stageUpload(
  uploadsDir: string,
  body: AsyncIterable<Uint8Array>,
  room: DiskRoom,
): Promise<StagedUpload> {
  await refusePastStagedUploadBound(uploadsDir);
  const askRoom = () => room.require(LIMITS.diskRoomCheckBytes, 'the next part of an upload');
  await askRoom();
  const id = randomBytes(16).toString('hex');
  const file = uploadPath(uploadsDir, id);
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let checkedAtBytes = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      await writeFully(handle, chunk, sizeBytes);
      sizeBytes += chunk.byteLength;
      if (sizeBytes - checkedAtBytes >= LIMITS.diskRoomCheckBytes) {
        checkedAtBytes = sizeBytes;
        await askRoom();
      }
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

/**
 * When an upload last changed: a staged file's mtime, the newest of a sealed upload's files;
 * undefined for an entry gone since it was listed (a declaration claimed it meanwhile).
 */
async function lastWrittenMs(entry: string): Promise<number | undefined> {
  const info = await stat(entry).catch(() => undefined);
  if (info === undefined) return undefined;
  // A sealed upload is a folder whose files are written as its body arrives; a staged file has none.
  const names = info.isDirectory() ? await readdir(entry).catch(() => [] as string[]) : [];
  const times = await Promise.all(names.map((name) => stat(path.join(entry, name)).catch(() => undefined)));
  return Math.max(info.mtimeMs, ...times.map((time) => time?.mtimeMs ?? 0));
}

/**
 * The one walk of the uploads folder: removes each upload (staged file or sealed folder) that is
 * idle for longer than `idle.maxIdleMs` before `idle.nowMs`, or, with no idle bound, every entry
 * as it is (without looking at it: a start-up removes even a link to nothing). Returns how many
 * were removed.
 */
async function sweepUploads(
  uploadsDir: string,
  idle?: { readonly nowMs: number; readonly maxIdleMs: number },
): Promise<number> {
  const entries = await readdir(uploadsDir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const entry = path.join(uploadsDir, name);
    if (idle !== undefined) {
      const writtenMs = await lastWrittenMs(entry);
      if (writtenMs === undefined || idle.nowMs - writtenMs <= idle.maxIdleMs) continue;
    }
    await rm(entry, { force: true, recursive: true });
    removed++;
  }
  return removed;
}

/**
 * Removes the uploads (staged or sealed) whose last write is more than `maxIdleMs` before `nowMs`:
 * no declaration claimed them (LIMITS.maxIdleUploadMs). One still arriving is being written, so
 * it is never idle; an entry gone since the listing is left alone. Returns how many were removed.
 */
export function removeIdleUploads(uploadsDir: string, nowMs: number, maxIdleMs: number): Promise<number> {
  return sweepUploads(uploadsDir, { nowMs, maxIdleMs });
}

/**
 * Uploads left by an earlier run serve no declaration any more (the CLI uploads again): the idle
 * sweep with no idle bound, at node start.
 */
export function removeAllUploads(uploadsDir: string): Promise<number> {
  return sweepUploads(uploadsDir);
}

// --- sealed uploads ---------------------------------------------------------------------------

const SEALED_PREFIX = 'sealed-';
const SEALED_ITEMS_FILE = 'items.json';

/** An item's size and plaintext digest as JSON: in the sealed upload's record and the API answer. */
export interface ItemDigestJson {
  readonly sizeBytes: number;
  /** 64 lowercase hex characters. */
  readonly digest: string;
}

export function itemDigestsJson(items: readonly ItemDigest[]): ItemDigestJson[] {
  return items.map((item) => ({ sizeBytes: item.sizeBytes, digest: toHex(item.digest) }));
}

/** What a sealed upload holds besides the outbox files: who it is for and its items. */
interface SealedItemsRecord {
  readonly recipient: string;
  readonly items: readonly ItemDigestJson[];
}

export interface SealedUpload {
  /** 32 lowercase hex characters. */
  readonly id: string;
  readonly recipient: string;
  /** Each item's size and plaintext SHA-256, in body order. */
  readonly items: readonly ItemDigest[];
}

/** The folder of a sealed upload id; refuses anything that is not an id (no path tricks). */
export function sealedUploadPath(uploadsDir: string, id: string): string {
  uploadPath(uploadsDir, id);
  return path.join(uploadsDir, `${SEALED_PREFIX}${id}`);
}

/**
 * Seals one body holding items of the announced `sizes`, back to back, for `key`'s recipient,
 * into `uploadsDir/sealed-<new id>/`. REQUEST_MALFORMED when the body is shorter or longer.
 */
export async function stageSealedUpload(options: {
  readonly uploadsDir: string;
  readonly outboxDir: string;
  readonly key: PayloadKeyContext;
  readonly sizes: readonly number[];
  readonly body: AsyncIterable<Uint8Array>;
  /** Asked for the sealed payload's bytes before any of the body is read. */
  readonly room: DiskRoom;
}): Promise<SealedUpload> {
  const { uploadsDir, sizes } = options;
  if (sizes.length < 1 || sizes.length > LIMITS.maxItemsPerTransfer) {
    fail('REQUEST_MALFORMED', `from 1 to ${LIMITS.maxItemsPerTransfer} items per upload`, 'sizes');
  }
  for (const size of sizes) {
    if (!Number.isSafeInteger(size) || size < 1) {
      fail('REQUEST_MALFORMED', 'each item size is a whole number of bytes, at least 1', 'sizes');
    }
  }
  // Sizes too large for one payload (items, head and a tag per chunk past LIMITS.maxPayloadBytes)
  // are refused by sealPayload as MESSAGE_TOO_LARGE, before it reads any of the body.
  await refusePastStagedUploadBound(uploadsDir);
  const { verdict } = sealedLayout(sizes);
  if (verdict.ok) {
    const { payloadBytes } = verdict.layout;
    const items = sizes.length === 1 ? '1 item' : `${sizes.length} items`;
    await options.room.require(payloadBytes, `sealing ${items} (${payloadBytes} bytes)`);
  }
  const id = randomBytes(16).toString('hex');
  const directory = sealedUploadPath(uploadsDir, id);
  const sealed = await sealPayload({
    outboxDir: options.outboxDir,
    key: options.key,
    source: new StreamContainerReader(sizes, options.body),
    destination: directory,
  });
  try {
    const record: SealedItemsRecord = {
      recipient: options.key.recipientId,
      items: itemDigestsJson(sealed.items),
    };
    await writeFileDurably(path.join(directory, SEALED_ITEMS_FILE), JSON.stringify(record));
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return { id, recipient: options.key.recipientId, items: sealed.items };
}

/**
 * Takes a sealed upload for a declaration to `recipient`: moves its payload into the outbox
 * (outbox/<root hex>, durably) and returns its commitment and items. NOT_FOUND if there is no
 * such upload (never made, or already declared), CONFLICT if it was sealed for someone else.
 * Like the per-file uploads, a sealed upload serves one declaration whatever its outcome: the
 * declaration that names it removes it afterwards (declare.ts), a refused one included.
 */
export async function claimSealedUpload(
  uploadsDir: string,
  outboxDir: string,
  id: string,
  recipient: string,
): Promise<{ commitment: PayloadCommitment; items: ItemDigest[] }> {
  const directory = sealedUploadPath(uploadsDir, id);
  let record: SealedItemsRecord;
  let commitment: PayloadCommitment;
  try {
    record = JSON.parse(await readFile(path.join(directory, SEALED_ITEMS_FILE), 'utf8')) as SealedItemsRecord;
    commitment = payloadCommitmentSchema.parse(
      decodeCanonical(new Uint8Array(await readFile(path.join(directory, OUTBOX_COMMITMENT_FILE)))),
      'commitment',
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      fail('NOT_FOUND', `no sealed upload ${id} (each upload serves one declaration)`);
    }
    await rm(directory, { recursive: true, force: true });
    if (isBayledgerError(error)) fail('DATABASE_CORRUPT', `sealed upload ${id} is unreadable`, directory);
    throw error;
  }
  if (record.recipient !== recipient) {
    fail('CONFLICT', `upload ${id} was sealed for ${record.recipient}, not ${recipient}`, 'sealedUpload');
  }
  const items = record.items.map((item) => {
    const digest = parseHex(item.digest);
    if (digest?.byteLength !== 32)
      fail('DATABASE_CORRUPT', `sealed upload ${id} has a bad digest`, directory);
    return { sizeBytes: item.sizeBytes, digest };
  });
  await rm(path.join(directory, SEALED_ITEMS_FILE), { force: true });
  const target = outboxPayloadDirectory(outboxDir, commitment.root);
  if ((await stat(target).catch(() => undefined)) !== undefined) {
    await rm(directory, { recursive: true, force: true });
    fail('CONFLICT', 'a sealed payload with this root already exists', target);
  }
  await renameDurably(directory, target, outboxDir);
  await fsyncDirectory(uploadsDir);
  return { commitment, items };
}

/** Deletes a sealed upload that is no longer wanted (a no-op once a declaration claimed it). */
export async function removeSealedUpload(uploadsDir: string, id: string): Promise<void> {
  await rm(sealedUploadPath(uploadsDir, id), { recursive: true, force: true });
}
