// Proof verification, RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), strict: sizes and
// indexes must be safe integers in range, every proof element a 32-byte hash, and the proof
// exactly as long as the tree shape demands (no missing, extra, preceding or trailing elements).
import { bytesEqual } from '../bytes.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { countOnes, countTrailingZeros, halve, isOdd, isPowerOfTwo, isTreeCount } from './bits.js';
import { nodeHash } from './hash.js';

export type Verdict = { ok: true } | { ok: false; reason: string };
export type RootVerdict = { ok: true; root: Uint8Array } | { ok: false; reason: string };

function reject(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Index of the first proof element that is not a hash, or -1. */
function firstMalformedElement(proof: Uint8Array[]): number {
  return proof.findIndex((element) => element.byteLength !== HASH_BYTES);
}

/**
 * Shape of the audit path of leaf `index` in a tree of `size` leaves: `inner` siblings below the
 * level where the path to the leaf and the path to the last leaf meet, then `border` siblings on
 * the left above it (one per set bit of the remaining index).
 */
function inclusionPathShape(index: number, size: number): { inner: number; border: number } {
  let fn = index;
  let sn = size - 1;
  let inner = 0;
  while (fn !== sn) {
    fn = halve(fn);
    sn = halve(sn);
    inner++;
  }
  return { inner, border: countOnes(fn) };
}

/** RFC 9162 2.1.3.1: length of PATH(index, D[size]). */
function inclusionProofLength(index: number, size: number): number {
  const { inner, border } = inclusionPathShape(index, size);
  return inner + border;
}

/** RFC 9162 2.1.4.1: length of PROOF(oldSize, D[newSize]) for 0 < oldSize < newSize. */
function consistencyProofLength(oldSize: number, newSize: number): number {
  const { inner, border } = inclusionPathShape(oldSize - 1, newSize);
  const seedInProof = isPowerOfTwo(oldSize) ? 0 : 1;
  return seedInProof + inner - countTrailingZeros(oldSize) + border;
}

/** RFC 9162 2.1.3.2 steps 1-5, returning the root the proof leads to. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: Uint8Array[],
): RootVerdict {
  if (!isTreeCount(treeSize)) return reject(`tree size ${treeSize} is not a non-negative integer`);
  if (!isTreeCount(leafIndex)) return reject(`leaf index ${leafIndex} is not a non-negative integer`);
  // Step 1: leaf_index < tree_size.
  if (leafIndex >= treeSize) return reject(`leaf index ${leafIndex} is not below tree size ${treeSize}`);
  if (leafHash.byteLength !== HASH_BYTES) return reject(`leaf hash is ${leafHash.byteLength} bytes`);
  const malformed = firstMalformedElement(proof);
  if (malformed >= 0) return reject(`proof element ${malformed} is ${proof[malformed]!.byteLength} bytes`);
  const expectedLength = inclusionProofLength(leafIndex, treeSize);
  if (proof.length !== expectedLength) {
    return reject(`proof has ${proof.length} elements, expected ${expectedLength}`);
  }
  // Steps 2-4.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return reject('proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = halve(fn);
        sn = halve(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = halve(fn);
    sn = halve(sn);
  }
  // Step 5 (first half): sn must be 0.
  if (sn !== 0) return reject('proof is shorter than the path to the root');
  return { ok: true, root: r };
}

/** RFC 9162 2.1.3.2: does `proof` show leaf `leafIndex` of the tree of `treeSize` with `root` is `leafHash`? */
export function verifyInclusion(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: Uint8Array[],
  root: Uint8Array,
): Verdict {
  const computed = rootFromInclusionProof(leafHash, leafIndex, treeSize, proof);
  if (!computed.ok) return computed;
  // Step 5 (second half): r equals root_hash.
  if (!bytesEqual(computed.root, root)) return reject('proof leads to a different root');
  return { ok: true };
}

/** RFC 9162 2.1.4.2: is the tree (newSize, newRoot) an append-only extension of (oldSize, oldRoot)? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: Uint8Array[],
): Verdict {
  if (!isTreeCount(oldSize)) return reject(`old size ${oldSize} is not a non-negative integer`);
  if (!isTreeCount(newSize)) return reject(`new size ${newSize} is not a non-negative integer`);
  if (oldSize > newSize) return reject(`old size ${oldSize} is larger than new size ${newSize}`);
  // RFC 9162 2.1.4.2 requires 0 < first: nothing is consistent "with" the empty tree.
  if (oldSize === 0) return reject('a consistency proof from the empty tree proves nothing');
  if (oldSize === newSize) return verifySameSize(oldRoot, newRoot, proof);
  return verifyGrowth(oldSize, newSize, oldRoot, newRoot, proof);
}

/** Equal sizes: PROOF(n, D[n]) is empty and the two roots must be the same. */
function verifySameSize(oldRoot: Uint8Array, newRoot: Uint8Array, proof: Uint8Array[]): Verdict {
  if (proof.length !== 0) return reject(`sizes are equal but the proof has ${proof.length} elements`);
  if (!bytesEqual(oldRoot, newRoot)) return reject('sizes are equal but the roots differ');
  return { ok: true };
}

/** RFC 9162 2.1.4.2 steps 1-7 for 0 < oldSize < newSize. */
function verifyGrowth(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: Uint8Array[],
): Verdict {
  // Step 1: an empty consistency_path fails.
  if (proof.length === 0) return reject('proof is empty');
  if (oldRoot.byteLength !== HASH_BYTES) return reject(`old root is ${oldRoot.byteLength} bytes`);
  if (newRoot.byteLength !== HASH_BYTES) return reject(`new root is ${newRoot.byteLength} bytes`);
  const malformed = firstMalformedElement(proof);
  if (malformed >= 0) return reject(`proof element ${malformed} is ${proof[malformed]!.byteLength} bytes`);
  const expectedLength = consistencyProofLength(oldSize, newSize);
  if (proof.length !== expectedLength) {
    return reject(`proof has ${proof.length} elements, expected ${expectedLength}`);
  }
  // Step 2: if first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // Steps 3-4.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = halve(fn);
    sn = halve(sn);
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) return reject('proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = halve(fn);
        sn = halve(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = halve(fn);
    sn = halve(sn);
  }
  // Step 7.
  if (sn !== 0) return reject('proof is shorter than the path to the root');
  if (!bytesEqual(fr, oldRoot)) return reject('proof does not lead to the old root');
  if (!bytesEqual(sr, newRoot)) return reject('proof does not lead to the new root');
  return { ok: true };
}
