// One simulated node: the real consensus state machine plus a shell that carries out its effects
// against simulated storage (a WAL of encoded records and a committed chain, both surviving
// crashes), a simulated clock (simulated time plus this node's skew) and the simulated network.
// It plays the role src/node plays in production, in the same order: persist, then send.
import { toHex } from '../../src/core/bytes.js';
import type { Validator } from '../../src/core/config/genesis.js';
import {
  type ConsensusMessage,
  decodeWalRecord,
  encodeConsensusMessage,
  encodeWalRecord,
  type SignedConsensusMessage,
} from '../../src/core/consensus/codec.js';
import { initConsensus, step } from '../../src/core/consensus/machine.js';
import type { Proposal, Vote } from '../../src/core/consensus/messages.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type { ConsensusEffect, ConsensusInput, SignatureVerifier } from '../../src/core/consensus/types.js';
import type { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { LIMITS } from '../../src/core/limits.js';
import { type AdversaryEnv, type Outgoing, outgoing } from './adversary.js';
import type { Checker } from './checkers.js';
import type { Packet, SimEvent } from './events.js';
import type { Prng } from './prng.js';
import type { ByzantineBehaviour, Scenario } from './scenario.js';
import { type ChainConfig, type CommittedEntry, type NodeLedger, txIdOf } from './sim-ledger.js';

export interface SimHost {
  readonly prng: Prng;
  readonly scenario: Scenario;
  readonly chain: ChainConfig;
  readonly checker: Checker;
  readonly verifier: SignatureVerifier;
  /** A node's empty committed store (the sim ledger or the real one). */
  newLedger(): NodeLedger;
  now(): number;
  schedule(delayMs: number, event: SimEvent): void;
  send(from: SimNode, to: readonly number[] | 'all', packet: Packet): void;
  /** Decodes consensus bytes (the real decoder); null when refused. */
  decode(bytes: Uint8Array, receiver: SimNode): ConsensusMessage | null;
  peersOf(endpoint: number): readonly number[];
  /** The validator id a node runs as (a twin shares its validator's). */
  organisationOf(endpoint: number): string;
  /** The nodes that run as a validator (two for a twinned one). */
  endpointsOf(organisation: string): readonly number[];
  onDecide(node: SimNode): void;
  trace(line: string): void;
}

/** A vote of height 0: every machine is past it, so receiving it changes nothing. */
const NO_OP_INPUT: ConsensusInput = {
  type: 'vote',
  vote: {
    type: 'prevote',
    height: 0,
    round: 0,
    blockHash: null,
    validator: '',
    signature: new Uint8Array(64),
  },
};

interface WalEntry {
  readonly height: number;
  readonly bytes: Uint8Array;
}

export interface NodeIdentity {
  readonly name: string;
  readonly endpoint: number;
  /** Position of the validator in the genesis list (twins share one). */
  readonly position: number;
  readonly validator: Validator;
  readonly signer: Ed25519Signer;
  readonly behaviour: ByzantineBehaviour | null;
}

function slotOf(message: SignedConsensusMessage): { slot: string; value: string } {
  if (message.type === 'vote') {
    const vote: Vote = message.vote;
    return {
      slot: `${vote.validator}/${vote.height}/${vote.round}/${vote.type}`,
      value: vote.blockHash === null ? 'nil' : toHex(vote.blockHash),
    };
  }
  const proposal: Proposal = message.proposal;
  return {
    slot: `${proposal.proposer}/${proposal.height}/${proposal.round}/proposal`,
    value: `${toHex(proposal.blockHash)}/${proposal.validRound}`,
  };
}

export class SimNode {
  readonly id: NodeIdentity;
  readonly ledger: NodeLedger;
  readonly #host: SimHost;
  readonly #wal: WalEntry[] = [];
  #core: ConsensusState | null = null;
  #mempool = new Map<string, Uint8Array>();
  #waitingForTxsAt: number | null = null;
  #crashMidStep = false;
  #adversary: AdversaryEnv | null = null;
  #heightAtLastRegossipTick = -1;
  #heightAtLastStatusTick = -1;
  incarnation = 0;
  alive = false;
  evidenceSeen = 0;
  rejectedMessages = 0;

  constructor(host: SimHost, identity: NodeIdentity) {
    this.#host = host;
    this.id = identity;
    this.ledger = host.newLedger();
  }

  /** Correct nodes are held to every property; Byzantine ones (twins included) to none. */
  get correct(): boolean {
    return this.id.behaviour === null;
  }

  get committedHeight(): number {
    return this.ledger.tip.height;
  }

  get core(): ConsensusState | null {
    return this.#core;
  }

  /** Wall clock: genesis time, plus simulated time since the start, plus this node's skew. */
  localNow(): number {
    const host = this.#host;
    return host.chain.genesisTimeMs + host.now() + host.scenario.clockSkewMs[this.id.position]!;
  }

  /** Boots from storage: the committed chain and the WAL of the height being decided. */
  start(): void {
    if (this.id.behaviour === 'silent') return;
    const host = this.#host;
    const tip = this.ledger.tip;
    const wal = this.#wal
      .filter((entry) => entry.height === tip.height + 1)
      .map((entry) => decodeWalRecord(entry.bytes));
    this.#core = initConsensus({
      chainId: host.chain.chainId,
      validators: host.chain.validators,
      self: this.id.validator.id,
      signer: this.id.signer,
      params: host.chain.params,
      height: tip.height + 1,
      lastBlock: { height: tip.height, hash: tip.hash, timeMs: tip.timeMs },
      wal,
      verifier: host.verifier,
      bugs: host.scenario.bugs,
    });
    this.alive = true;
    this.incarnation++;
    this.#mempool = new Map();
    this.#waitingForTxsAt = null;
    if (this.id.behaviour !== null) this.#adversary = this.#adversaryEnv();
    this.feed({ type: 'start-height' });
  }

  /** The planned restart came before a mid-step crash found a step to interrupt: cancel that crash. */
  cancelPendingCrash(): void {
    this.#crashMidStep = false;
  }

  crash(midStep: boolean): void {
    if (!this.alive) return;
    if (midStep) {
      this.#crashMidStep = true;
      return;
    }
    this.#die();
  }

  #die(): void {
    this.alive = false;
    this.#core = null;
    this.#crashMidStep = false;
    this.#host.trace(`${this.id.name} crashed`);
  }

  feed(input: ConsensusInput): void {
    const core = this.#core;
    if (!this.alive || core === null) return;
    let result: ReturnType<typeof step>;
    try {
      result = step(core, input);
    } catch (error) {
      this.#host.checker.report(
        'crash',
        this.#host.now(),
        `${this.id.name} threw on ${input.type}: ${String(error)}`,
      );
      this.#die();
      return;
    }
    this.#core = result.state;
    this.#checkSettled(result.state, input);
    this.#execute(result.effects);
  }

  /**
   * The upon rules of Algorithm 1 fire whenever their condition holds, so the machine applies them
   * until none fires before it returns. A rule still enabled after a step would wait for some
   * unrelated input (a timeout, a regossip tick) to act: a delay no other check sees. An input
   * that changes nothing (a vote of a decided height) must therefore find nothing to do.
   */
  #checkSettled(state: ConsensusState, input: ConsensusInput): void {
    const again = step(state, NO_OP_INPUT);
    if (again.state === state && again.effects.length === 0) return;
    const effects = again.effects.map((effect) => effect.type).join(', ');
    this.#host.checker.report(
      'settled',
      this.#host.now(),
      `${this.id.name} after ${input.type}: a rule still fired (${effects || 'state changed'})`,
    );
  }

  #execute(effects: readonly ConsensusEffect[]): void {
    let limit = effects.length;
    const crashing = this.#crashMidStep && effects.length > 0;
    if (crashing) limit = this.#host.prng.int(0, effects.length - 1);
    for (let i = 0; i < limit && this.alive; i++) this.#carryOut(effects[i]!);
    if (crashing) this.#die();
  }

  #input(delayMs: number, input: ConsensusInput): void {
    this.#host.schedule(delayMs, {
      kind: 'input',
      node: this.id.endpoint,
      incarnation: this.incarnation,
      input,
    });
  }

  #carryOut(effect: ConsensusEffect): void {
    const host = this.#host;
    switch (effect.type) {
      case 'persist': {
        const record = effect.record;
        const message: ConsensusMessage =
          record.type === 'vote'
            ? { type: 'vote', vote: record.vote }
            : { type: 'proposal', proposal: record.proposal };
        this.#noteSigned(message);
        const height = record.type === 'vote' ? record.vote.height : record.proposal.height;
        this.#wal.push({ height, bytes: encodeWalRecord(record) });
        return;
      }
      case 'broadcast-vote':
        this.#broadcast({ type: 'vote', vote: effect.vote });
        return;
      case 'broadcast-proposal':
        this.#broadcast({ type: 'proposal', proposal: effect.proposal });
        return;
      case 'send-proposal-request': {
        // Honest whatever the node's behaviour: the request carries no signature to abuse.
        const bytes = encodeConsensusMessage({ type: 'proposal-request', request: effect.request });
        const to = effect.to.flatMap((organisation) => host.endpointsOf(organisation));
        host.send(this, to, { channel: 'consensus', bytes, kind: 'proposal-request' });
        return;
      }
      case 'send-vote': {
        const bytes = encodeConsensusMessage({ type: 'vote', vote: effect.vote });
        host.send(this, host.endpointsOf(effect.to), { channel: 'consensus', bytes, kind: effect.vote.type });
        return;
      }
      case 'send-proposal': {
        // Sent as it is, whoever holds it: a relayed proposal keeps its proposer's signature.
        const bytes = encodeConsensusMessage({ type: 'proposal', proposal: effect.proposal });
        host.send(this, host.endpointsOf(effect.to), { channel: 'consensus', bytes, kind: 'proposal' });
        return;
      }
      case 'schedule-timeout':
        this.#input(effect.delayMs, {
          type: 'timeout',
          kind: effect.kind,
          height: effect.height,
          round: effect.round,
        });
        return;
      case 'validate-block': {
        const fault = this.ledger.validate(effect.block);
        this.#input(host.prng.int(0, 3), {
          type: 'block-validated',
          height: effect.height,
          round: effect.round,
          blockHash: effect.blockHash,
          valid: fault === null,
        });
        return;
      }
      case 'request-proposal-block': {
        const block = this.ledger.build(this.id.validator.id, this.localNow(), [...this.#mempool.values()]);
        this.#input(host.prng.int(0, 2), {
          type: 'proposal-value',
          height: effect.height,
          round: effect.round,
          block,
        });
        return;
      }
      case 'wait-for-txs':
        this.#waitForTxs(effect.height);
        return;
      case 'decide':
        this.#commit(effect);
        return;
      case 'evidence':
        this.evidenceSeen++;
        if (this.correct) host.checker.onEvidence(host.now(), this.id.name, effect.evidence);
        return;
      case 'halted':
        if (this.correct)
          host.checker.report('liveness', host.now(), `${this.id.name} halted at round ${effect.round}`);
        return;
      case 'untimely-proposal':
        // Every node's skew is within maxClockDriftMs / 2 less the largest delay (scenario.ts) and
        // no behaviour stamps a block time of its own, so a block's time is never that far ahead.
        if (this.correct) {
          const detail = `${effect.proposer}'s proposal r${effect.round} ${effect.aheadMs} ms ahead`;
          host.checker.report('timeliness', host.now(), `${this.id.name} judged ${detail}`);
        }
        return;
    }
  }

  #noteSigned(message: SignedConsensusMessage): void {
    if (!this.correct) return;
    const { slot, value } = slotOf(message);
    this.#host.checker.onSigned(this.#host.now(), this.id.name, slot, value);
  }

  #broadcast(message: SignedConsensusMessage): void {
    const own = message.type === 'proposal' || message.vote.validator === this.id.validator.id;
    if (own) this.#noteSigned(message);
    // A relayed vote (proof of a valid value) goes out as it is, whoever relays it.
    const behaviour = own ? this.id.behaviour : null;
    const sends: Outgoing[] = outgoing(behaviour, this.#adversary, message);
    const kind = message.type === 'proposal' ? 'proposal' : message.vote.type;
    for (const send of sends)
      this.#host.send(this, send.to, { channel: 'consensus', bytes: send.bytes, kind });
  }

  #waitForTxs(height: number): void {
    if (this.#hasWork()) {
      this.#input(0, { type: 'txs-available', height });
      return;
    }
    this.#waitingForTxsAt = height;
    const heartbeatMs = this.#host.chain.params.heartbeatMs;
    if (heartbeatMs > 0) {
      this.#host.schedule(heartbeatMs, {
        kind: 'heartbeat',
        node: this.id.endpoint,
        incarnation: this.incarnation,
        height,
      });
    }
  }

  #hasWork(): boolean {
    return this.#mempool.size > 0;
  }

  /** The network connected this node to `peer` (after either of them restarted). */
  peerConnected(peer: string): void {
    if (!this.alive || this.#core === null) return;
    this.feed({ type: 'peer-connected', peer });
  }

  onHeartbeat(height: number): void {
    if (this.#waitingForTxsAt !== height) return;
    this.#waitingForTxsAt = null;
    this.feed({ type: 'txs-available', height });
  }

  #commit(effect: Extract<ConsensusEffect, { type: 'decide' }>): void {
    const host = this.#host;
    const entry = { block: effect.block, blockHash: effect.blockHash, certificate: effect.certificate };
    const fault = this.ledger.validate(effect.block);
    if (fault !== null) {
      // The store refuses an invalid block; for a correct node that is a validity violation.
      if (this.correct) host.checker.onCommit(host.now(), this.id.name, entry, fault, []);
      this.#die();
      return;
    }
    const repeated = this.ledger.commit(effect.block, effect.blockHash, effect.certificate);
    if (this.correct) host.checker.onCommit(host.now(), this.id.name, entry, null, repeated);
    for (const tx of effect.block.txs) this.#mempool.delete(txIdOf(tx));
    // The WAL only needs the height being decided: drop the records of decided heights.
    const kept = this.#wal.filter((record) => record.height > effect.height);
    this.#wal.length = 0;
    this.#wal.push(...kept);
    this.#waitingForTxsAt = null;
    host.trace(
      `${this.id.name} decided ${effect.height} round ${effect.round} ${toHex(effect.blockHash).slice(0, 8)}`,
    );
    host.onDecide(this);
  }

  addTx(tx: Uint8Array): void {
    if (!this.alive) return;
    const id = txIdOf(tx);
    if (this.ledger.hasTx(id) || this.#mempool.size >= LIMITS.maxMempoolTxs) return;
    this.#mempool.set(id, tx);
    const waiting = this.#waitingForTxsAt;
    if (waiting !== null && this.#core?.height === waiting) {
      this.#waitingForTxsAt = null;
      this.feed({ type: 'txs-available', height: waiting });
    }
  }

  receive(from: number, packet: Packet): void {
    if (!this.alive || this.#core === null) return;
    if (packet.channel === 'consensus') {
      const message = this.#host.decode(packet.bytes, this);
      if (message === null) {
        this.rejectedMessages++;
        return;
      }
      if (message.type === 'vote') this.feed({ type: 'vote', vote: message.vote });
      else if (message.type === 'proposal-request') {
        const organisation = this.#host.organisationOf(from);
        this.feed({ type: 'proposal-request', from: organisation, request: message.request });
      } else this.feed({ type: 'proposal', proposal: message.proposal, nowMs: this.localNow() });
    } else if (packet.channel === 'status') {
      this.#answerStatus(from, packet.height);
    } else {
      this.#applySync(packet.entries);
    }
  }

  /** Block sync, server side: send the committed blocks the peer lacks, a bounded batch. */
  #answerStatus(from: number, peerHeight: number): void {
    const entries = this.ledger.entries;
    if (entries.length <= peerHeight) return;
    const batch = entries.slice(peerHeight, peerHeight + LIMITS.maxBlocksPerSyncResponse);
    this.#host.send(this, [from], { channel: 'sync', entries: batch });
  }

  /** Block sync, client side: each block is checked (ledger rules) and handed to the machine. */
  #applySync(entries: readonly CommittedEntry[]): void {
    for (const entry of entries) {
      const core = this.#core;
      if (!this.alive || core === null) return;
      if (entry.block.header.height !== core.height) continue;
      if (this.ledger.validate(entry.block) !== null) return;
      this.feed({ type: 'committed-block', block: entry.block, certificate: entry.certificate });
    }
  }

  /**
   * Periodic ticks. A node that made no progress since the previous tick re-sends its own messages
   * (regossip) or asks its peers for blocks (status), as a real node re-gossips when it is stuck.
   */
  tick(kind: 'regossip' | 'status'): void {
    const core = this.#core;
    if (!this.alive || core === null) return;
    if (kind === 'regossip') {
      const stuck = core.height === this.#heightAtLastRegossipTick;
      this.#heightAtLastRegossipTick = core.height;
      if (stuck) this.feed({ type: 'regossip' });
      return;
    }
    const stuck = this.committedHeight === this.#heightAtLastStatusTick;
    this.#heightAtLastStatusTick = this.committedHeight;
    if (stuck) this.#host.send(this, 'all', { channel: 'status', height: this.committedHeight });
  }

  #adversaryEnv(): AdversaryEnv {
    return {
      prng: this.#host.prng,
      chainId: this.#host.chain.chainId,
      validators: this.#host.chain.validators,
      signer: this.id.signer,
      self: this.id.validator.id,
      peers: this.#host.peersOf(this.id.endpoint),
      ledger: this.ledger,
      knownBlocks: () => [...(this.#core?.blocks.keys() ?? [])],
      memory: { split: null },
    };
  }
}
