// Equivocation evidence (design section 7): two different votes, both validly signed by one
// validator for one height, round and type. Either vote alone is harmless; the pair is proof of a
// Byzantine validator that anyone can check with the genesis keys, so it is kept and later
// reported to the ledger.
import { bytesEqual } from '../bytes.js';
import type { Vote, VoteType } from './messages.js';

export interface EquivocationEvidence {
  readonly validator: string;
  readonly height: number;
  readonly round: number;
  readonly type: VoteType;
  /** The vote seen first. */
  readonly voteA: Vote;
  /** A later vote of the same validator, height, round and type, for another block (or nil). */
  readonly voteB: Vote;
}

export function sameBlockHash(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return bytesEqual(a, b);
}

/** True when the two votes convict their signer (signatures are checked by the caller). */
export function isEquivocation(a: Vote, b: Vote): boolean {
  return (
    a.validator === b.validator &&
    a.height === b.height &&
    a.round === b.round &&
    a.type === b.type &&
    !sameBlockHash(a.blockHash, b.blockHash)
  );
}
