// Signed bytes of consensus messages. Each message type has its own signing domain
// ('consensus.proposal', 'consensus.prevote', 'consensus.precommit', bound to the chainId), and
// the signed body binds height, round and the block hash, so a signature can be replayed neither
// as another type, nor at another height or round, nor on another network (design section 3).
import { encodeCanonical } from '../codec/canonical.js';
import { type SigningDomain, signInDomain, verifyInDomain } from '../crypto/domain.js';
import type { Ed25519Signer } from '../crypto/ed25519.js';
import type { VoteType } from './messages.js';

function voteDomain(type: VoteType): SigningDomain {
  return type === 'prevote' ? 'consensus.prevote' : 'consensus.precommit';
}

/** Canonical body of a vote; nil is encoded as null. */
export function voteSigningBytes(height: number, round: number, blockHash: Uint8Array | null): Uint8Array {
  return encodeCanonical({ height, round, blockHash });
}

export function signVote(
  signer: Ed25519Signer,
  chainId: string,
  type: VoteType,
  height: number,
  round: number,
  blockHash: Uint8Array | null,
): Uint8Array {
  return signInDomain(signer, voteDomain(type), chainId, voteSigningBytes(height, round, blockHash));
}

export function verifyVoteSignature(
  publicKey: Uint8Array,
  chainId: string,
  type: VoteType,
  height: number,
  round: number,
  blockHash: Uint8Array | null,
  signature: Uint8Array,
): boolean {
  return verifyInDomain(
    publicKey,
    voteDomain(type),
    chainId,
    voteSigningBytes(height, round, blockHash),
    signature,
  );
}

/** Canonical body of a proposal: the block travels beside it and must hash to blockHash. */
export function proposalSigningBytes(
  height: number,
  round: number,
  validRound: number,
  blockHash: Uint8Array,
): Uint8Array {
  return encodeCanonical({ height, round, validRound, blockHash });
}

export function signProposal(
  signer: Ed25519Signer,
  chainId: string,
  height: number,
  round: number,
  validRound: number,
  blockHash: Uint8Array,
): Uint8Array {
  return signInDomain(
    signer,
    'consensus.proposal',
    chainId,
    proposalSigningBytes(height, round, validRound, blockHash),
  );
}

export function verifyProposalSignature(
  publicKey: Uint8Array,
  chainId: string,
  height: number,
  round: number,
  validRound: number,
  blockHash: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verifyInDomain(
    publicKey,
    'consensus.proposal',
    chainId,
    proposalSigningBytes(height, round, validRound, blockHash),
    signature,
  );
}
