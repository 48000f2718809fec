// Evidence as bytes: canonical CBOR (RFC 8949 section 4.2.1) of the two signed messages
// themselves, read back through closed schemas. Only the messages are encoded; validator, height,
// round and type are taken from the first message on decode, so a record can never carry
// summary fields that disagree with what was signed (verifyEvidence checks the second message).
import { decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { literal, object, type Schema, union } from '../codec/schema.js';
import { SIGNED_PROPOSAL_SCHEMA, VOTE_SCHEMA, voteToCbor } from './codec.js';
import {
  type EquivocationEvidence,
  proposalEvidence,
  type SignedProposal,
  signedProposalOf,
  voteEvidence,
} from './evidence.js';
import type { Vote } from './messages.js';

/** Two signed messages and their field names: far below this. */
export const MAX_EVIDENCE_BYTES = 4096;

type EncodedEvidence =
  | { kind: 'vote'; voteA: Vote; voteB: Vote }
  | { kind: 'proposal'; proposalA: SignedProposal; proposalB: SignedProposal };

const EVIDENCE: Schema<EncodedEvidence> = union<EncodedEvidence>('kind', {
  vote: object({ kind: literal('vote'), voteA: VOTE_SCHEMA, voteB: VOTE_SCHEMA }),
  proposal: object({
    kind: literal('proposal'),
    proposalA: SIGNED_PROPOSAL_SCHEMA,
    proposalB: SIGNED_PROPOSAL_SCHEMA,
  }),
});

export function encodeEvidence(evidence: EquivocationEvidence): Uint8Array {
  if (evidence.kind === 'vote') {
    return encodeCanonical({
      kind: 'vote',
      voteA: voteToCbor(evidence.voteA),
      voteB: voteToCbor(evidence.voteB),
    });
  }
  return encodeCanonical({
    kind: 'proposal',
    proposalA: signedProposalOf(evidence.proposalA),
    proposalB: signedProposalOf(evidence.proposalB),
  });
}

/** Reads evidence back; anything but the canonical encoding of two well-formed messages is refused. */
export function decodeEvidence(encoded: Uint8Array): EquivocationEvidence {
  const value = EVIDENCE.parse(decodeCanonical(encoded, MAX_EVIDENCE_BYTES), '$');
  return value.kind === 'vote'
    ? voteEvidence(value.voteA, value.voteB)
    : proposalEvidence(value.proposalA, value.proposalB);
}
