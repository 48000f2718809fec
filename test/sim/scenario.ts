// A scenario: everything about one simulated run, drawn from its seed (and the validator count
// and bug flags given on the command line), so `--seed S --validators V` replays it exactly.
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import type { ConsensusBugFlags } from '../../src/core/consensus/types.js';
import type { Prng } from './prng.js';

export type ByzantineBehaviour =
  | 'equivocating-proposer'
  | 'double-voter'
  | 'bad-signatures'
  | 'garbage'
  | 'twins'
  | 'silent';

export const BYZANTINE_BEHAVIOURS: readonly ByzantineBehaviour[] = [
  'equivocating-proposer',
  'double-voter',
  'bad-signatures',
  'garbage',
  'twins',
  'silent',
];

export interface Partition {
  readonly fromMs: number;
  readonly untilMs: number;
  /** symmetric: no message between the sides; one-way: nothing from side A reaches side B. */
  readonly kind: 'symmetric' | 'one-way';
  readonly sideA: ReadonlySet<number>;
}

export interface CrashPlan {
  readonly validator: number;
  readonly crashAtMs: number;
  readonly restartAtMs: number;
  /** Crash in the middle of carrying out one step's effects (tests persist-before-send). */
  readonly midStep: boolean;
}

export interface NetworkPlan {
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly minDelayMs: number;
  /** Delays up to this before GST (reordering); after GST at most maxDelayAfterGstMs (Δ). */
  readonly maxDelayBeforeGstMs: number;
  readonly maxDelayAfterGstMs: number;
  readonly partitions: readonly Partition[];
}

export interface Scenario {
  readonly seed: number;
  readonly validatorCount: number;
  readonly faultyMax: number;
  /** Validator index -> behaviour; at most f of them. */
  readonly byzantine: ReadonlyMap<number, ByzantineBehaviour>;
  readonly gstMs: number;
  readonly network: NetworkPlan;
  readonly crashes: readonly CrashPlan[];
  /** Per validator, added to the simulated time to get its local clock. */
  readonly clockSkewMs: readonly number[];
  readonly params: ConsensusParams;
  readonly txIntervalMs: number;
  readonly regossipIntervalMs: number;
  readonly statusIntervalMs: number;
  /** Liveness: after GST every correct node commits this many more heights within the bound. */
  readonly heightsAfterGst: number;
  readonly livenessBoundMs: number;
  readonly bugs: ConsensusBugFlags;
}

export interface ScenarioOptions {
  readonly seed: number;
  readonly validatorCount: number;
  readonly bugs?: ConsensusBugFlags;
}

const BASE_PARAMS: ConsensusParams = {
  timeoutProposeMs: 300,
  timeoutPrevoteMs: 150,
  timeoutPrecommitMs: 150,
  timeoutDeltaMs: 100,
  heartbeatMs: 0,
  maxClockDriftMs: 400,
  maxBlockTxs: 16,
  maxBlockBytes: 4096,
};

function randomSide(prng: Prng, count: number): Set<number> {
  const size = prng.int(1, count - 1);
  return new Set(prng.shuffle([...Array(count).keys()]).slice(0, size));
}

function planPartitions(prng: Prng, count: number, gstMs: number): Partition[] {
  const partitions: Partition[] = [];
  const howMany = prng.pick([0, 0, 1, 1, 2, 3]);
  for (let i = 0; i < howMany; i++) {
    const fromMs = prng.int(0, gstMs - 200);
    const untilMs = Math.min(gstMs, fromMs + prng.int(200, 3000));
    partitions.push({
      fromMs,
      untilMs,
      kind: prng.chance(0.5) ? 'symmetric' : 'one-way',
      sideA: randomSide(prng, count),
    });
  }
  return partitions;
}

function planCrashes(
  prng: Prng,
  count: number,
  byzantine: ReadonlyMap<number, ByzantineBehaviour>,
  gstMs: number,
): CrashPlan[] {
  const crashes: CrashPlan[] = [];
  const howMany = prng.pick([0, 0, 1, 1, 2, 3]);
  for (let i = 0; i < howMany; i++) {
    const validator = prng.int(0, count - 1);
    if (byzantine.has(validator)) continue;
    const crashAtMs = prng.int(0, gstMs - 100);
    const restartAtMs = Math.min(gstMs, crashAtMs + prng.int(50, 2500));
    crashes.push({ validator, crashAtMs, restartAtMs, midStep: prng.chance(0.5) });
  }
  return crashes;
}

function planByzantine(prng: Prng, count: number, faultyMax: number): Map<number, ByzantineBehaviour> {
  const byzantine = new Map<number, ByzantineBehaviour>();
  const howMany = prng.int(0, faultyMax);
  for (const index of prng.shuffle([...Array(count).keys()]).slice(0, howMany)) {
    byzantine.set(index, prng.pick(BYZANTINE_BEHAVIOURS));
  }
  return byzantine;
}

/** Draws a scenario from the run's one PRNG (the caller continues with the same instance). */
export function makeScenario(options: ScenarioOptions, prng: Prng): Scenario {
  const count = options.validatorCount;
  const faultyMax = Math.floor((count - 1) / 3);
  const gstMs = prng.int(1000, 4000);
  const byzantine = planByzantine(prng, count, faultyMax);
  const maxDelayAfterGstMs = prng.int(5, 60);
  const network: NetworkPlan = {
    lossRate: prng.pick([0, 0.05, 0.2, 0.4]),
    duplicateRate: prng.pick([0, 0.1, 0.3]),
    minDelayMs: prng.int(1, 5),
    maxDelayBeforeGstMs: prng.pick([20, 100, 400, 1200]),
    maxDelayAfterGstMs,
    partitions: planPartitions(prng, count, gstMs),
  };
  const params: ConsensusParams = { ...BASE_PARAMS, heartbeatMs: prng.pick([0, 0, 400]) };
  const skewBound = Math.floor(params.maxClockDriftMs / 2) - maxDelayAfterGstMs;
  const clockSkewMs = Array.from({ length: count }, () =>
    prng.chance(0.5) ? prng.int(-skewBound, skewBound) : 0,
  );
  return {
    seed: options.seed,
    validatorCount: count,
    faultyMax,
    byzantine,
    gstMs,
    network,
    crashes: planCrashes(prng, count, byzantine, gstMs),
    clockSkewMs,
    params,
    txIntervalMs: prng.int(80, 400),
    regossipIntervalMs: 500,
    statusIntervalMs: 700,
    heightsAfterGst: 3,
    livenessBoundMs: 60_000,
    bugs: options.bugs ?? {},
  };
}
