// What the API routes (and later the transfer service) need from a running node.
import type { NodeChain } from './node-chain.js';
import type { NodeMetrics } from './node-metrics.js';

export interface SubmitResult {
  readonly txIdHex: string;
  readonly duplicate: boolean;
}

/** One transaction's answer in a batch submission: admitted (maybe again), or refused with a code. */
export type BatchSubmitResult =
  | { readonly txId: string; readonly status: 'pending'; readonly duplicate: boolean }
  | { readonly index: number; readonly status: 'refused'; readonly code: string; readonly reason: string };

export interface TxStatusView {
  txId: string;
  status: 'pending' | 'committed' | 'unknown';
  height?: number;
  kind?: string;
  accepted?: boolean;
  reasons?: string[];
  objectId?: string;
}

export interface NodeStatusView {
  org: string;
  role: string;
  chainId: string;
  height: number;
  blockHash: string;
  logSize: number;
  logRoot: string;
  round: number;
  peers: string[];
  mempool: { txs: number; bytes: number };
  /**
   * Every service `node start` attaches (the transfer service and its routes) is serving. False
   * between the API's first answer and that: a client that waits for a network to come up waits
   * for this too, or it can find /consents not routed yet.
   */
  ready: boolean;
}

export interface NodeRuntime {
  readonly chain: NodeChain;
  readonly metrics: NodeMetrics;
  status(): NodeStatusView;
  /** Admits a transaction into the mempool and relays it; throws a coded BayledgerError if refused. */
  submit(bytes: Uint8Array): SubmitResult;
  /** Admits each transaction on its own (one refusal refuses only that one) and relays the new ones. */
  submitMany(transactions: readonly Uint8Array[]): BatchSubmitResult[];
  txStatus(txIdHex: string): TxStatusView;
  /** Resolves true once the transaction is committed, false after `timeoutMs`. */
  waitForCommit(txIdHex: string, timeoutMs: number): Promise<boolean>;
  /** Resolves true once `height` is committed (at once if it is), false after `timeoutMs`. */
  waitForHeight(height: number, timeoutMs: number): Promise<boolean>;
}
