// An in-memory Merkle log: the reference MerkleNodeSource, holding every complete perfect
// subtree root. Used by tests and by anything that needs a log without a store.
import { HASH_BYTES } from '../crypto/hash.js';
import { assert, fail } from '../errors.js';
import { completedNodesAfterAppend, type MerkleNodeSource, rootAt } from './source.js';

export class MemoryMerkleLog implements MerkleNodeSource {
  /** nodesByLevel[level][index]: the root of a complete perfect subtree. */
  readonly #nodesByLevel: Uint8Array[][] = [];
  #leafCount = 0;

  /** Number of leaves appended. */
  get size(): number {
    return this.#leafCount;
  }

  /** Appends one leaf hash (RFC 9162 2.1.1 leafHash of the entry) and stores the nodes it completes. */
  append(leafHash: Uint8Array): void {
    assert(
      leafHash.byteLength === HASH_BYTES,
      `leaf hash is ${leafHash.byteLength} bytes, not ${HASH_BYTES}`,
    );
    for (const node of completedNodesAfterAppend(this, this.#leafCount, leafHash)) {
      this.#nodesByLevel[node.level] ??= [];
      this.#nodesByLevel[node.level]![node.index] = node.hash;
    }
    this.#leafCount++;
  }

  getNode(level: number, index: number): Uint8Array {
    const hash = this.#nodesByLevel[level]?.[index];
    if (hash === undefined)
      fail('NOT_FOUND', `no complete subtree at level ${level}, index ${index}`, 'merkle');
    return hash;
  }

  /** RFC 9162 2.1.1 root of the whole log. */
  root(): Uint8Array {
    return rootAt(this, this.#leafCount);
  }
}
