// Proof generation (RFC 9162 2.1.3.1 inclusion, 2.1.4.1 consistency) against a MerkleNodeSource.
// The recursive definitions are walked top-down, iteratively: at each level one sibling subtree
// root is emitted. Once the walk enters a perfect subtree every later sibling is a single stored
// node, so a proof costs at most about 2 * log2(n) node reads.
import { fail } from '../errors.js';
import { isTreeCount } from './bits.js';
import { type MerkleNodeSource, subtreeRoot } from './source.js';
import { largestPowerOfTwoBelow } from './tree.js';

export { MemoryMerkleLog } from './memory-log.js';
export {
  completedNodesAfterAppend,
  type MerkleNode,
  type MerkleNodeId,
  type MerkleNodeSource,
  perfectSubtrees,
  rootAt,
  subtreeRoot,
} from './source.js';

function requireTreeCount(value: number, name: string): void {
  if (!isTreeCount(value)) fail('USAGE', `${name} ${value} is not a non-negative integer`, 'merkle');
}

/** RFC 9162 2.1.3.1 PATH(m, D[n]), leaf to root order. */
export function inclusionProof(source: MerkleNodeSource, leafIndex: number, treeSize: number): Uint8Array[] {
  requireTreeCount(leafIndex, 'leaf index');
  requireTreeCount(treeSize, 'tree size');
  if (leafIndex >= treeSize)
    fail('NOT_FOUND', `leaf ${leafIndex} is not in a tree of size ${treeSize}`, 'merkle');
  const rootToLeaf: Uint8Array[] = [];
  let start = 0;
  let size = treeSize;
  let index = leafIndex;
  while (size > 1) {
    const k = largestPowerOfTwoBelow(size);
    if (index < k) {
      // PATH(m, D[0:k]) : MTH(D[k:n])
      rootToLeaf.push(subtreeRoot(source, start + k, size - k));
      size = k;
    } else {
      // PATH(m - k, D[k:n]) : MTH(D[0:k])
      rootToLeaf.push(subtreeRoot(source, start, k));
      start += k;
      index -= k;
      size -= k;
    }
  }
  return rootToLeaf.reverse();
}

/**
 * RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), deepest node first. Equal sizes give
 * the empty proof; a proof from the empty tree is refused, as RFC 9162 2.1.4 requires 0 < m.
 */
export function consistencyProof(source: MerkleNodeSource, oldSize: number, newSize: number): Uint8Array[] {
  requireTreeCount(oldSize, 'old size');
  requireTreeCount(newSize, 'new size');
  if (oldSize === 0) fail('USAGE', 'a consistency proof from the empty tree proves nothing', 'merkle');
  if (oldSize > newSize)
    fail('NOT_FOUND', `old size ${oldSize} is larger than new size ${newSize}`, 'merkle');
  const rootToLeaf: Uint8Array[] = [];
  let start = 0;
  let size = newSize;
  let m = oldSize;
  let oldTreeIsWholeSubtree = true; // the b flag of SUBPROOF
  while (m < size) {
    const k = largestPowerOfTwoBelow(size);
    if (m <= k) {
      // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      rootToLeaf.push(subtreeRoot(source, start + k, size - k));
      size = k;
    } else {
      // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      rootToLeaf.push(subtreeRoot(source, start, k));
      start += k;
      m -= k;
      size -= k;
      oldTreeIsWholeSubtree = false;
    }
  }
  // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
  if (!oldTreeIsWholeSubtree) rootToLeaf.push(subtreeRoot(source, start, m));
  return rootToLeaf.reverse();
}
