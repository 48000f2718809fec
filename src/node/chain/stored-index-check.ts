// Chain verify's check of a data directory's transaction id index (TxIndex: txId -> height, index
// and leaf index). Transactions themselves are read in log order and checked against their blocks;
// the index is what lookups by id and the replay check trust, so it must hold exactly one correct
// entry per logged transaction and nothing else.
//
// Looking each id up while verifying would be a random read per transaction (the cost that store
// format 2 removed from block reads). Instead the ids are remembered by leaf index as blocks are
// verified (32 bytes each, off the V8 heap) and the index is scanned once at the end, in key order:
// every entry must name a leaf whose transaction has that id, at the right height and index, and
// the entries must cover every leaf. Since keys are distinct, that makes the index a bijection onto
// the log.
import { decodeTxPositionFast, decodeTxPositionOrUndefined } from '../store/stored-records.js';
import { LowestFault, type StoredChainData, type StoredFault } from './stored-chain-data.js';

const ID_BYTES = 32;
/** Faulty entries whose block is searched for (each search scans every id once). */
const MAX_ATTRIBUTED_ENTRIES = 64;

export class TxIndexCheck {
  #ids = Buffer.alloc(0);
  #leafHeights = new Uint32Array(0);
  /** firstLeaf[height]: the leaf index of the block's first transaction. */
  readonly #firstLeaf: number[] = [0];
  #logSize = 0;

  /** Remembers a verified block's transaction ids, in order. */
  addBlock(height: number, txIds: readonly Uint8Array[]): void {
    const needed = this.#logSize + txIds.length;
    if (needed > this.#leafHeights.length) this.#grow(needed);
    this.#firstLeaf[height] = this.#logSize;
    for (const txId of txIds) {
      this.#ids.set(txId, this.#logSize * ID_BYTES);
      this.#leafHeights[this.#logSize] = height;
      this.#logSize++;
    }
  }

  #grow(needed: number): void {
    const capacity = Math.max(needed, 2 * this.#leafHeights.length, 1024);
    const ids = Buffer.allocUnsafeSlow(capacity * ID_BYTES);
    this.#ids.copy(ids, 0, 0, this.#logSize * ID_BYTES);
    this.#ids = ids;
    const heights = new Uint32Array(capacity);
    heights.set(this.#leafHeights.subarray(0, this.#logSize));
    this.#leafHeights = heights;
  }

  /** Scans the stored index; its fault with the lowest height, if any. */
  async check(stored: StoredChainData, tipHeight: number): Promise<StoredFault | undefined> {
    const lowest = new LowestFault();
    const covered = new Uint8Array(this.#logSize);
    let attributed = 0;
    for await (const batch of stored.txIndexBatches()) {
      for (const { txId, position } of batch) {
        const leaf = this.#validLeaf(txId, position);
        if (leaf !== undefined) {
          covered[leaf] = 1;
          continue;
        }
        // The entry is wrong: name the block that logged this id, when there is one.
        if (attributed++ >= MAX_ATTRIBUTED_ENTRIES) continue;
        const actual = this.#leafOf(txId);
        const hex = Buffer.from(txId).toString('hex');
        if (actual === undefined) {
          lowest.note(tipHeight, 'TX_INDEX_MISMATCH', `index entry for ${hex}, which is not in the log`);
        } else {
          const height = this.#leafHeights[actual]!;
          lowest.note(height, 'TX_INDEX_MISMATCH', `index entry of transaction ${hex} is wrong`);
        }
      }
    }
    const uncovered = covered.indexOf(0);
    if (uncovered >= 0) {
      const height = this.#leafHeights[uncovered]!;
      const index = uncovered - this.#firstLeaf[height]!;
      lowest.note(height, 'TX_INDEX_MISMATCH', `transaction ${index} of block ${height} has no index entry`);
    }
    if (await stored.hasTxLogEntryFrom(this.#logSize)) {
      lowest.note(tipHeight, 'TX_LOG_MISMATCH', `a transaction is stored beyond the ${this.#logSize} logged`);
    }
    return lowest.fault;
  }

  /** The leaf an index entry rightly names, or undefined when the entry is wrong in any way. */
  #validLeaf(txId: Uint8Array, encoded: Uint8Array): number | undefined {
    if (txId.byteLength !== ID_BYTES) return undefined;
    const position = decodeTxPositionFast(encoded) ?? decodeTxPositionOrUndefined(encoded);
    if (position === undefined) return undefined;
    const { height, index, leafIndex } = position;
    if (leafIndex >= this.#logSize) return undefined;
    if (this.#leafHeights[leafIndex] !== height || this.#firstLeaf[height]! + index !== leafIndex)
      return undefined;
    const at = leafIndex * ID_BYTES;
    return this.#ids.compare(txId, 0, ID_BYTES, at, at + ID_BYTES) === 0 ? leafIndex : undefined;
  }

  /** The leaf holding this id (a scan of every id: only for a faulty entry). */
  #leafOf(txId: Uint8Array): number | undefined {
    const end = this.#logSize * ID_BYTES;
    for (let from = 0; from < end; ) {
      const at = this.#ids.indexOf(txId, from);
      if (at < 0 || at >= end) return undefined;
      if (at % ID_BYTES === 0) return at / ID_BYTES;
      from = at + 1;
    }
    return undefined;
  }
}
