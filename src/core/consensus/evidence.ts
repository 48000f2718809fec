// Equivocation evidence (design section 7): two different messages, both validly signed by one
// validator for one slot. Either message alone is harmless; the pair is proof of a Byzantine
// validator that anyone can check with the genesis keys (verifyEvidence), so the node keeps it and
// reports it. Two kinds (arXiv:1807.04938, section 4: a correct process sends at most one
// message of each type per height and round):
//  - vote: two prevotes (or two precommits) of one validator for one height and round, for
//    different block hashes (nil counts as a value);
//  - proposal: two proposals signed by proposer(h, r) for one height and round, for different
//    block hashes.
import { bytesEqual } from '../bytes.js';
import type { Proposal, Vote, VoteType } from './messages.js';

/**
 * What a proposal's signature covers (signing.ts, proposalSigningBytes): the block travels beside
 * it and is not needed to convict, so evidence keeps the signed part only.
 */
export type SignedProposal = Omit<Proposal, 'block'>;

export interface VoteEquivocation {
  readonly kind: 'vote';
  readonly validator: string;
  readonly height: number;
  readonly round: number;
  readonly type: VoteType;
  /** The vote seen first. */
  readonly voteA: Vote;
  /** A later vote of the same validator, height, round and type, for another block (or nil). */
  readonly voteB: Vote;
}

export interface ProposalEquivocation {
  readonly kind: 'proposal';
  /** proposer(height, round), who signed both. */
  readonly validator: string;
  readonly height: number;
  readonly round: number;
  /** The proposal seen first. */
  readonly proposalA: SignedProposal;
  /** A later proposal of the same proposer, height and round, for another block. */
  readonly proposalB: SignedProposal;
}

export type EquivocationEvidence = VoteEquivocation | ProposalEquivocation;

export type EvidenceKind = EquivocationEvidence['kind'];

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

/** True when the two proposals convict their signer (signatures are checked by the caller). */
export function isProposalEquivocation(a: SignedProposal, b: SignedProposal): boolean {
  return (
    a.proposer === b.proposer &&
    a.height === b.height &&
    a.round === b.round &&
    !bytesEqual(a.blockHash, b.blockHash)
  );
}

/** The signed part of a proposal, without its block. */
export function signedProposalOf(proposal: SignedProposal): SignedProposal {
  const { height, round, validRound, blockHash, proposer, signature } = proposal;
  return { height, round, validRound, blockHash, proposer, signature };
}

export function voteEvidence(voteA: Vote, voteB: Vote): VoteEquivocation {
  const { validator, height, round, type } = voteA;
  return { kind: 'vote', validator, height, round, type, voteA, voteB };
}

export function proposalEvidence(first: SignedProposal, second: SignedProposal): ProposalEquivocation {
  const { proposer, height, round } = first;
  return {
    kind: 'proposal',
    validator: proposer,
    height,
    round,
    proposalA: signedProposalOf(first),
    proposalB: signedProposalOf(second),
  };
}

/**
 * The slot a piece of evidence convicts: one per (kind, type, round, validator) at its height.
 * The machine reports each slot once, and the node's store keeps one record per slot.
 */
export function evidenceSlot(evidence: EquivocationEvidence): string {
  const message = evidence.kind === 'vote' ? evidence.type : 'proposal';
  return `${evidence.round}/${message}/${evidence.validator}`;
}
