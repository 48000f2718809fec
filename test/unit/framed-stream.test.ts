import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { createSilentLogger } from '../../src/node/log/index.js';
import { encodeFrame, FrameDecoder } from '../../src/node/net/framing.js';
import { createPeerNetwork, type FramedStream, type PeerNetwork } from '../../src/node/net/index.js';
import { waitFor } from '../helpers/wait.js';

// FramedStream over real libp2p streams (TCP, Noise, Yamux on 127.0.0.1): the read-side pause
// must survive a resume that finds the buffer full again, and a stream that is reset or aborted
// between two frames must read as broken, never as a clean end.
const BULK = '/bayledger-test/framed-bulk/1';
const RESET = '/bayledger-test/framed-reset/1';
const MIB = 1024 * 1024;
/** Frames smaller than yamux's initial 256 KiB window, so one resume can hand the reader several. */
const BULK_FRAME_BYTES = 64 * 1024;
/** Enough to overflow yamux's read buffer limit (2 windows) three times over if pausing failed. */
const BULK_FRAMES = (6 * LIMITS.maxStreamWindowBytes) / BULK_FRAME_BYTES;

function seedOf(index: number): Uint8Array {
  return new Uint8Array(32).fill(90 + index);
}

const peers = ['sender', 'reader'].map((id, index) => ({
  id,
  publicKey: new Ed25519Signer(seedOf(index)).publicKey,
  address: undefined,
}));

function frameOf(index: number, bytes = MIB): Uint8Array {
  const frame = new Uint8Array(bytes).fill(index & 0xff);
  new DataView(frame.buffer).setUint32(0, index);
  return frame;
}

/** Polls until the stream's buffered bytes stop changing for a while (or the stream breaks). */
async function untilNoBytesArrive(stream: FramedStream): Promise<void> {
  const quietMs = 150;
  let last = -1;
  let since = Date.now();
  await waitFor(
    'bytes to stop arriving',
    () => {
      if (stream.stream.status === 'aborted' || stream.stream.status === 'reset') return true;
      const now = Date.now();
      if (stream.stream.readBufferLength !== last) {
        last = stream.stream.readBufferLength;
        since = now;
      }
      return now - since >= quietMs;
    },
    { intervalMs: 2 },
  );
}

describe('framed stream over libp2p: pause, resume and resets', function () {
  this.timeout(60_000);
  const nets: PeerNetwork[] = [];
  let sender: PeerNetwork;
  let reader: PeerNetwork;
  /** The sender's side of the RESET stream, so a test can reset it between frames. */
  let resetSide: FramedStream | undefined;

  before(async () => {
    for (const [index] of peers.entries()) {
      const net = await createPeerNetwork({
        nodeSeed: seedOf(index),
        listenAddress: '/ip4/127.0.0.1/tcp/0',
        peers,
        logger: createSilentLogger(),
      });
      nets.push(net);
    }
    [sender, reader] = nets as [PeerNetwork, PeerNetwork];
    await sender.registerStreamHandler(
      BULK,
      async (_peer, stream) => {
        await stream.read();
        for (let i = 0; i < BULK_FRAMES; i++) await stream.write(frameOf(i, BULK_FRAME_BYTES));
        await stream.closeWrite();
      },
      { maxMessageBytes: 64 },
    );
    await sender.registerStreamHandler(
      RESET,
      async (_peer, stream) => {
        await stream.read();
        await stream.write(frameOf(0));
        resetSide = stream;
      },
      { maxMessageBytes: 64 },
    );
    for (const net of nets) await net.start();
    reader.setPeerAddress('sender', sender.listenAddresses()[0]!.replace(/\/p2p\/.*$/, ''));
  });

  after(async () => {
    await Promise.all(nets.map((net) => net.close()));
  });

  it('a reader that resumes onto a full buffer stays paused: memory bounded, every frame arrives', async () => {
    const stream = await reader.openStream('sender', BULK, {
      maxMessageBytes: BULK_FRAME_BYTES,
      timeoutMs: 10_000,
    });
    await stream.write(new Uint8Array(1));
    await stream.closeWrite();
    // Let the reader fall behind first, so bytes wait in yamux's buffer when it reads.
    await untilNoBytesArrive(stream);
    let stalls = 0;
    for (let expected = 0; ; expected++) {
      const bufferedBefore = stream.stream.readBufferLength;
      const frame = await stream.read({ signal: AbortSignal.timeout(10_000) });
      if (frame === null) {
        assert.equal(expected, BULK_FRAMES, 'the stream ended early');
        break;
      }
      assert.equal(frame.byteLength, BULK_FRAME_BYTES);
      assert.equal(new DataView(frame.buffer, frame.byteOffset).getUint32(0), expected);
      assert.equal(frame[BULK_FRAME_BYTES - 1], expected & 0xff);
      if (stalls < 4 && bufferedBefore > 0 && stream.stream.readBufferLength === 0) {
        // This read resumed the stream, the resume handed the reader the bytes that waited in
        // yamux's buffer (several frames) and the reader paused again inside it. Stop reading
        // until no more bytes arrive. A pause that the resume undid lets the sender go on until
        // yamux's read buffer overflows and it resets the stream; a real one holds it to one window.
        await untilNoBytesArrive(stream);
        // 'closed' is fine: the sender may have finished and closed its side cleanly meanwhile.
        assert.ok(
          stream.stream.status === 'open' || stream.stream.status === 'closed',
          `the stream was ${stream.stream.status} while the reader paused`,
        );
        assert.ok(stream.paused, 'a stalled reader keeps the stream paused');
        assert.ok(
          stream.stream.readBufferLength <= LIMITS.maxStreamWindowBytes,
          `read buffer holds ${stream.stream.readBufferLength} bytes`,
        );
        stalls++;
      }
    }
    assert.ok(stalls >= 4);
  });

  it('a reset between two frames reads as a broken stream, not as a clean end', async () => {
    resetSide = undefined;
    const stream = await reader.openStream('sender', RESET, { maxMessageBytes: MIB, timeoutMs: 10_000 });
    await stream.write(new Uint8Array(1));
    const first = await stream.read({ signal: AbortSignal.timeout(10_000) });
    assert.equal(first?.byteLength, MIB);
    const remote = await waitFor('the sender side', () => resetSide);
    remote.abort('sender crashed');
    await assert.rejects(stream.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) =>
      isBayledgerError(error, 'CLOSED'),
    );
  });

  it('a local abort between two frames reads as a broken stream, not as a clean end', async () => {
    resetSide = undefined;
    const stream = await reader.openStream('sender', RESET, { maxMessageBytes: MIB, timeoutMs: 10_000 });
    await stream.write(new Uint8Array(1));
    assert.equal((await stream.read({ signal: AbortSignal.timeout(10_000) }))?.byteLength, MIB);
    // What yamux does itself when its read buffer overflows.
    stream.stream.abort(new Error('read buffer overflow'));
    await assert.rejects(stream.read(), (error: unknown) => isBayledgerError(error, 'CLOSED'));
    (await waitFor('the sender side', () => resetSide)).abort('done');
  });
});

describe('frame decoder: memory of large frames reused once released', () => {
  /** Feeds `frame` to the decoder in pieces (transport-sized by default); returns what it completes. */
  function feed(decoder: FrameDecoder, payload: Uint8Array, pieceBytes = 65_519): Uint8Array[] {
    const framed = encodeFrame(payload);
    const out: Uint8Array[] = [];
    for (let offset = 0; offset < framed.byteLength; offset += pieceBytes) {
      decoder.push(framed.subarray(offset, offset + pieceBytes), out);
    }
    return out;
  }

  it('assembles the next large frame in a released one, with the right bytes', () => {
    const decoder = new FrameDecoder(2 * MIB);
    const [first] = feed(decoder, frameOf(1));
    assert.ok(first !== undefined);
    decoder.recycle(first);
    const shorter = frameOf(2).subarray(0, MIB - 1000);
    const [second] = feed(decoder, shorter);
    assert.equal(second!.buffer, first.buffer, 'same memory');
    assert.deepEqual(second, shorter);
    // Not released: the next frame gets new memory, and the held frame keeps its bytes.
    const [third] = feed(decoder, frameOf(3));
    assert.notEqual(third!.buffer, second!.buffer);
    assert.deepEqual(second, shorter);
  });

  it('keeps several released frames, so a reader holding a few frames still reuses all of them', () => {
    const decoder = new FrameDecoder(2 * MIB);
    const kept = LIMITS.maxRecycledFramesPerStream;
    const held = Array.from({ length: kept + 1 }, (_, i) => feed(decoder, frameOf(10 + i))[0]!);
    assert.equal(
      new Set(held.map((frame) => frame.buffer)).size,
      kept + 1,
      'frames held at once: own memory',
    );
    for (const frame of held) decoder.recycle(frame);
    const next = Array.from({ length: kept + 1 }, (_, i) => feed(decoder, frameOf(20 + i))[0]!);
    const reused = next.filter((frame) => held.some((old) => old.buffer === frame.buffer));
    assert.equal(reused.length, kept, 'as many as the limit come from released memory');
    assert.equal(new Set(next.map((frame) => frame.buffer)).size, kept + 1, 'never two frames in one buffer');
    for (const [i, frame] of next.entries()) assert.deepEqual(frame, frameOf(20 + i));
  });

  it('reuses a frame handed back twice only once', () => {
    const decoder = new FrameDecoder(2 * MIB);
    const [first] = feed(decoder, frameOf(1));
    decoder.recycle(first!);
    decoder.recycle(first!);
    const [second] = feed(decoder, frameOf(2));
    const [third] = feed(decoder, frameOf(3));
    assert.equal(second!.buffer, first!.buffer);
    assert.notEqual(third!.buffer, second!.buffer);
    assert.deepEqual(second, frameOf(2));
  });

  it('recycles from exactly 64 KiB, and not a smaller frame it assembled from pieces', () => {
    const decoder = new FrameDecoder(2 * MIB);
    // Pieces of 100 bytes: even a small frame is assembled in memory of the decoder's own.
    const inPieces = (payload: Uint8Array) => feed(decoder, payload, 100)[0]!;
    const small = inPieces(new Uint8Array(1000).fill(1));
    assert.equal(small.byteOffset, 0, 'assembled in memory of its own');
    decoder.recycle(small);
    const nextSmall = inPieces(new Uint8Array(1000).fill(2));
    assert.notEqual(nextSmall.buffer, small.buffer, 'a frame under 64 KiB is not kept for reuse');
    assert.ok(
      small.every((byte) => byte === 1),
      'and its bytes are left alone',
    );
    const exact = inPieces(new Uint8Array(64 * 1024).fill(3));
    decoder.recycle(exact);
    const nextExact = inPieces(new Uint8Array(64 * 1024).fill(4));
    assert.equal(nextExact.buffer, exact.buffer, 'a frame of exactly 64 KiB is reused');
  });

  it('ignores frames it did not allocate: small ones (views of the transport) and foreign ones', () => {
    const decoder = new FrameDecoder(2 * MIB);
    const transport = encodeFrame(new Uint8Array(100).fill(5));
    const [small] = decoder.push(transport);
    assert.equal(small!.buffer, transport.buffer, 'a small whole frame is a view, not a copy');
    decoder.recycle(small!);
    decoder.recycle(new Uint8Array(2 * MIB));
    const [large] = feed(decoder, frameOf(4));
    assert.notEqual(large!.buffer, transport.buffer);
    assert.deepEqual(transport, encodeFrame(new Uint8Array(100).fill(5)), 'the transport bytes untouched');
  });
});
