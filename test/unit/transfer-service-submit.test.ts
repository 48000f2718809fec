// The receipt path's persistence (src/node/transfer-service/submit.ts, submitUntilCommitted): how
// a recipient keeps submitting its signed receipt through its own node until it is committed. The
// node here is a scripted stand-in for the three calls the function makes, because what is tested
// is the retry policy (which answers are retried, how often, when it stops); the real node path of
// a receipt is covered end to end in test/e2e/transfer.test.ts.
import { strict as assert } from 'node:assert';
import { toHex } from '../../src/core/bytes.js';
import { type ErrorCode, fail, isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { txIdOf } from '../../src/core/records/codec.js';
import type { SubmitResult, TxStatusView } from '../../src/node/node-runtime.js';
import { submitUntilCommitted } from '../../src/node/transfer-service/submit.js';
import { receiptFor, testGenesis } from '../helpers/fixtures.js';

const net = testGenesis();

/** A real signed receipt's envelope, so the transaction id is computed as in production. */
function receiptBytes(): Uint8Array {
  const built = receiptFor(net, {
    transferId: new Uint8Array(32).fill(7),
    payloadRoot: new Uint8Array(32).fill(9),
    accepted: true,
    reason: 'OK',
  });
  return built.bytes;
}

/**
 * Answers each submission from a script: refuse with a code, or admit and let the wait end with
 * the transaction committed or still pending. CONFLICT is the node already holding it, which then
 * commits. `waitForCommit` never resolves when `hang` is set.
 */
class ScriptedNode {
  readonly submitted: string[] = [];
  #committed = false;

  constructor(
    readonly script: ReadonlyArray<ErrorCode | 'pending' | 'committed'>,
    readonly hang = false,
  ) {}

  submit(bytes: Uint8Array): SubmitResult {
    const txIdHex = toHex(txIdOf(bytes));
    const step = this.script[Math.min(this.submitted.length, this.script.length - 1)]!;
    this.submitted.push(step);
    this.#committed = step === 'committed' || step === 'CONFLICT';
    if (step !== 'pending' && step !== 'committed') fail(step, `scripted ${step}`);
    return { txIdHex, duplicate: false };
  }

  waitForCommit(_txIdHex: string, _timeoutMs: number): Promise<boolean> {
    if (this.hang) return new Promise(() => {});
    return Promise.resolve(this.#committed);
  }

  txStatus(txIdHex: string): TxStatusView {
    return this.#committed
      ? { txId: txIdHex, status: 'committed', height: 3 }
      : { txId: txIdHex, status: 'pending' };
  }
}

describe('transfer service: a receipt is submitted until committed', function () {
  this.timeout(20_000);

  it('submits once when the first wait sees it committed', async () => {
    const node = new ScriptedNode(['committed']);
    assert.equal(await submitUntilCommitted(node, receiptBytes(), new AbortController().signal), true);
    assert.deepEqual(node.submitted, ['committed']);
  });

  it('submits again after a wait that ran out, until committed', async () => {
    const node = new ScriptedNode(['pending', 'pending', 'committed']);
    assert.equal(await submitUntilCommitted(node, receiptBytes(), new AbortController().signal), true);
    assert.deepEqual(node.submitted, ['pending', 'pending', 'committed']);
  });

  it('counts a transaction the node already holds (CONFLICT) as submitted', async () => {
    const node = new ScriptedNode(['CONFLICT', 'RECORD_INVALID']);
    assert.equal(await submitUntilCommitted(node, receiptBytes(), new AbortController().signal), true);
    assert.deepEqual(node.submitted, ['CONFLICT']);
  });

  it('gives up after LIMITS.maxReceiptSubmitAttempts waits that ran out', async () => {
    const node = new ScriptedNode(['pending']);
    assert.equal(await submitUntilCommitted(node, receiptBytes(), new AbortController().signal), false);
    assert.equal(node.submitted.length, LIMITS.maxReceiptSubmitAttempts);
  });

  it('waits out a full mempool and submits again', async () => {
    const node = new ScriptedNode(['MEMPOOL_FULL', 'committed']);
    const startedMs = performance.now();
    assert.equal(await submitUntilCommitted(node, receiptBytes(), new AbortController().signal), true);
    assert.deepEqual(node.submitted, ['MEMPOOL_FULL', 'committed']);
    // The retry came after the backoff, not at once (a lower bound only: timers never fire early).
    assert.ok(performance.now() - startedMs >= LIMITS.maxPayloadRetryDelayMs - 5);
  });

  it('throws any other refusal at once, naming its code', async () => {
    const node = new ScriptedNode(['RECORD_INVALID', 'committed']);
    await assert.rejects(
      submitUntilCommitted(node, receiptBytes(), new AbortController().signal),
      (error: unknown) => isBayledgerError(error, 'RECORD_INVALID'),
    );
    assert.deepEqual(node.submitted, ['RECORD_INVALID']);
  });

  it('stops when the node shuts down, during a wait and during a backoff', async () => {
    const waiting = new ScriptedNode(['pending'], true);
    const duringWait = new AbortController();
    const result = submitUntilCommitted(waiting, receiptBytes(), duringWait.signal);
    duringWait.abort();
    assert.equal(await result, false);
    assert.equal(waiting.submitted.length, 1);

    const full = new ScriptedNode(['MEMPOOL_FULL']);
    const duringBackoff = new AbortController();
    const startedMs = performance.now();
    const stopped = submitUntilCommitted(full, receiptBytes(), duringBackoff.signal);
    setImmediate(() => duringBackoff.abort());
    assert.equal(await stopped, false);
    assert.equal(full.submitted.length, 1);
    assert.ok(performance.now() - startedMs < LIMITS.maxPayloadRetryDelayMs, 'the backoff was cut short');
  });
});
