// What a data directory adds to chain verify besides its blocks: the stored tree nodes, state,
// transaction id index and head, each read in key ranges and batches, never one random lookup per
// entry (LedgerStore implements it). Chain verify re-derives all of these and compares.
import type { ChainTip } from '../../core/ledger/chain-tip.js';
import type { StateBucket } from '../../core/ledger/state-kv.js';
import type { RawStateEntry, RawTxIndexEntry, StoredMerkleNode } from '../store/ledger-store.js';

export interface StoredChainData {
  /** Stored tree nodes of one level with indexes in [fromIndex, toIndex), in index order. */
  storedNodes(level: number, fromIndex: number, toIndex: number): Promise<readonly StoredMerkleNode[]>;
  /** The stored entries of one state bucket, keys as raw bytes, in batches. */
  stateEntryBatches(bucket: StateBucket): AsyncIterable<readonly RawStateEntry[]>;
  /**
   * The same entries with keys decoded as UTF-8 (without the bucket prefix); bytes that are not
   * UTF-8 read as U+FFFD.
   */
  stateEntryTextBatches(bucket: StateBucket): AsyncIterable<readonly (readonly [string, Uint8Array])[]>;
  /** Every entry of the transaction id index, in batches. */
  txIndexBatches(): AsyncIterable<readonly RawTxIndexEntry[]>;
  /** Whether a transaction is stored at leaf index `leafIndex` or beyond. */
  hasTxLogEntryFrom(leafIndex: number): Promise<boolean>;
  readonly tip: ChainTip | undefined;
}

/** A fault found in stored data, at the height of the block whose write it contradicts. */
export interface StoredFault {
  readonly height: number;
  readonly code: string;
  readonly reason: string;
}

/** Keeps the fault with the lowest height (the first one noted among equals). */
export class LowestFault {
  #fault: StoredFault | undefined;

  get fault(): StoredFault | undefined {
    return this.#fault;
  }

  note(height: number, code: string, reason: string): void {
    if (this.#fault === undefined || height < this.#fault.height) this.#fault = { height, code, reason };
  }
}
