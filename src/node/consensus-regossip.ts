// When the driver re-sends its own consensus messages: only after the machine has not moved
// (height, round or step) for a whole regossip interval. The loss that re-sending repairs shows up
// as a stall (arXiv:1807.04938 section 2 needs messages to arrive eventually, not repeatedly).
// Re-sending on a fixed beat instead re-broadcast every proposal, block included, to every peer
// each second under load, when heights take longer than that.
//
// While the stall lasts, the wait doubles after each re-send (up to LIMITS.maxRegossipIntervalMs):
// under overload a height can take many seconds without any loss, and re-sending whole proposals
// every second then only added to the overload (traced: a validator re-broadcast a 2,000
// transaction proposal to six peers eleven times in one height). A lost message is still
// re-sent within one interval of the stall, and again after 2, 4, 8 ... intervals.
//
// The votes alone (a few hundred bytes) go out again every interval while the stall lasts: a
// validator that has just come back (a restart, a healed partition) learns the others' round from
// them (f + 1 messages of a higher round, arXiv:1807.04938 Algorithm 1 line 55), and with the
// doubling it waited up to 8 s for them while the others, one vote short of a quorum, waited for
// it (the fault soak: stalls of 12-17 s with validators away one after another).
import type { ConsensusState } from '../core/consensus/state.js';
import { LIMITS } from '../core/limits.js';
import type { Clock } from './clock.js';

/** Intervals only: a step of the wall clock must neither delay nor hurry a re-send. */
export type IntervalClock = Pick<Clock, 'monotonicMs'>;

export type Progress = Pick<ConsensusState, 'height' | 'round' | 'step'>;

export class StallWatch {
  readonly #clock: IntervalClock;
  readonly #regossipMs: number;
  /** Monotonic time when the machine last moved or we last re-sent; the next re-send waits from here. */
  #sinceMs: number;
  /** How long the current stall must last before the next re-send. */
  #waitMs: number;
  /** Monotonic time when the machine last moved or we last re-sent anything (votes or all). */
  #votesSinceMs: number;
  #progressAt: Progress | undefined;

  constructor(clock: IntervalClock, regossipMs: number) {
    this.#clock = clock;
    this.#regossipMs = regossipMs;
    this.#waitMs = regossipMs;
    this.#sinceMs = clock.monotonicMs();
    this.#votesSinceMs = this.#sinceMs;
  }

  /** Called after every input: a changed height, round or step restarts the interval. */
  noteProgress(state: Progress): void {
    const last = this.#progressAt;
    if (last?.height === state.height && last.round === state.round && last.step === state.step) return;
    this.#progressAt = { height: state.height, round: state.round, step: state.step };
    this.#sinceMs = this.#clock.monotonicMs();
    this.#votesSinceMs = this.#sinceMs;
    this.#waitMs = this.#regossipMs;
  }

  /**
   * True when a re-send is due: the machine has not moved for one interval since its last move,
   * or for twice the previous wait since the last re-send. Answering true starts the next wait.
   */
  regossipDue(): boolean {
    const nowMs = this.#clock.monotonicMs();
    if (nowMs - this.#sinceMs < this.#waitMs) return false;
    this.#sinceMs = nowMs;
    this.#votesSinceMs = nowMs;
    this.#waitMs = Math.min(this.#waitMs * 2, Math.max(this.#regossipMs, LIMITS.maxRegossipIntervalMs));
    return true;
  }

  /**
   * True when the votes alone are due: the machine has not moved, and nothing was re-sent, for a
   * whole interval (no doubling). Asked after regossipDue, whose full re-send counts as one.
   */
  votesDue(): boolean {
    const nowMs = this.#clock.monotonicMs();
    if (nowMs - this.#votesSinceMs < this.#regossipMs) return false;
    this.#votesSinceMs = nowMs;
    return true;
  }
}
