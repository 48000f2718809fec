// The payload channel's counters (src/node/transfer-service/payload-stats.ts): the per-transfer
// lists hold at most LIMITS.maxMetricSeries transfers, exactly that many and each once, while the
// totals keep counting; a refused payload is counted under its reason.
import { strict as assert } from 'node:assert';
import { LIMITS } from '../../src/core/limits.js';
import { MetricsRegistry } from '../../src/node/metrics/registry.js';
import { PayloadStats } from '../../src/node/transfer-service/payload-stats.js';

const idOf = (i: number) => i.toString(16).padStart(64, '0');

describe('payload stats', () => {
  it('counts chunks per transfer for at most maxMetricSeries transfers, and every chunk in the totals', () => {
    const stats = new PayloadStats(new MetricsRegistry());
    const bound = LIMITS.maxMetricSeries;
    for (let i = 0; i < bound; i++) stats.chunkSent(idOf(i), 10);
    stats.chunkSent(idOf(0), 10);
    stats.chunkSent(idOf(bound), 10);
    const perTransfer = stats.sender.chunksByTransfer;
    assert.equal(Object.keys(perTransfer).length, bound);
    assert.deepEqual(
      [perTransfer[idOf(0)], perTransfer[idOf(bound - 1)], perTransfer[idOf(bound)]],
      [2, 1, undefined],
    );
    assert.deepEqual([stats.sender.chunksSent, stats.sender.bytesSent], [bound + 2, (bound + 2) * 10]);
  });

  it('lists each fetched transfer once, for at most maxMetricSeries transfers, and counts every attempt', () => {
    const stats = new PayloadStats(new MetricsRegistry());
    const bound = LIMITS.maxMetricSeries;
    for (let i = 0; i < bound; i++) stats.fetchStarted(idOf(i));
    stats.fetchStarted(idOf(5));
    stats.fetchStarted(idOf(bound));
    assert.equal(stats.receiver.transfers.length, bound);
    assert.equal(new Set(stats.receiver.transfers).size, bound);
    assert.ok(!stats.receiver.transfers.includes(idOf(bound)));
    assert.equal(stats.receiver.attempts, bound + 2);
  });

  it('counts delivered and refused receipts, the refused by reason', () => {
    const stats = new PayloadStats(new MetricsRegistry());
    stats.receiptSubmitted(true, 'OK');
    stats.receiptSubmitted(false, 'PAYLOAD_ROOT_MISMATCH');
    stats.receiptSubmitted(false, 'PAYLOAD_ROOT_MISMATCH');
    stats.receiptSubmitted(false, 'DIGEST_MISMATCH');
    assert.deepEqual(
      [stats.receiver.receiptsSubmitted, stats.receiver.delivered, stats.receiver.rejected],
      [4, 1, { PAYLOAD_ROOT_MISMATCH: 2, DIGEST_MISMATCH: 1 }],
    );
  });
});
