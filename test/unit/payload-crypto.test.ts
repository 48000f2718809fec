// Payload keys and chunk AEAD (src/node/transfer/payload-crypto.ts) and the chunk layout: the
// key derivation matches an independent HKDF (noble) with the documented explicit parameters,
// and a sealed chunk opens only with the right key, index, chunk count and container size.
import { strict as assert } from 'node:assert';
import type { FileHandle } from 'node:fs/promises';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../../src/core/bytes.js';
import { sha256 as coreSha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { leafHash } from '../../src/core/merkle/index.js';
import { writeAllFully } from '../../src/node/transfer/durable-fs.js';
import {
  AEAD_TAG_BYTES,
  chunkPlaintextBytes,
  chunkSealedBytes,
  layoutForContainer,
  layoutForDeclared,
  type PayloadLayout,
} from '../../src/node/transfer/layout.js';
import {
  chunkNonce,
  deriveRecipientKey,
  deriveSenderKey,
  openChunk,
  sealChunk,
  sealChunkParts,
} from '../../src/node/transfer/payload-crypto.js';
import { PayloadReceiver } from '../../src/node/transfer/receiver.js';
import {
  CHAIN_ID,
  RECIPIENT_ID,
  receiverOptions,
  sealFixture,
  withTempDir,
  x25519Pair,
} from './payload-harness.js';

function layout(containerBytes: number, chunkBytes: number): PayloadLayout {
  const verdict = layoutForContainer(containerBytes, chunkBytes);
  assert.ok(verdict.ok);
  return verdict.layout;
}

describe('payload crypto: keys', () => {
  it('derives the key by HKDF-SHA256 with salt = ephemeral || recipient key and the documented info', () => {
    const recipient = x25519Pair();
    const ephemeralSecret = x25519Pair().secret;
    const ephemeralCopy = Uint8Array.from(ephemeralSecret);
    const context = { chainId: CHAIN_ID, recipientId: RECIPIENT_ID, recipientPublicKey: recipient.publicKey };
    const { payloadKey, ephemeralPublicKey } = deriveSenderKey(ephemeralSecret, context);
    const shared = x25519.getSharedSecret(ephemeralCopy, recipient.publicKey);
    const expected = hkdf(
      sha256,
      shared,
      concatBytes(ephemeralPublicKey, recipient.publicKey),
      utf8(`bayledger/v1/payload/${CHAIN_ID}/${RECIPIENT_ID}`),
      32,
    );
    assert.deepEqual(new Uint8Array(payloadKey.key.export()), expected);
    const recipientKey = deriveRecipientKey(recipient.secret, ephemeralPublicKey, CHAIN_ID, RECIPIENT_ID);
    assert.deepEqual(new Uint8Array(recipientKey.key.export()), expected);
  });

  it('gives another key for another network, recipient id or recipient key', () => {
    const recipient = x25519Pair();
    const context = { chainId: CHAIN_ID, recipientId: RECIPIENT_ID, recipientPublicKey: recipient.publicKey };
    const { payloadKey, ephemeralPublicKey } = deriveSenderKey(x25519Pair().secret, context);
    const shape = layout(1000, 1000);
    const sealed = sealChunk(payloadKey, shape, 0, new Uint8Array(1000).fill(7));
    const opens = (secret: Uint8Array, chainId: string, recipientId: string) =>
      openChunk(deriveRecipientKey(secret, ephemeralPublicKey, chainId, recipientId), shape, 0, sealed) !==
      undefined;
    assert.equal(opens(recipient.secret, CHAIN_ID, RECIPIENT_ID), true);
    assert.equal(opens(recipient.secret, 'other-chain', RECIPIENT_ID), false);
    assert.equal(opens(recipient.secret, CHAIN_ID, 'other-recipient'), false);
    assert.equal(opens(x25519Pair().secret, CHAIN_ID, RECIPIENT_ID), false);
  });

  it('refuses a small-order ephemeral key: PAYLOAD_KEY_INVALID, permanent', async () => {
    assert.throws(
      () => deriveRecipientKey(x25519Pair().secret, new Uint8Array(32), CHAIN_ID, RECIPIENT_ID),
      (error: unknown) => isBayledgerError(error, 'KEY_INVALID'),
    );
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [10]);
      const payload = { ...fixture.expectation.payload, ephemeralKey: new Uint8Array(32) };
      const receiver = await PayloadReceiver.open(
        receiverOptions(fixture, { expected: { ...fixture.expectation, payload } }),
      );
      assert.equal(receiver.settled?.status, 'failed');
      assert.equal(receiver.settled?.status === 'failed' && receiver.settled.reason, 'PAYLOAD_KEY_INVALID');
      assert.equal(receiver.settled?.status === 'failed' && receiver.settled.permanent, true);
    });
  });
});

describe('payload crypto: chunk AEAD', () => {
  const recipient = x25519Pair();
  const { payloadKey } = deriveSenderKey(x25519Pair().secret, {
    chainId: CHAIN_ID,
    recipientId: RECIPIENT_ID,
    recipientPublicKey: recipient.publicKey,
  });

  it('uses the 96-bit big-endian chunk index as nonce', () => {
    assert.deepEqual(chunkNonce(0), new Uint8Array(12));
    assert.deepEqual(chunkNonce(258), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2));
  });

  it('opens a chunk only at its own index, chunk count and container size', () => {
    const shape = layout(4 * 100, 100);
    const plaintext = new Uint8Array(100).fill(9);
    const sealed = sealChunk(payloadKey, shape, 2, plaintext);
    assert.equal(sealed.byteLength, 100 + AEAD_TAG_BYTES);
    assert.deepEqual(openChunk(payloadKey, shape, 2, sealed), plaintext);
    assert.equal(openChunk(payloadKey, shape, 1, sealed), undefined, 'moved to another index');
    assert.equal(openChunk(payloadKey, layout(5 * 100, 100), 2, sealed), undefined, 'stream extended');
    assert.equal(
      openChunk(payloadKey, layout(4 * 100 - 1, 100), 2, sealed),
      undefined,
      'container shortened',
    );
    const flipped = Uint8Array.from(sealed);
    flipped[sealed.byteLength - 1]! ^= 1;
    assert.equal(openChunk(payloadKey, shape, 2, flipped), undefined, 'tag flipped');
    assert.equal(openChunk(payloadKey, shape, 2, sealed.subarray(0, 10)), undefined, 'shorter than a chunk');
  });
});

describe('payload crypto: sealing in parts', () => {
  const { payloadKey } = deriveSenderKey(x25519Pair().secret, {
    chainId: CHAIN_ID,
    recipientId: RECIPIENT_ID,
    recipientPublicKey: x25519Pair().publicKey,
  });

  it('gives the parts of exactly the sealed chunk, and their leaf hash is its leaf hash', () => {
    for (const [size, index] of [
      [1, 0],
      [100, 3],
      [LIMITS.payloadChunkBytes, 1],
    ] as const) {
      const shape = layout(4 * size, size);
      const plaintext = new Uint8Array(size).map((_, i) => (i * 31 + index) & 0xff);
      const parts = sealChunkParts(payloadKey, shape, index, plaintext);
      const whole = sealChunk(payloadKey, shape, index, plaintext);
      assert.deepEqual(concatBytes(...parts), whole);
      assert.deepEqual(coreSha256(new Uint8Array([0]), ...parts), leafHash(whole));
    }
  });

  it('seals a chunk given as consecutive pieces exactly as the same bytes in one buffer', () => {
    const size = 3 * 65_536 + 5_000;
    const shape = layout(2 * size, size);
    const plaintext = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    // Uneven pieces, one larger than a cipher slice and some tiny, as an upload's arrive.
    const cuts = [0, 1, 70_000, 70_003, 140_000, size];
    const pieces = cuts.slice(1).map((end, i) => plaintext.subarray(cuts[i], end));
    const whole = sealChunk(payloadKey, shape, 1, plaintext);
    assert.deepEqual(concatBytes(...sealChunkParts(payloadKey, shape, 1, pieces)), whole);
    assert.throws(
      () => sealChunkParts(payloadKey, shape, 1, pieces.slice(1)),
      /plaintext bytes/,
      'pieces that do not add up to the chunk are refused',
    );
  });

  it('writes parts back to back even when the system writes a few bytes at a time', async () => {
    const target = new Uint8Array(64);
    let calls = 0;
    // A file handle whose writev takes at most 5 bytes per call, cutting across parts.
    const handle = {
      writev: async (buffers: Uint8Array[], position: number) => {
        calls++;
        let written = 0;
        for (const buffer of buffers) {
          const take = Math.min(buffer.byteLength, 5 - written);
          target.set(buffer.subarray(0, take), position + written);
          written += take;
          if (written === 5) break;
        }
        return { bytesWritten: written, buffers };
      },
    } as unknown as FileHandle;
    const parts = [
      new Uint8Array(7).fill(1),
      new Uint8Array(0),
      new Uint8Array(3).fill(2),
      new Uint8Array(9).fill(3),
    ];
    await writeAllFully(handle, parts, 10);
    assert.deepEqual(target.subarray(10, 29), concatBytes(...parts));
    assert.equal(target[9], 0);
    assert.equal(target[29], 0);
    assert.equal(calls, 4);
  });
});

describe('payload layout', () => {
  it('derives chunk count and sealed bytes from the container size', () => {
    assert.deepEqual(layout(1, 256), { chunkBytes: 256, chunkCount: 1, containerBytes: 1, payloadBytes: 17 });
    assert.deepEqual(layout(512, 256), {
      chunkBytes: 256,
      chunkCount: 2,
      containerBytes: 512,
      payloadBytes: 544,
    });
    assert.deepEqual(layout(513, 256), {
      chunkBytes: 256,
      chunkCount: 3,
      containerBytes: 513,
      payloadBytes: 561,
    });
  });

  it('gives each chunk its size, and no size outside the layout', () => {
    const three = layout(513, 256);
    assert.deepEqual(
      [0, 1, 2].map((index) => [chunkPlaintextBytes(three, index), chunkSealedBytes(three, index)]),
      [
        [256, 272],
        [256, 272],
        [1, 17],
      ],
    );
    // Past the last chunk the arithmetic would give 0 or less, which a reader takes as "nothing
    // to read": a read-ahead one chunk too far would go unnoticed. It is a bug, so it throws.
    for (const index of [3, -1, 0.5]) {
      assert.throws(() => chunkPlaintextBytes(three, index), /outside the layout's 3 chunks/);
    }
    assert.throws(() => chunkSealedBytes(layout(512, 256), 2), /outside the layout's 2 chunks/);
  });

  it('accepts a declared layout only when the chunk count is exactly the one the bytes imply', () => {
    assert.ok(layoutForDeclared(561, 256, 3).ok);
    assert.equal(layoutForDeclared(561, 256, 2).ok, false);
    assert.equal(layoutForDeclared(561, 256, 4).ok, false);
    // 2 full sealed chunks and 16 bytes more would be an empty third chunk.
    assert.equal(layoutForDeclared(2 * 272 + 16, 256, 3).ok, false);
    assert.equal(layoutForDeclared(16, 256, 1).ok, false, 'an empty container');
  });

  it('refuses sizes and counts that are not whole numbers, and an empty container', () => {
    for (const chunkBytes of [1.5, Number.NaN, -256]) {
      assert.equal(layoutForContainer(10, chunkBytes).ok, false, `chunk size ${chunkBytes}`);
    }
    for (const containerBytes of [0, 1.5, Number.NaN, -1]) {
      const verdict = layoutForContainer(containerBytes, 256);
      assert.deepEqual(verdict, {
        ok: false,
        reason: `container size ${containerBytes} is not a positive integer`,
      });
    }
    const notCounts = { ok: false, reason: 'payload bytes and chunk count must be non-negative integers' };
    assert.deepEqual(layoutForDeclared(Number.NaN, 256, 1), notCounts);
    assert.deepEqual(layoutForDeclared(17.5, 256, 1), notCounts);
    assert.deepEqual(layoutForDeclared(17, 256, -1), notCounts);
    assert.deepEqual(layoutForDeclared(17, 256, 0.5), notCounts);
    // Zero is a count: a declaration of no bytes in no chunks is refused as an empty container.
    assert.deepEqual(layoutForDeclared(0, 256, 0), {
      ok: false,
      reason: 'container size 0 is not a positive integer',
    });
  });

  it('takes a payload of exactly the byte limit, and not one byte more', () => {
    // 4,096 chunks of 1 MiB less their tags' 64 KiB: sealed, exactly LIMITS.maxPayloadBytes.
    const chunks = LIMITS.maxPayloadBytes / LIMITS.payloadChunkBytes;
    const containerBytes = LIMITS.maxPayloadBytes - chunks * AEAD_TAG_BYTES;
    const exact = layoutForContainer(containerBytes);
    assert.ok(exact.ok);
    assert.deepEqual(exact.layout, {
      chunkBytes: LIMITS.payloadChunkBytes,
      chunkCount: chunks,
      containerBytes,
      payloadBytes: LIMITS.maxPayloadBytes,
    });
    assert.deepEqual(layoutForContainer(containerBytes + 1), {
      ok: false,
      reason: `payload of ${LIMITS.maxPayloadBytes + 1} bytes exceeds ${LIMITS.maxPayloadBytes}`,
    });
  });

  it('refuses chunks larger than a message allows and more chunks than the limit', () => {
    assert.equal(layoutForContainer(10, LIMITS.payloadChunkBytes + 1).ok, false);
    assert.equal(layoutForContainer(10, 0).ok, false);
    assert.equal(layoutForContainer(LIMITS.maxPayloadChunks + 1, 1).ok, false);
    assert.ok(layoutForContainer(LIMITS.maxPayloadChunks, 1).ok);
  });
});
