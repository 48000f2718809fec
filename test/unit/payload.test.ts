// The payload channel end to end in one process (design section 9): sealing into the outbox,
// streaming through PayloadSender/PayloadReceiver, filing into the inbox; every tamper refused
// with its reason code and nothing filed; resumption after an interruption.
import { strict as assert } from 'node:assert';
import { mkdir, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { inclusionProof, leafHash, MemoryMerkleLog } from '../../src/core/merkle/index.js';
import { encodeContainerHead } from '../../src/node/transfer/container.js';
import { INBOX_MANIFEST_FILE } from '../../src/node/transfer/filing.js';
import { chunkPlaintextBytes, layoutForContainer } from '../../src/node/transfer/layout.js';
import {
  OUTBOX_COMMITMENT_FILE,
  OUTBOX_LEAVES_FILE,
  OUTBOX_PAYLOAD_FILE,
  OutboxPayload,
  removeAbandonedSealings,
} from '../../src/node/transfer/outbox.js';
import { partialDirectory } from '../../src/node/transfer/partial.js';
import { deriveSenderKey, sealChunk } from '../../src/node/transfer/payload-crypto.js';
import {
  decodePayloadResponse,
  encodePayloadRequest,
  encodePayloadResponse,
  type PayloadChunk,
} from '../../src/node/transfer/protocol.js';
import { PayloadReceiver, type ReceiveOutcome } from '../../src/node/transfer/receiver.js';
import { PayloadSender } from '../../src/node/transfer/sender.js';
import { waitFor } from '../helpers/wait.js';
import {
  approve,
  CHAIN_ID,
  deliver,
  editFrames,
  type Fixture,
  filedFiles,
  listFiles,
  RECIPIENT_ID,
  receiverOptions,
  sealFixture,
  sha256,
  type Tamper,
  withTempDir,
  x25519Pair,
} from './payload-harness.js';

const MiB = 1024 * 1024;
/** Small chunks give many-leaf trees in a few kilobytes. */
const SMALL_CHUNK = 256;

function assertDelivered(
  outcome: ReceiveOutcome,
): asserts outcome is Extract<ReceiveOutcome, { status: 'delivered' }> {
  assert.equal(outcome.status, 'delivered', JSON.stringify(outcome));
}

function assertFailed(outcome: ReceiveOutcome, reason: string, permanent: boolean): void {
  assert.equal(outcome.status, 'failed');
  if (outcome.status !== 'failed') return;
  assert.equal(outcome.reason, reason, outcome.detail);
  assert.equal(outcome.permanent, permanent, `permanent for ${reason}`);
}

/** The delivered files hold exactly the sealed contents, and manifest.json describes them. */
async function assertFiled(fixture: Fixture, directory: string): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(directory, INBOX_MANIFEST_FILE), 'utf8'));
  assert.equal(manifest.transferId, toHex(fixture.expectation.transferId));
  assert.equal(manifest.payloadRoot, toHex(fixture.sealed.commitment.root));
  assert.equal(manifest.items.length, fixture.contents.length);
  for (const [i, item] of manifest.items.entries()) {
    const expected = fixture.expectation.items[i]!;
    assert.deepEqual(
      {
        category: item.category,
        documentType: item.documentType,
        sizeBytes: item.sizeBytes,
        digest: item.digest,
      },
      {
        category: expected.category,
        documentType: expected.documentType,
        sizeBytes: fixture.contents[i]!.byteLength,
        digest: toHex(sha256(fixture.contents[i]!)),
      },
    );
    const filed = await readFile(path.join(directory, item.file));
    assert.ok(Buffer.from(fixture.contents[i]!).equals(filed), `item ${i} differs`);
    assert.equal((await stat(path.join(directory, item.file))).mode & 0o777, 0o600);
  }
}

/** Rewrites chunk messages (other frames pass unchanged). */
function editChunks(edit: (chunk: PayloadChunk) => PayloadChunk | undefined | 'stop'): Tamper {
  return editFrames((frame) => {
    const message = decodePayloadResponse(frame);
    if (message.type !== 'chunk') return frame;
    const edited = edit(message);
    if (edited === undefined || edited === 'stop') return edited;
    return encodePayloadResponse(edited);
  });
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/**
 * A sender that seals an arbitrary container (not one sealPayload would make) to `recipientPublicKey`:
 * the commitment and the response frames it would stream. Models a faulty or hostile hospital node.
 */
function craftStream(
  container: Uint8Array,
  recipientPublicKey: Uint8Array,
  chunkBytes: number,
): { payload: Fixture['expectation']['payload']; frames: Uint8Array[] } {
  const verdict = layoutForContainer(container.byteLength, chunkBytes);
  assert.ok(verdict.ok);
  const { layout } = verdict;
  const { payloadKey, ephemeralPublicKey } = deriveSenderKey(x25519Pair().secret, {
    chainId: CHAIN_ID,
    recipientId: RECIPIENT_ID,
    recipientPublicKey,
  });
  const sealed: Uint8Array[] = [];
  const tree = new MemoryMerkleLog();
  for (let i = 0; i < layout.chunkCount; i++) {
    const start = i * chunkBytes;
    sealed.push(
      sealChunk(payloadKey, layout, i, container.subarray(start, start + chunkPlaintextBytes(layout, i))),
    );
    tree.append(leafHash(sealed[i]!));
  }
  const payload = {
    root: tree.root(),
    bytes: layout.payloadBytes,
    chunkBytes,
    chunkCount: layout.chunkCount,
    ephemeralKey: ephemeralPublicKey,
  };
  return {
    payload,
    frames: sealed.map((ciphertext, index) =>
      encodePayloadResponse({
        type: 'chunk',
        index,
        proof: inclusionProof(tree, index, layout.chunkCount),
        ciphertext,
      }),
    ),
  };
}

describe('payload channel: round trip', () => {
  it('seals several files (0 bytes, 1 byte, small) into one stream and files them unchanged', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [0, 1, 777]);
      assert.deepEqual(
        fixture.sealed.items.map((item) => item.sizeBytes),
        [0, 1, 777],
      );
      assert.deepEqual(fixture.sealed.items[2]!.digest, sha256(fixture.contents[2]!));
      assert.equal(fixture.sealed.commitment.chunkCount, 1);
      const outcome = await deliver(fixture);
      assertDelivered(outcome);
      assert.equal(
        outcome.directory,
        path.join(
          fixture.inboxDir,
          toHex(fixture.expectation.patient),
          toHex(fixture.expectation.transferId),
        ),
      );
      await assertFiled(fixture, outcome.directory);
      assert.deepEqual(
        await listFiles(path.join(fixture.inboxDir, '.partial')),
        [],
        'partial folder cleaned up',
      );
    });
  });

  it('carries a few MB over several 1 MiB chunks, with outbox files private and sized as declared', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [1.5 * MiB + 3, MiB / 2, 10]);
      const { commitment } = fixture.sealed;
      assert.equal(commitment.chunkBytes, MiB);
      assert.equal(commitment.chunkCount, 3);
      const payloadFile = path.join(fixture.sealed.directory, OUTBOX_PAYLOAD_FILE);
      const payloadStat = await stat(payloadFile);
      assert.equal(payloadStat.size, commitment.bytes);
      assert.equal(payloadStat.mode & 0o777, 0o600);
      assert.deepEqual(await listFiles(fixture.outboxDir), [
        `${toHex(commitment.root)}/commitment.cbor`,
        `${toHex(commitment.root)}/leaves.bin`,
        `${toHex(commitment.root)}/payload.bin`,
      ]);
      const outcome = await deliver(fixture);
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('builds a many-leaf chunk tree from small chunks and verifies every proof', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [5000, 123, 2000], { chunkBytes: SMALL_CHUNK });
      assert.ok(fixture.sealed.commitment.chunkCount > 20);
      const progress: number[] = [];
      const receiver = await PayloadReceiver.open(
        receiverOptions(fixture, { onProgress: (p) => progress.push(p.verifiedChunks) }),
      );
      const outcome = await deliver(fixture, { receiver });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
      assert.equal(progress.length, fixture.sealed.commitment.chunkCount);
      assert.equal(progress.at(-1), fixture.sealed.commitment.chunkCount);
    });
  });

  it('reports a transfer already filed as delivered without asking for it again', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [100]);
      assertDelivered(await deliver(fixture));
      const again = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(again.settled?.status, 'delivered');
      assert.equal(again.remainingBytes, 0, 'nothing left to come');
      // Settled: a stream handed to it anyway is not read, and the outcome stays the same.
      let framesRead = 0;
      async function* frames(): AsyncGenerator<Uint8Array> {
        framesRead++;
        yield new Uint8Array([0xff]);
      }
      assert.equal((await again.receive(frames())).status, 'delivered');
      assert.equal(framesRead, 0);
    });
  });

  it('refuses to seal a missing file and leaves no work folder in the outbox', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [10]);
      const { sealPayload } = await import('../../src/node/transfer/seal.js');
      await assert.rejects(
        sealPayload({
          outboxDir: fixture.outboxDir,
          key: { chainId: 'c', recipientId: 'r', recipientPublicKey: fixture.recipient.publicKey },
          itemPaths: [path.join(dir, 'missing.dcm')],
        }),
        /ENOENT/,
      );
      assert.equal((await listFiles(fixture.outboxDir)).filter((f) => f.startsWith('.sealing')).length, 0);
      // A crash mid-sealing leaves a work folder; the node removes such folders at start.
      await mkdir(path.join(fixture.outboxDir, '.sealing-abandoned'));
      await writeFile(path.join(fixture.outboxDir, '.sealing-abandoned', 'payload.bin'), 'x');
      assert.equal(await removeAbandonedSealings(fixture.outboxDir), 1);
      assert.deepEqual(
        (await listFiles(fixture.outboxDir)).map((file) => path.dirname(file)),
        Array(3).fill(toHex(fixture.sealed.commitment.root)),
      );
    });
  });
});

describe('payload channel: tampering is refused with a reason and files nothing', () => {
  async function expectRefused(
    tamper: Tamper | undefined,
    reason: string,
    permanent: boolean,
    prepare?: (fixture: Fixture) => Fixture | Promise<Fixture>,
  ): Promise<void> {
    await withTempDir(async (dir) => {
      const sealed = await sealFixture(dir, [3000, 1500], { chunkBytes: SMALL_CHUNK });
      const fixture = prepare ? await prepare(sealed) : sealed;
      const outcome = await deliver(fixture, tamper ? { tamper } : {});
      assertFailed(outcome, reason, permanent);
      assert.deepEqual(await filedFiles(fixture.inboxDir), [], 'nothing filed');
      if (permanent) assert.deepEqual(await listFiles(fixture.inboxDir), [], 'no plaintext left behind');
    });
  }

  it('a flipped ciphertext bit: CHUNK_PROOF_INVALID', async () => {
    await expectRefused(
      editChunks((chunk) =>
        chunk.index === 5 ? { ...chunk, ciphertext: flipBit(chunk.ciphertext, 77) } : chunk,
      ),
      'CHUNK_PROOF_INVALID',
      false,
    );
  });

  it('a wrong proof hash: CHUNK_PROOF_INVALID', async () => {
    await expectRefused(
      editChunks((chunk) =>
        chunk.index === 3
          ? { ...chunk, proof: [flipBit(chunk.proof[0]!, 0), ...chunk.proof.slice(1)] }
          : chunk,
      ),
      'CHUNK_PROOF_INVALID',
      false,
    );
  });

  it('a proof one hash short: CHUNK_PROOF_INVALID', async () => {
    await expectRefused(
      editChunks((chunk) => (chunk.index === 2 ? { ...chunk, proof: chunk.proof.slice(1) } : chunk)),
      'CHUNK_PROOF_INVALID',
      false,
    );
  });

  it("a chunk relabelled with another chunk's index: CHUNK_PROOF_INVALID", async () => {
    let first: PayloadChunk | undefined;
    await expectRefused(
      editChunks((chunk) => {
        if (chunk.index === 0) first = chunk;
        // Chunk 1 arrives carrying chunk 0's bytes and proof (same size: both are full chunks).
        return chunk.index === 1 ? { ...first!, index: 1 } : chunk;
      }),
      'CHUNK_PROOF_INVALID',
      false,
    );
  });

  it('two chunks swapped in the stream: CHUNK_OUT_OF_ORDER', async () => {
    let held: Uint8Array | undefined;
    await expectRefused(
      editFrames((frame, position) => {
        if (position === 1) {
          held = frame; // chunk 0
          return undefined;
        }
        if (position === 2) return frame; // chunk 1 first
        return position === 3 ? held : frame;
      }),
      'CHUNK_OUT_OF_ORDER',
      false,
    );
  });

  it('a chunk of the wrong size: CHUNK_SIZE_INVALID', async () => {
    await expectRefused(
      editChunks((chunk) =>
        chunk.index === 1 ? { ...chunk, ciphertext: chunk.ciphertext.subarray(1) } : chunk,
      ),
      'CHUNK_SIZE_INVALID',
      false,
    );
  });

  it('a stream cut before the last chunk: PAYLOAD_TRUNCATED', async () => {
    await expectRefused(
      editFrames((_frame, position) => (position === 9 ? 'stop' : _frame)),
      'PAYLOAD_TRUNCATED',
      false,
    );
  });

  it('an early COMPLETE: PAYLOAD_TRUNCATED', async () => {
    await expectRefused(
      editFrames((frame, position) =>
        position === 4 ? encodePayloadResponse({ type: 'end', code: 'COMPLETE' }) : frame,
      ),
      'PAYLOAD_TRUNCATED',
      false,
    );
  });

  it('a transport that breaks mid-stream: PAYLOAD_TRUNCATED', async () => {
    const breaking: Tamper = async function* (frames) {
      let position = 0;
      for await (const frame of frames) {
        if (position++ === 3) throw new Error('connection reset');
        yield frame;
      }
    };
    await expectRefused(breaking, 'PAYLOAD_TRUNCATED', false);
  });

  it('a frame that is not a protocol message: MESSAGE_INVALID', async () => {
    await expectRefused(
      editFrames((frame, position) => (position === 2 ? Uint8Array.of(0xff, 0x00) : frame)),
      'MESSAGE_INVALID',
      false,
    );
  });

  it('a second header, a chunk before any header, or a header of another transfer: MESSAGE_INVALID', async () => {
    const headerTwice: Tamper = async function* (frames) {
      let first = true;
      for await (const frame of frames) {
        yield frame;
        if (first) yield frame;
        first = false;
      }
    };
    await expectRefused(headerTwice, 'MESSAGE_INVALID', false);
    await expectRefused(
      editFrames((frame, position) => (position === 0 ? undefined : frame)),
      'MESSAGE_INVALID',
      false,
    );
    await expectRefused(
      editFrames((frame) => {
        const message = decodePayloadResponse(frame);
        if (message.type !== 'header') return frame;
        return encodePayloadResponse({ ...message, transferId: sha256(frame) });
      }),
      'MESSAGE_INVALID',
      false,
    );
  });

  it('a header announcing another commitment: PAYLOAD_ROOT_MISMATCH', async () => {
    await expectRefused(
      editFrames((frame) => {
        const message = decodePayloadResponse(frame);
        if (message.type !== 'header') return frame;
        return encodePayloadResponse({ ...message, payload: { ...message.payload, root: sha256(frame) } });
      }),
      'PAYLOAD_ROOT_MISMATCH',
      false,
    );
  });

  it('a payload sealed to another recipient key: DECRYPT_FAILED, permanent', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], {
        chunkBytes: SMALL_CHUNK,
        sealTo: x25519Pair().publicKey,
      });
      const outcome = await deliver(fixture);
      assertFailed(outcome, 'DECRYPT_FAILED', true);
      assert.deepEqual(await listFiles(fixture.inboxDir), []);
    });
  });

  it('a declared digest that does not match the plaintext: DIGEST_MISMATCH, permanent', async () => {
    await expectRefused(undefined, 'DIGEST_MISMATCH', true, (fixture) => ({
      ...fixture,
      expectation: {
        ...fixture.expectation,
        items: fixture.expectation.items.map((item, i) =>
          i === 1 ? { ...item, digest: sha256(item.digest) } : item,
        ),
      },
    }));
  });

  it('a declared item size that does not match the container: ITEM_SIZE_MISMATCH, permanent', async () => {
    await expectRefused(undefined, 'ITEM_SIZE_MISMATCH', true, (fixture) => ({
      ...fixture,
      expectation: {
        ...fixture.expectation,
        items: fixture.expectation.items.map((item, i) =>
          i === 0 ? { ...item, sizeBytes: item.sizeBytes + 1 } : item,
        ),
      },
    }));
  });

  it('a container whose manifest is not canonical CBOR: MANIFEST_INVALID, permanent, found at chunk 0', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [300], { chunkBytes: SMALL_CHUNK });
      const head = encodeContainerHead([300]);
      // The same manifest with a 16-bit map length head: decodable, but not canonical.
      const manifest = head.subarray(4);
      const bloated = Uint8Array.from([
        0,
        0,
        0,
        manifest.byteLength + 2,
        0xb9,
        0x00,
        manifest[0]! & 0x1f,
        ...manifest.subarray(1),
      ]);
      const container = new Uint8Array(bloated.byteLength + 300);
      container.set(bloated);
      const crafted = craftStream(container, fixture.recipient.publicKey, SMALL_CHUNK);
      const expected = { ...fixture.expectation, payload: crafted.payload };
      const receiver = await PayloadReceiver.open(receiverOptions(fixture, { expected }));
      const header = encodePayloadResponse({
        type: 'header',
        transferId: expected.transferId,
        payload: crafted.payload,
      });
      let pulled = 0;
      async function* frames() {
        for (const frame of [header, ...crafted.frames]) {
          pulled++;
          yield frame;
        }
      }
      assertFailed(await receiver.receive(frames()), 'MANIFEST_INVALID', true);
      assert.equal(pulled, 2, 'refused at the first chunk');
      assert.deepEqual(await listFiles(fixture.inboxDir), []);
    });
  });

  it('a container longer than its items: MANIFEST_INVALID, permanent', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [300], { chunkBytes: SMALL_CHUNK });
      const head = encodeContainerHead([300]);
      const container = new Uint8Array(head.byteLength + 301);
      container.set(head);
      const crafted = craftStream(container, fixture.recipient.publicKey, SMALL_CHUNK);
      const expected = { ...fixture.expectation, payload: crafted.payload };
      const header = encodePayloadResponse({
        type: 'header',
        transferId: expected.transferId,
        payload: crafted.payload,
      });
      const receiver = await PayloadReceiver.open(receiverOptions(fixture, { expected }));
      assertFailed(
        await receiver.receive(
          (async function* () {
            yield header;
            yield* crafted.frames;
          })(),
        ),
        'MANIFEST_INVALID',
        true,
      );
      assert.deepEqual(await listFiles(fixture.inboxDir), []);
    });
  });

  it('a declared chunk count that does not fit the byte count: PAYLOAD_LAYOUT_INVALID at open', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
      const payload = { ...fixture.sealed.commitment, chunkCount: fixture.sealed.commitment.chunkCount + 1 };
      const receiver = await PayloadReceiver.open(
        receiverOptions(fixture, { expected: { ...fixture.expectation, payload } }),
      );
      assert.ok(receiver.settled);
      assertFailed(receiver.settled, 'PAYLOAD_LAYOUT_INVALID', true);
    });
  });

  it('the sender refuses before finality: NOT_APPROVED, and sends nothing but the end', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
      const sender = new PayloadSender({ outboxDir: fixture.outboxDir });
      const request = encodePayloadRequest({ transferId: fixture.expectation.transferId, fromChunk: 0 });
      const frames: Uint8Array[] = [];
      for await (const frame of sender.respond(request, () => ({ ok: false, code: 'NOT_APPROVED' }))) {
        frames.push(frame);
      }
      assert.deepEqual(frames.map(decodePayloadResponse), [{ type: 'end', code: 'NOT_APPROVED' }]);
      const outcome = await deliver(fixture, { decide: () => ({ ok: false, code: 'NOT_RECIPIENT' }) });
      assertFailed(outcome, 'NOT_RECIPIENT', false);
    });
  });

  it('an outbox chunk damaged on the sender disk is caught there: PAYLOAD_UNAVAILABLE', async () => {
    const problems: unknown[] = [];
    await expectRefused(undefined, 'PAYLOAD_UNAVAILABLE', false, async (fixture) => {
      const payloadFile = path.join(fixture.sealed.directory, OUTBOX_PAYLOAD_FILE);
      const bytes = await readFile(payloadFile);
      bytes[SMALL_CHUNK * 4]! ^= 0x01;
      await writeFile(payloadFile, bytes);
      return fixture;
    });
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [600], { chunkBytes: SMALL_CHUNK });
      const payloadFile = path.join(fixture.sealed.directory, OUTBOX_PAYLOAD_FILE);
      const bytes = await readFile(payloadFile);
      bytes[SMALL_CHUNK + 20]! ^= 0x01;
      await writeFile(payloadFile, bytes);
      const sender = new PayloadSender({
        outboxDir: fixture.outboxDir,
        onProblem: (error) => problems.push(error),
      });
      assertFailed(await deliver(fixture, { sender }), 'PAYLOAD_UNAVAILABLE', false);
      assert.equal(problems.length, 1);
      assert.ok(isBayledgerError(problems[0], 'DATABASE_CORRUPT'));
    });
  });

  it("refuses to seal with a chunk size outside 1 to the limit as the caller's mistake (USAGE)", async () => {
    await withTempDir(async (dir) => {
      for (const chunkBytes of [0, LIMITS.payloadChunkBytes + 1]) {
        await assert.rejects(sealFixture(dir, [100], { chunkBytes }), (error: unknown) =>
          isBayledgerError(error, 'USAGE'),
        );
      }
    });
  });

  it('an approved transfer whose payload is not in the outbox (deleted, or sealed elsewhere): PAYLOAD_UNAVAILABLE', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [600], { chunkBytes: SMALL_CHUNK });
      const problems: unknown[] = [];
      const sender = new PayloadSender({
        outboxDir: fixture.outboxDir,
        onProblem: (error) => problems.push(error),
      });
      await rm(fixture.sealed.directory, { recursive: true });
      assertFailed(await deliver(fixture, { sender }), 'PAYLOAD_UNAVAILABLE', false);
      assert.equal(problems.length, 1);
      assert.ok(isBayledgerError(problems[0]), String(problems[0]));
    });
  });

  it('an outbox whose commitment, leaves or payload file do not hang together is DATABASE_CORRUPT when opened', async () => {
    const damages: Array<[string, (directory: string) => Promise<void>]> = [
      [
        'a commitment of another layout',
        async (directory) => {
          const file = path.join(directory, OUTBOX_COMMITMENT_FILE);
          const commitment = decodeCanonical(new Uint8Array(await readFile(file))) as Record<string, unknown>;
          await writeFile(
            file,
            encodeCanonical({ ...commitment, chunkBytes: (commitment.chunkBytes as number) * 2 }),
          );
        },
      ],
      [
        'leaves that do not rebuild the root',
        async (directory) => {
          const file = path.join(directory, OUTBOX_LEAVES_FILE);
          const leaves = await readFile(file);
          leaves[0]! ^= 0x01;
          await writeFile(file, leaves);
        },
      ],
      ['leaves cut short', (directory) => truncate(path.join(directory, OUTBOX_LEAVES_FILE), 32)],
      ['a payload file cut short', (directory) => truncate(path.join(directory, OUTBOX_PAYLOAD_FILE), 100)],
    ];
    for (const [what, damage] of damages) {
      await withTempDir(async (dir) => {
        const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
        await damage(fixture.sealed.directory);
        await assert.rejects(
          OutboxPayload.open(fixture.outboxDir, fixture.sealed.commitment.root),
          (error: unknown) => isBayledgerError(error, 'DATABASE_CORRUPT'),
          what,
        );
      });
    }
  });

  it('a request that is not a request, or starts past the end: BAD_REQUEST', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [600], { chunkBytes: SMALL_CHUNK });
      const sender = new PayloadSender({ outboxDir: fixture.outboxDir });
      const collect = async (request: Uint8Array) => {
        const messages = [];
        for await (const frame of sender.respond(request, () => ({
          ok: true,
          payloadRoot: fixture.sealed.commitment.root,
        }))) {
          messages.push(decodePayloadResponse(frame));
        }
        return messages;
      };
      assert.deepEqual(await collect(Uint8Array.of(0xa0)), [{ type: 'end', code: 'BAD_REQUEST' }]);
      const { chunkCount } = fixture.sealed.commitment;
      const past = encodePayloadRequest({
        transferId: fixture.expectation.transferId,
        fromChunk: chunkCount + 1,
      });
      assert.deepEqual(await collect(past), [{ type: 'end', code: 'BAD_REQUEST' }]);
      const atEnd = encodePayloadRequest({
        transferId: fixture.expectation.transferId,
        fromChunk: chunkCount,
      });
      assert.deepEqual(
        (await collect(atEnd)).map((message) => message.type),
        ['header', 'end'],
      );
    });
  });

  it('never reads ahead past the last chunk, where a failed read would be waited for by nobody', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [600], { chunkBytes: SMALL_CHUNK });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        assertDelivered(await deliver(fixture));
        const sender = new PayloadSender({ outboxDir: fixture.outboxDir });
        const atEnd = encodePayloadRequest({
          transferId: fixture.expectation.transferId,
          fromChunk: fixture.sealed.commitment.chunkCount,
        });
        const approved = () => ({ ok: true as const, payloadRoot: fixture.sealed.commitment.root });
        for await (const _ of sender.respond(atEnd, approved));
        // Unhandled rejections are reported once the microtasks have run.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      assert.deepEqual(unhandled, []);
    });
  });
});

describe('payload channel: resumption', () => {
  it('resumes from the last good chunk after an interruption at a random chunk', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [9000, 700], { chunkBytes: SMALL_CHUNK });
      const { chunkCount } = fixture.sealed.commitment;
      const stopAfter = 1 + Math.floor(Math.random() * (chunkCount - 2));
      // Frame 0 is the header, so frame stopAfter + 1 is chunk stopAfter.
      const first = await deliver(fixture, {
        tamper: editFrames((frame, position) => (position === stopAfter + 1 ? 'stop' : frame)),
      });
      assertFailed(first, 'PAYLOAD_TRUNCATED', false);
      assert.equal(first.status === 'failed' && first.nextChunk, stopAfter, `stopped after ${stopAfter}`);
      // A new receiver (as after a restart) asks only for what is missing.
      const resumed = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(resumed.nextChunk, stopAfter);
      // What is left to come, sealed: every chunk from stopAfter on, with its 16-byte tag.
      const { bytes, chunkBytes } = fixture.sealed.commitment;
      assert.equal(resumed.remainingBytes, bytes - stopAfter * (chunkBytes + 16));
      const seen: number[] = [];
      const outcome = await deliver(fixture, {
        receiver: resumed,
        tamper: editChunks((chunk) => {
          seen.push(chunk.index);
          return chunk;
        }),
      });
      assertDelivered(outcome);
      assert.equal(seen[0], stopAfter, 'no chunk sent twice');
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('resumes inside a container head that spans several tiny chunks', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [100, 3, 0, 50], { chunkBytes: 8 });
      const headBytes = encodeContainerHead([100, 3, 0, 50]).byteLength;
      assert.ok(headBytes > 3 * 8, `head of ${headBytes} bytes spans several chunks`);
      // Stop after chunk 1, inside the head; close() checkpoints what arrived.
      assertFailed(
        await deliver(fixture, {
          tamper: editFrames((frame, position) => (position === 3 ? 'stop' : frame)),
        }),
        'PAYLOAD_TRUNCATED',
        false,
      );
      const resumed = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(resumed.nextChunk, 2);
      const outcome = await deliver(fixture, { receiver: resumed });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('resumes after a bad chunk, keeping everything verified before it', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [4000], { chunkBytes: SMALL_CHUNK });
      const outcome = await deliver(fixture, {
        tamper: editChunks((chunk) =>
          chunk.index === 7 ? { ...chunk, ciphertext: flipBit(chunk.ciphertext, 3) } : chunk,
        ),
      });
      assertFailed(outcome, 'CHUNK_PROOF_INVALID', false);
      assert.equal(outcome.status === 'failed' && outcome.nextChunk, 7);
      const retried = await deliver(fixture);
      assertDelivered(retried);
      await assertFiled(fixture, retried.directory);
    });
  });

  it('after a crash, resumes from the last fsynced checkpoint, cutting the bytes that reached the disk past it', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [12_000], { chunkBytes: SMALL_CHUNK });
      assertFailed(
        await deliver(fixture, {
          tamper: editFrames((frame, position) => (position === 40 ? 'stop' : frame)),
        }),
        'PAYLOAD_TRUNCATED',
        false,
      );
      // As if the process died before its last checkpoint: the progress record names fewer chunks
      // than the container holds, plus a torn trailing leaf.
      const partial = partialDirectory(fixture.inboxDir, fixture.expectation.transferId);
      await truncate(path.join(partial, 'leaves.bin'), 16 * 32 + 7);
      const itemFile = path.join(partial, 'files', 'item-00.bin');
      const durableItemBytes = 16 * SMALL_CHUNK - encodeContainerHead([12_000]).byteLength;
      assert.ok((await stat(itemFile)).size > durableItemBytes, 'bytes past the checkpoint reached the disk');
      const resumed = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(resumed.nextChunk, 16);
      // They are written again, so the room they held is given back at once (a resume after a
      // full disk must not count them as room still needed).
      assert.equal((await stat(itemFile)).size, durableItemBytes);
      const outcome = await deliver(fixture, { receiver: resumed });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('a damaged progress record fails the final root check and the transfer starts over', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
      assertFailed(
        await deliver(fixture, {
          tamper: editFrames((frame, position) => (position === 5 ? 'stop' : frame)),
        }),
        'PAYLOAD_TRUNCATED',
        false,
      );
      const leavesFile = path.join(
        partialDirectory(fixture.inboxDir, fixture.expectation.transferId),
        'leaves.bin',
      );
      const leaves = await readFile(leavesFile);
      leaves[0]! ^= 0xff;
      await writeFile(leavesFile, leaves);
      const damaged = await deliver(fixture);
      assertFailed(damaged, 'PAYLOAD_ROOT_MISMATCH', false);
      assert.equal(damaged.status === 'failed' && damaged.nextChunk, 0);
      assert.deepEqual(await filedFiles(fixture.inboxDir), []);
      const fresh = await deliver(fixture);
      assertDelivered(fresh);
      await assertFiled(fixture, fresh.directory);
    });
  });

  it('a recorded container head changed on disk is not blamed on the sender: the transfer starts over', async () => {
    await withTempDir(async (dir) => {
      const sizes = [100, 3, 0, 50];
      const fixture = await sealFixture(dir, sizes, { chunkBytes: 8 });
      const head = encodeContainerHead(sizes);
      // Frame 0 is the header; stop two chunks past the head, so the whole head is recorded.
      const stopAt = Math.ceil(head.byteLength / 8) + 3;
      assertFailed(
        await deliver(fixture, {
          tamper: editFrames((frame, position) => (position === stopAt ? 'stop' : frame)),
        }),
        'PAYLOAD_TRUNCATED',
        false,
      );
      const headFile = path.join(
        partialDirectory(fixture.inboxDir, fixture.expectation.transferId),
        'head.bin',
      );
      assert.deepEqual(new Uint8Array(await readFile(headFile)), head);
      // A head of the same length and total whose item sizes are not the declared ones.
      const changed = encodeContainerHead([100, 3, 1, 49]);
      assert.equal(changed.byteLength, head.byteLength);
      await writeFile(headFile, changed);
      const resumed = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(resumed.settled, undefined, 'no outcome: nothing is refused');
      assert.equal(resumed.nextChunk, 0);
      const outcome = await deliver(fixture, { receiver: resumed });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('a failed receive makes its chunks durable before it returns, so a crash before close loses none', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
      // Fewer chunks than a background checkpoint waits for: only the receive's own one records them.
      const stopAfter = 5;
      assert.ok(stopAfter < LIMITS.payloadCheckpointChunks);
      const receiver = await PayloadReceiver.open(receiverOptions(fixture));
      const sender = new PayloadSender({ outboxDir: fixture.outboxDir });
      const frames = sender.respond(receiver.requestFrame(), approve(fixture));
      const stop = editFrames((frame, position) => (position === stopAfter + 1 ? 'stop' : frame));
      assertFailed(await receiver.receive(stop(frames)), 'PAYLOAD_TRUNCATED', false);
      // As if the process died now, before close(): a new receiver reads only what is on disk.
      const resumed = await PayloadReceiver.open(receiverOptions(fixture));
      assert.equal(resumed.nextChunk, stopAfter);
      await receiver.close();
      const outcome = await deliver(fixture, { receiver: resumed });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('makes every run of checkpoint-many chunks durable while the stream goes on', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [SMALL_CHUNK * 30], { chunkBytes: SMALL_CHUNK });
      const every = LIMITS.payloadCheckpointChunks;
      const leavesFile = path.join(
        partialDirectory(fixture.inboxDir, fixture.expectation.transferId),
        'leaves.bin',
      );
      const durableLeaves = async () =>
        (await readFile(leavesFile).catch(() => new Uint8Array(0))).byteLength / 32;
      // Frame 0 is the header, frame i + 1 chunk i: the stream is held before chunk `every` arrives,
      // with exactly `every` chunks written and nothing asking for a checkpoint but their count.
      const held: Tamper = async function* (frames) {
        let position = 0;
        for await (const frame of frames) {
          if (position++ === every + 1) {
            // Fails the receive (and the test) if the checkpoint has not written them by then.
            await waitFor('the background checkpoint', async () => (await durableLeaves()) === every, {
              timeoutMs: 5_000,
            });
          }
          yield frame;
        }
      };
      const outcome = await deliver(fixture, { tamper: held });
      assertDelivered(outcome);
      await assertFiled(fixture, outcome.directory);
    });
  });

  it('goes on while a checkpoint syncs, and waits for it only past payloadMaxUndurableChunks', async () => {
    await withTempDir(async (dir) => {
      const bound = LIMITS.payloadMaxUndurableChunks;
      assert.ok(bound >= 2 * LIMITS.payloadCheckpointChunks, 'room for a second run while one syncs');
      const chunkCount = bound + 20;
      const fixture = await sealFixture(dir, [SMALL_CHUNK * chunkCount], { chunkBytes: SMALL_CHUNK });
      const leavesFile = path.join(
        partialDirectory(fixture.inboxDir, fixture.expectation.transferId),
        'leaves.bin',
      );
      const durableLeaves = async () =>
        (await readFile(leavesFile).catch(() => new Uint8Array(0))).byteLength / 32;
      const receiver = await PayloadReceiver.open(receiverOptions(fixture));
      // Every fdatasync of the receive (item files, head, leaves) waits until the gate opens, so
      // the first checkpoint stays running while the chunks after it arrive.
      const handle = await open(path.join(dir, 'probe'), 'w');
      const prototype = Object.getPrototypeOf(handle) as { datasync(): Promise<void> };
      await handle.close();
      const datasync = prototype.datasync;
      let openGate: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      prototype.datasync = async function (this: unknown) {
        await gate;
        return datasync.call(this);
      };
      // Frame 0 is the header, frame i + 1 chunk i: the stream asks for chunk i only once chunks
      // 0 to i - 1 are handed to the disk, and it must not ask for another while `bound` of them
      // are not durable.
      const overBound: number[] = [];
      const watched: Tamper = async function* (frames) {
        let position = 0;
        for await (const frame of frames) {
          const chunk = position++ - 1;
          if (chunk >= 0 && chunk - (await durableLeaves()) >= bound) overBound.push(chunk);
          yield frame;
        }
      };
      try {
        const delivering = deliver(fixture, { receiver, tamper: watched });
        // With the first checkpoint's syncs held, the stream still reaches the bound (before, it
        // waited for that checkpoint at the next run of checkpoint-many chunks), and stops there.
        await waitFor('the stream to reach the bound', async () => receiver.nextChunk >= bound, {
          timeoutMs: 5_000,
        });
        assert.equal(receiver.nextChunk, bound);
        assert.equal(await durableLeaves(), 0, 'the first checkpoint is still syncing');
        openGate();
        const outcome = await delivering;
        assertDelivered(outcome);
        await assertFiled(fixture, outcome.directory);
        assert.deepEqual(overBound, [], 'chunks asked for while the bound was not durable');
      } finally {
        prototype.datasync = datasync;
        openGate();
      }
    });
  });

  it('a new declaration for the same transfer id discards progress made for another commitment', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [3000], { chunkBytes: SMALL_CHUNK });
      assertFailed(
        await deliver(fixture, {
          tamper: editFrames((frame, position) => (position === 5 ? 'stop' : frame)),
        }),
        'PAYLOAD_TRUNCATED',
        false,
      );
      const changed = {
        ...fixture.expectation,
        payload: { ...fixture.expectation.payload, ephemeralKey: x25519Pair().publicKey },
      };
      const receiver = await PayloadReceiver.open(receiverOptions(fixture, { expected: changed }));
      assert.equal(receiver.nextChunk, 0);
      await receiver.close();
    });
  });
});
