import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/index.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { batchEntryBytes, cborHeadBytes } from '../../src/node/net/batch.js';
import { varintLength } from '../../src/node/net/framing.js';
import {
  decodeBatch,
  encodeBatch,
  encodeFrame,
  FrameDecoder,
  maxBatchFrameBytes,
  SendQueue,
} from '../../src/node/net/index.js';
import {
  decodeResponse,
  encodeErrorResponse,
  encodeOkResponse,
  maxResponseFrameBytes,
  RemoteError,
} from '../../src/node/net/response-envelope.js';

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    parts.push(bytes.subarray(start, point));
    start = point;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

describe('net framing: varint length prefix', () => {
  it('round-trips any frames however the transport splits the bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const wire = Buffer.concat(payloads.map((payload) => encodeFrame(payload)));
          const decoder = new FrameDecoder(1024);
          const frames: Uint8Array[] = [];
          for (const part of splitAt(new Uint8Array(wire), cuts)) decoder.push(part, frames);
          assert.deepEqual(
            frames.map((frame) => Buffer.from(frame).toString('hex')),
            payloads.map((payload) => Buffer.from(payload).toString('hex')),
          );
          assert.ok(decoder.idle);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses the multiformats unsigned varint (LEB128) for lengths', () => {
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0]);
    assert.deepEqual([...encodeFrame(new Uint8Array(300)).subarray(0, 2)], [0xac, 0x02]);
    assert.equal(encodeFrame(new Uint8Array(127)).byteLength, 128);
    assert.equal(encodeFrame(new Uint8Array(128)).byteLength, 130);
    // Each length where the varint gains a byte, and the one below it, written and read back.
    for (const [size, head] of [
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [16_383, [0xff, 0x7f]],
      [16_384, [0x80, 0x80, 0x01]],
    ] as const) {
      const frame = encodeFrame(new Uint8Array(size).fill(7));
      assert.deepEqual([...frame.subarray(0, head.length)], head, `length ${size}`);
      const decoded = new FrameDecoder(20_000).push(frame);
      assert.equal(decoded.length, 1);
      assert.equal(decoded[0]!.byteLength, size);
    }
  });

  it('is idle only between frames, not inside a length prefix or a body', () => {
    const decoder = new FrameDecoder(1024);
    assert.equal(decoder.idle, true);
    const frame = encodeFrame(new Uint8Array(200));
    decoder.push(frame.subarray(0, 1));
    assert.equal(decoder.idle, false, 'half a length prefix');
    decoder.push(frame.subarray(1, 5));
    assert.equal(decoder.idle, false, 'part of a body');
    assert.equal(decoder.push(frame.subarray(5)).length, 1);
    assert.equal(decoder.idle, true);
  });

  it('refuses a frame over the limit on its length prefix alone', () => {
    const decoder = new FrameDecoder(1000);
    // 1001 announced, only the prefix delivered: refused before any body byte arrives.
    assert.throws(
      () => decoder.push(encodeFrame(new Uint8Array(1001)).subarray(0, 2)),
      (error) => isBayledgerError(error, 'MESSAGE_TOO_LARGE'),
    );
    // A huge announcement split byte by byte is refused as soon as it passes the limit.
    const huge = new FrameDecoder(1000);
    assert.throws(
      () => {
        for (const byte of [0x80, 0x80, 0x80, 0x40]) huge.push(new Uint8Array([byte]));
      },
      (error) => isBayledgerError(error, 'MESSAGE_TOO_LARGE'),
    );
  });

  it('refuses an oversize frame that arrives whole in one chunk, and takes one of exactly the limit', () => {
    assert.throws(
      () => new FrameDecoder(1000).push(encodeFrame(new Uint8Array(1001))),
      (error) => isBayledgerError(error, 'MESSAGE_TOO_LARGE'),
    );
    const [exact] = new FrameDecoder(1000).push(encodeFrame(new Uint8Array(1000).fill(9)));
    assert.equal(exact!.byteLength, 1000);
  });

  it('refuses non-minimal and overlong length prefixes', () => {
    assert.throws(
      () => new FrameDecoder(1000).push(new Uint8Array([0x81, 0x00, 0x01])),
      (error) => isBayledgerError(error, 'FRAME_MALFORMED'),
    );
    assert.throws(
      () => new FrameDecoder(Number.MAX_SAFE_INTEGER).push(new Uint8Array(9).fill(0x80)),
      (error) => isBayledgerError(error, 'FRAME_MALFORMED'),
    );
    // Eight continuation bytes are the most a prefix may have: a ninth byte is refused as such,
    // even when it would end the prefix.
    assert.throws(
      () => new FrameDecoder(Number.MAX_SAFE_INTEGER).push(Uint8Array.of(...new Array(8).fill(0x80), 0x01)),
      (error) => isBayledgerError(error, 'FRAME_MALFORMED') && /too long/.test((error as Error).message),
    );
  });
});

describe('net batches', () => {
  it('round-trip as a canonical CBOR array of byte strings', () => {
    const messages = [new Uint8Array([1]), new Uint8Array(300).fill(2), new Uint8Array(0)];
    const encoded = encodeBatch(messages);
    assert.deepEqual(encoded, encodeCanonical(messages));
    assert.deepEqual(decodeBatch(encoded, 1024), messages);
  });

  it('encode exactly as encodeCanonical, for every size of head', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.uint8Array({ minLength: 250, maxLength: 300 })),
          { minLength: 1, maxLength: 40 },
        ),
        (messages) => {
          assert.deepEqual(encodeBatch(messages), encodeCanonical(messages));
        },
      ),
      { numRuns: 200 },
    );
    for (const size of [23, 24, 255, 256, 65_535, 65_536, 70_000]) {
      const messages = [new Uint8Array(size).fill(5)];
      assert.deepEqual(encodeBatch(messages), encodeCanonical(messages), `size ${size}`);
    }
    const many = Array.from({ length: 300 }, (_, i) => new Uint8Array([i & 0xff]));
    assert.deepEqual(encodeBatch(many), encodeCanonical(many));
  });

  it('decode exactly what decodeCanonical accepts as a batch, on arbitrary bytes', () => {
    const asBatch = (value: unknown): Uint8Array[] | undefined =>
      Array.isArray(value) && value.length > 0 && value.every((item) => item instanceof Uint8Array)
        ? (value as Uint8Array[])
        : undefined;
    const outcome = (decode: () => unknown) => {
      try {
        return { value: decode() };
      } catch (error) {
        return { code: isBayledgerError(error) ? error.code : 'other' };
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 5 }).map((messages) => {
            const bytes = encodeCanonical(messages);
            return bytes;
          }),
          fc
            .tuple(
              fc.array(fc.uint8Array({ maxLength: 30 }), { minLength: 1, maxLength: 5 }),
              fc.nat(),
              fc.nat(255),
            )
            .map(([messages, index, byte]) => {
              const bytes = encodeCanonical(messages);
              bytes[index % bytes.byteLength] = byte;
              return bytes;
            }),
        ),
        (bytes) => {
          const ours = outcome(() => decodeBatch(bytes, 1024));
          const reference = outcome(() => decodeCanonical(bytes));
          const referenceBatch = 'value' in reference ? asBatch(reference.value) : undefined;
          if ('value' in ours) {
            assert.deepEqual(ours.value, referenceBatch, 'decodeCanonical agrees with an accepted batch');
          } else {
            assert.equal(
              referenceBatch,
              undefined,
              `refused (${ours.code}) what decodeCanonical reads as a batch`,
            );
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decode lengths at each head-size boundary, and name what is wrong with a bad head', () => {
    const messages = [24, 255, 256, 65_535, 65_536, 70_000].map((size) =>
      new Uint8Array(size).fill(size % 251),
    );
    assert.deepEqual(
      decodeBatch(encodeBatch(messages), 100_000).map((message) => message.byteLength),
      [24, 255, 256, 65_535, 65_536, 70_000],
    );
    assert.equal(cborHeadBytes(0xffff_ffff), 5);
    assert.equal(cborHeadBytes(0x1_0000_0000), 9);
    const refusals: [number[], string, RegExp][] = [
      [[0x81], 'CBOR_MALFORMED', /input ends inside an item/],
      [[0x81, 0x59, 0x01], 'CBOR_MALFORMED', /input ends inside a head/],
      [[0x81, 0x58, 0x18], 'CBOR_MALFORMED', /input ends inside a byte string/],
      [[0x9f, 0x41, 0x00, 0xff], 'CBOR_NON_CANONICAL', /indefinite length/],
      [[0x81, 0x5f, 0x41, 0x00, 0xff], 'CBOR_NON_CANONICAL', /indefinite length/],
      [[0xbf, 0xff], 'CBOR_NON_CANONICAL', /indefinite length/],
      [[0x1f], 'CBOR_MALFORMED', /reserved additional information 31/],
      [[0x81, 0x5b, 0, 0, 0, 1, 0, 0, 0, 0], 'CBOR_TOO_LARGE', /2\^32 or more/],
    ];
    for (const [bytes, code, message] of refusals) {
      assert.throws(
        () => decodeBatch(Uint8Array.from(bytes), 100_000),
        (error) => isBayledgerError(error, code as never) && message.test((error as Error).message),
        bytes.join(','),
      );
    }
  });

  it('refuse anything but 1 to maxBatchMessages byte strings within the message limit', () => {
    const code = (bytes: Uint8Array, limit = 1024) => {
      try {
        decodeBatch(bytes, limit);
        return 'accepted';
      } catch (error) {
        return isBayledgerError(error) ? error.code : 'other';
      }
    };
    assert.equal(code(encodeCanonical([])), 'SCHEMA_INVALID');
    assert.equal(code(encodeCanonical(['text'])), 'SCHEMA_INVALID');
    assert.equal(code(encodeCanonical({ a: new Uint8Array(1) })), 'SCHEMA_INVALID');
    assert.equal(code(encodeCanonical([new Uint8Array(2000)])), 'MESSAGE_TOO_LARGE');
    assert.equal(
      code(encodeCanonical(Array.from({ length: LIMITS.maxBatchMessages + 1 }, () => new Uint8Array(0)))),
      'SCHEMA_INVALID',
    );
    // Exactly the limits: maxBatchMessages messages, a message of the message limit.
    assert.equal(
      code(encodeCanonical(Array.from({ length: LIMITS.maxBatchMessages }, () => new Uint8Array(0)))),
      'accepted',
    );
    assert.equal(code(encodeCanonical([new Uint8Array(1024)])), 'accepted');
    // The whole frame's bound: a batch of exactly maxBatchFrameBytes is taken, one byte more is not.
    const limit = maxBatchFrameBytes(1024);
    const full = Array.from({ length: 255 }, () => new Uint8Array(1024));
    const lastSize = Array.from({ length: 1025 }, (_, size) => size).find(
      (size) => encodeBatch([...full, new Uint8Array(size)]).byteLength === limit,
    );
    assert.ok(lastSize !== undefined);
    assert.equal(code(encodeBatch([...full, new Uint8Array(lastSize)])), 'accepted');
    assert.equal(code(encodeBatch([...full, new Uint8Array(lastSize + 1)])), 'CBOR_TOO_LARGE');
    assert.equal(code(new Uint8Array([0xff])), 'CBOR_MALFORMED');
    // Non-canonical: an array whose length uses a longer head than needed.
    assert.equal(code(new Uint8Array([0x98, 0x01, 0x41, 0x00])), 'CBOR_NON_CANONICAL');
  });

  it('a batch of the largest size the sender builds fits the receiver frame limit', () => {
    const queue = new SendQueue(100_000, 100 * 1024 * 1024);
    for (let i = 0; i < 5000; i++) queue.push(new Uint8Array(i % 700));
    for (let batch = queue.takeBatch(LIMITS.maxBatchMessages, LIMITS.maxBatchBytes); batch.length > 0; ) {
      const frame = encodeFrame(encodeBatch(batch));
      assert.ok(frame.byteLength <= maxBatchFrameBytes(1024), `${frame.byteLength}`);
      assert.ok(encodeBatch(batch).byteLength <= LIMITS.maxBatchBytes);
      batch = queue.takeBatch(LIMITS.maxBatchMessages, LIMITS.maxBatchBytes);
    }
    // One message at the protocol limit travels alone and still fits.
    const oneMiB = new Uint8Array(1024 * 1024);
    assert.ok(encodeFrame(encodeBatch([oneMiB])).byteLength <= maxBatchFrameBytes(oneMiB.byteLength));
    const largest = LIMITS.maxMessageBytes;
    const largestBody = 1 + cborHeadBytes(largest) + largest;
    assert.ok(varintLength(largestBody) + largestBody <= maxBatchFrameBytes(largest));
  });
});

describe('net request answers', () => {
  it('carry the handler bytes, or an error code the caller gets as RemoteError', () => {
    assert.deepEqual(
      decodeResponse(encodeOkResponse(new Uint8Array([7, 8])), 10, 'x'),
      new Uint8Array([7, 8]),
    );
    assert.throws(
      () => decodeResponse(encodeErrorResponse('NOT_FOUND', 'no block 9'), 10, 'x'),
      (error) =>
        error instanceof RemoteError &&
        error.remoteCode === 'NOT_FOUND' &&
        isBayledgerError(error, 'REMOTE_ERROR'),
    );
    // An error answer always fits the caller's frame limit, however small its body limit.
    assert.ok(encodeErrorResponse('NOT_FOUND', 'x'.repeat(5000)).byteLength <= maxResponseFrameBytes(1));
    // An ok answer of exactly the body limit fits, and so does its frame (one status byte more).
    const full = encodeOkResponse(new Uint8Array(1_000_000).fill(3));
    assert.equal(decodeResponse(full, 1_000_000, 'x').byteLength, 1_000_000);
    assert.equal(maxResponseFrameBytes(1_000_000), full.byteLength);
    assert.throws(
      () => decodeResponse(full, 999_999, 'x'),
      (error) => isBayledgerError(error, 'MESSAGE_TOO_LARGE'),
    );
  });

  it("refuse garbage and bodies over the limit as the peer's fault", () => {
    const code = (frame: Uint8Array) => {
      try {
        decodeResponse(frame, 4, 'x');
        return 'accepted';
      } catch (error) {
        return isBayledgerError(error) ? error.code : 'other';
      }
    };
    assert.equal(code(new Uint8Array(0)), 'SCHEMA_INVALID');
    assert.equal(code(new Uint8Array([9, 1])), 'SCHEMA_INVALID');
    assert.equal(code(encodeOkResponse(new Uint8Array(5))), 'MESSAGE_TOO_LARGE');
    assert.equal(code(new Uint8Array([1, 0xff])), 'CBOR_MALFORMED');
    assert.equal(
      code(new Uint8Array([1, ...encodeCanonical({ code: 'lower case', message: 'm' })])),
      'SCHEMA_INVALID',
    );
  });
});

describe('net send queue (drop-oldest)', () => {
  it('drops the oldest messages when full by count or bytes', () => {
    const queue = new SendQueue(3, 100);
    for (let i = 0; i < 3; i++) assert.equal(queue.push(new Uint8Array([i])), 0);
    assert.equal(queue.push(new Uint8Array([3])), 1);
    assert.deepEqual(
      queue.takeBatch(10, 1000).map((m) => m[0]),
      [1, 2, 3],
    );
    queue.push(new Uint8Array(60));
    assert.equal(queue.push(new Uint8Array(60)), 1);
    assert.equal(queue.length, 1);
    // One message over the byte bound is still accepted on its own.
    assert.equal(queue.push(new Uint8Array(500)), 1);
    assert.equal(queue.length, 1);
    assert.equal(queue.bytes, 500);
  });

  it('keeps messages that fill the byte bound exactly, and drops at one byte past it', () => {
    const queue = new SendQueue(10, 100);
    assert.equal(queue.push(new Uint8Array(40)), 0);
    assert.equal(queue.push(new Uint8Array(60)), 0);
    assert.deepEqual([queue.length, queue.bytes], [2, 100]);
    assert.equal(queue.push(new Uint8Array(1)), 1);
    assert.deepEqual([queue.length, queue.bytes], [2, 61]);
  });

  it('keeps its order and byte count across the compaction of a long-drained front', () => {
    const queue = new SendQueue(5_000, 10_000_000);
    for (let i = 0; i < 3_000; i++) queue.push(new Uint8Array([i % 256, i >> 8]));
    const taken = queue.takeBatch(2_000, 10_000_000);
    assert.equal(taken.length, 2_000);
    queue.restore(taken.slice(1_990));
    const rest = queue.takeBatch(5_000, 10_000_000).map((m) => m[0]! + m[1]! * 256);
    assert.deepEqual(
      rest,
      Array.from({ length: 1_010 }, (_, i) => 1_990 + i),
    );
    assert.deepEqual([queue.length, queue.bytes], [0, 0]);
  });

  it('takes batches bounded by count and encoded bytes, at least one message, in order', () => {
    const queue = new SendQueue(10_000, 10_000_000);
    for (let i = 0; i < 2500; i++) queue.push(new Uint8Array([i & 0xff, i >> 8]));
    const first = queue.takeBatch(1000, 1_000_000);
    assert.equal(first.length, 1000);
    const second = queue.takeBatch(1000, 9 + 10 * batchEntryBytes(new Uint8Array(2)));
    assert.equal(second.length, 10);
    assert.deepEqual([...second[0]!], [1000 & 0xff, 1000 >> 8]);
    queue.restore(second);
    assert.equal(queue.length, 1500);
    assert.deepEqual([...queue.takeBatch(1, 1)[0]!], [1000 & 0xff, 1000 >> 8]);
  });
});
