// The result of applying one block (applyBlock): everything the store writes in the block's one
// atomic batch besides the block and certificate themselves, and everything the header commits to.
import type { MerkleNode } from '../merkle/index.js';
import type { StateWrite } from './state-kv.js';

/** The verdict of one transaction, as applyTx returned it (it is also in state bucket 'outcome'). */
export interface AppliedTxOutcome {
  readonly txId: Uint8Array;
  readonly accepted: boolean;
  readonly reasons: readonly string[];
  /** consentId of a grant, transferId of a declaration (objectIdOf). */
  readonly objectId: Uint8Array;
}

export interface AppliedBlock {
  readonly height: number;
  /** SHA-256 of each canonical envelope, in block order. */
  readonly txIds: readonly Uint8Array[];
  /** RFC 9162 leaf hash of each envelope, in block order: the log's new leaves. */
  readonly logLeaves: readonly Uint8Array[];
  /** Complete perfect subtrees of the log that this block's leaves complete (level 0 included). */
  readonly merkleNodes: readonly MerkleNode[];
  /** State changes, sorted by bucket then key (StateOverlay.writes). */
  readonly writes: readonly StateWrite[];
  /**
   * Canonical bytes of each write's value (null for a delete), aligned with `writes`: the bytes the
   * stateHash covers, so the store writes and caches them without encoding again. Absent on results
   * built by hand; the store then encodes the values itself.
   */
  readonly encodedWrites?: readonly (Uint8Array | null)[];
  readonly outcomes: readonly AppliedTxOutcome[];
  readonly txRoot: Uint8Array;
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  readonly stateHash: Uint8Array;
}
