// Clock skew between validators, made visible (decision 67). A validator prevotes nil on a fresh
// proposal whose block time is more than maxClockDriftMs ahead of its own clock (block-time.ts,
// the "timely" predicate of Tendermint's proposer-based timestamps). That rule is right, but on
// its own a skewed clock shows only as rounds that fail for no stated reason: the proposer's
// rounds when its clock is ahead, every other proposer's when ours is behind.
//
// So every proposal sets its proposer's apparent offset (block time minus our clock at arrival, a
// gauge an operator can graph for each validator), and every untimely one is counted and warned
// about, at most once per LIMITS.minClockSkewWarningGapMs for one proposer, with the count since
// the last warning. When proposals from more than f validators were untimely within that gap,
// more proposers are ahead of us than a quorum could tolerate as faulty, and the warning names
// this node's clock as the likelier culprit.
import type { ConsensusEffect } from '../core/consensus/types.js';
import { LIMITS } from '../core/limits.js';
import type { Clock } from './clock.js';
import type { Logger } from './log/logger.js';
import type { NodeMetrics } from './node-metrics.js';

/** The warning's message, by whether this node votes (logs are read by message: chaos soak, tests). */
export const UNTIMELY_PROPOSAL_WARNINGS = {
  voting:
    "proposal refused: its block time is ahead of this node's clock by more than maxClockDriftMs (prevoted nil)",
  observing: "proposal block time ahead of this node's clock by more than maxClockDriftMs",
} as const;

/** What the consensus machine reports of an untimely proposal (its effect, without the tag). */
export type UntimelyProposal = Omit<Extract<ConsensusEffect, { type: 'untimely-proposal' }>, 'type'>;

export interface ProposalClockWatchOptions {
  readonly logger: Logger;
  readonly metrics: Pick<NodeMetrics, 'proposalsUntimely' | 'proposalTimeAheadSeconds'>;
  readonly clock: Pick<Clock, 'monotonicMs'>;
  /** f: how many validators may be faulty (faultTolerance in certificate-verify.ts). */
  readonly faultyLimit: number;
  /** Whether this node votes (an untimely proposal then gets its nil prevote). */
  readonly voting: boolean;
}

interface ProposerRecord {
  /** Monotonic time of this proposer's latest untimely proposal. */
  lastUntimelyMs: number;
  /** Monotonic time of the latest warning about this proposer, minus infinity before the first. */
  lastWarnedMs: number;
  /** Untimely proposals since that warning. */
  sinceWarning: number;
}

export class ProposalClockWatch {
  readonly #options: ProposalClockWatchOptions;
  /** One record per proposer that was ever untimely: validators only (the machine authenticated them). */
  readonly #proposers = new Map<string, ProposerRecord>();

  constructor(options: ProposalClockWatchOptions) {
    this.#options = options;
  }

  /** Every proposal as it arrives: how far ahead of our clock its block time is (negative: behind). */
  observe(proposer: string, aheadMs: number): void {
    this.#options.metrics.proposalTimeAheadSeconds.set(aheadMs / 1000, { proposer });
  }

  /** A proposal the machine judged untimely. */
  untimely(event: UntimelyProposal): void {
    const { metrics, clock, logger, voting } = this.#options;
    metrics.proposalsUntimely.inc(1, { proposer: event.proposer });
    const nowMs = clock.monotonicMs();
    const record = this.#recordOf(event.proposer);
    record.lastUntimelyMs = nowMs;
    record.sinceWarning++;
    if (nowMs - record.lastWarnedMs < LIMITS.minClockSkewWarningGapMs) return;
    const untimelyProposers = this.#recentlyUntimely(nowMs);
    logger.warn(voting ? UNTIMELY_PROPOSAL_WARNINGS.voting : UNTIMELY_PROPOSAL_WARNINGS.observing, {
      proposer: event.proposer,
      height: event.height,
      round: event.round,
      aheadMs: event.aheadMs,
      maxClockDriftMs: event.maxClockDriftMs,
      untimelySinceLastWarning: record.sinceWarning,
      untimelyProposers,
      likelyCause:
        untimelyProposers.length > this.#options.faultyLimit
          ? "this node's clock is behind"
          : "the proposer's clock is ahead",
    });
    record.lastWarnedMs = nowMs;
    record.sinceWarning = 0;
  }

  #recordOf(proposer: string): ProposerRecord {
    let record = this.#proposers.get(proposer);
    if (record === undefined) {
      record = { lastUntimelyMs: 0, lastWarnedMs: Number.NEGATIVE_INFINITY, sinceWarning: 0 };
      this.#proposers.set(proposer, record);
    }
    return record;
  }

  /** Proposers with an untimely proposal within the warning gap, sorted. */
  #recentlyUntimely(nowMs: number): string[] {
    const recent: string[] = [];
    for (const [proposer, record] of this.#proposers) {
      if (nowMs - record.lastUntimelyMs < LIMITS.minClockSkewWarningGapMs) recent.push(proposer);
    }
    return recent.sort();
  }
}
