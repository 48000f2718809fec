// A data directory as a CommittedBlockSource: blocks 1..tip read through the store's checked
// reads, the next block fetched while the caller verifies the current one.
import type { LedgerStore } from '../store/ledger-store.js';
import type { CommittedBlock, CommittedBlockSource } from './block-source.js';

export class StoreBlockSource implements CommittedBlockSource {
  readonly #store: LedgerStore;
  readonly height: number;

  constructor(store: LedgerStore) {
    this.#store = store;
    this.height = store.height;
  }

  async #read(height: number): Promise<CommittedBlock> {
    const [{ block, txIds }, certificate] = await Promise.all([
      this.#store.readBlockWithIds(height),
      this.#store.readCertificate(height),
    ]);
    return { block, certificate, txIds };
  }

  async *blocks(): AsyncGenerator<CommittedBlock> {
    let next: Promise<CommittedBlock> | undefined;
    for (let height = 1; height <= this.height; height++) {
      const current = await (next ?? this.#read(height));
      // Start the following read now; a rejection is observed when it is awaited.
      if (height < this.height) {
        next = this.#read(height + 1);
        next.catch(() => undefined);
      }
      yield current;
    }
  }
}
