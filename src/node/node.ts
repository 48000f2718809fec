// One bayledger node (design section 2, issue 5): wiring of store, network, mempool, consensus,
// block sync and the local API. Validators run the consensus state machine; submitters and the
// recipient run the same machine as observers (they decide from the validators' precommits as
// they arrive) and catch up by block sync, verifying every certificate either way.
import { statfsSync } from 'node:fs';
import { parseHex, toHex } from '../core/bytes.js';
import type { Genesis } from '../core/config/genesis.js';
import { isTimely } from '../core/consensus/block-time.js';
import { decodeConsensusMessage } from '../core/consensus/codec.js';
import { Ed25519Signer } from '../core/crypto/ed25519.js';
import { BayledgerError, type ErrorCode, fail } from '../core/errors.js';
import type { CheckedTx } from '../core/ledger/block-tx.js';
import { chainParamsOf } from '../core/ledger/chain-params.js';
import { getOutcome } from '../core/ledger/views.js';
import { LIMITS } from '../core/limits.js';
import { txIdOf } from '../core/records/codec.js';
import { admitTransaction } from './admission.js';
import { type ApiServer, createApiServer } from './api/server.js';
import { readApiTokenFile } from './api/token-file.js';
import { registerNodeRoutes } from './api-routes.js';
import { BlockSync } from './block-sync.js';
import { readGenesis } from './chain/open-chain.js';
import { StoreChainReader } from './chain/store-chain-reader.js';
import { type Clock, SYSTEM_CLOCK } from './clock.js';
import { checkNodeIdentity } from './config/identity.js';
import { configFieldSource, type NodeConfig } from './config/node-config.js';
import { ConsensusDriver } from './consensus-driver.js';
import { HeightWaiters } from './height-waiters.js';
import { readKeyFile } from './keys/key-file.js';
import type { Logger } from './log/logger.js';
import { HUGE_PAGE_MALLOC_TUNABLE, hugePageMallocMissing, rolePaysForHugePages } from './malloc-tuning.js';
import { type AddResult, Mempool } from './mempool/mempool.js';
import { RelayAdmissionQueue } from './mempool/relay-admission.js';
import { TxRelay } from './mempool/tx-relay.js';
import { createPeerNetwork } from './net/network.js';
import type { PeerNetwork } from './net/types.js';
import { NodeChain } from './node-chain.js';
import { createNodeMetrics, type NodeMetrics } from './node-metrics.js';
import type {
  BatchSubmitResult,
  NodeRuntime,
  NodeStatusView,
  SubmitResult,
  TxStatusView,
} from './node-runtime.js';
import { PROTOCOL } from './protocols.js';
import { LedgerStore } from './store/ledger-store.js';
import { memtableBytesFor } from './store/memtable-spread.js';
import { missingNodeHeapFlags } from './v8-tuning.js';
import { Waiters } from './waiters.js';

export interface StartNodeOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often a validator re-sends its own messages of the current height. Default 1000 ms. */
  readonly regossipMs?: number;
}

export interface RunningNode extends NodeRuntime {
  readonly apiUrl: string;
  readonly genesis: Genesis;
  readonly net: PeerNetwork;
  /** Adds a route to the node's API (for services attached after start: the transfer service). */
  route: ApiServer['route'];
  /**
   * Says, from now on, that every service is attached (`/status` `ready`). Until then a path the
   * API has no route for answers 503 NOT_READY (the routes may still come), afterwards 404.
   */
  markReady(): void;
  /**
   * Resolves with the fault that means this node must stop: its store could no longer be written
   * (STORE_FAILED, store/write-fault.ts). Pending while all is well; never rejects. `node start`
   * closes the node and exits 1 with it.
   */
  readonly fatal: Promise<BayledgerError>;
  close(): Promise<void>;
}

/**
 * A clock behind the chain's last block (a machine whose clock was reset, or never set) would have
 * this node refuse every fresh proposal as untimely, and on an idle network no proposal comes to
 * say so (decision 67): the last block's time is a lower bound on the time now, checked at start.
 */
function warnIfClockBehindChain(
  tip: { readonly height: number; readonly timeMs: number },
  clock: Clock,
  maxClockDriftMs: number,
  logger: Logger,
): void {
  const nowMs = clock.nowMs();
  // The last block, proposed now, would be untimely to this node: the rule of block-time.ts.
  if (isTimely(tip.timeMs, nowMs, maxClockDriftMs)) return;
  logger.warn("this node's clock is behind the time of the chain's last block: set it right (NTP)", {
    height: tip.height,
    lastBlockTimeMs: tip.timeMs,
    behindMs: tip.timeMs - nowMs,
    maxClockDriftMs,
  });
}

/** The API error code for a transaction the mempool refused (admission keeps the decoder's code). */
function submitErrorCode(code: string): ErrorCode {
  if (code === 'ALREADY_COMMITTED') return 'CONFLICT';
  if (code === 'TX_TOO_LARGE') return 'MESSAGE_TOO_LARGE';
  return code as ErrorCode;
}

export async function startNode(config: NodeConfig, options: StartNodeOptions): Promise<RunningNode> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const logger = options.logger.child({ org: config.org });
  const { genesis, text: genesisText } = await readGenesis(
    config.genesis,
    configFieldSource(config, 'genesis'),
  );
  const keyFile = await readKeyFile(config.keyFile, configFieldSource(config, 'keyFile'));
  checkNodeIdentity(config, genesis, keyFile);
  const token = await readApiTokenFile(config.apiTokenFile, configFieldSource(config, 'apiTokenFile'));
  const params = chainParamsOf(genesis);
  // Each node flushes its memtable on its own schedule (store/memtable-spread.ts).
  const writeBufferSize = memtableBytesFor(config.org, genesis.organisations);
  const store = await LedgerStore.open(config.dataDir, {
    createIfMissing: true,
    tuning: { writeBufferSize },
  });
  const closers: Array<() => Promise<void>> = [() => store.close()];
  try {
    await store.initGenesis({ hash: params.genesisHash, json: genesisText });
    const node = await wire(
      config,
      genesis,
      params,
      store,
      keyFile.ed25519Seed,
      token,
      clock,
      logger,
      options,
      closers,
    );
    return node;
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function wire(
  config: NodeConfig,
  genesis: Genesis,
  params: ReturnType<typeof chainParamsOf>,
  store: LedgerStore,
  nodeSeed: Uint8Array,
  token: string,
  clock: Clock,
  logger: Logger,
  options: StartNodeOptions,
  closers: Array<() => Promise<void>>,
): Promise<RunningNode> {
  const chain = new NodeChain(store, params);
  const fatal = new Promise<BayledgerError>((resolve) => {
    store.onWriteFault((fault) => {
      logger.error('the store can no longer be written: the node must stop', {
        dataDir: store.directory,
        error: fault,
      });
      resolve(fault);
    });
  });
  let net: PeerNetwork | undefined;
  let mempool: Mempool<CheckedTx> | undefined;
  const metrics: NodeMetrics = createNodeMetrics({
    peers: () => net?.connectedPeers().length ?? 0,
    mempoolTxs: () => mempool?.size ?? 0,
    mempoolBytes: () => mempool?.bytes ?? 0,
    txIdFilterAnswering: () => store.txIdFilterState.state === 'answering',
  });
  metrics.height.set(chain.height);
  // The disk under the ledger (decision 56), for an alert well before a full disk stops the node.
  // statfs is one cheap system call, made at scrape time.
  metrics.registry.gauge({
    name: 'bayledger_disk_free_bytes',
    help: 'Free bytes, for an unprivileged writer, on the disk of the data directory.',
    collect: () => {
      const disk = statfsSync(config.dataDir);
      return disk.bavail * disk.bsize;
    },
  });
  metrics.registry.gauge({
    name: 'bayledger_disk_reserve_bytes',
    help: 'Free bytes kept for the ledger: below it payload uploads are refused and fetches wait.',
    collect: () => config.diskReserveBytes ?? LIMITS.diskReserveBytes,
  });
  const pool = new Mempool<CheckedTx>({
    txIdOf,
    admit: (bytes, txId) => admitTransaction(bytes, txId, genesis, metrics),
    isCommitted: (txIdHex) => store.hasTx(parseHex(txIdHex) ?? new Uint8Array()),
  });
  mempool = pool;
  const isValidator = config.role === 'validator';
  // A node that never votes takes the signatures of certified blocks from the quorum (decision 13).
  if (!isValidator) chain.trustQuorumForTxSignatures();

  const peerNetwork = await createPeerNetwork({
    nodeSeed,
    listenAddress: config.p2pListen,
    peers: genesis.organisations.map((organisation) => ({
      id: organisation.id,
      publicKey: organisation.nodeKey,
      address:
        organisation.id === config.org
          ? undefined
          : (config.peerAddresses?.[organisation.id] ?? organisation.p2pAddress),
    })),
    logger: logger.child({ component: 'net' }),
    metrics: metrics.registry,
  });
  net = peerNetwork;
  closers.push(() => peerNetwork.close());

  const signer = isValidator ? new Ed25519Signer(nodeSeed) : null;
  const driver = new ConsensusDriver({
    chain,
    mempool: pool,
    net: peerNetwork,
    self: isValidator ? config.org : null,
    signer,
    logger: logger.child({ component: 'consensus' }),
    metrics,
    clock,
    regossipMs: options.regossipMs ?? 1000,
  });
  closers.push(() => driver.close());
  const validatorIds = params.validators.map((validator) => validator.id).filter((id) => id !== config.org);

  // --- commit waiters and bookkeeping on every committed block ---
  /** Requests waiting for transactions to commit (POST /tx?wait=commit), by transaction id. */
  const waiters = new Waiters<string>();
  const heightWaiters = new HeightWaiters(chain.height);
  closers.push(async () => {
    waiters.close();
    heightWaiters.close();
  });
  // WAL clears run behind the commits; close waits for the last one before closing the store.
  let walClearing: Promise<void> = Promise.resolve();
  chain.onCommitted((event) => {
    const ids = event.applied.txIds.map((id) => toHex(id));
    pool.removeCommitted(ids);
    metrics.height.set(event.block.header.height);
    metrics.blocksCommitted.inc();
    metrics.txsCommitted.inc(ids.length);
    for (const id of ids) waiters.wake(id);
    heightWaiters.reached(event.block.header.height);
    if (isValidator) {
      const height = event.block.header.height;
      walClearing = walClearing
        .then(() => store.walClear(height))
        .catch((error: unknown) => logger.warn('WAL clear failed', { error }));
    }
  });

  // --- protocols ---
  await peerNetwork.registerProtocol({
    name: PROTOCOL.consensus,
    maxMessageBytes: LIMITS.maxMessageBytes,
    decode: decodeConsensusMessage,
    onMessage: (from, message) => {
      if (message.type === 'proposal-request') {
        driver.input({ type: 'proposal-request', from, request: message.request });
        return;
      }
      driver.signatures.check(message); // a bad signature throws: the peer is dropped
      if (message.type === 'proposal') {
        driver.input({ type: 'proposal', proposal: message.proposal, nowMs: clock.nowMs() });
      } else {
        driver.input({ type: 'vote', vote: message.vote });
      }
    },
  });
  // Relayed transactions are admitted in short slices after the consensus messages that arrived
  // with them (src/node/mempool/relay-admission.ts).
  const relayAdmission = new RelayAdmissionQueue({
    admit: ({ from, bytes, txId }) => {
      const result = pool.add(bytes, txId);
      if (result.ok) {
        if (!result.duplicate) metrics.txsSubmitted.inc();
        return !result.duplicate;
      }
      // Malformed or badly signed transactions are the relaying peer's fault; a full mempool or
      // an already committed transaction is not.
      if (result.code !== 'MEMPOOL_FULL' && result.code !== 'ALREADY_COMMITTED') {
        peerNetwork.penalise(from, 'RECORD_INVALID', `relayed transaction refused: ${result.reason}`);
      }
      return false;
    },
    afterAdmitted: () => driver.notifyTxsAvailable(),
    onDropped: () => metrics.relayedTxsDropped.inc(),
    maxQueued: LIMITS.maxQueuedRelayedTxs,
    maxQueuedBytes: LIMITS.maxQueuedRelayedBytes,
    sliceMs: LIMITS.relayAdmissionSliceMs,
    nowMs: () => clock.monotonicMs(),
    defer: (task) => setImmediate(task),
  });
  closers.push(async () => relayAdmission.close());
  await peerNetwork.registerProtocol({
    name: PROTOCOL.txRelay,
    maxMessageBytes: LIMITS.maxTxBytes,
    decode: (bytes) => bytes,
    onMessage: (from, bytes) => {
      const txId = txIdOf(bytes);
      relayAdmission.enqueue({ from, bytes, txId, txIdHex: toHex(txId) });
    },
  });
  // Transactions still in the mempool were checked on admission, signatures included (decision
  // 14); one whose relayed copy still waits in the admission queue is admitted now, so a block's
  // check and the copy's admission do not both verify its signatures.
  chain.setCheckedTxLookup((txId) => {
    const txIdHex = toHex(txId);
    const admitted = pool.admitted(txIdHex);
    if (admitted !== undefined || !relayAdmission.admitQueued(txIdHex)) return admitted;
    return pool.admitted(txIdHex);
  });
  const sync = new BlockSync(chain, peerNetwork, logger.child({ component: 'sync' }), metrics);
  await sync.register();
  closers.push(() => sync.close());

  // A relay can be lost (decision 9), so a submitted transaction still waiting here is sent again,
  // with backoff and per-tick bounds (src/node/mempool/tx-relay.ts, rerelay.ts); and a validator
  // that connects, which may have restarted empty, is sent the oldest of what waits (decision 64).
  const relay = new TxRelay(
    {
      validatorIds,
      connectedPeers: () => peerNetwork.connectedPeers(),
      send: (peerId, bytes) => peerNetwork.send(peerId, PROTOCOL.txRelay, bytes),
    },
    {
      minAgeMs: LIMITS.mempoolRerelayAgeMs,
      maxIntervalMs: LIMITS.maxMempoolRerelayIntervalMs,
      maxTxsPerTick: LIMITS.maxRerelayedTxsPerTick,
      maxBytesPerTick: LIMITS.maxRerelayedBytesPerTick,
    },
    {
      maxTxs: LIMITS.maxTxsSentOnConnect,
      maxBytes: LIMITS.maxBytesSentOnConnect,
      minGapMs: LIMITS.minConnectSendGapMs,
    },
    {
      bytesOf: (txIdHex) => pool.get(txIdHex)?.bytes,
      oldest: (maxTxs, maxBytes) => pool.takeForBlock(maxTxs, maxBytes).map((entry) => entry.bytes),
    },
  );
  const rerelayTimer = setInterval(() => {
    const rerelayed = relay.tick(clock.monotonicMs());
    if (rerelayed > 0) metrics.txsRerelayed.inc(rerelayed);
  }, LIMITS.mempoolRerelayIntervalMs);
  rerelayTimer.unref();
  closers.push(async () => clearInterval(rerelayTimer));
  const stopSendingOnConnect = peerNetwork.onPeerEvent((event) => {
    if (event.kind !== 'connect') return;
    const sent = relay.sendOnConnect(event.orgId, clock.monotonicMs());
    if (sent > 0) metrics.txsSentOnConnect.inc(sent);
  });
  closers.push(async () => stopSendingOnConnect());

  /** Mempool admission of a submitted transaction, relaying it to the validators when it is new. */
  function admitAndRelay(bytes: Uint8Array): AddResult {
    const result = pool.add(bytes);
    if (!result.ok) {
      metrics.txsRejected.inc();
      return result;
    }
    if (!result.duplicate) {
      metrics.txsSubmitted.inc();
      relay.sendFirst(result.txIdHex, bytes, clock.monotonicMs());
    }
    return result;
  }

  // --- runtime facade for the API ---
  // Set by whoever attaches the node's services (`node start`: the transfer service).
  let servicesReady = false;
  const runtime: NodeRuntime = {
    chain,
    metrics,
    status(): NodeStatusView {
      const tip = chain.tip();
      return {
        org: config.org,
        role: config.role,
        chainId: params.chainId,
        height: tip.height,
        blockHash: toHex(tip.blockHash),
        logSize: tip.logSize,
        logRoot: toHex(tip.logRoot),
        round: driver.round,
        peers: peerNetwork.connectedPeers(),
        mempool: { txs: pool.size, bytes: pool.bytes },
        ready: servicesReady,
      };
    },
    submit(bytes: Uint8Array): SubmitResult {
      const result = admitAndRelay(bytes);
      if (!result.ok) throw new BayledgerError(submitErrorCode(result.code), result.reason);
      if (!result.duplicate) driver.notifyTxsAvailable();
      return { txIdHex: result.txIdHex, duplicate: result.duplicate };
    },
    submitMany(transactions: readonly Uint8Array[]): BatchSubmitResult[] {
      let added = false;
      const results = transactions.map((bytes, index): BatchSubmitResult => {
        const result = admitAndRelay(bytes);
        if (!result.ok) {
          return { index, status: 'refused', code: submitErrorCode(result.code), reason: result.reason };
        }
        added ||= !result.duplicate;
        return { txId: result.txIdHex, status: 'pending', duplicate: result.duplicate };
      });
      if (added) driver.notifyTxsAvailable();
      return results;
    },
    txStatus(txIdHex: string): TxStatusView {
      const txId = parseHex(txIdHex);
      if (txId === undefined) return fail('REQUEST_MALFORMED', 'transaction id is not hex');
      const outcome = getOutcome(store.state, txId);
      if (outcome !== undefined) {
        return {
          txId: txIdHex,
          status: 'committed',
          height: outcome.height,
          kind: outcome.kind,
          accepted: outcome.accepted,
          reasons: outcome.reasons,
          objectId: toHex(outcome.objectId),
        };
      }
      if (pool.has(txIdHex)) return { txId: txIdHex, status: 'pending' };
      return fail('NOT_FOUND', `no transaction ${txIdHex} here`);
    },
    waitForHeight(height: number, timeoutMs: number): Promise<boolean> {
      return heightWaiters.wait(height, timeoutMs);
    },
    waitForCommit(txIdHex: string, timeoutMs: number): Promise<boolean> {
      const txId = parseHex(txIdHex);
      if (txId !== undefined && store.hasTx(txId)) return Promise.resolve(true);
      return waiters.wait(txIdHex, timeoutMs);
    },
  };

  const server = createApiServer({
    host: config.apiHost,
    port: config.apiPort,
    token,
    logger: logger.child({ component: 'api' }),
    // `node start` attaches the transfer routes once the node has started (markReady).
    routesComplete: () => servicesReady,
  });
  registerNodeRoutes(server, runtime, new StoreChainReader(store, params));
  const apiUrl = await server.listen();
  closers.push(() => server.close());

  await peerNetwork.start();
  await driver.start();
  sync.start();
  logger.info('node started', {
    role: config.role,
    height: chain.height,
    api: apiUrl,
    peerId: peerNetwork.peerId,
    memtableBytes: store.memtableBytes,
  });
  warnIfClockBehindChain(chain.tip(), clock, genesis.consensus.maxClockDriftMs, logger);
  // After start-up, so the scan (0.4 s of CPU at a million transactions) does not lengthen it.
  void store.fillTxIdFilter().then(() => {
    const { state, bytes, detail } = store.txIdFilterState;
    if (state === 'failed')
      logger.warn('committed-id filter not filled; replay checks read the store', { detail });
    else logger.debug('committed-id filter filled', { state, bytes });
  });
  if (rolePaysForHugePages(config.role) && hugePageMallocMissing()) {
    // Not an error either: without it a node moving a payload spends more CPU on page faults
    // (malloc-tuning.ts).
    logger.warn('node started without malloc on huge pages (set GLIBC_TUNABLES, as `bayledger up` does)', {
      missing: HUGE_PAGE_MALLOC_TUNABLE,
    });
  }
  const missingHeapFlags = missingNodeHeapFlags();
  if (missingHeapFlags.length > 0) {
    // Not an error: the node works, but a large payload can cost it half again its CPU (v8-tuning.ts).
    logger.warn(
      'node started without its V8 heap flags (start it with bin/bayledger.js, or pass them to node)',
      {
        missing: missingHeapFlags.join(' '),
      },
    );
  }

  let closed = false;
  return {
    ...runtime,
    markReady: () => {
      servicesReady = true;
    },
    apiUrl,
    genesis,
    net: peerNetwork,
    route: (method, pattern, handler, routeOptions) => server.route(method, pattern, handler, routeOptions),
    fatal,
    async close() {
      if (closed) return;
      closed = true;
      // Stop taking work first (API and its waiters, consensus, sync), then the network; the
      // store closes last, once every commit and WAL clear queued behind them is done.
      waiters.close();
      heightWaiters.close();
      clearInterval(rerelayTimer);
      stopSendingOnConnect();
      await server.close().catch(() => undefined);
      await driver.close();
      await sync.close();
      await peerNetwork.close().catch(() => undefined);
      await chain.drain();
      await walClearing;
      await store.close();
      logger.info('node stopped', { height: chain.height });
    },
  };
}
