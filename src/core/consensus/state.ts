// The state of one node's consensus for one height (Algorithm 1, lines 1-9) plus what the
// algorithm's "upon" rules need to remember: the messages received per round, which rules already
// fired "for the first time", own signed messages, block validity verdicts and buffered messages
// of the next heights. The state is immutable: step() returns a new one and never changes its input.
import type { ConsensusParams, Validator } from '../config/genesis.js';
import type { Ed25519Signer } from '../crypto/ed25519.js';
import type { Block } from '../ledger/block.js';
import type { EquivocationEvidence } from './evidence.js';
import type { Proposal, Vote, VoteType } from './messages.js';
import type { ConsensusBugFlags, LastBlockInfo, SignatureVerifier, Step } from './types.js';

/** Map key of a nil vote in the tallies; a real key is 64 hex digits, so it cannot collide. */
export const NIL_KEY = 'nil';

/** A value of Algorithm 1 (a block) with its id (hash) and the hash as hex for map keys. */
export interface ValueRef {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly key: string;
}

export interface ReceivedProposal {
  readonly proposal: Proposal;
  readonly key: string;
  /** Block time at most maxClockDriftMs ahead of our clock when it arrived (block-time.ts). */
  readonly timely: boolean;
}

/**
 * Validly signed votes of one type in one round. The paper counts messages: "2f + 1 ⟨PREVOTE,
 * h_p, r, id(v)⟩" holds when 2f + 1 distinct validators signed a prevote for id(v). A Byzantine
 * validator that signs two values is therefore counted for each of them (correct validators sign
 * one), which keeps quorum intersection intact and lets correct nodes that heard the two votes
 * in different orders still agree on the tallies. Each validator has at most
 * LIMITS.maxProposalsPerRound + 1 values per slot, so the tally stays bounded.
 */
export interface VoteTally {
  /** Block hash key (or NIL_KEY) -> validator id -> vote. */
  readonly byValue: ReadonlyMap<string, ReadonlyMap<string, Vote>>;
  /** Validator id -> the value keys it signed, first first. */
  readonly byValidator: ReadonlyMap<string, readonly string[]>;
}

/** Everything received for one round of the current height. */
export interface RoundState {
  /** From proposer(h, r), in arrival order; more than one only if the proposer equivocates. */
  readonly proposals: readonly ReceivedProposal[];
  readonly prevotes: VoteTally;
  readonly precommits: VoteTally;
  /** Validators with any validly signed message in this round (line 55: f + 1 of them). */
  readonly senders: ReadonlySet<string>;
  /** Accepted messages, bounded by LIMITS.maxMessagesPerRound. */
  readonly messageCount: number;
  /** Line 34 fired ("for the first time"). */
  readonly prevoteTimeoutScheduled: boolean;
  /** Line 36 fired ("for the first time"). */
  readonly lockOrValidUpdated: boolean;
  /** Line 47 fired ("for the first time"). */
  readonly precommitTimeoutScheduled: boolean;
}

export type Validity = 'pending' | 'valid' | 'invalid';

/** A message of a later height, kept until we get there (at most LIMITS.maxFutureHeights ahead). */
export type FutureMessage =
  | { readonly type: 'vote'; readonly vote: Vote }
  | { readonly type: 'proposal'; readonly proposal: Proposal; readonly nowMs: number };

/** What never changes while the node runs: configuration and values derived from it. */
export interface ConsensusSetup {
  readonly chainId: string;
  readonly validators: readonly Validator[];
  readonly validatorIndex: ReadonlyMap<string, number>;
  readonly self: string | null;
  readonly signer: Ed25519Signer | null;
  readonly params: ConsensusParams;
  /** f = floor((n - 1) / 3): Byzantine validators tolerated. */
  readonly faultyMax: number;
  /** 2f + 1 in the paper: quorumSize(n) from certificate-verify.ts. */
  readonly quorum: number;
  readonly hashBlock: (block: Block) => Uint8Array;
  readonly verifier: SignatureVerifier;
  readonly bugs: ConsensusBugFlags;
}

export interface ConsensusState {
  readonly setup: ConsensusSetup;
  /** Algorithm 1, lines 2-4: h_p, round_p, step_p. */
  readonly height: number;
  readonly round: number;
  readonly step: Step;
  /** Line 10 happened (start-height received). Messages that arrive before are kept. */
  readonly started: boolean;
  /** Round 0 waits for something to order before its propose timeout runs (no empty blocks). */
  readonly awaitingTxs: boolean;
  /** Lines 6-9. */
  readonly lockedValue: ValueRef | null;
  readonly lockedRound: number;
  readonly validValue: ValueRef | null;
  readonly validRound: number;
  readonly lastBlock: LastBlockInfo;
  readonly rounds: ReadonlyMap<number, RoundState>;
  /** Every block proposed at this height, by hash key. */
  readonly blocks: ReadonlyMap<string, Block>;
  /** valid(v) of Algorithm 1, by hash key: the shell's verdict, or ours for structural faults. */
  readonly validity: ReadonlyMap<string, Validity>;
  /** Own signed votes of this height, by ownVoteKey(type, round). Never replaced once set. */
  readonly ownVotes: ReadonlyMap<string, Vote>;
  /** Own signed proposals of this height, by round. Never replaced once set. */
  readonly ownProposals: ReadonlyMap<number, Proposal>;
  /** Step recovered from the WAL, applied when the round is resumed at start-height. */
  readonly restoredStep: Step | null;
  readonly future: readonly FutureMessage[];
  readonly futureKeys: ReadonlySet<string>;
  /** Buffered messages per sender (bounded; see receive.ts). */
  readonly futureBySender: ReadonlyMap<string, number>;
  /** Evidence found at this height; one per (validator, round, type). */
  readonly evidence: readonly EquivocationEvidence[];
  /**
   * The rounds whose proposal we sent each peer that asked, over its current connection
   * (missed-messages.ts): one answer per peer, round and connection, so a peer cannot make us
   * send a block again and again.
   */
  readonly proposalRequestsAnswered: ReadonlyMap<string, ReadonlySet<number>>;
  /** Rounds of this height whose proposal we asked for (once each: missed-messages.ts). */
  readonly proposalsAsked: ReadonlySet<number>;
  /**
   * Connections of each peer at this height that we repaired (missed-messages.ts), at most
   * LIMITS.maxConnectRepairsPerHeight each.
   */
  readonly connectRepairs: ReadonlyMap<string, number>;
  /** The height reached LIMITS.maxRoundsPerHeight. */
  readonly halted: boolean;
}

/** The part of the state that belongs to one height, as it is when that height begins. */
export type HeightStart = Pick<
  ConsensusState,
  | 'height'
  | 'round'
  | 'step'
  | 'awaitingTxs'
  | 'lockedValue'
  | 'lockedRound'
  | 'validValue'
  | 'validRound'
  | 'lastBlock'
  | 'rounds'
  | 'blocks'
  | 'validity'
  | 'ownVotes'
  | 'ownProposals'
  | 'restoredStep'
  | 'evidence'
  | 'proposalRequestsAnswered'
  | 'proposalsAsked'
  | 'connectRepairs'
>;

/**
 * A height as it begins, on the first height (Algorithm 1, lines 2-9: round 0, step propose,
 * nothing locked or valid) and after each decision (lines 52-53: the same reset at h_p + 1).
 * One function for both, so a field added to the per-height state is reset in both places.
 * Nothing received, signed or found yet belongs to the new height.
 */
export function heightStart(height: number, lastBlock: LastBlockInfo): HeightStart {
  return {
    height,
    round: 0,
    step: 'propose',
    awaitingTxs: false,
    lockedValue: null,
    lockedRound: -1,
    validValue: null,
    validRound: -1,
    lastBlock,
    rounds: new Map(),
    blocks: new Map(),
    validity: new Map(),
    ownVotes: new Map(),
    ownProposals: new Map(),
    restoredStep: null,
    evidence: [],
    proposalRequestsAnswered: new Map(),
    proposalsAsked: new Set(),
    connectRepairs: new Map(),
  };
}

export function ownVoteKey(type: VoteType, round: number): string {
  return `${type}/${round}`;
}

/** Own votes of this height, the latest round first, a precommit before the prevote of its round. */
export function ownVotesNewestFirst(state: ConsensusState): Vote[] {
  return [...state.ownVotes.values()].sort((a, b) => b.round - a.round || (a.type < b.type ? -1 : 1));
}

const EMPTY_TALLY: VoteTally = { byValue: new Map(), byValidator: new Map() };

export function emptyRound(): RoundState {
  return {
    proposals: [],
    prevotes: EMPTY_TALLY,
    precommits: EMPTY_TALLY,
    senders: new Set(),
    messageCount: 0,
    prevoteTimeoutScheduled: false,
    lockOrValidUpdated: false,
    precommitTimeoutScheduled: false,
  };
}

const EMPTY_ROUND = emptyRound();

export function roundOf(state: ConsensusState, round: number): RoundState {
  return state.rounds.get(round) ?? EMPTY_ROUND;
}

export function withRound(state: ConsensusState, round: number, next: RoundState): ConsensusState {
  const rounds = new Map(state.rounds);
  rounds.set(round, next);
  return { ...state, rounds };
}
