// The log's tree nodes while a block is being applied: reads fall through to the committed nodes
// (the store, or memory in tests) and the nodes this block completes are kept aside, so the new
// logRoot can be computed before anything is written, and the store then commits exactly these
// nodes in the block's atomic batch (design section 6).
//
// A block's new nodes on one level have consecutive indexes, so each level keeps them in an array
// from its first new index: a lookup is an index computation, not a string-keyed map that builds
// and hashes the key "level/index" on every read and write (a set and a get measured 0.11 us
// against 0.62 us for the node's own SHA-256, min of 15 runs).
import { countTrailingZeros, isPowerOfTwo } from '../merkle/bits.js';
import {
  completedNodesAfterAppend,
  EMPTY_ROOT,
  largestPowerOfTwoBelow,
  type MerkleNode,
  type MerkleNodeSource,
  nodeHash,
  rootAt,
} from '../merkle/index.js';

/** The new nodes of one level: node `first + i` has hash `hashes[i]`. */
interface LevelNodes {
  readonly first: number;
  readonly hashes: Uint8Array[];
}

export class MerkleNodeOverlay implements MerkleNodeSource {
  readonly #base: MerkleNodeSource;
  readonly #levels: LevelNodes[] = [];
  readonly #added: MerkleNode[] = [];
  readonly #startSize: number;
  #size: number;

  /** `size` is the number of leaves the base already holds. */
  constructor(base: MerkleNodeSource, size: number) {
    this.#base = base;
    this.#startSize = size;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  getNode(level: number, index: number): Uint8Array {
    const nodes = this.#levels[level];
    if (nodes !== undefined) {
      const offset = index - nodes.first;
      if (offset >= 0 && offset < nodes.hashes.length) return nodes.hashes[offset]!;
    }
    return this.#base.getNode(level, index);
  }

  /** Appends one leaf hash (RFC 9162 2.1.1) and records the perfect subtrees it completes. */
  append(leafHash: Uint8Array): void {
    for (const node of completedNodesAfterAppend(this, this.#size, leafHash)) this.#record(node);
    this.#size++;
  }

  #record(node: MerkleNode): void {
    let nodes = this.#levels[node.level];
    if (nodes === undefined) {
      nodes = { first: node.index, hashes: [] };
      this.#levels[node.level] = nodes;
    }
    // Appends complete a level's nodes left to right, one index after the other.
    nodes.hashes.push(node.hash);
    this.#added.push(node);
  }

  root(): Uint8Array {
    return rootAt(this, this.#size);
  }

  /**
   * RFC 9162 2.1.1 MTH of the leaves appended to this overlay (the block's own tree: its txRoot).
   * A perfect subtree of that tree whose first leaf sits at a multiple of its width in the log is
   * a log node this overlay already completed (node (level, index) is MTH of exactly those
   * leaves), so only the nodes above the aligned subtrees are hashed: for a block of 2,000
   * transactions starting at a multiple of 16, at most 124 hashes instead of 1,999.
   */
  appendedRoot(): Uint8Array {
    const count = this.#size - this.#startSize;
    return count === 0 ? EMPTY_ROOT : this.#rangeRoot(this.#startSize, count);
  }

  /** MTH(D[start : start + count]) of appended leaves, count >= 1 (RFC 9162 2.1.1 recursion). */
  #rangeRoot(start: number, count: number): Uint8Array {
    if (isPowerOfTwo(count) && start % count === 0)
      return this.getNode(countTrailingZeros(count), start / count);
    const split = largestPowerOfTwoBelow(count);
    return nodeHash(this.#rangeRoot(start, split), this.#rangeRoot(start + split, count - split));
  }

  /** The nodes completed since construction, in completion order. */
  addedNodes(): MerkleNode[] {
    return [...this.#added];
  }
}
