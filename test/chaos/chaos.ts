// A fault soak of real node processes (docs/TESTING.md, "Chaos soak"): 4 validators and 3
// followers on 127.0.0.1 under a steady load of consent grants, while a seeded schedule crashes
// nodes (SIGKILL), stops them cleanly (SIGTERM), or freezes them (SIGSTOP, then SIGCONT: a VM
// pause or a long collector stall) and brings them back; with `partitions`, it also cuts the
// network in two for a while (partitions.ts: one node alone, the validators two and two, or the
// followers away from the validators), slows one node's links down (50-400 ms each way), or
// mutes one node (what it sends is held, what it is sent arrives: a route lost one way). At
// most one validator is away (or slowed) at a time, until it has caught up again, except in the
// two-and-two split, so the network must keep committing; followers fail freely.
//
// What must hold, checked while it runs and after every node is back:
// - safety: no two nodes ever report different blocks at one height (every running node's
//   /status, polled), and every node ends on the same block hash at the same height;
// - liveness: the height never stands still for longer than `maxStallMs` (the commits go on
//   with one validator away; an idle network still commits a heartbeat block every 5 s);
// - durability: every transaction a node answered as committed is committed at that height on
//   another node too, and every one a node answered as pending is committed in the end unless that
//   node was stopped after taking it (a mempool does not outlive its process; a cut-off or frozen
//   node must get its transactions out once it can);
// - recovery: a node back from a fault or a partition catches up with the others;
// - honest recovery: no validator ever signed two votes or proposals for one slot (a crashed
//   validator restarts from its consensus WAL), so no node kept equivocation evidence;
// - no node logged an error (each error-level line is a bug or a lost write), judged an honest
//   proposal invalid, or needed the driver's safety net for a lost wake-up; and every data
//   directory passes `chain verify` once its node is stopped.
//
// The schedule of faults (kinds, targets, durations, gaps) comes from the seed; the processes'
// timing does not, so a seed replays the same faults, not the same interleaving.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatusView } from '../../src/node/node-runtime.js';
import { UNTIMELY_PROPOSAL_WARNINGS } from '../../src/node/proposal-clock-watch.js';
import { findMetric } from '../helpers/metrics.js';
import { ForkDetector, startTestNetwork, type TestNetwork } from '../helpers/network.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { type Partition, type PartitionShape, Partitions } from './partitions.js';
import { TransferLoad, type TransferTally } from './transfers.js';

export interface ChaosOptions {
  readonly seed: number;
  /** How long faults are injected; the load runs as long. */
  readonly durationMs: number;
  /** Consent grants submitted per second, spread over the running nodes. */
  readonly ratePerSecond: number;
  /** The longest the height may stand still (with at most one validator away) before it is a failure. */
  readonly maxStallMs?: number;
  /** Also declare payloads from the hospital to the platform throughout (transfers.ts). */
  readonly transfers?: boolean;
  /** Also partition the network (partitions.ts): a fourth kind of fault. */
  readonly partitions?: boolean;
  /**
   * Also skew one node's wall clock at a time (a fifth kind of fault, decision 67): ahead or behind
   * by 2 to 15 times maxClockDriftMs, or stepped back an hour, then set right again.
   */
  readonly clocks?: boolean;
  /** Keep the network's folder (logs, data) afterwards. */
  readonly keep?: boolean;
  /** Keep it when the run found a violation, for the post-mortem (the soak command does). */
  readonly keepOnFailure?: boolean;
  /** Progress lines (one per fault); none by default. */
  readonly say?: (line: string) => void;
}

export type FaultKind = 'kill' | 'term' | 'freeze' | 'partition' | 'skew';

export interface ChaosReport {
  readonly seed: number;
  readonly faults: Record<FaultKind, number>;
  readonly finalHeight: number;
  readonly maxStallMs: number;
  /** When the longest stall ended, in seconds from the start of the faults (to find it in the logs). */
  readonly maxStallEndedAtSeconds: number;
  readonly submitted: number;
  /** Answered committed by the node they were sent to. */
  readonly committed: number;
  /** Answered pending (a 202 after the wait), or no answer (the node went away): how many of them committed. */
  readonly unsettled: number;
  readonly unsettledCommitted: number;
  /** Of the unsettled, those whose node kept running after taking them: each must commit. */
  readonly owed: number;
  /** With `partitions`: partitions by shape. */
  readonly partitionShapes?: Record<PartitionShape, number>;
  /** Refused by the node (a non-2xx answer), by status. */
  readonly refused: Record<string, number>;
  readonly warnings: Record<string, number>;
  /** With `transfers`: payloads declared approved and delivered intact. */
  readonly transfers?: TransferTally;
  /** Every broken invariant; empty when the run passed. */
  readonly violations: readonly string[];
}

interface Fault {
  /** The node; for a partition, the first node of the side cut off. */
  readonly org: string;
  readonly kind: FaultKind;
  readonly durationMs: number;
  readonly partition?: Partition;
  /** For a skew: the node's wall clock this far off the machine's while it lasts. */
  readonly clockOffsetMs?: number;
}

/** A transaction a node answered pending, or did not answer. */
interface UnsettledTx {
  readonly txId: string;
  readonly org: string;
  /** When the submitter chose the node: a node stopped after this may never have seen it. */
  readonly submittedAtMs: number;
  /** How the submission ended: the node's 202, or the request's error (named in a violation). */
  readonly ended: string;
}

/** Bounds of the schedule: a fault lasts 0.5-8 s, and the next starts 0.5-4 s after one begins. */
const MIN_FAULT_MS = 500;
const MAX_FAULT_MS = 8_000;
const MIN_GAP_MS = 500;
const MAX_GAP_MS = 4_000;
/** Partitions last longer: long enough, at times, for libp2p's pings to give a connection up. */
const MIN_PARTITION_MS = 1_000;
const MAX_PARTITION_MS = 12_000;
/** A slowed node's links delay each byte this long, each way (a distant or congested route). */
const MIN_SLOW_DELAY_MS = 50;
const MAX_SLOW_DELAY_MS = 400;
/** A skewed clock runs 2 to 15 drift bounds off, or one hour behind (an NTP step back). */
const MIN_SKEW_DRIFTS = 2;
const MAX_SKEW_DRIFTS = 15;
const STEP_BACK_MS = -3_600_000;
/** A pending transaction of a node that kept running must commit within this long of the end. */
const OWED_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_STALL_MS = 20_000;
/** A node back from a fault must reach the others' height within this long. */
const CATCH_UP_TIMEOUT_MS = 30_000;
/** Every node must agree within this long once the last fault is over. */
const CONVERGE_TIMEOUT_MS = 90_000;
const STATUS_TIMEOUT_MS = 2_000;
const SUBMIT_WAIT_MS = 15_000;
const SUBMITTERS = 4;

/** The network, which nodes are away, and what the load and the monitor saw. */
class ChaosRun {
  readonly net: TestNetwork;
  readonly options: ChaosOptions;
  /** The fault schedule's draws, and only its: see submitterRandom. */
  readonly random: () => number;
  /**
   * The submitters' choice of node. Drawn from the schedule's stream, it made the faults depend on
   * how many transactions went out before each (the process's timing), so a replayed seed drew
   * other targets and kinds from its first faults on (seed 43, 2026-11-30).
   */
  readonly submitterRandom: () => number;
  /** Nodes stopped or frozen now, by organisation. */
  readonly away = new Map<string, FaultKind>();
  /** Nodes on the cut-off side of the partition now (still running and answering). */
  readonly cutOff = new Set<string>();
  /** When each node last lost its mempool (killed or stopped). */
  readonly mempoolLostAtMs = new Map<string, number>();
  readonly violations: string[] = [];
  readonly faults: Record<FaultKind, number> = { kill: 0, term: 0, freeze: 0, partition: 0, skew: 0 };
  readonly partitionShapes: Record<PartitionShape, number> = {
    isolate: 0,
    split: 0,
    followers: 0,
    slow: 0,
    mute: 0,
  };
  /** The links partitions cut or slow (with `options.partitions`). */
  readonly partitions: Partitions | undefined;
  readonly forks = new ForkDetector();
  readonly committedTxs: { txId: string; height: number; org: string }[] = [];
  readonly unsettledTxs: UnsettledTx[] = [];
  readonly refused: Record<string, number> = {};
  submitted = 0;
  maxStallMs = 0;
  maxStallEndedAtMs = 0;
  readonly startedAt = Date.now();
  #lastProgressAt = Date.now();
  #running = true;
  #kinds: FaultKind[] = [];

  constructor(net: TestNetwork, options: ChaosOptions, partitions: Partitions | undefined) {
    this.net = net;
    this.options = options;
    this.partitions = partitions;
    this.random = seededRandom(options.seed);
    this.submitterRandom = seededRandom(options.seed ^ 0x5ab317);
  }

  get isRunning(): boolean {
    return this.#running;
  }

  stopLoad(): void {
    this.#running = false;
  }

  /** Nodes that answer now: started and not frozen. */
  reachable(): string[] {
    return [...this.net.nodes.keys()].filter((org) => !this.away.has(org) && this.net.isRunning(org));
  }

  /** Validators stopped, frozen, catching up or cut off. */
  validatorsAway(): number {
    return this.net.validators.filter((org) => this.away.has(org) || this.cutOff.has(org)).length;
  }

  /** Now (or `atMs`) in seconds since the run started, as the fault lines print it. */
  secondsSinceStart(atMs = Date.now()): string {
    return ((atMs - this.startedAt) / 1000).toFixed(1);
  }

  /** One of `items`, drawn from the schedule's stream unless another is given. */
  pick<T>(items: readonly T[], random: () => number = this.random): T {
    return items[Math.floor(random() * items.length)]!;
  }

  /**
   * The kinds still due in this rotation, in a seeded order; every three (four) faults are one of
   * each kind, so a short run sees each kind.
   */
  dueKinds(): readonly FaultKind[] {
    if (this.#kinds.length === 0) {
      const kinds: FaultKind[] = ['kill', 'term', 'freeze'];
      if (this.options.partitions) kinds.push('partition');
      if (this.options.clocks) kinds.push('skew');
      while (kinds.length > 0)
        this.#kinds.push(kinds.splice(Math.floor(this.random() * kinds.length), 1)[0]!);
    }
    return this.#kinds;
  }

  /** Marks `kind` done in this rotation. */
  applied(kind: FaultKind): void {
    this.#kinds.splice(this.#kinds.indexOf(kind), 1);
  }

  between(low: number, high: number): number {
    return Math.round(low + this.random() * (high - low));
  }

  /** A node's status, or undefined if it does not answer within STATUS_TIMEOUT_MS. */
  async status(org: string): Promise<NodeStatusView | undefined> {
    // Going away or just back: not an answer, and no disagreement.
    return this.net.status(org, { timeoutMs: STATUS_TIMEOUT_MS }).catch(() => undefined);
  }

  /** The highest height any node reported. */
  get highest(): number {
    return this.forks.highest;
  }

  /** Records a status: a second hash at one height is a fork; a higher height is progress. */
  note(org: string, status: NodeStatusView): void {
    if (this.forks.note(org, status)) this.#lastProgressAt = Date.now();
  }

  /** Polls every reachable node until the load stops; measures the longest stall. */
  async monitor(): Promise<void> {
    while (this.#running) {
      const orgs = this.reachable();
      const statuses = await Promise.all(orgs.map((org) => this.status(org)));
      statuses.forEach((status, i) => {
        if (status !== undefined) this.note(orgs[i]!, status);
      });
      const now = Date.now();
      // Two validators away is no quorum: that wait is the schedule's, not a stall.
      if (this.validatorsAway() >= 2) this.#lastProgressAt = now;
      if (now - this.#lastProgressAt > this.maxStallMs) {
        this.maxStallMs = now - this.#lastProgressAt;
        this.maxStallEndedAtMs = now - this.startedAt;
      }
      await sleep(250);
    }
  }
}

/** One submitter: a consent grant at a time to a random reachable node, waiting for its commit. */
async function submitLoad(run: ChaosRun, intervalMs: number): Promise<void> {
  while (run.isRunning) {
    const started = Date.now();
    const orgs = run.reachable();
    if (orgs.length > 0) await submitOne(run, run.pick(orgs, run.submitterRandom), started);
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
}

/**
 * `chosenAtMs` is when the submitter chose `org`, before the grant is signed: a node stopped
 * between that choice and the request refuses the connection without ever seeing the grant, and
 * timed from the request instead, such a grant counted as owed by a node that kept running.
 */
async function submitOne(run: ChaosRun, org: string, chosenAtMs: number): Promise<void> {
  const grant = await run.net.makeConsentGrant();
  run.submitted++;
  const unsettled = (ended: string): UnsettledTx => ({
    txId: grant.txIdHex,
    org,
    submittedAtMs: chosenAtMs,
    ended,
  });
  try {
    const answer = await run.net.submit(org, grant.bytes, { wait: true, timeoutMs: SUBMIT_WAIT_MS });
    const json = answer.json as { status?: string; height?: number; accepted?: boolean };
    if (answer.status === 200 && json.status === 'committed') {
      if (json.accepted !== true) run.violations.push(`${grant.txIdHex} committed as refused on ${org}`);
      run.committedTxs.push({ txId: grant.txIdHex, height: json.height!, org });
    } else if (answer.status === 202) {
      run.unsettledTxs.push(unsettled(`answered 202 ${JSON.stringify(json)}`));
    } else {
      run.refused[answer.status] = (run.refused[answer.status] ?? 0) + 1;
    }
  } catch (error) {
    // No answer: the node went away while holding the request. The grant may still commit.
    const cause = (error as Error & { cause?: Error }).cause;
    const detail = `${(error as Error).message}${cause === undefined ? '' : ` (${cause.message})`}`;
    run.unsettledTxs.push(unsettled(`no answer after ${Date.now() - chosenAtMs} ms: ${detail}`));
  }
}

/**
 * The next fault: a target that is neither away nor cut off, at most one validator away at a time
 * (the two-and-two split aside), one partition at a time.
 */
function nextFault(run: ChaosRun): Fault | undefined {
  // The first kind due that can be applied now (a partition cannot while one is on): skipping a
  // kind instead would leave a short run with few of the others.
  for (const kind of run.dueKinds()) {
    const fault = faultOfKind(run, kind);
    if (fault === undefined) continue;
    run.applied(kind);
    return fault;
  }
  return undefined;
}

function faultOfKind(run: ChaosRun, kind: FaultKind): Fault | undefined {
  const validatorFree = run.validatorsAway() === 0;
  const candidates = [...run.net.nodes.keys()].filter(
    (org) =>
      !run.away.has(org) && !run.cutOff.has(org) && (validatorFree || !run.net.validators.includes(org)),
  );
  if (kind === 'partition') {
    const partition = nextPartition(run, candidates, validatorFree);
    if (partition === undefined) return undefined;
    const durationMs = run.between(MIN_PARTITION_MS, MAX_PARTITION_MS);
    return { org: [...partition.side][0]!, kind, durationMs, partition };
  }
  if (candidates.length === 0) return undefined;
  const fault = { org: run.pick(candidates), kind, durationMs: run.between(MIN_FAULT_MS, MAX_FAULT_MS) };
  if (kind !== 'skew') return fault;
  return { ...fault, clockOffsetMs: skewOffsetMs(run) };
}

/** Ahead or behind by a seeded number of drift bounds, or (one time in five) an hour behind. */
function skewOffsetMs(run: ChaosRun): number {
  if (run.random() < 0.2) return STEP_BACK_MS;
  const offsetMs = run.between(MIN_SKEW_DRIFTS, MAX_SKEW_DRIFTS) * run.net.genesis.consensus.maxClockDriftMs;
  return run.random() < 0.5 ? offsetMs : -offsetMs;
}

/** A partition of a seeded shape whose side is free of other faults; none while one is on. */
function nextPartition(run: ChaosRun, candidates: string[], validatorFree: boolean): Partition | undefined {
  if (run.partitions === undefined || run.cutOff.size > 0) return undefined;
  const { validators, followers } = run.net;
  const free = (orgs: readonly string[]) => orgs.every((org) => candidates.includes(org));
  const shapes: PartitionShape[] = [];
  if (candidates.length > 0) shapes.push('isolate', 'slow', 'mute');
  if (validatorFree && free(validators)) shapes.push('split');
  if (free(followers)) shapes.push('followers');
  if (shapes.length === 0) return undefined;
  const shape = run.pick(shapes);
  if (shape === 'isolate' || shape === 'mute') return { shape, side: new Set([run.pick(candidates)]) };
  if (shape === 'slow') {
    const delayMs = run.between(MIN_SLOW_DELAY_MS, MAX_SLOW_DELAY_MS);
    return { shape, side: new Set([run.pick(candidates)]), delayMs };
  }
  if (shape === 'followers') return { shape, side: new Set(followers) };
  // Two validators, and each follower on either side by a coin toss.
  const side = new Set(shuffled(run, validators).slice(0, 2));
  for (const org of followers) if (run.random() < 0.5) side.add(org);
  return { shape, side };
}

function shuffled<T>(run: ChaosRun, items: readonly T[]): T[] {
  const rest = [...items];
  const out: T[] = [];
  while (rest.length > 0) out.push(rest.splice(Math.floor(run.random() * rest.length), 1)[0]!);
  return out;
}

/** Applies a fault, waits its duration, then brings the node back (a restart or SIGCONT). */
async function inject(run: ChaosRun, fault: Fault): Promise<void> {
  if (fault.partition !== undefined) return applyPartition(run, fault, fault.partition);
  const { net } = run;
  run.away.set(fault.org, fault.kind);
  run.faults[fault.kind]++;
  const skew = fault.clockOffsetMs === undefined ? '' : ` (clock ${fault.clockOffsetMs} ms off)`;
  run.options.say?.(
    `+${run.secondsSinceStart()} s: ${fault.kind} ${fault.org}${skew} for ${fault.durationMs} ms`,
  );
  try {
    if (fault.kind === 'skew') {
      // Running and answering, but a validator refuses the proposals its clock finds too far
      // ahead (or proposes its own too far ahead): as faulty as a stopped one while it lasts.
      await net.setClockOffset(fault.org, fault.clockOffsetMs!);
      await sleep(fault.durationMs);
      await net.setClockOffset(fault.org, 0);
    } else if (fault.kind === 'freeze') {
      net.nodes.get(fault.org)!.process!.kill('SIGSTOP');
      await sleep(fault.durationMs);
      net.nodes.get(fault.org)!.process!.kill('SIGCONT');
    } else {
      run.mempoolLostAtMs.set(fault.org, Date.now());
      const exit = await net.kill(fault.org, fault.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
      if (fault.kind === 'term' && exit.code !== 0) {
        run.violations.push(`${fault.org} stopped by SIGTERM exited with ${exit.code ?? exit.signal}`);
      }
      await sleep(fault.durationMs);
      await net.restart(fault.org);
    }
    await catchUp(run, fault.org);
  } catch (error) {
    run.violations.push(`${fault.kind} ${fault.org}: ${(error as Error).message}`);
  } finally {
    run.away.delete(fault.org);
  }
}

/** Cuts `side` off (or slows its links), waits, heals, and waits until every node of it has caught up. */
async function applyPartition(run: ChaosRun, fault: Fault, partition: Partition): Promise<void> {
  const partitions = run.partitions!;
  for (const org of partition.side) run.cutOff.add(org);
  run.faults.partition++;
  run.partitionShapes[partition.shape]++;
  const side = [...partition.side].join(', ');
  const how = partition.shape === 'slow' ? `, ${partition.delayMs} ms each way` : '';
  run.options.say?.(
    `+${run.secondsSinceStart()} s: partition (${partition.shape}${how}) ${side} for ${fault.durationMs} ms`,
  );
  try {
    if (partition.shape === 'slow') partitions.slow(partition.side, partition.delayMs);
    else if (partition.shape === 'mute') partitions.mute(partition.side);
    else partitions.cut(partition.side);
    await sleep(fault.durationMs);
    partitions.heal();
    await Promise.all([...partition.side].map((org) => catchUp(run, org)));
  } catch (error) {
    run.violations.push(`partition (${partition.shape}) ${side}: ${(error as Error).message}`);
  } finally {
    run.cutOff.clear();
  }
}

/**
 * Waits until a node that came back has reached the height the others had then: until it has, it
 * takes no part in consensus, so it counts as away (else a second validator could be taken while
 * the first still catches up, which no quorum of four survives).
 */
async function catchUp(run: ChaosRun, org: string): Promise<void> {
  const target = run.highest;
  await run.net.waitFor(
    `${org} caught up to height ${target}`,
    async () => ((await run.status(org))?.height ?? 0) >= target,
    { timeoutMs: CATCH_UP_TIMEOUT_MS, intervalMs: 100 },
  );
}

/** Every node on one height and block hash, at least the highest height seen. */
async function converge(run: ChaosRun): Promise<number> {
  const orgs = [...run.net.nodes.keys()];
  const agreed = await run.net
    .waitFor(
      'every node on the same block',
      async () => {
        const statuses = await Promise.all(orgs.map((org) => run.status(org)));
        if (statuses.some((status) => status === undefined)) return undefined;
        for (const [i, status] of statuses.entries()) run.note(orgs[i]!, status!);
        const heights = new Set(statuses.map((status) => status!.height));
        const hashes = new Set(statuses.map((status) => status!.blockHash));
        return heights.size === 1 && hashes.size === 1 && statuses[0]!.height >= run.highest
          ? statuses[0]!.height
          : undefined;
      },
      { timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 250 },
    )
    .catch((error: Error) => {
      run.violations.push(error.message);
      return run.highest;
    });
  return agreed;
}

/**
 * Each transaction answered committed is committed at the same height on another node; each one
 * answered pending (or not answered) by a node that kept its mempool since must commit too.
 */
async function checkCommitted(run: ChaosRun): Promise<{ unsettledCommitted: number; owed: number }> {
  const orgs = [...run.net.nodes.keys()];
  for (const tx of run.committedTxs) {
    const other = orgs[(orgs.indexOf(tx.org) + 1) % orgs.length]!;
    const answer = await run.net.get<{ status: string; height?: number }>(other, `/tx/${tx.txId}`);
    if (answer.json.status !== 'committed' || answer.json.height !== tx.height) {
      run.violations.push(
        `${tx.txId}: committed at ${tx.height} on ${tx.org}, on ${other} ${JSON.stringify(answer.json)}`,
      );
    }
  }
  const isCommitted = async (tx: UnsettledTx) =>
    (await run.net.get<{ status: string }>(orgs[0]!, `/tx/${tx.txId}`)).json.status === 'committed';
  const owed = run.unsettledTxs.filter((tx) => (run.mempoolLostAtMs.get(tx.org) ?? 0) < tx.submittedAtMs);
  // A node re-sends what waits in its mempool with a backoff of up to 30 s (LIMITS).
  let missing = owed;
  await run.net
    .waitFor(
      'every pending transaction of a node that kept running committed',
      async () => {
        const left: UnsettledTx[] = [];
        for (const tx of missing) if (!(await isCommitted(tx))) left.push(tx);
        missing = left;
        return missing.length === 0;
      },
      { timeoutMs: OWED_TIMEOUT_MS, intervalMs: 500 },
    )
    .catch(() => {
      for (const tx of missing) {
        run.violations.push(
          `${tx.txId}: sent to ${tx.org} at +${run.secondsSinceStart(tx.submittedAtMs)} s, which kept running, never committed (${tx.ended})`,
        );
      }
    });
  let unsettledCommitted = 0;
  for (const tx of run.unsettledTxs) if (await isCommitted(tx)) unsettledCommitted++;
  return { unsettledCommitted, owed: owed.length };
}

/**
 * Warnings that no fault of this soak explains, as every node is honest: a proposal judged invalid
 * (an honest proposer's block refused, or a validator judging against the wrong state), and the
 * driver's safety net finding a proposer that was never told of its mempool's transactions.
 */
const HONEST_NETWORK_NEVER_WARNS = new Set([
  'proposal invalid',
  'a proposal waited for transactions the mempool already held; released',
]);

/**
 * Nodes on one machine share its clock: unless the run skews clocks, no proposal can be dated
 * beyond maxClockDriftMs ahead of any of them (src/node/proposal-clock-watch.ts).
 */
const ONE_CLOCK_NEVER_WARNS: ReadonlySet<string> = new Set(Object.values(UNTIMELY_PROPOSAL_WARNINGS));

/** Error lines, and the warnings above, fail the run; other warnings are counted by message. */
async function checkLogs(run: ChaosRun): Promise<Record<string, number>> {
  const warnings: Record<string, number> = {};
  const neverWarns = (msg: string): boolean =>
    HONEST_NETWORK_NEVER_WARNS.has(msg) || (!run.options.clocks && ONE_CLOCK_NEVER_WARNS.has(msg));
  for (const org of run.net.nodes.keys()) {
    for (const line of (await run.net.logOf(org)).split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { level: string; msg: string };
      const unexplained = entry.level === 'warn' && neverWarns(entry.msg);
      if (entry.level === 'error' || entry.level === 'fatal' || unexplained) {
        run.violations.push(`${org} logged: ${line}`);
      } else if (entry.level === 'warn') warnings[entry.msg] = (warnings[entry.msg] ?? 0) + 1;
    }
  }
  return warnings;
}

async function checkNoEquivocation(run: ChaosRun): Promise<void> {
  for (const org of run.net.nodes.keys()) {
    const metrics = (await run.net.get<string>(org, '/metrics')).json;
    const evidence = findMetric(metrics, 'bayledger_equivocation_evidence_total') ?? 0;
    if (evidence !== 0) run.violations.push(`${org} kept ${evidence} pieces of equivocation evidence`);
  }
}

/**
 * Stops every node cleanly, all at once as an operator stopping a machine would, then runs chain
 * verify on each data directory, two at a time (one per core).
 */
async function verifyEveryChain(run: ChaosRun): Promise<void> {
  const { net } = run;
  await Promise.all(
    [...net.nodes.keys()].map(async (org) => {
      const exit = await net.kill(org, 'SIGTERM');
      if (exit.code !== 0)
        run.violations.push(`${org} stopped by SIGTERM exited with ${exit.code ?? exit.signal}`);
    }),
  );
  const waiting = [...net.nodes.values()];
  const verifyNext = async (): Promise<void> => {
    for (let node = waiting.shift(); node !== undefined; node = waiting.shift()) {
      const verified = await net.runCli(['chain', 'verify', '--data-dir', node.config.dataDir, '--json'], {
        timeoutMs: 120_000,
      });
      if (verified.code !== 0)
        run.violations.push(`chain verify of ${node.org}: ${verified.stdout}${verified.stderr}`);
    }
  };
  await Promise.all([verifyNext(), verifyNext()]);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  let partitions: Partitions | undefined;
  const installPartitions = async (network: TestNetwork) => {
    partitions = await Partitions.install(network);
  };
  const net = await startTestNetwork({
    beforeStart: options.partitions ? installPartitions : undefined,
    // Every node can have its wall clock skewed (test/helpers/skewed-clock.mjs); all start right.
    everyClockSkewable: options.clocks,
  }).catch(async (error: unknown) => {
    await partitions?.close();
    throw error;
  });
  const run = new ChaosRun(net, options, partitions);
  try {
    const transfers = options.transfers ? new TransferLoad(run, options.seed) : undefined;
    await transfers?.prepare();
    const monitor = run.monitor();
    const intervalMs = (1000 * SUBMITTERS) / options.ratePerSecond;
    const load = Promise.all([
      ...Array.from({ length: SUBMITTERS }, () => submitLoad(run, intervalMs)),
      transfers?.run(),
    ]);
    const injected: Promise<void>[] = [];
    const end = Date.now() + options.durationMs;
    while (Date.now() < end) {
      const fault = nextFault(run);
      if (fault !== undefined) injected.push(inject(run, fault));
      await sleep(run.between(MIN_GAP_MS, MAX_GAP_MS));
    }
    await Promise.all(injected);
    run.options.say?.('every node is back; waiting for them to agree');
    run.stopLoad();
    await Promise.all([load, monitor]);
    const maxStallMs = options.maxStallMs ?? DEFAULT_MAX_STALL_MS;
    if (run.maxStallMs > maxStallMs) {
      run.violations.push(`the height stood still for ${run.maxStallMs} ms (bound ${maxStallMs} ms)`);
    }
    const finalHeight = await converge(run);
    for (const conflict of run.forks.conflicts) run.violations.push(`fork at ${conflict}`);
    const { unsettledCommitted, owed } = await checkCommitted(run);
    const bypassed = run.partitions?.bypassed() ?? [];
    if (bypassed.length > 0)
      run.violations.push(`no connection went through the links of ${bypassed.join(', ')}`);
    const transferTally = await transfers?.check();
    await checkNoEquivocation(run);
    await verifyEveryChain(run);
    const warnings = await checkLogs(run);
    return {
      seed: options.seed,
      faults: run.faults,
      finalHeight,
      maxStallMs: run.maxStallMs,
      maxStallEndedAtSeconds: Math.round(run.maxStallEndedAtMs / 1000),
      submitted: run.submitted,
      committed: run.committedTxs.length,
      unsettled: run.unsettledTxs.length,
      unsettledCommitted,
      owed,
      ...(options.partitions ? { partitionShapes: run.partitionShapes } : {}),
      refused: run.refused,
      warnings,
      ...(transferTally === undefined ? {} : { transfers: transferTally }),
      violations: run.violations,
    };
  } finally {
    // A node left frozen would not hear the stop.
    for (const node of net.nodes.values()) node.process?.kill('SIGCONT');
    // stop() names the kept folder; a replayed seed draws another schedule (its timing differs),
    // so a failed soak's own logs are the only ones that show what happened. Decided per run: a
    // process-wide setting would keep every later run of `--runs` too.
    const keep = options.keep === true || (options.keepOnFailure === true && run.violations.length > 0);
    await net.stop(keep ? { keep } : {});
    await partitions?.close();
  }
}
