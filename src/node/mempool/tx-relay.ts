// Sending the transactions submitted here to the validators: once when the mempool admits one,
// then again on a timer while it waits there, since a relay can be lost (decision 9; the re-send
// schedule and its bounds are rerelay.ts's). The node owns the timer and the counters; this file
// decides who is sent what.
import { RerelayLedger, type RerelayPolicy } from './rerelay.js';

export interface TxRelayPeers {
  /** The validators other than this node, in genesis order. */
  readonly validatorIds: readonly string[];
  /** The peers connected now. */
  connectedPeers(): readonly string[];
  /** Queues a relay message to one peer (a drop-oldest send queue, decision 9). */
  send(peerId: string, bytes: Uint8Array): void;
}

export class TxRelay {
  readonly #peers: TxRelayPeers;
  readonly #ledger: RerelayLedger;
  /** A transaction's bytes while it waits in the mempool, undefined once it left. */
  readonly #pending: (txIdHex: string) => Uint8Array | undefined;

  constructor(
    peers: TxRelayPeers,
    policy: RerelayPolicy,
    pending: (txIdHex: string) => Uint8Array | undefined,
  ) {
    this.#peers = peers;
    this.#ledger = new RerelayLedger(policy);
    this.#pending = pending;
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
    const due = this.#ledger.takeDue(nowMs, this.#pending);
    for (const { bytes } of due) {
      for (const validator of targets) this.#peers.send(validator, bytes);
    }
    return due.length;
  }
}
