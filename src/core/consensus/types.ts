// The vocabulary of the consensus state machine: its inputs (everything that happens to a node),
// its effects (everything the node must then do) and its configuration. The machine is pure:
// time, storage, the network and block validation live in the shell (src/node, test/sim), which
// turns the world into inputs and carries out the effects in order.
import type { ConsensusParams, Validator } from '../config/genesis.js';
import type { Ed25519Signer } from '../crypto/ed25519.js';
import type { Block } from '../ledger/block.js';
import type { CommitCertificate } from '../ledger/certificate.js';
import type { EquivocationEvidence } from './evidence.js';
import type { Proposal, ProposalRequest, Vote } from './messages.js';

/** Algorithm 1, line 4: step_p ∈ {propose, prevote, precommit}. */
export type Step = 'propose' | 'prevote' | 'precommit';

/** One timeout per step (Algorithm 1, lines 57-67). */
export type TimeoutKind = Step;

/** The block the current height builds on: genesis (height 0) or the last committed block. */
export interface LastBlockInfo {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly timeMs: number;
}

/**
 * Test-only switches that plant known bugs, so the simulator can prove it catches them. Never
 * set in production code: the node shell does not even expose them.
 */
export interface ConsensusBugFlags {
  /** Prevote for any valid proposal, as if never locked (breaks lines 23 and 29). */
  readonly ignoreLockWhenPrevoting?: boolean;
  /** Treat f votes (at least one) as a quorum instead of 2f + 1. */
  readonly quorumIsF?: boolean;
}

/**
 * Signature checks of incoming messages. The default uses verifyVoteSignature and
 * verifyProposalSignature (src/core/consensus/signing.ts); the simulator injects the same
 * functions behind a result cache so many simulated nodes do not verify one vote many times.
 */
export interface SignatureVerifier {
  verifyVote(publicKey: Uint8Array, chainId: string, vote: Vote): boolean;
  verifyProposal(publicKey: Uint8Array, chainId: string, proposal: Proposal): boolean;
}

/** Own signed messages, written to the WAL (and fsynced) before they are broadcast. */
export type WalRecord =
  | { readonly type: 'proposal'; readonly proposal: Proposal }
  | {
      readonly type: 'vote';
      readonly vote: Vote;
      /** The locked block, for a non-nil precommit: restores lockedValue after a restart. */
      readonly block: Block | null;
    };

export interface ConsensusInit {
  readonly chainId: string;
  /** Genesis validators in proposer (round-robin) order. */
  readonly validators: readonly Validator[];
  /** Own validator id, or null for an observer (hospital, platform) that only follows. */
  readonly self: string | null;
  /** Signs own proposals and votes; null for an observer. */
  readonly signer: Ed25519Signer | null;
  readonly params: ConsensusParams;
  /** The height to decide now: last committed height + 1. */
  readonly height: number;
  readonly lastBlock: LastBlockInfo;
  /** WAL records of this height, replayed after a restart so no different vote is ever signed. */
  readonly wal?: readonly WalRecord[];
  /** Hash of a block; defaults to blockHashOf (SHA-256 of the canonical header). */
  readonly hashBlock?: (block: Block) => Uint8Array;
  readonly verifier?: SignatureVerifier;
  readonly bugs?: ConsensusBugFlags;
}

export type ConsensusInput =
  /** Algorithm 1, line 10: upon start do StartRound(0) (or resume the round found in the WAL). */
  | { readonly type: 'start-height' }
  /** A proposal from the network; nowMs is the local clock at reception (block-time check). */
  | { readonly type: 'proposal'; readonly proposal: Proposal; readonly nowMs: number }
  | { readonly type: 'vote'; readonly vote: Vote }
  | {
      readonly type: 'timeout';
      readonly kind: TimeoutKind;
      readonly height: number;
      readonly round: number;
    }
  /** The shell's answer to validate-block: verifyBlock and every transaction's policy checks. */
  | {
      readonly type: 'block-validated';
      readonly height: number;
      readonly round: number;
      readonly blockHash: Uint8Array;
      readonly valid: boolean;
      readonly reason?: string;
    }
  /** The shell's answer to request-proposal-block: a block built from the mempool. */
  | {
      readonly type: 'proposal-value';
      readonly height: number;
      readonly round: number;
      readonly block: Block;
    }
  /** The shell's answer to wait-for-txs: the mempool has something to order, or heartbeatMs passed. */
  | { readonly type: 'txs-available'; readonly height: number }
  /** Block sync: a block of the current height with its certificate, already checked by verifyBlock. */
  | { readonly type: 'committed-block'; readonly block: Block; readonly certificate: CommitCertificate }
  /**
   * Periodic tick: re-send own messages of this height, so messages lost before GST get through.
   * `votesOnly`: the votes alone, not our proposal (small, so they may be re-sent more often).
   */
  | { readonly type: 'regossip'; readonly votesOnly?: boolean }
  /** A peer's proposal-request; `from` is the organisation the transport authenticated. */
  | { readonly type: 'proposal-request'; readonly from: string; readonly request: ProposalRequest }
  /** A peer (re)connected: a new connection, maybe a restarted process that lost what we sent. */
  | { readonly type: 'peer-connected'; readonly peer: string };

export type ConsensusEffect =
  | { readonly type: 'broadcast-proposal'; readonly proposal: Proposal }
  | { readonly type: 'broadcast-vote'; readonly vote: Vote }
  /** Ask these organisations (the proposer first) for the proposal of a round we entered late. */
  | {
      readonly type: 'send-proposal-request';
      readonly request: ProposalRequest;
      readonly to: readonly string[];
    }
  /** Send one peer a proposal it asked for or lost (ours or the proposer's, unchanged). */
  | { readonly type: 'send-proposal'; readonly proposal: Proposal; readonly to: string }
  /** Send one peer a vote of ours it may have lost (peer-connected). */
  | { readonly type: 'send-vote'; readonly vote: Vote; readonly to: string }
  /** Write to the WAL and fsync before carrying out any later effect. */
  | { readonly type: 'persist'; readonly record: WalRecord }
  | {
      readonly type: 'schedule-timeout';
      readonly kind: TimeoutKind;
      readonly height: number;
      readonly round: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'validate-block';
      readonly height: number;
      readonly round: number;
      readonly blockHash: Uint8Array;
      readonly block: Block;
    }
  /** Build a block from the mempool (byte and count limits) and answer with proposal-value. */
  | { readonly type: 'request-proposal-block'; readonly height: number; readonly round: number }
  /** Answer with txs-available once the mempool is not empty or heartbeatMs has passed. */
  | { readonly type: 'wait-for-txs'; readonly height: number }
  | {
      readonly type: 'decide';
      readonly height: number;
      readonly round: number;
      readonly blockHash: Uint8Array;
      readonly block: Block;
      readonly certificate: CommitCertificate;
    }
  | { readonly type: 'evidence'; readonly evidence: EquivocationEvidence }
  /**
   * A fresh proposal (validRound -1) whose block time was more than maxClockDriftMs ahead of our
   * clock when it arrived: a validator prevotes nil on it (block-time.ts). Reported so that skew,
   * the proposer's clock ahead or ours behind, is seen and not only felt as failed rounds.
   */
  | {
      readonly type: 'untimely-proposal';
      readonly height: number;
      readonly round: number;
      readonly proposer: string;
      /** Block time minus our clock at arrival, > maxClockDriftMs. */
      readonly aheadMs: number;
      readonly maxClockDriftMs: number;
    }
  /** The height reached LIMITS.maxRoundsPerHeight: the node stops advancing and says so. */
  | { readonly type: 'halted'; readonly height: number; readonly round: number };

export interface StepResult<State> {
  readonly state: State;
  readonly effects: readonly ConsensusEffect[];
}
