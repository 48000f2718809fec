import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream';
import { installHalfWindowUpdates, windowUpdateCanWait } from '../../src/node/net/yamux-window-updates.js';

// Frame types and flags of the yamux specification (hashicorp/yamux spec.md, "Type" and "Flags").
const FRAME_DATA = 0;
const FRAME_WINDOW_UPDATE = 1;
const FLAG_ACK = 2;

interface SentFrame {
  readonly header: { readonly type: number; readonly flag: number; readonly length: number };
}

interface StreamUnderTest {
  handleData(frame: { header: object; data: Uint8Array }): void;
  readonly recvWindow: number;
  readonly recvWindowCapacity: number;
}

function silentLog(): unknown {
  const log = (): void => undefined;
  return Object.assign(log, { trace: log, error: log, newScope: () => log });
}

function openStream(state: StreamState, sent: SentFrame[]): StreamUnderTest {
  const Stream = YamuxStream as unknown as new (init: object) => StreamUnderTest;
  return new Stream({
    id: '1',
    streamId: 1,
    direction: 'inbound',
    state,
    log: silentLog(),
    // No RTT yet: the window keeps its initial size, so the counts below are exact.
    getRTT: () => -1,
    // The stream hands the muxer a frame header (the muxer encodes it): record it.
    sendFrame: (header: SentFrame['header']) => {
      sent.push({ header });
      return true;
    },
  });
}

function dataFrame(bytes: number): { header: object; data: Uint8Array } {
  return { header: { type: FRAME_DATA, flag: 0, streamID: 1, length: bytes }, data: new Uint8Array(bytes) };
}

describe('yamux window updates at half a window', () => {
  before(() => installHalfWindowUpdates());

  it('waits while the peer holds half a window or more, and only on an established stream', () => {
    const window = 1000;
    const cases: ReadonlyArray<[StreamState, number, boolean]> = [
      [StreamState.Established, 500, true],
      [StreamState.Established, 499, false],
      [StreamState.SYNReceived, 1000, false],
      [StreamState.Paused, 1000, false],
    ];
    for (const [state, recvWindowCapacity, canWait] of cases) {
      assert.equal(
        windowUpdateCanWait({ state, recvWindow: window, recvWindowCapacity }),
        canWait,
        `${StreamState[state]} with ${recvWindowCapacity} of ${window}`,
      );
    }
  });

  it('sends one update per half window consumed, restoring the whole window', () => {
    const sent: SentFrame[] = [];
    const stream = openStream(StreamState.Established, sent);
    const window = stream.recvWindow;
    const frameBytes = 1000;
    // A sender that keeps to its credit, as the yamux specification requires.
    let credit = window;
    let delivered = 0;
    let updates = 0;
    const frames = 2000;
    while (delivered < frames) {
      assert.ok(credit >= frameBytes, `the sender ran out of credit after ${delivered} frames`);
      stream.handleData(dataFrame(frameBytes));
      credit -= frameBytes;
      delivered++;
      for (const frame of sent.splice(0)) {
        assert.equal(frame.header.type, FRAME_WINDOW_UPDATE);
        credit += frame.header.length;
        assert.equal(credit, window, 'an update grants back everything consumed');
        updates++;
      }
      assert.equal(stream.recvWindowCapacity, credit, 'receiver and sender agree on the credit');
    }
    // An update goes out once more than half the window is consumed: after this many frames.
    const framesPerUpdate = Math.floor(window / 2 / frameBytes) + 1;
    assert.equal(updates, Math.floor(frames / framesPerUpdate));
    assert.ok(updates < frames / 100, `${updates} updates for ${frames} frames: not one per frame`);
  });

  it('still acknowledges a new stream on its first frame', () => {
    const sent: SentFrame[] = [];
    const stream = openStream(StreamState.SYNReceived, sent);
    stream.handleData(dataFrame(10));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.header.type, FRAME_WINDOW_UPDATE);
    assert.equal(sent[0]!.header.flag & FLAG_ACK, FLAG_ACK);
  });
});
