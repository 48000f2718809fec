// Filing a fully verified, decrypted transfer into the inbox (design section 1 step 5):
//
//   inbox/<patient pseudonym hex>/<transferId hex>/item-00.bin, item-01.bin, ..., manifest.json
//
// The item files were written in place under the partial folder as chunks arrived. Here their
// SHA-256 digests are compared with the declared ones; only if all match is manifest.json written
// and the folder renamed into place in one step, so the inbox holds complete, checked transfers
// or nothing.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, toHex } from '../../core/bytes.js';
import { fsyncDirectory, PRIVATE_DIRECTORY_MODE, renameDurably, writeFileDurably } from './durable-fs.js';

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
  /** The partial folder's items directory, holding item-NN.bin. */
  readonly itemsDir: string;
  /** What is on disk: each item file's name, size and SHA-256, in order. */
  readonly received: readonly { file: string; sizeBytes: number; digest: Uint8Array }[];
  readonly items: readonly ExpectedItem[];
  /** inbox/<patient hex>/<transferId hex> */
  readonly finalDir: string;
  readonly transferId: Uint8Array;
  readonly payloadRoot: Uint8Array;
}

export type FilingOutcome =
  | { ok: true; items: FiledItem[] }
  | { ok: false; reason: 'ITEM_SIZE_MISMATCH' | 'DIGEST_MISMATCH'; detail: string };

/** Checks the received items against the declaration and, if they match, files them. */
export async function fileItems(request: FilingRequest): Promise<FilingOutcome> {
  const filed: FiledItem[] = [];
  if (request.received.length !== request.items.length) {
    return { ok: false, reason: 'ITEM_SIZE_MISMATCH', detail: 'item count differs from the declaration' };
  }
  for (const [i, expected] of request.items.entries()) {
    const received = request.received[i]!;
    if (received.sizeBytes !== expected.sizeBytes) {
      return {
        ok: false,
        reason: 'ITEM_SIZE_MISMATCH',
        detail: `item ${i} size differs from the declaration`,
      };
    }
    if (!bytesEqual(received.digest, expected.digest)) {
      return { ok: false, reason: 'DIGEST_MISMATCH', detail: `item ${i} does not match its declared digest` };
    }
    filed.push({
      file: received.file,
      category: expected.category,
      documentType: expected.documentType,
      sizeBytes: expected.sizeBytes,
      digest: toHex(received.digest),
    });
  }
  await publish(request, filed);
  return { ok: true, items: filed };
}

async function publish(request: FilingRequest, items: FiledItem[]): Promise<void> {
  const manifest = {
    transferId: toHex(request.transferId),
    payloadRoot: toHex(request.payloadRoot),
    items,
  };
  await writeFileDurably(
    path.join(request.itemsDir, INBOX_MANIFEST_FILE),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  await fsyncDirectory(request.itemsDir);
  const patientDir = path.dirname(request.finalDir);
  await mkdir(patientDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await renameDurably(request.itemsDir, request.finalDir, patientDir);
  await fsyncDirectory(path.dirname(patientDir));
}
