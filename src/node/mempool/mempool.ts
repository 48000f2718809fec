// The mempool (issue 5 item 3): transactions waiting to be ordered. Deduplicated by txId, bounded
// in count and bytes, and every transaction is decoded and signature-checked exactly once, on
// entry: a duplicate or an already committed transaction is recognised by its id (SHA-256 of the
// bytes) before any check runs, and the admission result is kept with the entry, so a block
// carrying it is not checked again (`admitted`). Arrival order is kept (FIFO), which is also the
// order proposers fill blocks in.
import { toHex } from '../../core/bytes.js';
import { LIMITS } from '../../core/limits.js';

/** What the node's admission check says of a transaction's bytes (decode, schema, signatures). */
export type AdmissionResult<Tx> = { ok: true; tx: Tx } | { ok: false; code: string; reason: string };

export interface MempoolEntry<Tx> {
  readonly txId: Uint8Array;
  readonly txIdHex: string;
  readonly bytes: Uint8Array;
  readonly tx: Tx;
}

export type AddResult =
  | { ok: true; txIdHex: string; duplicate: boolean }
  | { ok: false; code: 'MEMPOOL_FULL' | 'TX_TOO_LARGE' | 'ALREADY_COMMITTED' | string; reason: string };

export interface MempoolOptions<Tx> {
  /** The transaction id of these bytes (design section 3: SHA-256 of the envelope bytes). */
  txIdOf(bytes: Uint8Array): Uint8Array;
  /** Decodes and checks a transaction not seen before; `txId` is txIdOf(bytes). */
  admit(bytes: Uint8Array, txId: Uint8Array): AdmissionResult<Tx>;
  /** True if the transaction is already in the committed log. */
  isCommitted(txIdHex: string): boolean;
  maxTxs?: number;
  maxBytes?: number;
}

export class Mempool<Tx> {
  readonly #options: MempoolOptions<Tx>;
  readonly #entries = new Map<string, MempoolEntry<Tx>>();
  #bytes = 0;

  constructor(options: MempoolOptions<Tx>) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** `txId`, when the caller already has it, must be txIdOf(bytes) (it is not hashed again). */
  add(bytes: Uint8Array, txId?: Uint8Array): AddResult {
    if (bytes.byteLength > LIMITS.maxTxBytes) {
      return {
        ok: false,
        code: 'TX_TOO_LARGE',
        reason: `${bytes.byteLength} bytes, limit ${LIMITS.maxTxBytes}`,
      };
    }
    const id = txId ?? this.#options.txIdOf(bytes);
    const txIdHex = toHex(id);
    if (this.#entries.has(txIdHex)) return { ok: true, txIdHex, duplicate: true };
    if (this.#options.isCommitted(txIdHex)) {
      return { ok: false, code: 'ALREADY_COMMITTED', reason: `transaction ${txIdHex} is already committed` };
    }
    const maxTxs = this.#options.maxTxs ?? LIMITS.maxMempoolTxs;
    const maxBytes = this.#options.maxBytes ?? LIMITS.maxMempoolBytes;
    if (this.#entries.size >= maxTxs || this.#bytes + bytes.byteLength > maxBytes) {
      return { ok: false, code: 'MEMPOOL_FULL', reason: `mempool holds ${this.#entries.size} transactions` };
    }
    const admitted = this.#options.admit(bytes, id);
    if (!admitted.ok) return admitted;
    const entry: MempoolEntry<Tx> = {
      txId: id,
      txIdHex,
      bytes,
      tx: admitted.tx,
    };
    this.#entries.set(txIdHex, entry);
    this.#bytes += bytes.byteLength;
    return { ok: true, txIdHex, duplicate: false };
  }

  has(txIdHex: string): boolean {
    return this.#entries.has(txIdHex);
  }

  get(txIdHex: string): MempoolEntry<Tx> | undefined {
    return this.#entries.get(txIdHex);
  }

  /** The admitted transaction with this id while it waits here (its admission result), if any. */
  admitted(txIdHex: string): Tx | undefined {
    return this.#entries.get(txIdHex)?.tx;
  }

  /** The oldest transactions that fit the block limits, in arrival order. */
  takeForBlock(maxTxs: number, maxBytes: number): MempoolEntry<Tx>[] {
    const chosen: MempoolEntry<Tx>[] = [];
    let total = 0;
    for (const entry of this.#entries.values()) {
      if (chosen.length >= maxTxs) break;
      if (total + entry.bytes.byteLength > maxBytes) break;
      chosen.push(entry);
      total += entry.bytes.byteLength;
    }
    return chosen;
  }

  /** Drops transactions that a committed block carried. */
  removeCommitted(txIdHexes: Iterable<string>): number {
    let removed = 0;
    for (const txIdHex of txIdHexes) {
      const entry = this.#entries.get(txIdHex);
      if (!entry) continue;
      this.#entries.delete(txIdHex);
      this.#bytes -= entry.bytes.byteLength;
      removed++;
    }
    return removed;
  }
}
