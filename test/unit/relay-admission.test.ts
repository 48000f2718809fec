import { strict as assert } from 'node:assert';
import {
  type RelayAdmissionOptions,
  RelayAdmissionQueue,
  type RelayedTx,
} from '../../src/node/mempool/relay-admission.js';

/**
 * A fake event loop. Like Node's, each turn first handles the I/O that arrived (`io`), then the
 * tasks deferred with setImmediate (`tasks`); admissions cost `costMs` each.
 */
function harness(overrides: Partial<RelayAdmissionOptions> = {}, costMs = 2) {
  let nowMs = 0;
  const tasks: Array<() => void> = [];
  const io: Array<() => void> = [];
  const log: string[] = [];
  const dropped: RelayedTx[] = [];
  const queue = new RelayAdmissionQueue({
    admit: (relayed) => {
      nowMs += costMs;
      log.push(`admit ${relayed.from}:${relayed.bytes[0]}`);
      // Transactions numbered 100 and up stand for duplicates: nothing new entered the mempool.
      return relayed.bytes[0]! < 100;
    },
    afterAdmitted: () => log.push('woken'),
    onDropped: (relayed) => dropped.push(relayed),
    maxQueued: 100,
    maxQueuedBytes: 1000,
    sliceMs: 5,
    nowMs: () => nowMs,
    defer: (task) => tasks.push(task),
    ...overrides,
  });
  const runAll = (): void => {
    for (;;) {
      while (io.length > 0) io.shift()!();
      const task = tasks.shift();
      if (task === undefined) return;
      task();
    }
  };
  return { queue, tasks, io, log, dropped, runAll };
}

const relay = (from: string, n: number, bytes = 1): RelayedTx => ({
  from,
  bytes: new Uint8Array(bytes).fill(n),
  txId: new Uint8Array([n]),
  txIdHex: `tx-${n}`,
});

describe('relay admission queue', () => {
  it('admits in arrival order, at most one slice per turn of the event loop', () => {
    const { queue, tasks, log, runAll } = harness();
    for (let n = 0; n < 7; n++) queue.enqueue(relay('sz-cac', n));
    assert.equal(log.length, 0, 'nothing is admitted inside the network handler');
    assert.equal(tasks.length, 1, 'one turn scheduled however many arrive');
    tasks.shift()!();
    // 2 ms each: the third admission reaches the 5 ms slice, the rest waits for the next turn.
    assert.deepEqual(log, ['admit sz-cac:0', 'admit sz-cac:1', 'admit sz-cac:2', 'woken']);
    assert.equal(queue.queued, 4);
    runAll();
    assert.deepEqual(log.slice(4), [
      'admit sz-cac:3',
      'admit sz-cac:4',
      'admit sz-cac:5',
      'woken',
      'admit sz-cac:6',
      'woken',
    ]);
    assert.equal(queue.queued, 0);
    assert.equal(queue.queuedBytes, 0);
  });

  it('lets a consensus message that arrived during a slice run before the next slice', () => {
    const { queue, tasks, io, log, runAll } = harness();
    for (let n = 0; n < 6; n++) queue.enqueue(relay('qianhai', n));
    tasks.shift()!();
    io.push(() => log.push('proposal'));
    runAll();
    assert.deepEqual(log, [
      'admit qianhai:0',
      'admit qianhai:1',
      'admit qianhai:2',
      'woken',
      'proposal',
      'admit qianhai:3',
      'admit qianhai:4',
      'admit qianhai:5',
      'woken',
    ]);
  });

  it('drops relays past the count or byte bound and counts them', () => {
    const byCount = harness({ maxQueued: 2 });
    for (let n = 0; n < 4; n++) byCount.queue.enqueue(relay('hk-health', n));
    assert.equal(byCount.queue.queued, 2);
    assert.deepEqual(
      byCount.dropped.map((r) => r.bytes[0]),
      [2, 3],
    );
    const byBytes = harness({ maxQueuedBytes: 250 });
    for (let n = 0; n < 3; n++) byBytes.queue.enqueue(relay('hk-health', n, 100));
    assert.equal(byBytes.queue.queuedBytes, 200);
    assert.equal(byBytes.dropped.length, 1);
    byBytes.runAll();
    assert.equal(byBytes.queue.queuedBytes, 0);
    // Room again once admitted.
    byBytes.queue.enqueue(relay('hk-health', 9, 100));
    assert.equal(byBytes.queue.queued, 1);
    // Filled to exactly maxQueuedBytes is allowed.
    const exact = harness({ maxQueuedBytes: 300 });
    for (let n = 0; n < 3; n++) exact.queue.enqueue(relay('hk-health', n, 100));
    assert.equal(exact.queue.queuedBytes, 300);
    assert.deepEqual(exact.dropped, []);
  });

  it('ends a slice as soon as its time is used up, not one admission later', () => {
    // Each admission takes exactly the slice's 5 ms: one admission per slice.
    const { queue, log, runAll } = harness({ sliceMs: 5 }, 5);
    for (let n = 0; n < 3; n++) queue.enqueue(relay('hk-health', n));
    runAll();
    assert.deepEqual(log, [
      'admit hk-health:0',
      'woken',
      'admit hk-health:1',
      'woken',
      'admit hk-health:2',
      'woken',
    ]);
  });

  it('wakes the proposer only after a slice in which something new entered the mempool', () => {
    const { queue, log, runAll } = harness({}, 1);
    queue.enqueue(relay('sz-cac', 100));
    queue.enqueue(relay('sz-cac', 101));
    runAll();
    assert.deepEqual(log, ['admit sz-cac:100', 'admit sz-cac:101']);
    queue.enqueue(relay('sz-cac', 102));
    queue.enqueue(relay('sz-cac', 7));
    runAll();
    assert.deepEqual(log.slice(2), ['admit sz-cac:102', 'admit sz-cac:7', 'woken']);
  });

  it('admits a queued copy out of turn for block validation, and skips it when its turn comes', () => {
    const { queue, log, runAll } = harness();
    queue.enqueue(relay('sz-cac', 1, 10));
    queue.enqueue(relay('sz-cac', 2, 10));
    queue.enqueue(relay('qianhai', 2, 10)); // a second copy of tx-2 from another validator
    assert.equal(queue.admitQueued('tx-2'), true);
    // Admitted at once, not in a slice, and a waiting proposer is told: the block being checked
    // may never be committed, and then the transaction waits in the mempool like any other.
    assert.deepEqual(log, ['admit sz-cac:2', 'woken']);
    assert.equal(queue.queued, 2);
    assert.equal(queue.queuedBytes, 20);
    assert.equal(queue.admitQueued('tx-2'), false, 'the first copy is taken; the second waits its turn');
    assert.equal(queue.admitQueued('tx-9'), false, 'nothing queued under that id');
    runAll();
    assert.deepEqual(log, ['admit sz-cac:2', 'woken', 'admit sz-cac:1', 'admit qianhai:2', 'woken']);
    assert.equal(queue.queued, 0);
    assert.equal(queue.queuedBytes, 0);
    assert.equal(queue.admitQueued('tx-1'), false, 'admitted in turn: no longer queued');
  });

  it('wakes no one for an out-of-turn admission that added nothing (a duplicate)', () => {
    const { queue, log } = harness();
    queue.enqueue(relay('sz-cac', 103));
    assert.equal(queue.admitQueued('tx-103'), true);
    assert.deepEqual(log, ['admit sz-cac:103']);
  });

  it('admits nothing after close', () => {
    const { queue, log, runAll } = harness();
    queue.enqueue(relay('sz-health', 1));
    queue.close();
    queue.enqueue(relay('sz-health', 2));
    assert.equal(queue.admitQueued('tx-1'), false);
    runAll();
    assert.deepEqual(log, []);
    assert.equal(queue.queued, 0);
  });

  it('refuses bounds that are not positive', () => {
    assert.throws(() => harness({ sliceMs: 0 }), /bounds must be positive/);
    assert.throws(() => harness({ maxQueued: 0 }), /bounds must be positive/);
    assert.throws(() => harness({ maxQueuedBytes: 0 }), /bounds must be positive/);
  });
});
