import assert from 'node:assert/strict';
import {
  type RelayRecord,
  RerelayLedger,
  type RerelayPolicy,
  rerelayDueAtMs,
  selectDueForRerelay,
} from '../../src/node/mempool/rerelay.js';

const POLICY: RerelayPolicy = {
  minAgeMs: 3_000,
  maxIntervalMs: 30_000,
  maxTxsPerTick: 4,
  maxBytesPerTick: 1_000,
};

const record = (txIdHex: string, firstSentMs: number, lastSentMs = firstSentMs): RelayRecord => ({
  txIdHex,
  firstSentMs,
  lastSentMs,
});

/** A mempool stand-in: every id it holds maps to `size` bytes. */
function pendingOf(ids: readonly string[], size = 100): (txIdHex: string) => Uint8Array | undefined {
  const held = new Set(ids);
  return (txIdHex) => (held.has(txIdHex) ? new Uint8Array(size) : undefined);
}

/** The times (ms after the first send) at which a ledger ticking every `tickMs` re-sends one transaction. */
function sendTimes(policy: RerelayPolicy, untilMs: number, tickMs = 1_000): number[] {
  const ledger = new RerelayLedger(policy);
  ledger.noteFirstSent('a', 0);
  const times: number[] = [];
  for (let now = tickMs; now <= untilMs; now += tickMs) {
    if (ledger.takeDue(now, pendingOf(['a'])).length > 0) times.push(now);
  }
  return times;
}

describe('mempool re-relay: which transactions are due', () => {
  it('re-sends nothing younger than the first age, and a transaction once it reaches it', () => {
    const records = [record('a', 0)];
    const pending = pendingOf(['a']);
    assert.deepEqual(selectDueForRerelay(records, 2_999, POLICY, pending).due, []);
    const due = selectDueForRerelay(records, 3_000, POLICY, pending).due;
    assert.deepEqual(
      due.map((tx) => tx.record.txIdHex),
      ['a'],
    );
    assert.equal(due[0]!.bytes.byteLength, 100, 'the bytes come from the mempool');
  });

  it('backs off: each re-send waits until the time since the first send has doubled', () => {
    assert.equal(rerelayDueAtMs(record('a', 0, 0), POLICY), 3_000);
    assert.equal(rerelayDueAtMs(record('a', 0, 3_000), POLICY), 6_000);
    assert.equal(rerelayDueAtMs(record('a', 0, 7_000), POLICY), 14_000, 'from the actual send time');
    assert.equal(rerelayDueAtMs(record('a', 1_000, 1_500), POLICY), 4_500, 'never sooner than minAgeMs');
    // Ticking every second for two minutes: ages 3, 6, 12, 24 s, then every 30 s (the cap).
    assert.deepEqual(sendTimes(POLICY, 120_000), [3_000, 6_000, 12_000, 24_000, 48_000, 78_000, 108_000]);
  });

  it('caps the gap so a transaction stuck through a long outage is re-sent soon after it', () => {
    assert.equal(rerelayDueAtMs(record('a', 0, 600_000), POLICY), 630_000);
    const uncapped = { ...POLICY, maxIntervalMs: Number.MAX_SAFE_INTEGER };
    assert.equal(rerelayDueAtMs(record('a', 0, 600_000), uncapped), 1_200_000);
  });

  it('takes the oldest first and stops at the per-tick count', () => {
    const records = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => record(id, i * 10));
    const ids = records.map((r) => r.txIdHex);
    const { due } = selectDueForRerelay(records, 10_000, POLICY, pendingOf(ids));
    assert.deepEqual(
      due.map((tx) => tx.record.txIdHex),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('stops at the per-tick bytes, but always lets one transaction through', () => {
    const records = ['a', 'b', 'c'].map((id) => record(id, 0));
    const ids = records.map((r) => r.txIdHex);
    const fourHundred = selectDueForRerelay(records, 5_000, POLICY, pendingOf(ids, 400)).due;
    assert.deepEqual(
      fourHundred.map((tx) => tx.record.txIdHex),
      ['a', 'b'],
    );
    const huge = selectDueForRerelay(records, 5_000, POLICY, pendingOf(ids, 5_000)).due;
    assert.deepEqual(
      huge.map((tx) => tx.record.txIdHex),
      ['a'],
      'one larger than the byte bound still goes, alone',
    );
    const fiveHundred = selectDueForRerelay(records, 5_000, POLICY, pendingOf(ids, 500)).due;
    assert.deepEqual(
      fiveHundred.map((tx) => tx.record.txIdHex),
      ['a', 'b'],
      'two that fill the byte bound exactly both go',
    );
  });

  it('skips a transaction that is not due yet without stopping, and stops at the first one too young', () => {
    const records = [record('a', 0, 9_000), record('b', 1_000), record('c', 9_500)];
    const { due } = selectDueForRerelay(records, 10_000, POLICY, pendingOf(['a', 'b', 'c']));
    assert.deepEqual(
      due.map((tx) => tx.record.txIdHex),
      ['b'],
    );
    let looked = 0;
    const counting = (id: string) => {
      looked++;
      return pendingOf(['a', 'b', 'c'])(id);
    };
    selectDueForRerelay(records, 10_000, POLICY, counting);
    assert.equal(looked, 2, 'the record younger than minAgeMs ends the scan before the mempool lookup');
  });

  it('reports transactions that left the mempool, and the ledger forgets them', () => {
    const ledger = new RerelayLedger(POLICY);
    ledger.noteFirstSent('committed', 0);
    ledger.noteFirstSent('waiting', 0);
    ledger.noteFirstSent('young', 2_000);
    assert.equal(ledger.size, 3);
    const due = ledger.takeDue(4_000, pendingOf(['waiting', 'young']));
    assert.deepEqual(
      due.map((tx) => tx.record.txIdHex),
      ['waiting'],
    );
    assert.equal(ledger.size, 2, 'the committed one is forgotten');
    assert.deepEqual(ledger.takeDue(4_500, pendingOf(['waiting', 'young'])), [], 'nothing due again yet');
    // Once the young one commits too it is forgotten when a tick reaches it.
    ledger.takeDue(6_000, pendingOf(['waiting']));
    assert.equal(ledger.size, 1);
  });

  it('marks what it returns as sent now, and notes a first send only once', () => {
    const ledger = new RerelayLedger(POLICY);
    ledger.noteFirstSent('a', 0);
    ledger.noteFirstSent('a', 2_000); // a duplicate submission is not a new first send
    const [first] = ledger.takeDue(3_500, pendingOf(['a']));
    assert.equal(first!.record.firstSentMs, 0);
    assert.equal(first!.record.lastSentMs, 3_500);
    assert.deepEqual(ledger.takeDue(6_999, pendingOf(['a'])), []);
    assert.equal(ledger.takeDue(7_000, pendingOf(['a'])).length, 1);
  });

  it('refuses bounds that would re-send without limit', () => {
    assert.throws(() => new RerelayLedger({ ...POLICY, minAgeMs: 0 }));
    assert.throws(() => new RerelayLedger({ ...POLICY, maxTxsPerTick: 0 }));
    assert.throws(() => new RerelayLedger({ ...POLICY, maxBytesPerTick: 0 }));
    assert.throws(() => new RerelayLedger({ ...POLICY, maxIntervalMs: 1_000 }));
    // A cap equal to the first age is a fixed interval, which is bounded.
    assert.doesNotThrow(() => new RerelayLedger({ ...POLICY, maxIntervalMs: POLICY.minAgeMs }));
  });
});
