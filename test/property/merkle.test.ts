// Property tests: proofs generated from MemoryMerkleLog (iterative, from stored perfect subtrees)
// equal those of a naive recursive reference written straight from RFC 9162 2.1, they verify, and
// any flipped bit in a proof element or a root makes verification fail.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { sha256 } from '../../src/core/crypto/hash.js';
import { MerkleNodeOverlay } from '../../src/core/ledger/merkle-overlay.js';
import {
  consistencyProof,
  inclusionProof,
  MemoryMerkleLog,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/merkle/index.js';

const MAX_SIZE = 300;
const RUNS = 300;

// --- RFC 9162 2.1, transcribed without any optimisation -----------------------------------------

function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(new Uint8Array([0x00]), data);
}

function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(new Uint8Array([0x01]), left, right);
}

/** k < n <= 2k, k a power of two. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** 2.1.1 MTH(D[n]). */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return hashLeaf(leaves[0]!);
  const k = splitPoint(leaves.length);
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** 2.1.3.1 PATH(m, D[n]). */
function referencePath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  if (m < k) return [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))];
  return [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

/** 2.1.4.1 SUBPROOF(m, D[n], b). */
function referenceSubproof(m: number, leaves: Uint8Array[], b: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [referenceRoot(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...referenceSubproof(m, leaves.slice(0, k), b), referenceRoot(leaves.slice(k))];
  return [...referenceSubproof(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}

/** 2.1.4.1 PROOF(m, D[n]). */
function referenceConsistency(m: number, leaves: Uint8Array[]): Uint8Array[] {
  return referenceSubproof(m, leaves, true);
}

// --- helpers ------------------------------------------------------------------------------------

function leafData(seed: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new TextEncoder().encode(`entry ${seed}/${i}`));
}

function logOf(leaves: Uint8Array[]): MemoryMerkleLog {
  const log = new MemoryMerkleLog();
  for (const leaf of leaves) log.append(hashLeaf(leaf));
  return log;
}

function withBitFlipped(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const position = bit % (copy.byteLength * 8);
  copy[Math.floor(position / 8)]! ^= 1 << (position % 8);
  return copy;
}

/** The proof with one bit flipped in element `element mod length`; undefined for an empty proof. */
function withElementFlipped(proof: Uint8Array[], element: number, bit: number): Uint8Array[] | undefined {
  if (proof.length === 0) return undefined;
  const at = element % proof.length;
  return proof.map((original, i) => (i === at ? withBitFlipped(original, bit) : original));
}

/** A tree size, a leaf index in it, a seed for the leaf contents, and a bit to flip. */
const inclusionCase = fc.integer({ min: 1, max: MAX_SIZE }).chain((size) =>
  fc.record({
    size: fc.constant(size),
    index: fc.integer({ min: 0, max: size - 1 }),
    seed: fc.nat(),
    bit: fc.nat(),
    element: fc.nat(),
  }),
);

/** Two tree sizes 1 <= oldSize <= newSize, a seed for the leaf contents, and a bit to flip. */
const consistencyCase = fc.integer({ min: 1, max: MAX_SIZE }).chain((newSize) =>
  fc.record({
    newSize: fc.constant(newSize),
    oldSize: fc.integer({ min: 1, max: newSize }),
    seed: fc.nat(),
    bit: fc.nat(),
    element: fc.nat(),
  }),
);

describe('Merkle log properties (RFC 9162 2.1)', () => {
  it('inclusion proofs equal the reference PATH and verify', () => {
    fc.assert(
      fc.property(inclusionCase, ({ size, index, seed }) => {
        const leaves = leafData(seed, size);
        const log = logOf(leaves);
        const root = referenceRoot(leaves);
        const proof = inclusionProof(log, index, size);
        assert.deepEqual(proof, referencePath(index, leaves));
        assert.deepEqual(log.root(), root);
        const verdict = verifyInclusion(hashLeaf(leaves[index]!), index, size, proof, root);
        assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      }),
      { numRuns: RUNS },
    );
  });

  it('inclusion proofs of a prefix of a larger log equal the reference', () => {
    fc.assert(
      fc.property(consistencyCase, ({ newSize, oldSize, seed, element }) => {
        const leaves = leafData(seed, newSize);
        const log = logOf(leaves);
        const index = element % oldSize;
        const proof = inclusionProof(log, index, oldSize);
        assert.deepEqual(proof, referencePath(index, leaves.slice(0, oldSize)));
      }),
      { numRuns: RUNS },
    );
  });

  it('a flipped bit in an inclusion proof element or the root is rejected', () => {
    fc.assert(
      fc.property(inclusionCase, ({ size, index, seed, bit, element }) => {
        const leaves = leafData(seed, size);
        const log = logOf(leaves);
        const root = log.root();
        const leaf = hashLeaf(leaves[index]!);
        const proof = inclusionProof(log, index, size);
        assert.equal(verifyInclusion(leaf, index, size, proof, withBitFlipped(root, bit)).ok, false);
        assert.equal(verifyInclusion(withBitFlipped(leaf, bit), index, size, proof, root).ok, false);
        const tampered = withElementFlipped(proof, element, bit);
        if (tampered === undefined) return;
        assert.equal(verifyInclusion(leaf, index, size, tampered, root).ok, false);
      }),
      { numRuns: RUNS },
    );
  });

  it('consistency proofs equal the reference PROOF and verify', () => {
    fc.assert(
      fc.property(consistencyCase, ({ oldSize, newSize, seed }) => {
        const leaves = leafData(seed, newSize);
        const log = logOf(leaves);
        const oldRoot = referenceRoot(leaves.slice(0, oldSize));
        const newRoot = referenceRoot(leaves);
        const proof = consistencyProof(log, oldSize, newSize);
        assert.deepEqual(proof, referenceConsistency(oldSize, leaves));
        const verdict = verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
        assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      }),
      { numRuns: RUNS },
    );
  });

  it('a flipped bit in a consistency proof element or either root is rejected', () => {
    fc.assert(
      fc.property(consistencyCase, ({ oldSize, newSize, seed, bit, element }) => {
        const leaves = leafData(seed, newSize);
        const log = logOf(leaves);
        const oldRoot = referenceRoot(leaves.slice(0, oldSize));
        const newRoot = log.root();
        const proof = consistencyProof(log, oldSize, newSize);
        const flippedOld = withBitFlipped(oldRoot, bit);
        const flippedNew = withBitFlipped(newRoot, bit);
        assert.equal(verifyConsistency(oldSize, newSize, flippedOld, newRoot, proof).ok, false);
        assert.equal(verifyConsistency(oldSize, newSize, oldRoot, flippedNew, proof).ok, false);
        const tampered = withElementFlipped(proof, element, bit);
        if (tampered === undefined) return;
        assert.equal(verifyConsistency(oldSize, newSize, oldRoot, newRoot, tampered).ok, false);
      }),
      { numRuns: RUNS },
    );
  });

  it('a proof for one position does not verify at another', () => {
    fc.assert(
      fc.property(inclusionCase, ({ size, index, seed, element }) => {
        const leaves = leafData(seed, size);
        const log = logOf(leaves);
        const otherIndex = element % size;
        fc.pre(otherIndex !== index);
        const proof = inclusionProof(log, index, size);
        const verdict = verifyInclusion(hashLeaf(leaves[index]!), otherIndex, size, proof, log.root());
        assert.equal(verdict.ok, false);
      }),
      { numRuns: RUNS },
    );
  });

  it("a block's overlay: txRoot (from the log's aligned nodes) and logRoot equal the reference", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 100 }),
        fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 100 }),
        (before, block) => {
          const log = new MemoryMerkleLog();
          for (const leaf of before) log.append(hashLeaf(leaf));
          const overlay = new MerkleNodeOverlay(log, log.size);
          for (const leaf of block) overlay.append(hashLeaf(leaf));
          assert.deepEqual(overlay.appendedRoot(), referenceRoot(block));
          assert.deepEqual(overlay.root(), referenceRoot([...before, ...block]));
          assert.equal(overlay.size, before.length + block.length);
          // Every new node is the reference root of the leaves it covers, and appending the same
          // leaves to the log completes exactly these nodes.
          const all = [...before, ...block];
          const added = overlay.addedNodes();
          for (const node of added) {
            const width = 2 ** node.level;
            assert.deepEqual(
              node.hash,
              referenceRoot(all.slice(node.index * width, (node.index + 1) * width)),
            );
            assert.deepEqual(overlay.getNode(node.level, node.index), node.hash);
          }
          const perLeaf = block.reduce((count, _, i) => {
            let nodes = 1;
            for (let index = before.length + i; index % 2 === 1; index = (index - 1) / 2) nodes++;
            return count + nodes;
          }, 0);
          assert.equal(added.length, perLeaf);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
