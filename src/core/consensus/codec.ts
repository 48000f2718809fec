// Wire and WAL form of consensus messages: canonical CBOR (RFC 8949 section 4.2.1) read back
// through closed schemas, size-limited before decoding. Garbage, a second encoding of one
// message, unknown fields or out-of-range numbers are refused with a typed error (BayledgerError),
// so the network layer can drop the message and the peer. Blocks use the ledger's block codec.
import { type CborMap, decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { bytes, identifier, literal, nullable, object, type Schema, uint } from '../codec/schema.js';
import { SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { fail } from '../errors.js';
import type { Block } from '../ledger/block.js';
import { blockFromCbor, blockToCbor } from '../ledger/block-codec.js';
import { LIMITS } from '../limits.js';
import { type SignedProposal, signedProposalOf } from './evidence.js';
import type { Proposal, ProposalRequest, Vote } from './messages.js';
import type { WalRecord } from './types.js';

/** The messages that carry a validator's signature (the network checks it on receipt). */
export type SignedConsensusMessage =
  | { readonly type: 'proposal'; readonly proposal: Proposal }
  | { readonly type: 'vote'; readonly vote: Vote };

export type ConsensusMessage =
  | SignedConsensusMessage
  | { readonly type: 'proposal-request'; readonly request: ProposalRequest };

const BLOCK: Schema<Block> = {
  description: 'block',
  parse: (value, path) => blockFromCbor(value, path),
};

/** A vote as it travels and as evidence keeps it (evidence-codec.ts). */
export const VOTE_SCHEMA: Schema<Vote> = object({
  type: literal('prevote', 'precommit'),
  height: uint(),
  round: uint(LIMITS.maxRoundsPerHeight),
  blockHash: nullable(bytes(HASH_BYTES)),
  validator: identifier(LIMITS.maxIdentifierChars),
  signature: bytes(SIGNATURE_BYTES),
});

/** The fields a proposal's signature covers (signing.ts); the block travels beside them. */
const SIGNED_PROPOSAL_FIELDS = {
  height: uint(),
  round: uint(LIMITS.maxRoundsPerHeight),
  validRound: uint(LIMITS.maxRoundsPerHeight - 1, -1),
  blockHash: bytes(HASH_BYTES),
  proposer: identifier(LIMITS.maxIdentifierChars),
  signature: bytes(SIGNATURE_BYTES),
};

/** A proposal without its block, as evidence keeps it (evidence-codec.ts). */
export const SIGNED_PROPOSAL_SCHEMA: Schema<SignedProposal> = object(SIGNED_PROPOSAL_FIELDS);

const PROPOSAL: Schema<Proposal> = object({ ...SIGNED_PROPOSAL_FIELDS, block: BLOCK });

const PROPOSAL_REQUEST: Schema<ProposalRequest> = object({
  height: uint(),
  round: uint(LIMITS.maxRoundsPerHeight),
});

const MESSAGE_TYPE = object({ type: literal('proposal', 'vote', 'proposal-request') });

/** The WAL keeps own signed messages only. */
const WAL_RECORD_TYPE = object({ type: literal('proposal', 'vote') });

export function voteToCbor(vote: Vote): CborMap {
  return {
    type: vote.type,
    height: vote.height,
    round: vote.round,
    blockHash: vote.blockHash,
    validator: vote.validator,
    signature: vote.signature,
  };
}

function proposalToCbor(proposal: Proposal): CborMap {
  return { ...signedProposalOf(proposal), block: blockToCbor(proposal.block) };
}

function messageToCbor(message: ConsensusMessage): CborMap {
  switch (message.type) {
    case 'vote':
      return { type: 'vote', vote: voteToCbor(message.vote) };
    case 'proposal':
      return { type: 'proposal', proposal: proposalToCbor(message.proposal) };
    case 'proposal-request':
      return {
        type: 'proposal-request',
        request: { height: message.request.height, round: message.request.round },
      };
  }
}

export function encodeConsensusMessage(message: ConsensusMessage): Uint8Array {
  const encoded = encodeCanonical(messageToCbor(message));
  if (encoded.byteLength > LIMITS.maxMessageBytes) {
    fail('MESSAGE_TOO_LARGE', `${encoded.byteLength} bytes, the limit is ${LIMITS.maxMessageBytes}`);
  }
  return encoded;
}

function asMap(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail('SCHEMA_INVALID', 'expected a map', path);
  }
  return value as Record<string, unknown>;
}

export function decodeConsensusMessage(encoded: Uint8Array): ConsensusMessage {
  const value = asMap(decodeCanonical(encoded, LIMITS.maxMessageBytes), '$');
  MESSAGE_TYPE.parse({ type: value.type }, '$');
  if (value.type === 'vote') {
    const { vote } = object({ type: literal('vote'), vote: VOTE_SCHEMA }).parse(value, '$');
    return { type: 'vote', vote };
  }
  if (value.type === 'proposal-request') {
    const { request } = object({ type: literal('proposal-request'), request: PROPOSAL_REQUEST }).parse(
      value,
      '$',
    );
    return { type: 'proposal-request', request };
  }
  const { proposal } = object({ type: literal('proposal'), proposal: PROPOSAL }).parse(value, '$');
  return { type: 'proposal', proposal };
}

const WAL_VOTE = object({ type: literal('vote'), vote: VOTE_SCHEMA, block: nullable(BLOCK) });
const WAL_PROPOSAL = object({ type: literal('proposal'), proposal: PROPOSAL });

export function encodeWalRecord(record: WalRecord): Uint8Array {
  if (record.type === 'proposal') {
    return encodeCanonical({ type: 'proposal', proposal: proposalToCbor(record.proposal) });
  }
  return encodeCanonical({
    type: 'vote',
    vote: voteToCbor(record.vote),
    block: record.block === null ? null : blockToCbor(record.block),
  });
}

/** Reads a WAL record back; a torn or corrupt record is a typed error for the store to report. */
export function decodeWalRecord(encoded: Uint8Array): WalRecord {
  const value = asMap(decodeCanonical(encoded, LIMITS.maxMessageBytes), '$');
  WAL_RECORD_TYPE.parse({ type: value.type }, '$');
  if (value.type === 'vote') return WAL_VOTE.parse(value, '$');
  return WAL_PROPOSAL.parse(value, '$');
}
