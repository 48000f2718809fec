// The simulated network: per message, a delay (reordering comes from independent delays), and
// before GST loss, duplication and partitions (symmetric or one-way). After GST (global
// stabilisation time, Dwork-Lynch-Stockmeyer partial synchrony, as in arXiv:1807.04938 section 2)
// every message between live nodes arrives exactly once within maxDelayAfterGstMs.
import type { MessageKind } from './events.js';
import type { Prng } from './prng.js';
import type { NetworkPlan, Partition } from './scenario.js';

function blocked(
  partition: Partition,
  from: number,
  to: number,
  nowMs: number,
  kind: MessageKind | null,
): boolean {
  if (nowMs < partition.fromMs || nowMs >= partition.untilMs) return false;
  if (partition.messages !== undefined && partition.messages !== kind) return false;
  const fromA = partition.sideA.has(from);
  const toA = partition.sideA.has(to);
  if (partition.kind === 'one-way') return fromA && !toA;
  return fromA !== toA;
}

export class SimNetwork {
  readonly #prng: Prng;
  readonly #plan: NetworkPlan;
  readonly #gstMs: number;
  dropped = 0;
  duplicated = 0;

  constructor(prng: Prng, plan: NetworkPlan, gstMs: number) {
    this.#prng = prng;
    this.#plan = plan;
    this.#gstMs = gstMs;
  }

  /**
   * Delivery delays for one message between two validators' positions (twins share their
   * validator's position): none if it is lost, two if it is duplicated.
   */
  route(fromPosition: number, toPosition: number, nowMs: number, kind: MessageKind | null): number[] {
    const plan = this.#plan;
    const prng = this.#prng;
    if (nowMs >= this.#gstMs) return [prng.int(plan.minDelayMs, plan.maxDelayAfterGstMs)];
    if (plan.partitions.some((partition) => blocked(partition, fromPosition, toPosition, nowMs, kind))) {
      this.dropped++;
      return [];
    }
    if (prng.chance(plan.lossRate)) {
      this.dropped++;
      return [];
    }
    const delay = () =>
      prng.chance(plan.straggleRate)
        ? prng.int(plan.maxDelayBeforeGstMs, plan.straggleMaxMs)
        : prng.int(plan.minDelayMs, plan.maxDelayBeforeGstMs);
    if (prng.chance(plan.duplicateRate)) {
      this.duplicated++;
      return [delay(), delay()];
    }
    return [delay()];
  }
}
