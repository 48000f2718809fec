// The log's tree nodes while a block is being applied: reads fall through to the committed nodes
// (the store, or memory in tests) and the nodes this block completes are kept aside, so the new
// logRoot can be computed before anything is written, and the store then commits exactly these
// nodes in the block's atomic batch (design section 6).
import {
  completedNodesAfterAppend,
  type MerkleNode,
  type MerkleNodeSource,
  rootAt,
} from '../merkle/index.js';

function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}

export class MerkleNodeOverlay implements MerkleNodeSource {
  readonly #base: MerkleNodeSource;
  readonly #added = new Map<string, MerkleNode>();
  #size: number;

  /** `size` is the number of leaves the base already holds. */
  constructor(base: MerkleNodeSource, size: number) {
    this.#base = base;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  getNode(level: number, index: number): Uint8Array {
    return this.#added.get(nodeKey(level, index))?.hash ?? this.#base.getNode(level, index);
  }

  /** Appends one leaf hash (RFC 9162 2.1.1) and records the perfect subtrees it completes. */
  append(leafHash: Uint8Array): void {
    for (const node of completedNodesAfterAppend(this, this.#size, leafHash)) {
      this.#added.set(nodeKey(node.level, node.index), node);
    }
    this.#size++;
  }

  root(): Uint8Array {
    return rootAt(this, this.#size);
  }

  /** The nodes completed since construction, in completion order. */
  addedNodes(): MerkleNode[] {
    return [...this.#added.values()];
  }
}
