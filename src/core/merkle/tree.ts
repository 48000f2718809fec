// RFC 9162 section 2.1.1 Merkle Tree Hash of a whole list of leaf hashes.
import { assert } from '../errors.js';
import { EMPTY_ROOT, nodeHash } from './hash.js';

/** RFC 9162 2.1.1: the k in MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])), with k < n <= 2k. */
export function largestPowerOfTwoBelow(n: number): number {
  assert(Number.isSafeInteger(n) && n >= 2, `largestPowerOfTwoBelow needs an integer n >= 2, got ${n}`);
  let power = 1;
  while (power * 2 < n) power *= 2;
  return power;
}

interface PerfectRoot {
  level: number;
  hash: Uint8Array;
}

/**
 * RFC 9162 2.1.1 MTH of already-hashed leaves, iteratively in O(n) hashes and O(log n) memory.
 * A stack holds the roots of the perfect subtrees seen so far (largest first), merged as they pair
 * up; the tree is then closed from right to left, which is exactly the recursive definition with
 * k the largest power of two below n.
 */
export function merkleRoot(leafHashes: Uint8Array[]): Uint8Array {
  const stack: PerfectRoot[] = [];
  for (const hash of leafHashes) {
    let top: PerfectRoot = { level: 0, hash };
    while (stack.length > 0 && stack[stack.length - 1]!.level === top.level) {
      const left = stack.pop()!;
      top = { level: top.level + 1, hash: nodeHash(left.hash, top.hash) };
    }
    stack.push(top);
  }
  if (stack.length === 0) return EMPTY_ROOT;
  let root = stack.pop()!.hash;
  while (stack.length > 0) root = nodeHash(stack.pop()!.hash, root);
  return root;
}
