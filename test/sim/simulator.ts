// The deterministic simulator (issue 4, item 4): many nodes in one process, each running the real
// consensus state machine, over simulated time, network and storage, all driven by one seeded
// PRNG. A run ends at the first safety violation, when liveness after GST is shown, or when the
// liveness bound passes. Same seed, same validator count, same flags: same run, event for event.

import type { Validator } from '../../src/core/config/genesis.js';
import { type ConsensusMessage, decodeConsensusMessage } from '../../src/core/consensus/codec.js';
import type { ConsensusBugFlags } from '../../src/core/consensus/types.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { isBayledgerError } from '../../src/core/errors.js';
import type { TestNetwork } from '../helpers/fixtures.js';
import { Checker, type Violation, type ViolationKind } from './checkers.js';
import { EventQueue } from './event-queue.js';
import type { Packet, SimEvent } from './events.js';
import { SimNetwork } from './network.js';
import { Prng } from './prng.js';
import { RealLedger, realChainConfig, realNetwork, realTx } from './real-ledger.js';
import { makeScenario, type Scenario, type ScenarioProfile } from './scenario.js';
import {
  type ChainConfig,
  chainConfig,
  makeTx,
  type NodeLedger,
  SimLedger,
  type VerdictCache,
} from './sim-ledger.js';
import { type NodeIdentity, type SimHost, SimNode } from './sim-node.js';
import { cachingVerifier } from './verifier-cache.js';

export interface RunOptions {
  readonly seed: number;
  readonly validatorCount: number;
  readonly bugs?: ConsensusBugFlags;
  readonly profile?: ScenarioProfile;
  /** 'sim' (default): synthetic transactions and the sim ledger; 'real': buildBlock/verifyBlock over consent grants. */
  readonly ledger?: 'sim' | 'real';
  readonly trace?: (line: string) => void;
  /** Violation kinds that end the run (default: every kind). Others are recorded and the run goes on. */
  readonly stopOn?: readonly ViolationKind[];
  /** Ends the run at this simulated time, whatever happened (for inspection). */
  readonly stopAtMs?: number;
}

export interface RunStats {
  readonly simulatedMs: number;
  readonly events: number;
  readonly committedHeight: number;
  readonly signatureChecks: number;
  readonly deliveries: number;
  readonly dropped: number;
  readonly rejectedMessages: number;
  readonly evidence: number;
  /** Positions of the validators named by correct nodes' vote and proposal evidence (checked by the checker). */
  readonly accused: { readonly vote: readonly number[]; readonly proposal: readonly number[] };
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly violations: readonly Violation[];
  readonly replay: string;
  readonly stats: RunStats;
}

/** Safety net against a run that never settles (a bug in the simulator itself). */
const MAX_EVENTS = 3_000_000;
const GENESIS_TIME_MS = 1_750_000_000_000;

export function bugFlagArguments(bugs: ConsensusBugFlags | undefined): string {
  const flags: string[] = [];
  if (bugs?.ignoreLockWhenPrevoting) flags.push('--bug ignore-lock');
  if (bugs?.quorumIsF) flags.push('--bug quorum-is-f');
  return flags.length === 0 ? '' : ` ${flags.join(' ')}`;
}

export function replayCommand(options: RunOptions): string {
  const profile =
    options.profile === undefined || options.profile === 'mixed' ? '' : ` --profile ${options.profile}`;
  const ledger = options.ledger === 'real' ? ' --ledger real' : '';
  return `npm run test:sim -- --seed ${options.seed} --validators ${options.validatorCount}${profile}${ledger}${bugFlagArguments(options.bugs)}`;
}

/** Keys: drawn from the PRNG for the sim ledger; the test network's keys for the real one. */
function makeIdentities(prng: Prng, scenario: Scenario, net: TestNetwork | null): NodeIdentity[] {
  const signers =
    net === null
      ? Array.from({ length: scenario.validatorCount }, () => new Ed25519Signer(prng.bytes(32)))
      : realChainConfig(net).validators.map((validator) => net.signers[validator.id]!);
  const validators: Validator[] =
    net === null
      ? signers.map((signer, i) => ({ id: `v${i}`, publicKey: signer.publicKey }))
      : [...realChainConfig(net).validators];
  const identities: NodeIdentity[] = validators.map((validator, position) => ({
    name: validator.id,
    endpoint: position,
    position,
    validator,
    signer: signers[position]!,
    behaviour: scenario.byzantine.get(position) ?? null,
  }));
  for (const [position, behaviour] of scenario.byzantine) {
    if (behaviour !== 'twins') continue;
    const twin = identities[position]!;
    identities.push({ ...twin, name: `${twin.name}-twin`, endpoint: identities.length });
  }
  return identities;
}

export class Simulation implements SimHost {
  readonly prng: Prng;
  readonly scenario: Scenario;
  readonly chain: ChainConfig;
  readonly checker: Checker;
  readonly verifier = cachingVerifier();
  readonly #verdicts: VerdictCache = new Map();
  readonly #net: TestNetwork | null;
  readonly nodes: SimNode[];
  readonly #queue = new EventQueue<SimEvent>();
  readonly #network: SimNetwork;
  readonly #decoded = new WeakMap<Uint8Array, ConsensusMessage | null>();
  readonly #trace: ((line: string) => void) | undefined;
  readonly #stopAtMs: number | undefined;
  readonly #peers: number[][];
  #now = 0;
  #txSerial = 0;
  #livenessTarget: number | null = null;
  #live = false;
  events = 0;
  deliveries = 0;

  constructor(options: RunOptions) {
    this.prng = new Prng(options.seed);
    this.scenario = makeScenario(options, this.prng);
    this.#trace = options.trace;
    this.#stopAtMs = options.stopAtMs;
    this.#net =
      options.ledger === 'real' ? realNetwork(this.scenario.validatorCount, this.scenario.params) : null;
    const identities = makeIdentities(this.prng, this.scenario, this.#net);
    const validators = identities
      .slice(0, this.scenario.validatorCount)
      .map((identity) => identity.validator);
    this.chain =
      this.#net === null
        ? chainConfig('sim-chain', GENESIS_TIME_MS, validators, this.scenario.params)
        : realChainConfig(this.#net);
    const byzantine = new Set(
      [...this.scenario.byzantine.keys()].map((position) => validators[position]!.id),
    );
    this.checker = new Checker(this.chain.chainId, validators, byzantine, options.stopOn);
    this.#network = new SimNetwork(this.prng, this.scenario.network, this.scenario.gstMs);
    this.nodes = identities.map((identity) => new SimNode(this, identity));
    this.#peers = identities.map((self) =>
      identities.filter((other) => other.endpoint !== self.endpoint).map((other) => other.endpoint),
    );
  }

  now(): number {
    return this.#now;
  }

  newLedger(): NodeLedger {
    return this.#net === null
      ? new SimLedger(this.chain, this.#verdicts)
      : new RealLedger(this.#net, this.#verdicts);
  }

  schedule(delayMs: number, event: SimEvent): void {
    this.#queue.push(this.#now + delayMs, event);
  }

  peersOf(endpoint: number): readonly number[] {
    return this.#peers[endpoint]!;
  }

  organisationOf(endpoint: number): string {
    return this.nodes[endpoint]!.id.validator.id;
  }

  endpointsOf(organisation: string): readonly number[] {
    return this.nodes.filter((node) => node.id.validator.id === organisation).map((node) => node.id.endpoint);
  }

  send(from: SimNode, to: readonly number[] | 'all', packet: Packet): void {
    const targets = to === 'all' ? this.#peers[from.id.endpoint]! : to;
    for (const target of targets) {
      const position = this.nodes[target]!.id.position;
      const kind = packet.channel === 'consensus' ? packet.kind : null;
      for (const delayMs of this.#network.route(from.id.position, position, this.#now, kind)) {
        this.schedule(delayMs, { kind: 'deliver', to: target, from: from.id.endpoint, packet });
      }
    }
  }

  decode(bytes: Uint8Array, receiver: SimNode): ConsensusMessage | null {
    const known = this.#decoded.get(bytes);
    if (known !== undefined) return known;
    let message: ConsensusMessage | null = null;
    try {
      message = decodeConsensusMessage(bytes);
    } catch (error) {
      if (!isBayledgerError(error)) {
        this.checker.report(
          'crash',
          this.#now,
          `decoder threw an untyped error at ${receiver.id.name}: ${String(error)}`,
        );
      }
    }
    this.#decoded.set(bytes, message);
    return message;
  }

  trace(line: string): void {
    this.#trace?.(`${String(this.#now).padStart(6)} ${line}`);
  }

  #correctNodes(): SimNode[] {
    return this.nodes.filter((node) => node.correct);
  }

  onDecide(): void {
    if (this.#livenessTarget === null) return;
    const target = this.#livenessTarget;
    if (this.#correctNodes().every((node) => node.committedHeight >= target)) this.#live = true;
  }

  #setUp(): void {
    const scenario = this.scenario;
    for (const crash of scenario.crashes) {
      this.#queue.push(crash.crashAtMs, { kind: 'crash', node: crash.validator, midStep: crash.midStep });
      this.#queue.push(crash.restartAtMs, { kind: 'restart', node: crash.validator });
    }
    this.#queue.push(scenario.gstMs, { kind: 'gst' });
    this.#queue.push(0, { kind: 'new-tx' });
    this.#queue.push(scenario.regossipIntervalMs, { kind: 'regossip' });
    this.#queue.push(scenario.statusIntervalMs, { kind: 'status' });
    for (const node of this.nodes) node.start();
  }

  #handle(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver':
        this.deliveries++;
        this.nodes[event.to]!.receive(event.from, event.packet);
        return;
      case 'input': {
        const node = this.nodes[event.node]!;
        if (node.incarnation === event.incarnation) node.feed(event.input);
        return;
      }
      case 'heartbeat': {
        const node = this.nodes[event.node]!;
        if (node.incarnation === event.incarnation) node.onHeartbeat(event.height);
        return;
      }
      case 'crash':
        this.nodes[event.node]!.crash(event.midStep);
        return;
      case 'restart': {
        const node = this.nodes[event.node]!;
        if (node.alive) {
          node.cancelPendingCrash();
        } else {
          this.trace(`${node.id.name} restarts at height ${node.committedHeight + 1}`);
          node.start();
          // New connections both ways, as a real restart makes them (decision 61's re-send).
          for (const other of this.nodes) {
            if (other === node || !other.alive) continue;
            other.peerConnected(node.id.validator.id);
            node.peerConnected(other.id.validator.id);
          }
        }
        return;
      }
      case 'new-tx':
        this.#newTx();
        return;
      case 'tx-arrives':
        this.nodes[event.node]!.addTx(event.tx);
        return;
      case 'regossip':
        for (const node of this.nodes) node.tick('regossip');
        this.schedule(this.scenario.regossipIntervalMs, { kind: 'regossip' });
        return;
      case 'status':
        for (const node of this.nodes) node.tick('status');
        this.schedule(this.scenario.statusIntervalMs, { kind: 'status' });
        return;
      case 'gst': {
        const reached = Math.max(...this.#correctNodes().map((node) => node.committedHeight));
        this.#livenessTarget = reached + this.scenario.heightsAfterGst;
        this.trace(`GST: liveness target height ${this.#livenessTarget}`);
        return;
      }
    }
  }

  /** A client submits a transaction; mempool gossip brings it to every node within 30 ms. */
  #newTx(): void {
    const serial = this.#txSerial++;
    const tx =
      this.#net === null
        ? makeTx(serial, this.prng.bytes(this.prng.int(8, 48)))
        : realTx(this.#net, serial, this.prng);
    for (const node of this.nodes)
      this.schedule(this.prng.int(1, 30), { kind: 'tx-arrives', node: node.id.endpoint, tx });
    const interval = this.scenario.txIntervalMs;
    this.schedule(this.prng.int(Math.ceil(interval / 2), interval + Math.floor(interval / 2)), {
      kind: 'new-tx',
    });
  }

  run(): void {
    this.#setUp();
    const deadline = this.scenario.gstMs + this.scenario.livenessBoundMs;
    while (!this.checker.stopped && !this.#live) {
      const next = this.#queue.pop();
      if (next === undefined) break;
      if (this.#stopAtMs !== undefined && next.timeMs > this.#stopAtMs) break;
      if (next.timeMs > deadline) {
        const heights = this.#correctNodes().map((node) => `${node.id.name}@${node.committedHeight}`);
        this.checker.report(
          'liveness',
          this.#now,
          `correct nodes did not reach height ${this.#livenessTarget} within ${this.scenario.livenessBoundMs} ms after GST: ${heights.join(' ')}`,
        );
        break;
      }
      this.#now = next.timeMs;
      this.events++;
      if (this.events > MAX_EVENTS) {
        this.checker.report('liveness', this.#now, `more than ${MAX_EVENTS} events`);
        break;
      }
      this.#handle(next.event);
    }
  }

  stats(): RunStats {
    return {
      simulatedMs: this.#now,
      events: this.events,
      committedHeight: Math.max(...this.nodes.map((node) => node.committedHeight)),
      signatureChecks: this.verifier.verified(),
      deliveries: this.deliveries,
      dropped: this.#network.dropped,
      rejectedMessages: this.nodes.reduce((sum, node) => sum + node.rejectedMessages, 0),
      evidence: this.nodes.reduce((sum, node) => sum + node.evidenceSeen, 0),
      accused: {
        vote: [...this.checker.accused.vote].sort((a, b) => a - b),
        proposal: [...this.checker.accused.proposal].sort((a, b) => a - b),
      },
    };
  }
}

export function runScenario(options: RunOptions): RunResult {
  const simulation = new Simulation(options);
  simulation.run();
  return {
    scenario: simulation.scenario,
    violations: simulation.checker.violations,
    replay: replayCommand(options),
    stats: simulation.stats(),
  };
}
