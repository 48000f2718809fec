// When the driver re-sends its own consensus messages: only after the machine has not moved
// (height, round or step) for a whole regossip interval. The loss that re-sending repairs shows up
// as a stall (arXiv:1807.04938 section 2 needs messages to arrive eventually, not repeatedly).
// Re-sending on a fixed beat instead re-broadcast every proposal, block included, to every peer
// each second under load, when heights take longer than that.
import type { ConsensusState } from '../core/consensus/state.js';

export interface Clock {
  nowMs(): number;
}

export type Progress = Pick<ConsensusState, 'height' | 'round' | 'step'>;

export class StallWatch {
  readonly #clock: Clock;
  readonly #regossipMs: number;
  /** Local clock when the machine last moved; regossip waits for a stall. */
  #lastProgressMs: number;
  #progressAt: Progress | undefined;

  constructor(clock: Clock, regossipMs: number) {
    this.#clock = clock;
    this.#regossipMs = regossipMs;
    this.#lastProgressMs = clock.nowMs();
  }

  /** Called after every input: a changed height, round or step restarts the interval. */
  noteProgress(state: Progress): void {
    const last = this.#progressAt;
    if (last?.height === state.height && last.round === state.round && last.step === state.step) return;
    this.#progressAt = { height: state.height, round: state.round, step: state.step };
    this.#lastProgressMs = this.#clock.nowMs();
  }

  /** True when the machine has not moved for at least one regossip interval. */
  stalled(): boolean {
    return this.#clock.nowMs() - this.#lastProgressMs >= this.#regossipMs;
  }
}
