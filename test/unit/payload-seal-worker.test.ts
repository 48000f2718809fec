// Sealing with a worker thread (src/node/transfer/seal.ts, seal-pool.ts, seal-worker.ts: the
// worker hashes each sealed chunk's leaf and writes it): the same outbox bytes, leaves and
// commitment as sealing on the main thread alone, from files and from an upload stream; a stream
// that ends early or a write that fails is refused without leaving a sealing folder or a running
// worker behind.
import assert from 'node:assert/strict';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { StreamContainerReader } from '../../src/node/transfer/container-stream.js';
import { layoutForContainer, type PayloadLayout } from '../../src/node/transfer/layout.js';
import { OUTBOX_LEAVES_FILE, OUTBOX_PAYLOAD_FILE } from '../../src/node/transfer/outbox.js';
import { SEAL_WORKER_MIN_CHUNKS, sealPayload } from '../../src/node/transfer/seal.js';
import { ChunkWriteWorker } from '../../src/node/transfer/seal-pool.js';
import { CHAIN_ID, content, RECIPIENT_ID, sha256, withTempDir, x25519Pair } from './payload-harness.js';

const CHUNK_BYTES = 4096;
/** Three items over about 40 chunks of 4 KiB, the middle one ending inside a chunk. */
const SIZES = [50_000, 7_777, 103_001];

/** The body as an upload delivers it: pieces of uneven sizes, not aligned with items or chunks. */
async function* body(contents: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(contents);
  for (
    let offset = 0, step = 1_000;
    offset < all.byteLength;
    offset += step, step = ((step * 7) % 9_000) + 500
  ) {
    yield new Uint8Array(all.subarray(offset, offset + step));
  }
}

function layoutOf(chunks: number): PayloadLayout {
  const verdict = layoutForContainer(chunks * CHUNK_BYTES, CHUNK_BYTES);
  assert.ok(verdict.ok);
  return verdict.layout;
}

interface Sealing {
  readonly commitment: Uint8Array;
  readonly items: string;
  readonly payload: Buffer;
  readonly leaves: Buffer;
}

async function sealOnce(
  dir: string,
  label: string,
  contents: readonly Uint8Array[],
  from: 'files' | 'stream',
  /** false: on this thread; a number: chunks from this one on the worker, the ones before here. */
  worker: false | number,
  recipientPublicKey: Uint8Array,
): Promise<Sealing> {
  const outboxDir = path.join(dir, `outbox-${label}`);
  const itemPaths = contents.map((_, i) => path.join(dir, `item-${i}.bin`));
  const sealed = await sealPayload({
    outboxDir,
    key: { chainId: CHAIN_ID, recipientId: RECIPIENT_ID, recipientPublicKey },
    ...(from === 'files' ? { itemPaths } : { source: new StreamContainerReader(SIZES, body(contents)) }),
    ephemeralSecret: new Uint8Array(32).fill(7),
    chunkBytes: CHUNK_BYTES,
    ...(worker === false ? { worker } : { worker: true, workerFromChunk: worker }),
  });
  return {
    commitment: encodeCanonical(sealed.commitment),
    items: JSON.stringify(sealed.items.map((item) => [item.sizeBytes, toHex(item.digest)])),
    payload: await readFile(path.join(sealed.directory, OUTBOX_PAYLOAD_FILE)),
    leaves: await readFile(path.join(sealed.directory, OUTBOX_LEAVES_FILE)),
  };
}

describe('payload sealing on a worker thread', function () {
  this.timeout(30_000);

  it('writes the same outbox, leaves, commitment and item digests as sealing on the main thread', async () => {
    await withTempDir(async (dir) => {
      const contents = SIZES.map((size, i) => content(size, `seal-worker-${i}`));
      for (const [i, bytes] of contents.entries()) await writeFile(path.join(dir, `item-${i}.bin`), bytes);
      const { publicKey } = x25519Pair();
      const here = await sealOnce(dir, 'here', contents, 'files', false, publicKey);
      assert.ok(here.payload.byteLength > SEAL_WORKER_MIN_CHUNKS * CHUNK_BYTES);
      // All chunks on the worker, and the first 17 here (as while the worker loads), then the worker.
      for (const from of ['files', 'stream'] as const) {
        for (const fromChunk of [0, 17]) {
          const label = `${from}, worker from chunk ${fromChunk}`;
          const onWorker = await sealOnce(dir, `${from}-${fromChunk}`, contents, from, fromChunk, publicKey);
          assert.deepEqual(onWorker.commitment, here.commitment, label);
          assert.equal(onWorker.items, here.items, label);
          assert.ok(onWorker.payload.equals(here.payload), `${label}: payload bytes`);
          assert.ok(onWorker.leaves.equals(here.leaves), `${label}: leaves`);
        }
      }
    });
  });

  it('refuses a stream shorter than its announced sizes and leaves no sealing folder', async () => {
    await withTempDir(async (dir) => {
      const contents = SIZES.map((size, i) => content(size, `short-${i}`));
      const short = [contents[0]!, contents[1]!, contents[2]!.subarray(0, 60_000)];
      const outboxDir = path.join(dir, 'outbox');
      await assert.rejects(
        sealPayload({
          outboxDir,
          key: { chainId: CHAIN_ID, recipientId: RECIPIENT_ID, recipientPublicKey: x25519Pair().publicKey },
          source: new StreamContainerReader(SIZES, body(short)),
          chunkBytes: CHUNK_BYTES,
          worker: true,
          workerFromChunk: 3,
        }),
        (error: unknown) => isBayledgerError(error, 'REQUEST_MALFORMED'),
      );
      assert.deepEqual(await readdir(outboxDir), []);
    });
  });

  it('refuses the chunk whose write fails, and the chunks after it, then stops cleanly', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'read-only.bin');
      await writeFile(file, new Uint8Array(0));
      // A descriptor open for reading only: the worker's writev fails with EBADF.
      const handle = await open(file, 'r');
      const writer = ChunkWriteWorker.start({ layout: layoutOf(10), fd: handle.fd }, 2);
      try {
        const first = writer.write(0, [new Uint8Array(CHUNK_BYTES + 16)]);
        const second = writer.write(1, [new Uint8Array(CHUNK_BYTES + 16)]);
        // Asked to finish before the failure is known: the failure arrives while it waits.
        const finishing = assert.rejects(writer.finish(), /writing chunk 0 failed/);
        await assert.rejects(first, /writing chunk 0 failed/);
        await assert.rejects(second, /writing chunk 0 failed/);
        await finishing;
        await assert.rejects(writer.slot(), /writing chunk 0 failed/);
        await assert.rejects(writer.write(2, [new Uint8Array(CHUNK_BYTES + 16)]), /writing chunk 0 failed/);
        await assert.rejects(writer.finish(), /writing chunk 0 failed/);
      } finally {
        await writer.close();
        await handle.close();
      }
      assert.equal((await readFile(file)).byteLength, 0);
    });
  });

  it('finishes at once when it was given no chunk, without waiting for the worker to load', async () => {
    await withTempDir(async (dir) => {
      const handle = await open(path.join(dir, 'payload.bin'), 'w');
      const writer = ChunkWriteWorker.start({ layout: layoutOf(6), fd: handle.fd }, 2);
      try {
        // A payload sealed on this thread before the worker loaded: nothing of it is with the
        // worker, so nothing waits for the worker (which takes tens of milliseconds to load, and
        // may fail to, which must not fail a payload sealed without it).
        await writer.finish();
        assert.equal(writer.ready, false, 'finished before the worker loaded');
      } finally {
        await writer.close();
        await handle.close();
      }
    });
  });

  it('keeps at most maxInFlight chunks with the worker, answers in order with each leaf, copies shared parts', async () => {
    await withTempDir(async (dir) => {
      const handle = await open(path.join(dir, 'payload.bin'), 'w');
      const writer = ChunkWriteWorker.start({ layout: layoutOf(6), fd: handle.fd }, 2);
      const pool = new Uint8Array(1024).fill(0xee);
      try {
        // Two waiters before it has loaded (it takes tens of milliseconds): both are answered.
        await Promise.all([writer.whenReady(), writer.whenReady()]);
        assert.equal(writer.ready, true);
        const leaves: Promise<Uint8Array>[] = [];
        const expected: string[] = [];
        for (let index = 0; index < 6; index++) {
          if (index >= 2) {
            // Two chunks are with the worker: a slot opens only when the worker answers one,
            // which comes as a message, never within this turn's promise callbacks.
            let opened = false;
            const slot = writer.slot().then(() => {
              opened = true;
            });
            await Promise.resolve();
            await Promise.resolve();
            assert.equal(opened, false, `a third chunk in flight at chunk ${index}`);
            await slot;
          }
          await writer.slot();
          const own = new Uint8Array(CHUNK_BYTES).fill(index);
          // The tag as a view into a buffer shared with other bytes, like Node's pooled small buffers.
          const tag = pool.subarray(16 * index, 16 * index + 16);
          expected.push(toHex(sha256(Buffer.concat([Buffer.from([0]), own, tag]))));
          leaves.push(writer.write(index, [own, tag]));
          assert.equal(own.byteLength, 0, 'a part with its own buffer is transferred');
          assert.equal(tag.byteLength, 16, 'a shared part is copied, not taken');
        }
        assert.deepEqual((await Promise.all(leaves)).map(toHex), expected);
        await writer.finish();
        assert.equal((await handle.stat()).size, 6 * (CHUNK_BYTES + 16));
        assert.ok(pool.every((byte) => byte === 0xee));
      } finally {
        await writer.close();
        await handle.close();
      }
    });
  });
});
