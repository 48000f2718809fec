// Receiving with the items hashed and written on a worker thread (container-sink.ts,
// item-write-pool.ts, item-write-worker.ts): the same files and digests as on the main thread,
// tampering still refused before anything is handed on, and resumption after an interruption or a
// crash, including a resume on the other thread (whose item digests are then read back from disk).
import { strict as assert } from 'node:assert';
import { constants, readlinkSync } from 'node:fs';
import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { ITEMS_FOLDER } from '../../src/node/transfer/container-sink.js';
import { INBOX_MANIFEST_FILE } from '../../src/node/transfer/filing.js';
import { ItemWriteWorker } from '../../src/node/transfer/item-write-pool.js';
import { partialDirectory } from '../../src/node/transfer/partial.js';
import { decodePayloadResponse, encodePayloadResponse } from '../../src/node/transfer/protocol.js';
import { PayloadReceiver, type ReceiveOutcome } from '../../src/node/transfer/receiver.js';
import { directIoAllowed } from '../helpers/direct-io.js';
import {
  deliver,
  editFrames,
  type Fixture,
  filedFiles,
  receiverOptions,
  sealFixture,
  sha256,
  withTempDir,
} from './payload-harness.js';

const SMALL_CHUNK = 256;

async function openReceiver(fixture: Fixture, itemsOnWorker: boolean): Promise<PayloadReceiver> {
  return PayloadReceiver.open(receiverOptions(fixture, { itemsOnWorker }));
}

/** Each filed item holds exactly the sealed contents. */
async function assertFiled(fixture: Fixture, outcome: ReceiveOutcome): Promise<void> {
  assert.equal(outcome.status, 'delivered', JSON.stringify(outcome));
  if (outcome.status !== 'delivered') return;
  const manifest = JSON.parse(await readFile(path.join(outcome.directory, INBOX_MANIFEST_FILE), 'utf8'));
  assert.equal(manifest.items.length, fixture.contents.length);
  for (const [i, item] of manifest.items.entries()) {
    assert.equal(item.digest, toHex(sha256(fixture.contents[i]!)));
    const filed = await readFile(path.join(outcome.directory, item.file));
    assert.ok(Buffer.from(fixture.contents[i]!).equals(filed), `item ${i} differs`);
  }
}

/**
 * The distinct files `action` datasyncs through a FileHandle (Linux: the path of each descriptor
 * read from /proc/self/fd at the call, before the file can move).
 */
async function datasyncedPaths(action: () => Promise<unknown>): Promise<string[]> {
  const probe = await open(process.execPath, 'r');
  const prototype = Object.getPrototypeOf(probe) as { datasync(this: FileHandle): Promise<void> };
  await probe.close();
  const original = prototype.datasync;
  const paths = new Set<string>();
  prototype.datasync = function (this: FileHandle) {
    paths.add(readlinkSync(`/proc/self/fd/${this.fd}`));
    return original.call(this);
  };
  try {
    await action();
  } finally {
    prototype.datasync = original;
  }
  return [...paths];
}

function stopAtFrame(stopPosition: number) {
  return editFrames((frame, position) => (position === stopPosition ? 'stop' : frame));
}

describe('payload receiving: items hashed and written on a worker thread', () => {
  it('files several items (0 bytes, 1 byte, across many chunks) unchanged, on the worker', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [0, 1, 9000, 700, 5000], { chunkBytes: SMALL_CHUNK });
      const receiver = await openReceiver(fixture, true);
      const outcome = await deliver(fixture, { receiver });
      assert.equal(await receiver.itemsOnWorker(), true, 'the worker took the items');
      // Through O_DIRECT (direct-appender.ts) wherever this file system allows it.
      assert.equal(receiver.directItemFiles, directIoAllowed(dir) ? 5 : 0);
      await assertFiled(fixture, outcome);
    });
  });

  // The sink counts each write it hands to the worker against the items it reaches; a checkpoint
  // datasyncs only item files with writes it has not covered yet, so a write counted against no
  // item (or the wrong one) would leave that file's bytes in the page cache when it is filed.
  it('datasyncs every item file written on the worker', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [9000, 700, 5000], { chunkBytes: SMALL_CHUNK });
      const receiver = await openReceiver(fixture, true);
      const synced = await datasyncedPaths(() => deliver(fixture, { receiver }));
      assert.equal(await receiver.itemsOnWorker(), true, 'the worker took the items');
      const itemFolder = `${path.sep}${ITEMS_FOLDER}${path.sep}`;
      assert.equal(synced.filter((file) => file.includes(itemFolder)).length, 3, synced.join('\n'));
    });
  });

  it('the main thread still files them when told to (and never starts the worker)', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [9000, 700], { chunkBytes: SMALL_CHUNK });
      const receiver = await openReceiver(fixture, false);
      const outcome = await deliver(fixture, { receiver });
      assert.equal(await receiver.itemsOnWorker(), false);
      await assertFiled(fixture, outcome);
    });
  });

  it('a tampered chunk is refused and nothing is filed; a retry on the worker completes', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [6000], { chunkBytes: SMALL_CHUNK });
      const tampered = await deliver(fixture, {
        receiver: await openReceiver(fixture, true),
        tamper: editFrames((frame) => {
          const message = decodePayloadResponse(frame);
          if (message.type !== 'chunk' || message.index !== 9) return frame;
          const ciphertext = Uint8Array.from(message.ciphertext);
          ciphertext[0]! ^= 1;
          return encodePayloadResponse({ ...message, ciphertext });
        }),
      });
      assert.equal(tampered.status === 'failed' && tampered.reason, 'CHUNK_PROOF_INVALID');
      assert.equal(tampered.status === 'failed' && tampered.nextChunk, 9);
      assert.deepEqual(await filedFiles(fixture.inboxDir), []);
      await assertFiled(fixture, await deliver(fixture, { receiver: await openReceiver(fixture, true) }));
    });
  });

  it('a declared digest the plaintext does not match is refused from the worker digest', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [4000, 3000], { chunkBytes: SMALL_CHUNK });
      const wrong = {
        ...fixture.expectation,
        items: fixture.expectation.items.map((item, i) =>
          i === 1 ? { ...item, digest: sha256(item.digest) } : item,
        ),
      };
      const receiver = await PayloadReceiver.open(
        receiverOptions(fixture, { expected: wrong, itemsOnWorker: true }),
      );
      const outcome = await deliver(fixture, { receiver });
      assert.equal(outcome.status === 'failed' && outcome.reason, 'DIGEST_MISMATCH');
      assert.equal(await receiver.itemsOnWorker(), true);
      assert.deepEqual(await filedFiles(fixture.inboxDir), []);
    });
  });

  for (const [first, second] of [
    [true, true],
    [true, false],
    [false, true],
  ] as const) {
    it(`resumes after an interruption (first on ${first ? 'worker' : 'main'}, then ${second ? 'worker' : 'main'})`, async () => {
      await withTempDir(async (dir) => {
        const fixture = await sealFixture(dir, [5000, 7000], { chunkBytes: SMALL_CHUNK });
        // Frame 0 is the header, so stopping at frame 31 leaves chunks 0-29.
        const cut = await deliver(fixture, {
          receiver: await openReceiver(fixture, first),
          tamper: stopAtFrame(31),
        });
        assert.equal(cut.status === 'failed' && cut.nextChunk, 30);
        const resumed = await openReceiver(fixture, second);
        assert.equal(resumed.nextChunk, 30);
        await assertFiled(fixture, await deliver(fixture, { receiver: resumed }));
      });
    });
  }

  it('after a crash, resumes from the last fsynced checkpoint even if the worker wrote more', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [12_000], { chunkBytes: SMALL_CHUNK });
      const cut = await deliver(fixture, {
        receiver: await openReceiver(fixture, true),
        tamper: stopAtFrame(40),
      });
      assert.equal(cut.status, 'failed');
      // As if the process died before its last checkpoint: the record names fewer chunks than the
      // item file holds, plus a torn trailing leaf.
      const partial = partialDirectory(fixture.inboxDir, fixture.expectation.transferId);
      await truncate(path.join(partial, 'leaves.bin'), 16 * 32 + 7);
      const resumed = await openReceiver(fixture, true);
      assert.equal(resumed.nextChunk, 16);
      await assertFiled(fixture, await deliver(fixture, { receiver: resumed }));
    });
  });
});

describe('ItemWriteWorker', () => {
  it('a failed write rejects that write, every later request and the flush; close still returns', async () => {
    const worker = ItemWriteWorker.start(2, 16);
    try {
      // Two waiters before it has loaded (it takes tens of milliseconds): both are answered.
      assert.deepEqual(await Promise.all([worker.whenReady(), worker.whenReady()]), [true, true]);
      // A descriptor no process has open: the write fails in the worker (EBADF).
      await worker.setItems([{ fd: 1_000_000, directFd: null, start: 0, sizeBytes: 10 }]);
      await assert.rejects(worker.write(0, [new Uint8Array(10)]), /writing received items failed/);
      await assert.rejects(worker.flush(), /writing received items failed/);
      await assert.rejects(worker.slot(), /writing received items failed/);
    } finally {
      await worker.close();
    }
    // The first failure stays the answer: the close that followed does not replace it.
    await assert.rejects(worker.digests(), /writing received items failed/);
  });

  it('a write the disk refuses for want of space keeps its errno across the thread (ENOSPC)', async () => {
    // /dev/full refuses every write with ENOSPC: the fetcher must see a full disk, not a bare
    // error, to wait for room instead of ending the fetch (payload-fetcher.ts).
    const full = await open('/dev/full', 'w');
    const worker = ItemWriteWorker.start(2, 16);
    try {
      await worker.setItems([{ fd: full.fd, directFd: null, start: 0, sizeBytes: 10 }]);
      await worker.slot();
      await assert.rejects(worker.write(0, [new Uint8Array(10)]), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ENOSPC');
        assert.match(error.message, /writing received items failed/);
        return true;
      });
    } finally {
      await worker.close();
      await full.close();
    }
  });

  it("writes each item's bytes at its offset and hashes every item it saw whole", async () => {
    // Item a is [0, 6) of the container, item b [6, 10); the first write covers a and half of b.
    const container = Uint8Array.from({ length: 10 }, (_, i) => 100 + i);
    const received = (ends: readonly number[]) =>
      withTempDir(async (dir) => {
        const names = ['a', 'b'];
        const files = await Promise.all(names.map((name) => open(path.join(dir, name), 'w+')));
        // Through O_DIRECT where allowed, as a receiver does: unaligned tails are staged there.
        const direct = directIoAllowed(dir)
          ? await Promise.all(
              names.map((name) => open(path.join(dir, name), constants.O_WRONLY | constants.O_DIRECT)),
            )
          : [];
        const worker = ItemWriteWorker.start(2, 16);
        try {
          await worker.setItems([
            { fd: files[0]!.fd, directFd: direct[0]?.fd ?? null, start: 0, sizeBytes: 6 },
            { fd: files[1]!.fd, directFd: direct[1]?.fd ?? null, start: 6, sizeBytes: 4 },
          ]);
          let from = 0;
          for (const end of ends) {
            await worker.slot();
            await worker.write(from, [container.subarray(from, end)]);
            from = end;
          }
          // An item whose last write is answered is whole in its file before any flush.
          const finishedFirst = [...(await readFile(path.join(dir, 'a')))];
          await worker.flush();
          const digests = await worker.digests();
          const bytes = await Promise.all(names.map((name) => readFile(path.join(dir, name))));
          return { finishedFirst, digests, bytes: bytes.map((file) => [...file]) };
        } finally {
          await worker.close();
          for (const file of [...files, ...direct]) await file.close();
        }
      });
    assert.deepEqual(await received([8, 10]), {
      finishedFirst: [...container.subarray(0, 6)],
      digests: [sha256(container.subarray(0, 6)), sha256(container.subarray(6))],
      bytes: [[...container.subarray(0, 6)], [...container.subarray(6)]],
    });
    assert.deepEqual(await received([8]), {
      finishedFirst: [...container.subarray(0, 6)],
      digests: [sha256(container.subarray(0, 6)), null],
      bytes: [[...container.subarray(0, 6)], [...container.subarray(6, 8)]],
    });
  });

  it('close waits for the writes handed over, and every request after it is refused', async () => {
    const worker = ItemWriteWorker.start(2, 16);
    assert.equal(await worker.whenReady(), true);
    // No items yet, so the write touches no file; it is still with the worker when close starts.
    const written = worker.write(0, [new Uint8Array(4)]);
    await worker.close();
    await written;
    for (const request of [() => worker.digests(), () => worker.flush(), () => worker.setItems([])])
      await assert.rejects(request(), /the item writing worker was stopped/);
  });

  it('serves one writer: a second slot() beside one already waiting is a broken invariant', async () => {
    const worker = ItemWriteWorker.start(1, 16);
    try {
      assert.equal(await worker.whenReady(), true);
      // No items yet, so the write touches no file; it holds the only slot until the worker answers.
      const written = worker.write(0, [new Uint8Array(4)]);
      const waiting = worker.slot();
      assert.throws(() => worker.slot(), /invariant broken: a second writer waits for an item write slot/);
      await written;
      // The slot the write freed goes to the writer that waited for it.
      await waiting;
    } finally {
      await worker.close();
    }
  });
});
