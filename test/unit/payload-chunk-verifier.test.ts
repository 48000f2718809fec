// The receiver's per-chunk check (design section 9) on its own: each rejection names its reason,
// an index outside the declared tree included, before any hashing.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { inclusionProof, leafHash, MemoryMerkleLog, merkleRoot } from '../../src/core/merkle/index.js';
import { ChunkVerifier } from '../../src/node/transfer/chunk-verifier.js';
import { AEAD_TAG_BYTES } from '../../src/node/transfer/layout.js';

describe('payload chunk verifier', () => {
  // 25 container bytes in chunks of 10: three sealed chunks of 26, 26 and 21 bytes.
  const sealed = [26, 26, 21].map((size) => new Uint8Array(randomBytes(size)));
  const leaves = sealed.map((chunk) => leafHash(chunk));
  const tree = new MemoryMerkleLog();
  for (const leaf of leaves) tree.append(leaf);
  const declared = (chunkCount: number) =>
    ChunkVerifier.create({
      root: merkleRoot(leaves),
      bytes: 25 + 3 * AEAD_TAG_BYTES,
      chunkBytes: 10,
      chunkCount,
      ephemeralKey: new Uint8Array(32),
    });
  const created = declared(3);
  assert.ok(created.ok);
  const verifier = created.verifier;
  const proof = (index: number) => inclusionProof(tree, index, 3);

  it('accepts every chunk of the declared tree with its proof, and the leaves rebuild the root', () => {
    for (let index = 0; index < 3; index++) {
      const verdict = verifier.verify(index, proof(index), sealed[index]!);
      assert.ok(verdict.ok);
      assert.deepEqual(verdict.leaf, leaves[index]);
    }
    assert.equal(verifier.rebuildsRoot(leaves), true);
    assert.equal(verifier.rebuildsRoot(leaves.slice(0, 2)), false);
    assert.equal(verifier.rebuildsRoot([leaves[1]!, leaves[0]!, leaves[2]!]), false);
  });

  it('refuses an index outside the declared chunks as CHUNK_OUT_OF_RANGE', () => {
    for (const index of [3, 4, -1, 1.5, Number.NaN, 2 ** 53]) {
      const verdict = verifier.verify(index, proof(2), sealed[2]!);
      assert.equal(verdict.ok, false, String(index));
      assert.equal(!verdict.ok && verdict.reason, 'CHUNK_OUT_OF_RANGE', String(index));
    }
  });

  it('refuses a chunk of another size as CHUNK_SIZE_INVALID, and a wrong proof as CHUNK_PROOF_INVALID', () => {
    const short = verifier.verify(0, proof(0), sealed[0]!.subarray(1));
    assert.equal(!short.ok && short.reason, 'CHUNK_SIZE_INVALID');
    const wrongProof = verifier.verify(0, proof(1), sealed[0]!);
    assert.equal(!wrongProof.ok && wrongProof.reason, 'CHUNK_PROOF_INVALID');
    const swapped = verifier.verify(1, proof(1), sealed[0]!);
    assert.equal(!swapped.ok && swapped.reason, 'CHUNK_PROOF_INVALID');
  });

  it('refuses a declared layout that does not fit', () => {
    assert.equal(declared(4).ok, false);
  });
});
