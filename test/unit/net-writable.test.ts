// Write back-pressure on a stream (src/node/net/writable.ts), against a stand-in stream whose
// buffered byte count, write status and events the test sets: a writer waits while more than
// LIMITS.maxStreamWriteBufferBytes are unsent, wakes on 'drain' or 'idle' to look again, and
// fails CLOSED when the stream closes or TIMEOUT when its signal aborts.
import { strict as assert } from 'node:assert';
import type { Stream } from '@libp2p/interface';
import { LIMITS } from '../../src/core/limits.js';
import { waitUntilWritable } from '../../src/node/net/writable.js';
import { rejectsWith } from '../helpers/rejects.js';
import { settledWithinATurn } from '../helpers/settled.js';

class StandInStream extends EventTarget {
  writeBufferLength = 0;
  writeStatus = 'writable';
  readonly protocol = '/bayledger/test/1';
}

function standIn(bufferedBytes: number): StandInStream & Stream {
  const stream = new StandInStream();
  stream.writeBufferLength = bufferedBytes;
  return stream as unknown as StandInStream & Stream;
}

const LIMIT = LIMITS.maxStreamWriteBufferBytes;

describe('net: write back-pressure', () => {
  it('goes on at once with up to the limit unsent, and waits past it until a drain brings it back', async () => {
    await waitUntilWritable(standIn(LIMIT));
    const stream = standIn(LIMIT + 1);
    const waiting = waitUntilWritable(stream);
    assert.equal(await settledWithinATurn(waiting), false);
    stream.dispatchEvent(new Event('drain'));
    assert.equal(await settledWithinATurn(waiting), false, 'a drain that left the buffer past the limit');
    stream.writeBufferLength = LIMIT;
    stream.dispatchEvent(new Event('idle'));
    assert.equal(await settledWithinATurn(waiting), true);
  });

  it('fails CLOSED on a stream that is no longer writable or that closes, TIMEOUT when its signal aborts', async () => {
    const closing = standIn(LIMIT + 1);
    closing.writeStatus = 'closing';
    await rejectsWith(
      waitUntilWritable(closing),
      'CLOSED',
      '/bayledger/test/1: the stream closed with data unsent',
    );
    const closed = standIn(LIMIT + 1);
    const waiting = waitUntilWritable(closed);
    closed.dispatchEvent(new Event('close'));
    await rejectsWith(waiting, 'CLOSED', '/bayledger/test/1: the stream closed with data unsent');
    const controller = new AbortController();
    const stalled = waitUntilWritable(standIn(LIMIT + 1), controller.signal);
    controller.abort();
    await rejectsWith(stalled, 'TIMEOUT', '/bayledger/test/1: the peer stopped reading');
    await rejectsWith(
      waitUntilWritable(standIn(LIMIT + 1), AbortSignal.abort()),
      'TIMEOUT',
      '/bayledger/test/1: the peer stopped reading',
    );
  });
});
