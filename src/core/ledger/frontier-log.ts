// The log with only its frontier: for each level, the most recently completed perfect subtree.
// That is all RFC 9162 2.1.1 needs to append (completedNodesAfterAppend reads only the left
// sibling, which is the latest node of its level) and to compute the current root (rootAt reads
// one node per set bit of the size, each the latest of its level). So re-deriving a chain of any
// length takes O(log n) memory for the log, which is what chain verify and exports use.
import { fail } from '../errors.js';
import type { MerkleNode, MerkleNodeSource } from '../merkle/index.js';
import { MerkleNodeOverlay } from './merkle-overlay.js';

export class FrontierLog implements MerkleNodeSource {
  /** latestByLevel[level]: the last completed node of that level. */
  readonly #latestByLevel: MerkleNode[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  getNode(level: number, index: number): Uint8Array {
    const node = this.#latestByLevel[level];
    if (node === undefined || node.index !== index) {
      fail('NOT_FOUND', `node ${level}/${index} is not on the frontier`, 'merkle');
    }
    return node.hash;
  }

  /** Records the nodes a block completed (MerkleNodeOverlay.addedNodes, in completion order). */
  advance(nodes: readonly MerkleNode[], newSize: number): void {
    for (const node of nodes) this.#latestByLevel[node.level] = node;
    this.#size = newSize;
  }

  /** Appends single leaves (tests and tools); blocks use an overlay and `advance`. */
  appendLeaves(leafHashes: readonly Uint8Array[]): void {
    const overlay = new MerkleNodeOverlay(this, this.#size);
    for (const leaf of leafHashes) overlay.append(leaf);
    this.advance(overlay.addedNodes(), overlay.size);
  }
}
