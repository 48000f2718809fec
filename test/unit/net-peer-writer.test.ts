// The per-peer sender's bounded queue (src/node/net/peer-writer.ts): while its peer is away,
// messages wait up to the queue bound and then push out the oldest; every drop is counted, and
// the log says so on the first drop and once per thousand after it, never once per message.
import { strict as assert } from 'node:assert';
import { LIMITS } from '../../src/core/limits.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { PeerWriter } from '../../src/node/net/peer-writer.js';

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
