// Submitting one signed transaction through the node's own mempool and waiting for its verdict,
// as the API routes and the receipt path need it: "committed at height h, accepted or not, with
// these reasons", or "still pending" after LIMITS.maxApiCommitWaitMs.
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex } from '../../core/bytes.js';
import { isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { txIdOf } from '../../core/records/codec.js';
import type { NodeRuntime, TxStatusView } from '../node-runtime.js';

export interface Submitted {
  readonly txId: string;
  /** 'committed' with height, accepted and reasons; or 'pending' when the wait ran out. */
  readonly view: TxStatusView;
}

/**
 * Submits (an already committed transaction counts as submitted) and waits up to `waitMs`, or
 * until `signal` aborts (node shutdown).
 */
export async function submitAndWait(
  node: Pick<NodeRuntime, 'submit' | 'waitForCommit' | 'txStatus'>,
  envelopeBytes: Uint8Array,
  waitMs: number = LIMITS.maxApiCommitWaitMs,
  signal?: AbortSignal,
): Promise<Submitted> {
  const txId = toHex(txIdOf(envelopeBytes));
  try {
    node.submit(envelopeBytes);
  } catch (error) {
    if (!isBayledgerError(error, 'CONFLICT')) throw error;
  }
  const waited = node.waitForCommit(txId, Math.min(waitMs, LIMITS.maxApiCommitWaitMs));
  if (signal === undefined) await waited;
  else await untilAborted(waited, signal);
  return { txId, view: node.txStatus(txId) };
}

/** Waits for `promise`, or less if `signal` aborts first; leaves no listener behind. */
async function untilAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = (): void => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Keeps submitting until committed: through a full mempool (MEMPOOL_FULL) and waits that run out,
 * at most LIMITS.maxReceiptSubmitAttempts times. Resolves true once committed.
 */
export async function submitUntilCommitted(
  node: Pick<NodeRuntime, 'submit' | 'waitForCommit' | 'txStatus'>,
  envelopeBytes: Uint8Array,
  signal: AbortSignal,
): Promise<boolean> {
  for (let attempt = 0; attempt < LIMITS.maxReceiptSubmitAttempts && !signal.aborted; attempt++) {
    try {
      const { view } = await submitAndWait(node, envelopeBytes, LIMITS.maxApiCommitWaitMs, signal);
      if (view.status === 'committed') return true;
    } catch (error) {
      if (!isBayledgerError(error, 'MEMPOOL_FULL')) throw error;
      await sleep(LIMITS.maxPayloadRetryDelayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
