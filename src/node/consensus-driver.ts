// Runs the pure Tendermint state machine (src/core/consensus) against the real world: it turns
// network messages, timers and block validation into inputs, and carries out the effects in the
// order the machine emitted them. The one rule that keeps a validator safe across crashes: a
// `persist` effect is written to the WAL with fsync BEFORE any later effect (the broadcast of the
// same vote) runs (design section 7). Inputs are processed strictly one at a time.
import type { ConsensusParams } from '../core/config/genesis.js';
import { proposalTimeMs } from '../core/consensus/block-time.js';
import { decodeWalRecord, encodeConsensusMessage, encodeWalRecord } from '../core/consensus/codec.js';
import type { EquivocationEvidence } from '../core/consensus/evidence.js';
import { initConsensus, step } from '../core/consensus/machine.js';
import type { ConsensusState } from '../core/consensus/state.js';
import type { ConsensusEffect, ConsensusInput, WalRecord } from '../core/consensus/types.js';
import type { Ed25519Signer } from '../core/crypto/ed25519.js';
import { assert } from '../core/errors.js';
import { buildBlock } from '../core/ledger/build-block.js';
import { faultTolerance } from '../core/ledger/certificate-verify.js';
import { verifyBlock } from '../core/ledger/verify-block.js';
import type { Clock } from './clock.js';
import { StallWatch } from './consensus-regossip.js';
import { ConsensusSignatures } from './consensus-signatures.js';
import type { Logger } from './log/logger.js';
import type { Mempool, MempoolEntry } from './mempool/mempool.js';
import type { PeerNetwork } from './net/types.js';
import type { CommittedEvent, NodeChain } from './node-chain.js';
import type { NodeMetrics } from './node-metrics.js';
import { ProposalClockWatch } from './proposal-clock-watch.js';
import { PROTOCOL } from './protocols.js';

export interface ConsensusDriverOptions {
  readonly chain: NodeChain;
  readonly mempool: Mempool<unknown>;
  readonly net: PeerNetwork;
  /** Own validator id and signer; null for a follower, which runs the machine as an observer. */
  readonly self: string | null;
  readonly signer: Ed25519Signer | null;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  /** Re-send own messages of the current height this often, for peers that missed them. */
  readonly regossipMs: number;
}

export class ConsensusDriver {
  readonly #options: ConsensusDriverOptions;
  readonly #params: ConsensusParams;
  #state: ConsensusState | undefined;
  #queue: Promise<void> = Promise.resolve();
  readonly #timers = new Set<NodeJS.Timeout>();
  /**
   * The height whose round 0 waits for transactions (wait-for-txs, not yet answered), else null.
   * Only ever the machine's current height: see #noteHeight.
   */
  #waitingForTxsHeight: number | null = null;
  /** The height #heightStartedMs belongs to. */
  #startedHeight = 0;
  /** Monotonic time the current height started at (the previous commit). */
  #heightStartedMs = Number.NEGATIVE_INFINITY;
  /**
   * Monotonic time the previous height started at, when this driver saw it start (else minus
   * infinity: nothing to wait for): proposals are paced from it (at most two heights per
   * minBlockIntervalMs: see #proposeWhenDue).
   */
  #previousHeightStartedMs = Number.NEGATIVE_INFINITY;
  /** The one timer that releases a paced proposal (minBlockIntervalMs), if set. */
  #paceTimer: NodeJS.Timeout | undefined;
  #regossipTimer: NodeJS.Timeout | undefined;
  #unsubscribePeerEvents: (() => void) | undefined;
  readonly #stallWatch: StallWatch;
  readonly #clockWatch: ProposalClockWatch;
  /** The other validators: the only peers that use our prevotes. */
  readonly #otherValidators: readonly string[];
  #closed = false;

  /** Checks incoming messages' signatures (the node calls it on receipt) for the machine too. */
  readonly signatures: ConsensusSignatures;

  constructor(options: ConsensusDriverOptions) {
    this.#options = options;
    this.#params = options.chain.params.genesis.consensus;
    this.#stallWatch = new StallWatch(options.clock, options.regossipMs);
    this.#clockWatch = new ProposalClockWatch({
      logger: options.logger,
      metrics: options.metrics,
      clock: options.clock,
      faultyLimit: faultTolerance(options.chain.params.validators.length),
      voting: options.self !== null,
    });
    this.#otherValidators = options.chain.params.validators
      .map((validator) => validator.id)
      .filter((id) => id !== options.self);
    this.signatures = new ConsensusSignatures(options.chain.params.chainId, options.chain.params.validators);
  }

  get round(): number {
    return this.#state?.round ?? 0;
  }

  get height(): number {
    return this.#state?.height ?? this.#options.chain.height + 1;
  }

  /** Starts consensus at the height after the committed tip, replaying our WAL for that height. */
  async start(): Promise<void> {
    await this.#restartAtTip();
    this.#regossipTimer = setInterval(() => this.#onTick(), this.#options.regossipMs);
    this.#regossipTimer.unref();
    this.#options.chain.onCommitted((event) => this.#enqueue(() => this.#followCommitted(event)));
    // A new connection may be a restarted peer that lost what we sent it (decision 61).
    this.#unsubscribePeerEvents = this.#options.net.onPeerEvent((event) => {
      if (event.kind === 'connect') this.input({ type: 'peer-connected', peer: event.orgId });
    });
    this.input({ type: 'start-height' });
  }

  /** Queues one input; inputs are processed strictly in order. */
  input(input: ConsensusInput): void {
    this.#enqueue(() => this.#dispatch(input));
  }

  /** Called when the mempool gains transactions: wakes a proposer waiting for something to order. */
  notifyTxsAvailable(): void {
    const height = this.#waitingForTxsHeight;
    if (height === null) return;
    this.#proposeWhenDue(height);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#regossipTimer) clearInterval(this.#regossipTimer);
    this.#unsubscribePeerEvents?.();
    await this.#queue;
  }

  /**
   * Re-sends our messages only when the machine has stalled: everything less often as the stall
   * lasts, the votes alone every interval (StallWatch).
   */
  #regossipIfStalled(): void {
    if (this.#stallWatch.regossipDue()) this.input({ type: 'regossip' });
    else if (this.#stallWatch.votesDue()) this.input({ type: 'regossip', votesOnly: true });
  }

  #onTick(): void {
    this.#regossipIfStalled();
    this.#wakeIfForgotten();
  }

  /**
   * A safety net for a lost wake-up: round 0 waits for transactions while the mempool holds some
   * and no pace timer is armed to release them. Every path that fills the mempool calls
   * notifyTxsAvailable, so this should never find anything; one path that lost the wake-up all
   * the same (a wait left over from the previous height, see #noteHeight) stood a closed-loop
   * network still for 20 s. Here such a stall lasts one tick, and says so.
   */
  #wakeIfForgotten(): void {
    const height = this.#waitingForTxsHeight;
    const { mempool, logger } = this.#options;
    if (height === null || this.#paceTimer !== undefined || mempool.size === 0) return;
    logger.warn('a proposal waited for transactions the mempool already held; released', {
      height,
      mempoolTxs: mempool.size,
    });
    this.#proposeWhenDue(height);
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      this.#options.logger.error('consensus driver task failed', { error });
    });
  }

  /**
   * Keeps the machine on the height after the committed tip. A block we decided ourselves already
   * moved it (Algorithm 1, lines 49-54). A block that came by block sync for the height the machine
   * is on is fed to it as `committed-block`, which decides it like line 49 and keeps the messages
   * already buffered for the next height. Anything else (several synced blocks at once) restarts
   * the machine at the tip: nothing we signed below the tip can matter any more.
   */
  async #followCommitted(event: CommittedEvent): Promise<void> {
    const state = this.#state;
    if (state === undefined || this.#closed) return;
    const height = event.block.header.height;
    if (event.source === 'sync' && state.height === height) {
      await this.#dispatch({ type: 'committed-block', block: event.block, certificate: event.certificate });
    }
    if (this.#state !== undefined && this.#state.height <= this.#options.chain.height) {
      await this.#restartAtTip();
      await this.#dispatch({ type: 'start-height' });
    }
  }

  /**
   * (Re)starts the machine at the height after the committed tip with our own signed messages of
   * that height from the WAL, so a restarted validator re-sends them instead of signing anew. The
   * height is read after the WAL: block sync may commit while the WAL is being read.
   */
  async #restartAtTip(): Promise<void> {
    const records = this.#options.self === null ? [] : await this.#options.chain.store.walRead();
    const height = this.#options.chain.height + 1;
    const wal = records
      .filter((entry) => entry.height === height)
      .map((entry) => decodeWalRecord(entry.record));
    if (wal.length > 0) this.#options.logger.info('consensus WAL replayed', { height, records: wal.length });
    this.#startHeight(height, wal);
  }

  #startHeight(height: number, wal: readonly WalRecord[]): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#paceTimer = undefined;
    this.#noteHeight(height);
    this.#waitingForTxsHeight = null;
    const tip = this.#options.chain.tip();
    this.#state = initConsensus({
      chainId: this.#options.chain.params.chainId,
      validators: this.#options.chain.params.validators,
      self: this.#options.self,
      signer: this.#options.signer,
      params: this.#params,
      height,
      lastBlock: { height: tip.height, hash: tip.blockHash, timeMs: tip.timeMs },
      wal,
      verifier: this.signatures,
    });
  }

  async #dispatch(input: ConsensusInput): Promise<void> {
    if (this.#closed || this.#state === undefined) return;
    if (input.type === 'proposal') {
      this.#clockWatch.observe(input.proposal.proposer, input.proposal.block.header.timeMs - input.nowMs);
    }
    const { state, effects } = step(this.#state, input);
    this.#state = state;
    // A decision moves the machine to the next height inside step (Algorithm 1 lines 52-53).
    this.#noteHeight(state.height);
    this.#stallWatch.noteProgress(state);
    this.#options.metrics.round.set(state.round);
    for (const effect of effects) {
      if (this.#closed) return;
      await this.#execute(effect);
    }
  }

  async #execute(effect: ConsensusEffect): Promise<void> {
    const { net, chain, logger } = this.#options;
    switch (effect.type) {
      case 'persist': {
        const started = performance.now();
        await chain.store.walAppend(this.height, encodeWalRecord(effect.record));
        this.#options.metrics.walFsyncSeconds.observe((performance.now() - started) / 1000);
        return;
      }
      case 'broadcast-proposal':
        net.broadcast(
          PROTOCOL.consensus,
          encodeConsensusMessage({ type: 'proposal', proposal: effect.proposal }),
        );
        return;
      case 'send-proposal-request': {
        const message = encodeConsensusMessage({ type: 'proposal-request', request: effect.request });
        for (const organisation of effect.to) net.send(organisation, PROTOCOL.consensus, message);
        return;
      }
      case 'send-proposal':
        net.send(
          effect.to,
          PROTOCOL.consensus,
          encodeConsensusMessage({ type: 'proposal', proposal: effect.proposal }),
        );
        return;
      case 'send-vote':
        net.send(effect.to, PROTOCOL.consensus, encodeConsensusMessage({ type: 'vote', vote: effect.vote }));
        return;
      case 'broadcast-vote': {
        const message = encodeConsensusMessage({ type: 'vote', vote: effect.vote });
        // Nodes that never vote decide on the proposal and a quorum of precommits (Algorithm 1
        // line 49); prevotes serve only validators' locks and precommits (lines 34-43).
        if (effect.vote.type === 'prevote') {
          for (const validator of this.#otherValidators) net.send(validator, PROTOCOL.consensus, message);
        } else {
          net.broadcast(PROTOCOL.consensus, message);
        }
        return;
      }
      case 'schedule-timeout': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.input({ type: 'timeout', kind: effect.kind, height: effect.height, round: effect.round });
        }, effect.delayMs);
        this.#timers.add(timer);
        return;
      }
      case 'validate-block':
        await this.#validate(effect);
        return;
      case 'request-proposal-block':
        await this.#buildProposal(effect.height, effect.round);
        return;
      case 'wait-for-txs':
        this.#waitForTxs(effect.height);
        return;
      case 'decide':
        await this.#decide(effect);
        return;
      case 'evidence':
        await this.#keepEvidence(effect.evidence);
        return;
      case 'untimely-proposal':
        this.#clockWatch.untimely(effect);
        return;
      case 'halted':
        logger.error('consensus halted: round limit reached', { height: effect.height, round: effect.round });
        return;
    }
  }

  /**
   * Design section 7: evidence is kept (the node's evidence store, durably, once per slot) and
   * reported (a warning, the metric, GET /evidence). A failed write is logged, never fatal:
   * consensus must go on.
   */
  async #keepEvidence(evidence: EquivocationEvidence): Promise<void> {
    const { logger, chain, clock, metrics } = this.#options;
    const fields = {
      kind: evidence.kind,
      validator: evidence.validator,
      height: evidence.height,
      round: evidence.round,
    };
    try {
      const kept = await chain.store.evidence.add(evidence, Math.floor(clock.nowMs() / 1000));
      if (!kept) return;
    } catch (error) {
      logger.error('could not keep equivocation evidence', { ...fields, error });
    }
    logger.warn('equivocation evidence', fields);
    metrics.evidence.inc();
  }

  #validate(effect: Extract<ConsensusEffect, { type: 'validate-block' }>): Promise<void> {
    // A block sync commit in flight is visible to the store's reads before its tip moves: judged
    // between commits, a valid proposal is never judged against half of the next block.
    return this.#betweenCommits(() => this.#validateNow(effect));
  }

  /**
   * chain.betweenCommits (decision 57), timing the wait for the commits queued before `read`: the
   * proposal checks and builds of a validator under load wait there.
   */
  #betweenCommits<T>(read: () => T): Promise<T> {
    const queuedAtMs = performance.now();
    return this.#options.chain.betweenCommits(() => {
      this.#options.metrics.commitQueueWaitSeconds.observe((performance.now() - queuedAtMs) / 1000);
      return read();
    });
  }

  #validateNow(effect: Extract<ConsensusEffect, { type: 'validate-block' }>): void {
    const { chain } = this.#options;
    // A proposal of a height block sync has already committed: the machine is about to move on.
    if (effect.height !== chain.height + 1) return;
    const verdict = verifyBlock(effect.block, chain.verifyContext());
    if (verdict.ok) chain.rememberApplied(verdict.blockHash, verdict.applied);
    else
      this.#options.logger.warn('proposal invalid', {
        height: effect.height,
        code: verdict.code,
        reason: verdict.reason,
      });
    // Answered through the queue, after the effects of the current input.
    this.input({
      type: 'block-validated',
      height: effect.height,
      round: effect.round,
      blockHash: effect.blockHash,
      valid: verdict.ok,
      reason: verdict.ok ? undefined : `${verdict.code}: ${verdict.reason}`,
    });
  }

  async #buildProposal(height: number, round: number): Promise<void> {
    const { chain, mempool } = this.#options;
    // Built between commits, for the same reason as #validate.
    const proposal = await this.#betweenCommits(() => {
      if (height !== chain.height + 1) return undefined;
      return this.#buildOnTip();
    });
    if (proposal === undefined) return;
    const { built, candidates } = proposal;
    if (built.rejected.length > 0) {
      mempool.removeCommitted(built.rejected.map((rejected) => candidates[rejected.index]!.txIdHex));
      this.#options.logger.warn('dropped transactions that can never be committed', {
        count: built.rejected.length,
      });
    }
    this.input({ type: 'proposal-value', height, round, block: built.block });
  }

  /** A block of the oldest mempool transactions on the committed tip (run between commits). */
  #buildOnTip(): { built: ReturnType<typeof buildBlock>; candidates: MempoolEntry<unknown>[] } {
    const { chain, mempool, clock } = this.#options;
    const context = chain.verifyContext();
    const candidates = mempool.takeForBlock(this.#params.maxBlockTxs, this.#params.maxBlockBytes);
    const built = buildBlock(
      {
        timeMs: proposalTimeMs(context.previous.timeMs, clock.nowMs()),
        proposer: this.#options.self ?? '',
        candidates: candidates.map((entry) => entry.bytes),
      },
      context,
    );
    chain.rememberApplied(built.blockHash, built.applied);
    return { built, candidates };
  }

  #waitForTxs(height: number): void {
    this.#waitingForTxsHeight = height;
    if (this.#options.mempool.size > 0) {
      this.#proposeWhenDue(height);
      return;
    }
    const heartbeatMs = this.#params.heartbeatMs;
    if (heartbeatMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#releaseProposal(height);
      }, heartbeatMs);
      this.#timers.add(timer);
    }
  }

  /**
   * Lets the waiting proposer order what the mempool holds once minBlockIntervalMs has passed since
   * the PREVIOUS height started, or at once when a full block is waiting. Height h + 1 starts after
   * this proposal, so heights h - 1 and h + 1 start at least the interval apart: at most two heights
   * per interval, not one (a height whose proposal was due on arrival follows a paced one;
   * measured at 20 and 120 tx/s with 100 ms: 13.3-14.8 heights a second, 18-23 unpaced). Each height costs every
   * node a fixed amount of work whatever it carries (votes, their signatures, WAL appends, the
   * store commit, a dozen messages), so back-to-back heights of a few transactions each spend the
   * machine on that fixed cost; pacing them gathers the transactions that arrive meanwhile into one
   * block. Counting from the previous height's start bounds the rate of heights without adding
   * anything to a height that took longer than the interval: on a busy network, whose heights
   * outlast the interval, nothing waits (decision 32 measured the rule that counted from this
   * height's own start: it added the interval to every height, and raised the p99 at 300 and 480
   * tx/s). An idle network's first transaction is not delayed either. The same idea as CometBFT's
   * timeout_commit and Fabric's BatchTimeout, and only the proposer's timing: nothing here affects
   * what is valid.
   */
  #proposeWhenDue(height: number): void {
    if (this.#waitingForTxsHeight !== height || this.#options.mempool.size === 0) return;
    assert(height === this.#startedHeight, `pacing height ${height} while at ${this.#startedHeight}`);
    const { mempool, clock } = this.#options;
    const intervalMs = this.#params.minBlockIntervalMs ?? 0;
    const dueInMs = this.#previousHeightStartedMs + intervalMs - clock.monotonicMs();
    // Monotonic time never runs back, so a paced proposal waits at most one interval.
    assert(dueInMs <= intervalMs, `proposal pacing would wait ${dueInMs} ms, more than ${intervalMs}`);
    const fullBlock = mempool.size >= this.#params.maxBlockTxs || mempool.bytes >= this.#params.maxBlockBytes;
    if (dueInMs <= 0 || fullBlock) {
      this.#releaseProposal(height);
      return;
    }
    if (this.#paceTimer !== undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#paceTimer = undefined;
      this.#proposeWhenDue(height);
    }, dueInMs);
    this.#paceTimer = timer;
    this.#timers.add(timer);
  }

  /** Remembers when `height` started, the first time the driver sees it; drops an older pace timer. */
  #noteHeight(height: number): void {
    if (height === this.#startedHeight) return;
    // After a jump (block sync, a restart) the previous height's start is unknown: no pacing.
    this.#previousHeightStartedMs =
      height === this.#startedHeight + 1 ? this.#heightStartedMs : Number.NEGATIVE_INFINITY;
    this.#startedHeight = height;
    this.#heightStartedMs = this.#options.clock.monotonicMs();
    // A validator still waiting for transactions when its height's proposal arrives votes and
    // decides without the wait ever being answered. That wait is over with its height: left set, a
    // transaction arriving before the next height's wait-for-txs is handled (during the commit)
    // armed a pace timer for the old height, which blocked the new height's own timer and then
    // fired for nothing; the proposer stayed silent until yet another transaction came (a 5-20 s
    // stall of the whole network under a closed-loop load, test/unit/consensus-driver-pacing).
    this.#waitingForTxsHeight = null;
    if (this.#paceTimer !== undefined) {
      clearTimeout(this.#paceTimer);
      this.#timers.delete(this.#paceTimer);
      this.#paceTimer = undefined;
    }
  }

  #releaseProposal(height: number): void {
    if (this.#waitingForTxsHeight !== height) return;
    this.#waitingForTxsHeight = null;
    this.input({ type: 'txs-available', height });
  }

  async #decide(effect: Extract<ConsensusEffect, { type: 'decide' }>): Promise<void> {
    try {
      const committed = await this.#options.chain.commit(effect.block, effect.certificate, 'consensus');
      if (!committed) return;
    } catch (error) {
      this.#options.logger.error('could not commit a decided block', { height: effect.height, error });
      return;
    }
    // From the proposal (the proposer's clock, in the header) to our commit: propose, two voting
    // steps, the certificate and the atomic store write.
    const elapsedMs = Math.max(0, this.#options.clock.nowMs() - effect.block.header.timeMs);
    this.#options.metrics.commitLatencySeconds.observe(elapsedMs / 1000);
  }
}
