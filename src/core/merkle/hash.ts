// RFC 9162 section 2.1.1 hashing with domain separation: a leaf hash can never be mistaken for an
// interior node hash because their SHA-256 inputs start with different bytes.
import { sha256 } from '../crypto/hash.js';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** RFC 9162 2.1.1: MTH({}) = HASH(), the root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** RFC 9162 2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)). */
export function leafHash(leafBytes: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leafBytes);
}

/** leafHash of the concatenation of `parts`, without building it. */
export function leafHashOfParts(parts: readonly Uint8Array[]): Uint8Array {
  return sha256(LEAF_PREFIX, ...parts);
}

/** RFC 9162 2.1.1: HASH(0x01 || MTH(left) || MTH(right)). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}
