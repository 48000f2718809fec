// Filing a received payload (src/node/transfer/filing.ts): the items on disk are filed only when
// their count, each size and each SHA-256 are the declaration's; then the manifest is written and
// the folder moved into the patient's inbox. A refusal names the item and files nothing. The
// receiver's checks before filing make most of these unreachable end to end, so they are called
// here directly.
import { strict as assert } from 'node:assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import {
  type ExpectedItem,
  type FilingRequest,
  fileItems,
  INBOX_MANIFEST_FILE,
} from '../../src/node/transfer/filing.js';
import { useTempDir } from '../helpers/temp-dir.js';

const TRANSFER_ID = sha256(Uint8Array.of(1));
const PAYLOAD_ROOT = sha256(Uint8Array.of(2));

describe('transfer: filing received items', () => {
  const temp = useTempDir('bayledger-filing-', 'each');

  /** Two item files on disk, what the receiver reports of them, and the matching declaration. */
  async function setUp() {
    const itemsDir = path.join(temp.path, '.partial', 'items');
    await mkdir(itemsDir, { recursive: true });
    const contents = [Buffer.from('study bytes'), Buffer.from('report')];
    const received = [];
    const items: ExpectedItem[] = [];
    for (const [i, content] of contents.entries()) {
      const file = `item-0${i}.bin`;
      await writeFile(path.join(itemsDir, file), content);
      received.push({ file, sizeBytes: content.byteLength, digest: sha256(content) });
      items.push({
        category: i === 0 ? 'imaging-study' : 'radiology-report',
        documentType: i === 0 ? 'application/dicom' : 'application/pdf',
        sizeBytes: content.byteLength,
        digest: sha256(content),
      });
    }
    const request: FilingRequest = {
      itemsDir,
      received,
      items,
      finalDir: path.join(temp.path, 'patient', 'transfer'),
      transferId: TRANSFER_ID,
      payloadRoot: PAYLOAD_ROOT,
    };
    return request;
  }

  it('files matching items with a manifest in the patient folder', async () => {
    const request = await setUp();
    const outcome = await fileItems(request);
    assert.ok(outcome.ok);
    assert.deepEqual(
      outcome.items.map((item) => [item.file, item.category, item.sizeBytes]),
      [
        ['item-00.bin', 'imaging-study', 11],
        ['item-01.bin', 'radiology-report', 6],
      ],
    );
    const manifest = JSON.parse(await readFile(path.join(request.finalDir, INBOX_MANIFEST_FILE), 'utf8'));
    assert.deepEqual(
      [manifest.transferId, manifest.payloadRoot, manifest.items],
      [toHex(TRANSFER_ID), toHex(PAYLOAD_ROOT), outcome.items],
    );
    assert.deepEqual((await readdir(request.finalDir)).sort(), [
      'item-00.bin',
      'item-01.bin',
      INBOX_MANIFEST_FILE,
    ]);
  });

  it('refuses another count of items than declared, and files nothing', async () => {
    const request = await setUp();
    for (const received of [request.received.slice(0, 1), [...request.received, request.received[1]!]]) {
      assert.deepEqual(await fileItems({ ...request, received }), {
        ok: false,
        reason: 'ITEM_SIZE_MISMATCH',
        detail: 'item count differs from the declaration',
      });
    }
    await assert.rejects(readdir(request.finalDir), { code: 'ENOENT' });
  });

  it('refuses an item of another size even with the declared digest, naming it', async () => {
    const request = await setUp();
    const received = [request.received[0]!, { ...request.received[1]!, sizeBytes: 7 }];
    assert.deepEqual(await fileItems({ ...request, received }), {
      ok: false,
      reason: 'ITEM_SIZE_MISMATCH',
      detail: 'item 1 size differs from the declaration',
    });
    await assert.rejects(readdir(request.finalDir), { code: 'ENOENT' });
  });

  it('refuses an item whose digest is not the declared one, naming it', async () => {
    const request = await setUp();
    const received = [{ ...request.received[0]!, digest: sha256(Uint8Array.of(9)) }, request.received[1]!];
    assert.deepEqual(await fileItems({ ...request, received }), {
      ok: false,
      reason: 'DIGEST_MISMATCH',
      detail: 'item 0 does not match its declared digest',
    });
    await assert.rejects(readdir(request.finalDir), { code: 'ENOENT' });
  });
});
