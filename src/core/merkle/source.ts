// The stored form of the log: the roots of its complete perfect subtrees. Node (level, index)
// is MTH(D[index * 2^level : (index + 1) * 2^level]) (RFC 9162 2.1.1); once complete it never
// changes, so a store can persist it at append time. Any other root is computed from O(log n) of
// them on the fly.
import { assert, fail } from '../errors.js';
import { halve, isOdd, isTreeCount } from './bits.js';
import { EMPTY_ROOT, nodeHash } from './hash.js';

/** Answers complete perfect subtree roots only; level 0 holds the leaf hashes. */
export interface MerkleNodeSource {
  getNode(level: number, index: number): Uint8Array;
}

export interface MerkleNodeId {
  level: number;
  index: number;
}

export interface MerkleNode extends MerkleNodeId {
  hash: Uint8Array;
}

/**
 * The perfect subtrees covering leaves [start, start + size), largest (leftmost) first, one per
 * set bit of size. `start` must be aligned as every range of the RFC 9162 2.1.1 recursion is:
 * a multiple of the largest of these subtrees.
 */
export function perfectSubtrees(start: number, size: number): MerkleNodeId[] {
  const subtrees: MerkleNodeId[] = [];
  let offset = start;
  let remaining = size;
  while (remaining > 0) {
    let level = 0;
    let width = 1;
    while (width * 2 <= remaining) {
      width *= 2;
      level++;
    }
    assert(
      offset % width === 0,
      `range [${start}, ${start + size}) is not aligned to subtree width ${width}`,
    );
    subtrees.push({ level, index: offset / width });
    offset += width;
    remaining -= width;
  }
  return subtrees;
}

/** RFC 9162 2.1.1 MTH(D[start : start + size]), folding its perfect subtrees from right to left. */
export function subtreeRoot(source: MerkleNodeSource, start: number, size: number): Uint8Array {
  const subtrees = perfectSubtrees(start, size);
  const last = subtrees.pop();
  if (last === undefined) return EMPTY_ROOT;
  let root = source.getNode(last.level, last.index);
  for (let i = subtrees.length - 1; i >= 0; i--) {
    root = nodeHash(source.getNode(subtrees[i]!.level, subtrees[i]!.index), root);
  }
  return root;
}

/** RFC 9162 2.1.1 root of the first `treeSize` leaves, in popcount(treeSize) node reads. */
export function rootAt(source: MerkleNodeSource, treeSize: number): Uint8Array {
  if (!isTreeCount(treeSize)) fail('USAGE', `tree size ${treeSize} is not a non-negative integer`, 'merkle');
  return subtreeRoot(source, 0, treeSize);
}

/**
 * The nodes that become complete when leaf `leafIndex` is appended: the leaf itself, then one
 * parent per level while the new node is a right child (RFC 9162 2.1.1 node hash). Reads only
 * left siblings, which are already complete. O(1) amortised: a store writes these in the same
 * batch as the leaf.
 */
export function completedNodesAfterAppend(
  source: MerkleNodeSource,
  leafIndex: number,
  leafHash: Uint8Array,
): MerkleNode[] {
  if (!isTreeCount(leafIndex))
    fail('USAGE', `leaf index ${leafIndex} is not a non-negative integer`, 'merkle');
  let node: MerkleNode = { level: 0, index: leafIndex, hash: leafHash };
  const completed = [node];
  while (isOdd(node.index)) {
    const left = source.getNode(node.level, node.index - 1);
    node = { level: node.level + 1, index: halve(node.index), hash: nodeHash(left, node.hash) };
    completed.push(node);
  }
  return completed;
}
