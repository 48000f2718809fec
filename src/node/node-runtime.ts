// What the API routes (and later the transfer service) need from a running node.
import type { NodeChain } from './node-chain.js';
import type { NodeMetrics } from './node-metrics.js';

export interface SubmitResult {
  readonly txIdHex: string;
  readonly duplicate: boolean;
}

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
}

export interface NodeRuntime {
  readonly chain: NodeChain;
  readonly metrics: NodeMetrics;
  status(): NodeStatusView;
  /** Admits a transaction into the mempool and relays it; throws a coded BayledgerError if refused. */
  submit(bytes: Uint8Array): SubmitResult;
  txStatus(txIdHex: string): TxStatusView;
  /** Resolves true once the transaction is committed, false after `timeoutMs`. */
  waitForCommit(txIdHex: string, timeoutMs: number): Promise<boolean>;
}
