// A scenario: everything about one simulated run, drawn from its seed (and the validator count
// and bug flags given on the command line), so `--seed S --validators V` replays it exactly.
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import type { ConsensusBugFlags } from '../../src/core/consensus/types.js';
import type { MessageKind } from './events.js';
import { TEST_PARAMS } from './fixtures.js';
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
  /** Only messages of this kind are cut (an adversarial scheduler's targeted drop); all when absent. */
  readonly messages?: MessageKind;
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
  /** Before GST, this share of messages straggles: up to straggleMaxMs late (a slow path). */
  readonly straggleRate: number;
  readonly straggleMaxMs: number;
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

/**
 * mixed: every fault, drawn from the seed (the default). targeted: no crashes or Byzantine
 * validators, but before GST an adversarial scheduler keeps cutting one kind of message between
 * random groups for tens to hundreds of milliseconds, so rounds end half-way. split-brain: the same
 * with f equivocating proposers that also split their votes. The last two expose lock bugs.
 */
export type ScenarioProfile = 'mixed' | 'targeted' | 'split-brain';

export interface ScenarioOptions {
  readonly seed: number;
  readonly validatorCount: number;
  readonly bugs?: ConsensusBugFlags;
  readonly profile?: ScenarioProfile;
}

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

const MESSAGE_KINDS: readonly MessageKind[] = ['proposal', 'prevote', 'precommit'];

/** Mostly one node against the rest: one-way, that node is muted or deafened for one kind. */
function loneSide(prng: Prng, count: number): Set<number> {
  const roll = prng.float();
  const all = prng.shuffle([...Array(count).keys()]);
  if (roll < 0.5) return new Set(all.slice(0, 1));
  if (roll < 0.8) return new Set(all.slice(0, count - 1));
  return randomSide(prng, count);
}

/**
 * An adversarial scheduler's targeted drops: many short one-way cuts of one message kind between
 * random groups, so rounds end with some nodes locked, some decided, some knowing nothing.
 */
function planTargetedCuts(prng: Prng, count: number, gstMs: number): Partition[] {
  const cuts: Partition[] = [];
  for (let at = prng.int(0, 200); at < gstMs; at += prng.int(20, 250)) {
    cuts.push({
      fromMs: at,
      untilMs: Math.min(gstMs, at + prng.int(50, 500)),
      kind: prng.chance(0.8) ? 'one-way' : 'symmetric',
      sideA: loneSide(prng, count),
      messages: prng.pick(MESSAGE_KINDS),
    });
  }
  return cuts;
}

function mixedNetwork(prng: Prng, count: number, gstMs: number): NetworkPlan {
  return {
    lossRate: prng.pick([0, 0.05, 0.2, 0.4]),
    duplicateRate: prng.pick([0, 0.1, 0.3]),
    minDelayMs: prng.int(1, 5),
    maxDelayBeforeGstMs: prng.pick([20, 100, 400, 1200]),
    maxDelayAfterGstMs: prng.int(5, 60),
    straggleRate: 0,
    straggleMaxMs: 0,
    partitions: planPartitions(prng, count, gstMs),
  };
}

function targetedNetwork(prng: Prng, count: number, gstMs: number): NetworkPlan {
  return {
    lossRate: 0.02,
    duplicateRate: 0.05,
    minDelayMs: 1,
    maxDelayBeforeGstMs: prng.int(10, 60),
    maxDelayAfterGstMs: prng.int(5, 30),
    straggleRate: prng.pick([0, 0.05, 0.15]),
    straggleMaxMs: 400,
    partitions: planTargetedCuts(prng, count, gstMs),
  };
}

function splitBrainByzantine(prng: Prng, count: number, faultyMax: number): Map<number, ByzantineBehaviour> {
  const chosen = prng.shuffle([...Array(count).keys()]).slice(0, faultyMax);
  return new Map(chosen.map((index) => [index, 'equivocating-proposer']));
}

/** Draws a scenario from the run's one PRNG (the caller continues with the same instance). */
export function makeScenario(options: ScenarioOptions, prng: Prng): Scenario {
  const count = options.validatorCount;
  const faultyMax = Math.floor((count - 1) / 3);
  const profile = options.profile ?? 'mixed';
  const mixed = profile === 'mixed';
  const gstMs = mixed ? prng.int(1000, 4000) : prng.int(6000, 12000);
  const byzantine =
    profile === 'mixed'
      ? planByzantine(prng, count, faultyMax)
      : profile === 'split-brain'
        ? splitBrainByzantine(prng, count, faultyMax)
        : new Map<number, ByzantineBehaviour>();
  const network = mixed ? mixedNetwork(prng, count, gstMs) : targetedNetwork(prng, count, gstMs);
  const maxDelayAfterGstMs = network.maxDelayAfterGstMs;
  const params: ConsensusParams = { ...TEST_PARAMS, heartbeatMs: prng.pick([0, 0, 400]) };
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
    crashes: mixed ? planCrashes(prng, count, byzantine, gstMs) : [],
    clockSkewMs,
    params,
    txIntervalMs: mixed ? prng.int(80, 400) : prng.int(20, 50),
    regossipIntervalMs: 500,
    statusIntervalMs: 700,
    heightsAfterGst: 3,
    livenessBoundMs: 60_000,
    bugs: options.bugs ?? {},
  };
}
