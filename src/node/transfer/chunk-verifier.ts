// Per-chunk verification at the receiver (design section 9): each sealed chunk arrives with its
// RFC 9162 inclusion proof and is checked against the declared root BEFORE anything is written,
// so a bad chunk is refused the moment it arrives, and every chunk on disk is one the hospital
// committed to in its signed declaration. Pure and synchronous: hashing only.

import { bytesEqual } from '../../core/bytes.js';
import { leafHash, merkleRoot, verifyInclusion } from '../../core/merkle/index.js';
import type { PayloadCommitment } from './commitment.js';
import { chunkSealedBytes, layoutForDeclared, type PayloadLayout } from './layout.js';

export type ChunkRejection = 'CHUNK_OUT_OF_RANGE' | 'CHUNK_SIZE_INVALID' | 'CHUNK_PROOF_INVALID';

export type ChunkVerdict =
  | { ok: true; leaf: Uint8Array }
  | { ok: false; reason: ChunkRejection; detail: string };

export type VerifierVerdict = { ok: true; verifier: ChunkVerifier } | { ok: false; detail: string };

export class ChunkVerifier {
  readonly root: Uint8Array;
  readonly layout: PayloadLayout;

  private constructor(root: Uint8Array, layout: PayloadLayout) {
    this.root = root;
    this.layout = layout;
  }

  /** A verifier for a declared commitment; refuses a (bytes, chunkBytes, chunkCount) that do not fit. */
  static create(commitment: PayloadCommitment): VerifierVerdict {
    const verdict = layoutForDeclared(commitment.bytes, commitment.chunkBytes, commitment.chunkCount);
    if (!verdict.ok) return { ok: false, detail: verdict.reason };
    return { ok: true, verifier: new ChunkVerifier(commitment.root, verdict.layout) };
  }

  /** RFC 9162 2.1.3.2: is `sealed` the leaf at `index` of the declared tree? */
  verify(index: number, proof: Uint8Array[], sealed: Uint8Array): ChunkVerdict {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.layout.chunkCount) {
      return {
        ok: false,
        reason: 'CHUNK_OUT_OF_RANGE',
        detail: `chunk ${index} of ${this.layout.chunkCount}`,
      };
    }
    const expectedBytes = chunkSealedBytes(this.layout, index);
    if (sealed.byteLength !== expectedBytes) {
      return {
        ok: false,
        reason: 'CHUNK_SIZE_INVALID',
        detail: `chunk ${index} has ${sealed.byteLength} bytes, the layout says ${expectedBytes}`,
      };
    }
    const leaf = leafHash(sealed);
    const inclusion = verifyInclusion(leaf, index, this.layout.chunkCount, proof, this.root);
    if (!inclusion.ok) {
      return { ok: false, reason: 'CHUNK_PROOF_INVALID', detail: `chunk ${index}: ${inclusion.reason}` };
    }
    return { ok: true, leaf };
  }

  /** RFC 9162 2.1.1: do these leaves (all of them, in order) rebuild the declared root? */
  rebuildsRoot(leaves: Uint8Array[]): boolean {
    return leaves.length === this.layout.chunkCount && bytesEqual(merkleRoot(leaves), this.root);
  }
}
