// One node's consensus driver over a real store, chain and mempool (real admission, real
// signatures), with a network that records what the driver sends and lets the test speak for the
// other validators. For the driver's own behaviour: what it sends, persists, logs and keeps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import { type ConsensusMessage, decodeConsensusMessage } from '../../src/core/consensus/codec.js';
import type { VoteType } from '../../src/core/consensus/messages.js';
import { signProposal, signVote } from '../../src/core/consensus/signing.js';
import type { Block } from '../../src/core/ledger/block.js';
import type { ChainParams } from '../../src/core/ledger/chain-params.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { txIdOf } from '../../src/core/records/index.js';
import { admitTransaction } from '../../src/node/admission.js';
import { ConsensusDriver } from '../../src/node/consensus-driver.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { Mempool } from '../../src/node/mempool/mempool.js';
import type { PeerEvent, PeerNetwork } from '../../src/node/net/types.js';
import { NodeChain } from '../../src/node/node-chain.js';
import type { NodeMetrics } from '../../src/node/node-metrics.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { genesisRecordOf } from './chain.js';
import { type TestNetwork, testGenesis } from './fixtures.js';
import { idleNodeMetrics } from './metrics.js';
import { waitFor } from './wait.js';

export interface SentMessage {
  /** An organisation, or '*' for a broadcast. */
  readonly to: string;
  readonly message: ConsensusMessage;
  /** Date.now() when the driver sent it. */
  readonly atMs: number;
}

export interface DriverRigOptions {
  readonly consensus?: Partial<ConsensusParams>;
  /** The validator this node is, or null for a follower. */
  readonly self: (params: ChainParams) => string | null;
  readonly regossipMs?: number;
  /** The lowest level logged (default info). */
  readonly logLevel?: 'info' | 'warn';
}

export interface DriverRig {
  readonly network: TestNetwork;
  readonly params: ChainParams;
  readonly store: LedgerStore;
  /** The node's chain (a new one after restart()). */
  readonly chain: NodeChain;
  readonly mempool: Mempool<unknown>;
  readonly self: string | null;
  /** The running driver (a new one after restart()). */
  readonly driver: ConsensusDriver;
  readonly metrics: NodeMetrics;
  /** Everything sent on the consensus protocol, in order, across restarts. */
  readonly sent: SentMessage[];
  /** Log lines at the rig's level (info unless told) and above, across restarts. */
  readonly logged: Array<Record<string, unknown>>;
  /** In order: `wal/<kind>/<height>` once a WAL append has completed, `sent/<kind>/<height>` on a send. */
  readonly order: string[];
  /** Moves the driver's clocks forward, wall and monotonic, as if time passed (timers stay real). */
  advanceClock(byMs: number): void;
  /** Steps the driver's wall clock alone (an NTP correction, `date -s`); monotonic time goes on. */
  stepWallClock(byMs: number): void;
  /** Holds every WAL append until the returned function is called. */
  holdWal(): () => void;
  /** Whether an append is waiting on holdWal's gate. */
  walWaiting(): boolean;
  /** Closes the driver and starts a new chain and driver over the same store (as a restarted node would). */
  restart(): Promise<void>;
  /** The network's event for a peer that (re)connected. */
  connectPeer(org: string): void;
  /** A signed proposal from validator `from`, as if received from the network now. */
  propose(from: string, block: Block, blockHash: Uint8Array, round?: number, validRound?: number): void;
  /** A signed vote from validator `from`. */
  vote(from: string, type: VoteType, height: number, round: number, blockHash: Uint8Array | null): void;
  /** The block hashes (null for nil) of own votes sent of this type, height and round, each once. */
  votesSent(type: VoteType, height: number, round: number): Array<Uint8Array | null>;
  /** Resolves once an own vote of this type and height (round 0) has been sent. */
  voted(type: VoteType, height: number): Promise<void>;
  /** Closes the driver and the store, removes the folder. */
  close(): Promise<void>;
}

function kindOf(message: ConsensusMessage): string {
  if (message.type === 'proposal-request') return `proposal-request/${message.request.height}`;
  return message.type === 'proposal'
    ? `proposal/${message.proposal.height}`
    : `${message.vote.type}/${message.vote.height}`;
}

export async function startDriverRig(options: DriverRigOptions): Promise<DriverRig> {
  const network = testGenesis({ consensus: { heartbeatMs: 0, ...options.consensus } });
  const params = chainParamsOf(network.genesis);
  const self = options.self(params);
  const directory = await mkdtemp(join(tmpdir(), 'bayledger-driver-rig-'));
  const store = await LedgerStore.open(join(directory, 'data'), { createIfMissing: true });
  await store.initGenesis(genesisRecordOf(network.genesis));
  const order: string[] = [];
  // The real WAL append, noted once it has completed (fsync included), to check what came first.
  const walAppend = store.walAppend.bind(store);
  let walGate: Promise<void> | undefined;
  let walWaiting = false;
  store.walAppend = async (height, record) => {
    if (walGate !== undefined) {
      walWaiting = true;
      await walGate;
    }
    await walAppend(height, record);
    order.push(`wal/${height}`);
  };
  const metrics = idleNodeMetrics();
  const mempool = new Mempool({
    txIdOf,
    admit: (bytes, txId) => admitTransaction(bytes, txId, network.genesis, metrics),
    isCommitted: () => false,
  });
  const sent: SentMessage[] = [];
  const record = (to: string, protocol: string, bytes: Uint8Array): void => {
    if (protocol !== PROTOCOL.consensus) return;
    const message = decodeConsensusMessage(bytes);
    sent.push({ to, message, atMs: Date.now() });
    order.push(`sent/${kindOf(message)}`);
  };
  const peerListeners = new Set<(event: PeerEvent) => void>();
  const net: Partial<PeerNetwork> = {
    broadcast: (protocol, bytes) => record('*', protocol, bytes),
    send: (to, protocol, bytes) => {
      record(to, protocol, bytes);
      return 'queued';
    },
    onPeerEvent: (listener) => {
      peerListeners.add(listener);
      return () => peerListeners.delete(listener);
    },
  };
  const { logger, lines: logged } = createMemoryLogger(options.logLevel ?? 'info');
  let wallOffsetMs = 0;
  let monotonicOffsetMs = 0;
  // A restart is a new process: a new NodeChain (its cache of applied blocks empty) and driver.
  let chain = new NodeChain(store, params);
  const newDriver = () =>
    new ConsensusDriver({
      chain,
      mempool,
      net: net as PeerNetwork,
      self,
      signer: self === null ? null : network.signers[self]!,
      logger,
      metrics,
      clock: {
        nowMs: () => Date.now() + wallOffsetMs,
        monotonicMs: () => performance.now() + monotonicOffsetMs,
      },
      regossipMs: options.regossipMs ?? 60_000,
    });
  const votesSent = (type: VoteType, height: number, round: number): Array<Uint8Array | null> => {
    const seen = new Set<string>();
    const hashes: Array<Uint8Array | null> = [];
    for (const { message } of sent) {
      if (message.type !== 'vote') continue;
      const { vote } = message;
      if (vote.type !== type || vote.height !== height || vote.round !== round) continue;
      const key = vote.blockHash === null ? 'nil' : toHex(vote.blockHash);
      if (seen.has(key)) continue;
      seen.add(key);
      hashes.push(vote.blockHash);
    }
    return hashes;
  };
  let driver = newDriver();
  await driver.start();
  return {
    network,
    params,
    store,
    get chain() {
      return chain;
    },
    mempool,
    self,
    get driver() {
      return driver;
    },
    metrics,
    sent,
    logged,
    order,
    advanceClock(byMs) {
      wallOffsetMs += byMs;
      monotonicOffsetMs += byMs;
    },
    stepWallClock(byMs) {
      wallOffsetMs += byMs;
    },
    holdWal() {
      let open!: () => void;
      walGate = new Promise((resolve) => {
        open = resolve;
      });
      return () => {
        walGate = undefined;
        open();
      };
    },
    walWaiting: () => walWaiting,
    connectPeer(org) {
      for (const listener of peerListeners) listener({ kind: 'connect', orgId: org });
    },
    async restart() {
      await driver.close();
      chain = new NodeChain(store, params);
      driver = newDriver();
      await driver.start();
    },
    propose(from, block, blockHash, round = 0, validRound = -1) {
      const { height } = block.header;
      const signature = signProposal(
        network.signers[from]!,
        params.chainId,
        height,
        round,
        validRound,
        blockHash,
      );
      driver.input({
        type: 'proposal',
        proposal: { height, round, validRound, blockHash, proposer: from, signature, block },
        nowMs: Date.now(),
      });
    },
    vote(from, type, height, round, blockHash) {
      const signature = signVote(network.signers[from]!, params.chainId, type, height, round, blockHash);
      driver.input({ type: 'vote', vote: { type, height, round, blockHash, validator: from, signature } });
    },
    votesSent,
    async voted(type, height) {
      await waitFor(
        `our ${type} of height ${height}`,
        () => votesSent(type, height, 0).length > 0 || undefined,
      );
    },
    async close() {
      await driver.close();
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
