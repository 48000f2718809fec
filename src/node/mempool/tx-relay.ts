// Sending the transactions submitted here to the validators: once when the mempool admits one,
// then again on a timer while it waits there, since a relay can be lost (decision 9; the re-send
// schedule and its bounds are rerelay.ts's). And, to a validator that connects, the oldest of
// everything waiting here, since it may have restarted with an empty mempool (decision 64). The
// node owns the timer and the counters; this file decides who is sent what.
import { RerelayLedger, type RerelayPolicy } from './rerelay.js';

export interface TxRelayPeers {
  /** The validators other than this node, in genesis order. */
  readonly validatorIds: readonly string[];
  /** The peers connected now. */
  connectedPeers(): readonly string[];
  /** Queues a relay message to one peer (a drop-oldest send queue, decision 9). */
  send(peerId: string, bytes: Uint8Array): void;
}

/** What the relay reads of the mempool. */
export interface TxRelayMempool {
  /** A transaction's bytes while it waits in the mempool, undefined once it left. */
  bytesOf(txIdHex: string): Uint8Array | undefined;
  /** The oldest waiting transactions, submitted here or relayed, within both bounds (arrival order). */
  oldest(maxTxs: number, maxBytes: number): readonly Uint8Array[];
}

/** How much a validator that connects is sent of what waits here, and how often. */
export interface ConnectSendPolicy {
  readonly maxTxs: number;
  readonly maxBytes: number;
  /** Least time between two such sends to one validator: a peer that reconnects in a loop gets one. */
  readonly minGapMs: number;
}

export class TxRelay {
  readonly #peers: TxRelayPeers;
  readonly #ledger: RerelayLedger;
  readonly #mempool: TxRelayMempool;
  readonly #connectPolicy: ConnectSendPolicy;
  /** When each validator was last sent the mempool on connecting (at most one entry per validator). */
  readonly #connectSentMs = new Map<string, number>();

  constructor(
    peers: TxRelayPeers,
    policy: RerelayPolicy,
    connectPolicy: ConnectSendPolicy,
    mempool: TxRelayMempool,
  ) {
    this.#peers = peers;
    this.#ledger = new RerelayLedger(policy);
    this.#connectPolicy = connectPolicy;
    this.#mempool = mempool;
  }

  /** Transactions submitted here that a tick may still re-send (until one finds them gone). */
  get watchedTxs(): number {
    return this.#ledger.size;
  }

  /** A transaction submitted here, new to the mempool: sent to every other validator. */
  sendFirst(txIdHex: string, bytes: Uint8Array, nowMs: number): void {
    const { validatorIds } = this.#peers;
    for (const validator of validatorIds) this.#peers.send(validator, bytes);
    // With no other validator (a one-validator network's validator) there is nobody to re-send to:
    // a record would never be sent, and with no tick reaching takeDue, never pruned either.
    if (validatorIds.length > 0) this.#ledger.noteFirstSent(txIdHex, nowMs);
  }

  /**
   * One re-relay tick: the transactions due are sent again to the validators connected now, and
   * their count returned. A disconnected peer's send queue still holds what it was sent (it drains
   * on reconnect), and with no validator connected the tick does nothing, so backoff is not spent
   * on sends that cannot arrive.
   */
  tick(nowMs: number): number {
    const connected = new Set(this.#peers.connectedPeers());
    const targets = this.#peers.validatorIds.filter((id) => connected.has(id));
    if (targets.length === 0) return 0;
    const due = this.#ledger.takeDue(nowMs, (txIdHex) => this.#mempool.bytesOf(txIdHex));
    for (const { bytes } of due) {
      for (const validator of targets) this.#peers.send(validator, bytes);
    }
    return due.length;
  }

  /**
   * A peer connected: if it is a validator, it is sent the oldest transactions waiting here (up to
   * the policy's bounds), whoever submitted them, and their count returned. Re-relay leaves a
   * relayed transaction to the node it was submitted to; when that node is gone too, a validator
   * that restarted would otherwise learn of what its peers hold only when one of them proposes,
   * and proposers of round 0 wait for something to order (heartbeatMs). Receivers drop copies they
   * hold or committed by id before any check, unpenalised.
   */
  sendOnConnect(peerId: string, nowMs: number): number {
    if (!this.#peers.validatorIds.includes(peerId)) return 0;
    const lastMs = this.#connectSentMs.get(peerId);
    if (lastMs !== undefined && nowMs - lastMs < this.#connectPolicy.minGapMs) return 0;
    const waiting = this.#mempool.oldest(this.#connectPolicy.maxTxs, this.#connectPolicy.maxBytes);
    if (waiting.length === 0) return 0;
    this.#connectSentMs.set(peerId, nowMs);
    for (const bytes of waiting) this.#peers.send(peerId, bytes);
    return waiting.length;
  }
}
