// Consensus messages (Tendermint, arXiv:1807.04938, Algorithm 1): PROPOSAL and the two vote
// types. Every message is signed in its own domain and bound to chainId (by the domain), height,
// round and type, so a vote can never be replayed as another vote, another height, or a record.
import type { Block } from '../ledger/block.js';

export type VoteType = 'prevote' | 'precommit';

export interface Vote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** Block hash voted for, or null for nil. */
  readonly blockHash: Uint8Array | null;
  /** Organisation id of the voting validator. */
  readonly validator: string;
  readonly signature: Uint8Array;
}

export interface Proposal {
  readonly height: number;
  readonly round: number;
  /** Algorithm 1's validRound: -1 when the proposer had no valid value. */
  readonly validRound: number;
  readonly blockHash: Uint8Array;
  readonly proposer: string;
  readonly signature: Uint8Array;
  /** The proposed block itself travels with the proposal; its hash must equal blockHash. */
  readonly block: Block;
}

/**
 * A node's request for proposer(h, r)'s proposal, after it entered round r part-way through
 * (line 55) without it. Unsigned: it asks for signed data the receiver checks anyway, and the
 * transport names the asking peer (missed-messages.ts).
 */
export interface ProposalRequest {
  readonly height: number;
  readonly round: number;
}
