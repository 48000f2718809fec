// The read side of the chain commands, behind one interface: today a stopped node's data
// directory (StoreChainReader), later a running node's API (the same views over HTTP), so the CLI
// prints the same fields either way. Every view is plain JSON with lowercase hex hashes, exactly
// the fields of issue 3 item 7 (more may be added).
import type { CertificateJson, HeaderJson, JsonValue } from './json-views.js';

export interface ChainStatusView {
  chainId: string;
  height: number;
  /** Hash of the last block; the genesis hash at height 0. */
  blockHash: string;
  logSize: number;
  logRoot: string;
}

export interface BlockView {
  height: number;
  blockHash: string;
  header: HeaderJson;
  txIds: string[];
  certificate: CertificateJson;
}

export interface TxView {
  txId: string;
  kind: string;
  height: number;
  index: number;
  leafIndex: number;
  /** Hex of the leaf bytes: the canonical signed envelope. */
  leaf: string;
  body: JsonValue;
  /** The committed verdict (state bucket 'outcome'), when there is one. */
  outcome?: JsonValue;
}

export interface InclusionProofView {
  txId: string;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  /** RFC 9162 2.1.3.1 audit path, leaf to root. */
  path: string[];
  root: string;
}

export interface ConsistencyProofView {
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  /** RFC 9162 2.1.4.1 consistency path. */
  path: string[];
}

export interface CheckpointView {
  height: number;
  blockHash: string;
  logSize: number;
  logRoot: string;
  certificate: CertificateJson;
}

export interface ChainReader {
  status(): Promise<ChainStatusView>;
  block(height: number): Promise<BlockView>;
  tx(txIdHex: string): Promise<TxView>;
  /** Inclusion proof in the log of `treeSize` leaves (default: the whole log). */
  inclusionProof(txIdHex: string, treeSize?: number): Promise<InclusionProofView>;
  consistencyProof(oldSize: number, newSize: number): Promise<ConsistencyProofView>;
  /** A header with its certificate; the last block by default. */
  checkpoint(height?: number): Promise<CheckpointView>;
  /** The encoded offline bundle for one transaction (proof-bundle.ts). */
  proofBundle(txIdHex: string): Promise<Uint8Array>;
  close(): Promise<void>;
}
