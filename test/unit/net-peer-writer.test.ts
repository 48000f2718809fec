// The per-peer sender (src/node/net/peer-writer.ts). Its bounded queue: while its peer is away,
// messages wait up to the queue bound and then push out the oldest; every drop is counted, and
// the log says so on the first drop and once per thousand after it, never once per message. Its
// scheduling: what one turn enqueues leaves as one batch frame on one long-lived stream, a full
// write buffer holds the next frame back, and a failed send or open is retried on a new stream
// with the batch kept and the failures counted.
import { strict as assert } from 'node:assert';
import '../../src/polyfill.js';
import type { Stream } from '@libp2p/interface';
import { LIMITS } from '../../src/core/limits.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { decodeBatch } from '../../src/node/net/batch.js';
import { FrameDecoder } from '../../src/node/net/framing.js';
import { PeerWriter } from '../../src/node/net/peer-writer.js';
import { waitFor } from '../helpers/wait.js';

describe('peer writer: a full queue while the peer is away', () => {
  it('drops the oldest past the bound, counts every drop, and logs the first and each thousandth', () => {
    const { logger, lines } = createMemoryLogger('warn');
    let dropped = 0;
    const writer = new PeerWriter({
      logger,
      isConnected: () => false,
      openStream: () => Promise.reject(new Error('the peer is away')),
      retryDelayMs: () => 60_000,
      onSent: () => assert.fail('nothing can be sent'),
      onDropped: (messages) => {
        dropped += messages;
      },
    });
    try {
      const message = Uint8Array.of(1);
      const outcomes = new Map<string, number>();
      const extra = 2_500;
      for (let i = 0; i < LIMITS.maxSendQueueMessages + extra; i++) {
        const outcome = writer.enqueue(message);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries(outcomes), {
        queued: LIMITS.maxSendQueueMessages,
        'queued-dropped-oldest': extra,
      });
      assert.equal(writer.queued, LIMITS.maxSendQueueMessages);
      assert.equal(dropped, extra);
      assert.deepEqual(
        lines.map((line) => line.droppedTotal),
        [1, 1_000, 2_000],
      );
    } finally {
      writer.close();
    }
  });
});

/**
 * A stand-in for one libp2p stream: what the writer uses of it (send, its write buffer and status,
 * 'drain' and 'close'), recording each frame sent. The real streams are end-to-end tested in
 * test/e2e/net.test.ts; this one lets a test hold the buffer full, fail a send or close the
 * stream at an exact point.
 */
class StandInStream extends EventTarget {
  readonly protocol = '/bayledger/test/1';
  writeBufferLength = 0;
  writeStatus = 'writable';
  readonly frames: Uint8Array[] = [];
  /** Throws from the next send when set, as a stream that closed underneath does. */
  failNextSend = false;
  /** The write buffer length a send leaves behind (above the bound: the writer must wait). */
  bufferAfterSend = 0;

  send(data: Uint8Array): boolean {
    if (this.failNextSend) {
      this.failNextSend = false;
      throw new Error('stream reset');
    }
    this.frames.push(data);
    this.writeBufferLength = this.bufferAfterSend;
    return this.writeBufferLength === 0;
  }

  /** Every message of every frame sent, as numbers (each test message is one byte). */
  messages(): number[][] {
    return this.frames.map((frame) => {
      const [body] = new FrameDecoder(LIMITS.maxBatchBytes * 2).push(frame);
      return decodeBatch(body, LIMITS.maxBatchBytes).map((message) => message[0]);
    });
  }

  drain(): void {
    this.writeBufferLength = 0;
    this.dispatchEvent(new Event('drain'));
  }

  close(): void {
    this.writeStatus = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

/** Lets the writer's setImmediate flush and the promise steps after it run. */
async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Rig {
  readonly writer: PeerWriter;
  readonly streams: StandInStream[];
  readonly retryFailures: number[];
  sent: number;
  connected: boolean;
  /** How many of the next opens reject. */
  refuseOpens: number;
  /** Opens asked for so far (answered or not). */
  opensStarted: number;
  /** When set, each open waits for it before answering. */
  openGate?: Promise<void>;
  /** Per failure count, the retry delay the writer is given (default 1 ms). */
  retryDelays: Map<number, number>;
  /** Called on each new stream before the writer gets it. */
  onOpen?: (stream: StandInStream) => void;
}

function writerRig(): Rig {
  const state: Omit<Rig, 'writer'> = {
    streams: [],
    retryFailures: [],
    sent: 0,
    connected: true,
    refuseOpens: 0,
    opensStarted: 0,
    retryDelays: new Map(),
  };
  const writer = new PeerWriter({
    logger: createMemoryLogger('error').logger,
    isConnected: () => state.connected,
    openStream: async () => {
      state.opensStarted++;
      await state.openGate;
      if (state.refuseOpens > 0) {
        state.refuseOpens--;
        throw new Error('the peer refused the stream');
      }
      const stream = new StandInStream();
      state.onOpen?.(stream);
      state.streams.push(stream);
      return stream as unknown as Stream;
    },
    retryDelayMs: (failures) => {
      state.retryFailures.push(failures);
      return state.retryDelays.get(failures) ?? 1;
    },
    onSent: (messages) => {
      state.sent += messages;
    },
    onDropped: () => assert.fail('nothing is dropped under the bound'),
  });
  // The same object the writer's callbacks read, so a test's changes to it reach the writer.
  return Object.assign(state, { writer });
}

const byte = (value: number): Uint8Array => Uint8Array.of(value);

/** Timers alive in this process now; read twice in one synchronous step, the difference is exact. */
const activeTimeouts = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('peer writer: one stream, batches, back-pressure and retries', () => {
  it('sends what one turn enqueued as one batch frame, and reuses the stream for the next', async () => {
    const rig = writerRig();
    try {
      for (const value of [1, 2, 3]) assert.equal(rig.writer.enqueue(byte(value)), 'queued');
      await waitFor('the first frame', () => rig.sent === 3);
      rig.writer.enqueue(byte(4));
      rig.writer.enqueue(byte(5));
      await waitFor('the second frame', () => rig.sent === 5);
      assert.equal(rig.streams.length, 1, 'one stream for both frames');
      assert.deepEqual(rig.streams[0].messages(), [
        [1, 2, 3],
        [4, 5],
      ]);
      assert.equal(rig.writer.queued, 0);
    } finally {
      rig.writer.close();
    }
  });

  it('opens nothing while the peer is away, and sends the queue once it connects', async () => {
    const rig = writerRig();
    rig.connected = false;
    try {
      rig.writer.enqueue(byte(1));
      rig.writer.enqueue(byte(2));
      await turns();
      assert.equal(rig.streams.length, 0);
      assert.equal(rig.writer.queued, 2);
      rig.connected = true;
      rig.writer.onConnected();
      await waitFor('the queue sent', () => rig.sent === 2);
      assert.deepEqual(rig.streams[0].messages(), [[1, 2]]);
    } finally {
      rig.writer.close();
    }
  });

  it('waits while the write buffer is over its bound, then sends what queued meanwhile in one frame', async () => {
    const rig = writerRig();
    rig.onOpen = (stream) => {
      stream.bufferAfterSend = LIMITS.maxStreamWriteBufferBytes + 1;
    };
    try {
      rig.writer.enqueue(byte(1));
      await waitFor('the first frame', () => rig.sent === 1);
      rig.writer.enqueue(byte(2));
      rig.writer.enqueue(byte(3));
      await turns();
      assert.equal(rig.streams[0].frames.length, 1, 'nothing more is sent into a full buffer');
      rig.streams[0].bufferAfterSend = 0;
      rig.streams[0].drain();
      await waitFor('the second frame', () => rig.sent === 3);
      assert.deepEqual(rig.streams[0].messages(), [[1], [2, 3]]);
    } finally {
      rig.writer.close();
    }
  });

  it('keeps a batch whose send threw and sends it, in order, on a new stream after the retry delay', async () => {
    const rig = writerRig();
    rig.onOpen = (stream) => {
      stream.failNextSend = rig.streams.length === 0;
    };
    try {
      rig.writer.enqueue(byte(1));
      rig.writer.enqueue(byte(2));
      await waitFor('the batch on a second stream', () => rig.sent === 2);
      assert.equal(rig.streams.length, 2);
      assert.deepEqual(rig.streams[0].messages(), []);
      assert.deepEqual(rig.retryFailures, [1]);
      // The failed stream's close event comes late, after its replacement is in use: it must not
      // take the replacement with it.
      rig.streams[0].close();
      rig.writer.enqueue(byte(3));
      await waitFor('the third message', () => rig.sent === 3);
      assert.equal(rig.streams.length, 2, 'the second stream is kept');
      assert.deepEqual(rig.streams[1].messages(), [[1, 2], [3]]);
      // A send that got through reset the failure count: the next failure is the first again.
      rig.streams[1].failNextSend = true;
      rig.writer.enqueue(byte(4));
      await waitFor('the fourth message on a third stream', () => rig.sent === 4);
      assert.deepEqual(rig.retryFailures, [1, 1]);
      assert.deepEqual(rig.streams[2].messages(), [[4]]);
    } finally {
      rig.writer.close();
    }
  });

  it('counts failed opens up, holds new messages during the wait, and retries at once on a reconnection', async () => {
    const rig = writerRig();
    rig.refuseOpens = 3;
    rig.retryDelays.set(2, 60_000);
    try {
      rig.writer.enqueue(byte(7));
      await waitFor('two failed opens', () => rig.retryFailures.length === 2);
      assert.deepEqual(rig.retryFailures, [1, 2]);
      rig.writer.enqueue(byte(8));
      await turns();
      assert.deepEqual(rig.retryFailures, [1, 2], 'a new message waits out the retry delay too');
      const timersBefore = activeTimeouts();
      rig.writer.onConnected();
      assert.equal(activeTimeouts(), timersBefore - 1, 'the 60-s retry timer is cancelled');
      // The reconnection started the count again: its failure is the first, retried after 1 ms.
      await waitFor('the queue sent after the reconnection', () => rig.sent === 2);
      assert.deepEqual(rig.retryFailures, [1, 2, 1]);
      assert.deepEqual(rig.streams[0].messages(), [[7, 8]]);
    } finally {
      rig.writer.close();
    }
  });

  it('opens a new stream after its stream closes, and after a disconnection', async () => {
    const rig = writerRig();
    try {
      rig.writer.enqueue(byte(1));
      await waitFor('the first frame', () => rig.sent === 1);
      rig.streams[0].close();
      rig.writer.enqueue(byte(2));
      await waitFor('the second frame', () => rig.sent === 2);
      rig.writer.onDisconnected();
      rig.writer.onConnected();
      rig.writer.enqueue(byte(3));
      await waitFor('the third frame', () => rig.sent === 3);
      assert.deepEqual(
        rig.streams.map((stream) => stream.messages()),
        [[[1]], [[2]], [[3]]],
      );
    } finally {
      rig.writer.close();
    }
  });

  it('sends nothing after close, queued or new, and frees its queue', async () => {
    const rig = writerRig();
    rig.writer.enqueue(byte(1));
    rig.writer.close();
    assert.equal(rig.writer.queued, 0);
    rig.writer.enqueue(byte(2));
    await turns();
    assert.equal(rig.streams.length, 0);
    assert.equal(rig.sent, 0);
  });

  it('cancels a pending retry when closed', async () => {
    const rig = writerRig();
    rig.refuseOpens = 1;
    rig.retryDelays.set(1, 60_000);
    rig.writer.enqueue(byte(1));
    await waitFor('the failed open', () => rig.retryFailures.length === 1);
    const timersBefore = activeTimeouts();
    rig.writer.close();
    assert.equal(activeTimeouts(), timersBefore - 1, 'the 60-s retry timer is cancelled');
  });

  it('schedules no retry for a failure with nothing left to send', async () => {
    const rig = writerRig();
    rig.retryDelays.set(1, 60_000);
    rig.onOpen = (stream) => {
      stream.bufferAfterSend = LIMITS.maxStreamWriteBufferBytes + 1;
    };
    try {
      rig.writer.enqueue(byte(1));
      await waitFor('the frame', () => rig.sent === 1);
      // The stream closes with the frame still buffered: the flush fails, but the queue is empty.
      rig.streams[0].close();
      await turns();
      assert.deepEqual(rig.retryFailures, []);
      rig.writer.enqueue(byte(2));
      await waitFor('the next message, at once on a new stream', () => rig.sent === 2);
      assert.deepEqual(rig.streams[1].messages(), [[2]]);
    } finally {
      rig.writer.close();
    }
  });

  it('schedules no retry for an open that fails after the writer closed', async () => {
    const rig = writerRig();
    const gate = Promise.withResolvers<void>();
    rig.openGate = gate.promise;
    rig.refuseOpens = 1;
    rig.retryDelays.set(1, 60_000);
    rig.writer.enqueue(byte(1));
    await waitFor('the open asked for', () => rig.opensStarted === 1);
    rig.writer.close();
    gate.resolve();
    await turns();
    assert.deepEqual(rig.retryFailures, []);
    assert.equal(rig.streams.length, 0);
  });

  it('sends nothing more once closed while waiting for the buffer to drain', async () => {
    const rig = writerRig();
    rig.onOpen = (stream) => {
      stream.bufferAfterSend = LIMITS.maxStreamWriteBufferBytes + 1;
    };
    rig.writer.enqueue(byte(1));
    await waitFor('the first frame', () => rig.sent === 1);
    rig.writer.enqueue(byte(2));
    rig.writer.close();
    rig.streams[0].bufferAfterSend = 0;
    rig.streams[0].drain();
    await turns();
    assert.deepEqual(rig.streams[0].messages(), [[1]]);
    assert.equal(rig.streams.length, 1);
  });
});
