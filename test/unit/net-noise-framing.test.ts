// Noise's frame reader without a thrown RangeError per socket read (src/node/net/noise-framing.ts):
// the same frames come out of the real LengthPrefixedDecoder however the bytes are cut, the length
// reader is no longer asked to throw at a frame boundary, and real Noise streams get the quiet
// reader and still carry messages both ways.
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { noise } from '@chainsafe/libp2p-noise';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ComponentLogger, MessageStream } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { LengthPrefixedDecoder, multiaddrConnectionPair } from '@libp2p/utils';
import { Uint8ArrayList } from 'uint8arraylist';
import { noiseCrypto } from '../../src/node/net/noise-crypto.js';
import { withoutEmptyBufferThrow, withQuietNoiseFraming } from '../../src/node/net/noise-framing.js';

/** A 2-byte big-endian length reader that throws like Noise's own, counting the throws. */
function countingUint16Reader(): { read: (data: Uint8ArrayList) => number; throws: () => number } {
  let thrown = 0;
  return {
    read: (data) => {
      if (data.byteLength < 2) {
        thrown++;
        throw new RangeError('Could not decode int16BE');
      }
      return data.getUint16(0);
    },
    throws: () => thrown,
  };
}

function framed(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((payload) => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(payload.byteLength);
      return [length, payload];
    }),
  );
}

function decoderWith(read: (data: Uint8ArrayList) => number): LengthPrefixedDecoder {
  return new LengthPrefixedDecoder({
    // Two copies of uint8arraylist's types meet here (ours and @libp2p/utils'); the class is one.
    lengthDecoder: read as never,
    encodingLength: () => 2,
  });
}

/** Feeds `bytes` in `chunkBytes` pieces and returns every frame the decoder yields. */
function decodeInChunks(decoder: LengthPrefixedDecoder, bytes: Buffer, chunkBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < bytes.byteLength; at += chunkBytes) {
    for (const frame of decoder.decode(bytes.subarray(at, at + chunkBytes)))
      frames.push(Buffer.from(frame.subarray()));
  }
  return frames;
}

/** How many of the reads end one byte past the last complete frame (a lone length byte left). */
function readsEndingOneByteAfterAFrame(frames: readonly Uint8Array[], chunkBytes: number): number {
  const boundaries = [0];
  for (const frame of frames) boundaries.push(boundaries.at(-1)! + 2 + frame.byteLength);
  const totalBytes = boundaries.at(-1)!;
  let count = 0;
  for (let end = chunkBytes; end < totalBytes + chunkBytes; end += chunkBytes) {
    const fed = Math.min(end, totalBytes);
    const lastBoundary = Math.max(...boundaries.filter((boundary) => boundary <= fed));
    if (fed - lastBoundary === 1) count++;
  }
  return count;
}

const payloads = [randomBytes(1), randomBytes(300), randomBytes(0), randomBytes(65_535), randomBytes(17)];
// The decoder skips empty frames, as Noise never sends one.
const expected = payloads.filter((payload) => payload.byteLength > 0).map((payload) => Buffer.from(payload));

describe('Noise frame reading without exceptions (noise-framing.ts)', () => {
  it("the library decoder asks its reader once more at the end of a read, and a reader like Noise's throws (why this exists)", () => {
    const reader = countingUint16Reader();
    const frames = decodeInChunks(decoderWith(reader.read), framed(payloads), Number.MAX_SAFE_INTEGER);
    assert.deepEqual(frames, expected);
    assert.equal(reader.throws(), 1, 'one read of whole frames ends in one RangeError');
  });

  it('yields the same frames with no throw when reads end on frame boundaries', () => {
    const reader = countingUint16Reader();
    const decoder = decoderWith(withoutEmptyBufferThrow(reader.read as never) as never);
    const frames: Buffer[] = [];
    for (const payload of payloads) frames.push(...decodeInChunks(decoder, framed([payload]), 1 << 20));
    frames.push(...decodeInChunks(decoder, framed(payloads), 1 << 20));
    assert.deepEqual(frames, [...expected, ...expected]);
    assert.equal(reader.throws(), 0);
  });

  for (const chunkBytes of [1, 2, 3, 299, 4096]) {
    it(`yields the same frames when reads cut frames every ${chunkBytes} bytes`, () => {
      const reader = countingUint16Reader();
      const decoder = decoderWith(withoutEmptyBufferThrow(reader.read as never) as never);
      assert.deepEqual(decodeInChunks(decoder, framed(payloads), chunkBytes), expected);
      // Only a read that leaves a lone length byte still asks the library reader, which throws.
      assert.equal(reader.throws(), readsEndingOneByteAfterAFrame(payloads, chunkBytes));
    });
  }

  it('answers 0 for an empty buffer and passes anything else to the original', () => {
    const seen: number[] = [];
    const read = withoutEmptyBufferThrow((data) => {
      seen.push(data.byteLength);
      return 7;
    });
    assert.equal(read(new Uint8ArrayList()), 0);
    assert.equal(read(new Uint8ArrayList(Uint8Array.of(1))), 7);
    assert.equal(read(new Uint8ArrayList(Uint8Array.of(1, 2, 3))), 7);
    assert.deepEqual(seen, [1, 3]);
  });

  it('gives real Noise streams the quiet reader; they still carry messages both ways', async () => {
    const silent = Object.assign(() => undefined, {
      trace: () => undefined,
      error: () => undefined,
      enabled: false,
      newScope: () => silent,
    });
    const logger = { forComponent: () => silent } as unknown as ComponentLogger;
    const makeEncrypter = async () => {
      const privateKey = await generateKeyPair('Ed25519');
      const peerId = peerIdFromPrivateKey(privateKey);
      const encrypter = withQuietNoiseFraming(noise({ crypto: noiseCrypto }))({
        privateKey,
        peerId,
        logger,
        upgrader: undefined as never,
      });
      return { encrypter, peerId };
    };
    const [initiator, responder] = await Promise.all([makeEncrypter(), makeEncrypter()]);
    const [outboundConnection, inboundConnection] = multiaddrConnectionPair();
    const [outbound, inbound] = await Promise.all([
      initiator.encrypter.secureOutbound(outboundConnection, {
        remotePeer: responder.peerId,
        skipStreamMuxerNegotiation: true,
      }),
      responder.encrypter.secureInbound(inboundConnection, {
        remotePeer: initiator.peerId,
        skipStreamMuxerNegotiation: true,
      }),
    ]);
    for (const secured of [outbound, inbound]) {
      const { decoder } = secured.connection as unknown as {
        decoder: { lengthDecoder: (data: Uint8ArrayList) => number };
      };
      // The library's own reader would throw here.
      assert.equal(decoder.lengthDecoder(new Uint8ArrayList()), 0);
    }
    const messages = [randomBytes(10), randomBytes(70_000), randomBytes(3)];
    const totalBytes = messages.reduce((sum, message) => sum + message.byteLength, 0);
    // A message above Noise's 65,519-byte limit arrives in more than one piece: wait for the bytes.
    const received = (stream: MessageStream): Promise<Buffer> =>
      new Promise((resolve) => {
        const parts: Buffer[] = [];
        let bytes = 0;
        stream.addEventListener('message', (event) => {
          parts.push(Buffer.from(event.data.subarray()));
          bytes += event.data.byteLength;
          if (bytes >= totalBytes) resolve(Buffer.concat(parts));
        });
      });
    const atInbound = received(inbound.connection);
    const atOutbound = received(outbound.connection);
    for (const message of messages) {
      outbound.connection.send(message);
      inbound.connection.send(message);
    }
    assert.deepEqual(await atInbound, Buffer.concat(messages));
    assert.deepEqual(await atOutbound, Buffer.concat(messages));
    await Promise.all([outbound.connection.close(), inbound.connection.close()]);
  });
});
