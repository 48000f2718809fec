// Re-relay of transactions submitted here that still wait in the mempool.
//
// A node relays a submitted transaction once to every validator, through per-peer drop-oldest send
// queues (decision 9): a message can be lost to a full queue, a stream reset, or a peer that
// restarted after it took the bytes off the wire but before it admitted them. Until now nothing
// sent it again, so on a follower (which never proposes) such a transaction waited forever though
// the client had been told "pending", and on a validator it waited for that validator's own turn
// to propose, which on a quiet network (proposers wait for transactions, heartbeat 5 s) can take
// many seconds. Receivers recognise a duplicate by its id before any check (mempool.ts), so a
// re-sent copy costs a validator one SHA-256 when it already holds the transaction.
//
// Only transactions submitted to this node are re-sent: one relayed to us by a peer stays in that
// peer's mempool too, and that peer re-sends it, so each transaction has exactly one re-sender and
// a validator's backlog of relayed transactions is never re-broadcast. Each transaction is re-sent
// at most once per doubling of the time since its first send (2^k * minAgeMs apart, capped at
// maxIntervalMs), oldest first, at most maxTxsPerTick transactions and maxBytesPerTick bytes per
// tick: under saturation, when many transactions legitimately wait longer than minAgeMs, the extra
// relay traffic stays a bounded trickle instead of multiplying with the backlog.
//
// All of this is local and outside consensus: when a node re-sends decides nothing about what is
// valid. Times come from a monotonic clock (performance.now in the node), so a wall-clock step
// neither stops nor floods re-relay.
import { assert } from '../../core/errors.js';

export interface RerelayPolicy {
  /** A transaction is first re-sent once this long has passed since it was first sent. */
  readonly minAgeMs: number;
  /** Longest gap between two sends of one transaction (the doubling backoff stops growing here). */
  readonly maxIntervalMs: number;
  readonly maxTxsPerTick: number;
  /** Bytes of transactions re-sent per tick; one transaction is always allowed, however large. */
  readonly maxBytesPerTick: number;
}

/** When one transaction was sent to the validators, in monotonic milliseconds. */
export interface RelayRecord {
  readonly txIdHex: string;
  readonly firstSentMs: number;
  lastSentMs: number;
}

/**
 * When a transaction first sent at `firstSentMs` and last sent at `lastSentMs` is due again: not
 * before minAgeMs after the last send, and not before the time since the first send has doubled
 * (a send at age a is followed by the next at age 2a at the earliest), with the gap capped at
 * maxIntervalMs so a transaction stuck through a long outage is re-sent soon after it ends.
 */
export function rerelayDueAtMs(record: RelayRecord, policy: RerelayPolicy): number {
  const ageAtLastSendMs = record.lastSentMs - record.firstSentMs;
  const gapMs = Math.min(policy.maxIntervalMs, Math.max(policy.minAgeMs, ageAtLastSendMs));
  return record.lastSentMs + gapMs;
}

export interface DueTx {
  readonly record: RelayRecord;
  readonly bytes: Uint8Array;
}

export interface RerelaySelection {
  /** To re-send now, oldest first. */
  readonly due: DueTx[];
  /** Records whose transaction left the mempool (committed or dropped): to forget. */
  readonly gone: string[];
}

/**
 * The pure decision of one tick. `records` must be in first-sent order (oldest first); `pending`
 * gives the bytes of a transaction still in the mempool, undefined once it left. The scan stops at
 * the first record younger than minAgeMs (every later one is younger still) and once the per-tick
 * bounds are reached; a record it does not reach is looked at again on a later tick.
 */
export function selectDueForRerelay(
  records: Iterable<RelayRecord>,
  nowMs: number,
  policy: RerelayPolicy,
  pending: (txIdHex: string) => Uint8Array | undefined,
): RerelaySelection {
  const due: DueTx[] = [];
  const gone: string[] = [];
  let bytes = 0;
  for (const record of records) {
    if (nowMs - record.firstSentMs < policy.minAgeMs) break;
    const txBytes = pending(record.txIdHex);
    if (txBytes === undefined) {
      gone.push(record.txIdHex);
      continue;
    }
    if (nowMs < rerelayDueAtMs(record, policy)) continue;
    if (due.length >= policy.maxTxsPerTick) break;
    // Strictly oldest first: a transaction that does not fit waits for the next tick rather than
    // let younger ones pass it on every tick.
    if (due.length > 0 && bytes + txBytes.byteLength > policy.maxBytesPerTick) break;
    due.push({ record, bytes: txBytes });
    bytes += txBytes.byteLength;
  }
  return { due, gone };
}

/**
 * The send times of the transactions submitted here, oldest first. The node notes each first
 * relay and, on each tick, re-sends what `takeDue` returns. Records of transactions that left the
 * mempool are dropped when a tick reaches them, so the ledger holds at most the local transactions
 * still pending plus those submitted within the last minAgeMs or so.
 */
export class RerelayLedger {
  readonly #policy: RerelayPolicy;
  /** By transaction id; a Map iterates in insertion order, which is first-sent order. */
  readonly #records = new Map<string, RelayRecord>();

  constructor(policy: RerelayPolicy) {
    assert(
      policy.minAgeMs > 0 &&
        policy.maxIntervalMs >= policy.minAgeMs &&
        policy.maxTxsPerTick > 0 &&
        policy.maxBytesPerTick > 0,
      're-relay bounds must be positive, the interval cap at least the first age',
    );
    this.#policy = policy;
  }

  get size(): number {
    return this.#records.size;
  }

  /** A transaction submitted here was just sent to the validators for the first time. */
  noteFirstSent(txIdHex: string, nowMs: number): void {
    if (this.#records.has(txIdHex)) return;
    this.#records.set(txIdHex, { txIdHex, firstSentMs: nowMs, lastSentMs: nowMs });
  }

  /**
   * The transactions to re-send now, oldest first, each recorded as sent at `nowMs`; the caller
   * sends them. Forgets the ones that left the mempool.
   */
  takeDue(nowMs: number, pending: (txIdHex: string) => Uint8Array | undefined): DueTx[] {
    const { due, gone } = selectDueForRerelay(this.#records.values(), nowMs, this.#policy, pending);
    for (const txIdHex of gone) this.#records.delete(txIdHex);
    for (const { record } of due) record.lastSentMs = nowMs;
    return due;
  }
}
