// Proposal pacing (genesis consensus.minBlockIntervalMs; docs/ARCHITECTURE.md decision 32): the
// proposer of a height waits until the height is that old before ordering what its mempool holds,
// unless a full block is waiting or the height is already old enough. A real validator's driver,
// store and mempool with real signed transactions; the network is a recorder.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import { type ConsensusMessage, decodeConsensusMessage } from '../../src/core/consensus/codec.js';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { txIdOf } from '../../src/core/records/index.js';
import { admitTransaction } from '../../src/node/admission.js';
import { ConsensusDriver } from '../../src/node/consensus-driver.js';
import { createSilentLogger } from '../../src/node/log/index.js';
import { Mempool } from '../../src/node/mempool/mempool.js';
import type { PeerNetwork } from '../../src/node/net/types.js';
import { NodeChain } from '../../src/node/node-chain.js';
import { createNodeMetrics } from '../../src/node/node-metrics.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { genesisRecordOf } from '../helpers/chain.js';
import { grantConsent, testGenesis } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

interface Proposed {
  readonly atMs: number;
  readonly txCount: number;
}

interface PacingRig {
  readonly driver: ConsensusDriver;
  readonly proposals: Proposed[];
  /** Adds `count` fresh signed transactions to the mempool and tells the driver. */
  addTxs(count: number): void;
  /** Moves the driver's clock forward (the pacing reads it; timers stay real). */
  advanceClock(byMs: number): void;
}

describe('consensus driver: proposal pacing (minBlockIntervalMs)', function () {
  this.timeout(20_000);
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startRig(consensus: Partial<ConsensusParams>): Promise<PacingRig> {
    const network = testGenesis({ consensus: { heartbeatMs: 0, ...consensus } });
    const params = chainParamsOf(network.genesis);
    // The proposer of height 1, round 0 (arXiv:1807.04938 line 14).
    const self = proposerOf(params.validators, 1, 0).id;
    const directory = await mkdtemp(join(tmpdir(), 'bayledger-pacing-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const store = await LedgerStore.open(join(directory, 'data'), { createIfMissing: true });
    cleanups.push(() => store.close());
    await store.initGenesis(genesisRecordOf(network.genesis));
    const metrics = createNodeMetrics({ peers: () => 0, mempoolTxs: () => 0, mempoolBytes: () => 0 });
    const mempool = new Mempool({
      txIdOf,
      admit: (bytes, txId) => admitTransaction(bytes, txId, network.genesis, metrics),
      isCommitted: () => false,
      nowMs: () => Date.now(),
    });
    const proposals: Proposed[] = [];
    const record = (protocol: string, bytes: Uint8Array): void => {
      if (protocol !== PROTOCOL.consensus) return;
      const message: ConsensusMessage = decodeConsensusMessage(bytes);
      if (message.type === 'proposal') {
        proposals.push({ atMs: Date.now(), txCount: message.proposal.block.txs.length });
      }
    };
    const partial: Partial<PeerNetwork> = {
      broadcast: (protocol, bytes) => record(protocol, bytes),
      send: (_to, protocol, bytes) => {
        record(protocol, bytes);
        return 'queued';
      },
    };
    let clockOffsetMs = 0;
    const driver = new ConsensusDriver({
      chain: new NodeChain(store, params),
      mempool,
      net: partial as PeerNetwork,
      self,
      signer: network.signers[self]!,
      logger: createSilentLogger(),
      metrics,
      clock: { nowMs: () => Date.now() + clockOffsetMs },
      regossipMs: 60_000,
    });
    cleanups.push(() => driver.close());
    await driver.start();
    return {
      driver,
      proposals,
      addTxs(count) {
        for (let i = 0; i < count; i++) {
          const added = mempool.add(grantConsent(network, { patient: `patient-${i}` }).bytes);
          assert.ok(added.ok && !added.duplicate, 'the transaction is admitted');
        }
        driver.notifyTxsAvailable();
      },
      advanceClock(byMs) {
        clockOffsetMs += byMs;
      },
    };
  }

  it('holds a young height back until it is minBlockIntervalMs old, then orders what arrived meanwhile', async () => {
    const intervalMs = 600;
    const startedMs = Date.now();
    const rig = await startRig({ minBlockIntervalMs: intervalMs });
    rig.addTxs(1);
    rig.addTxs(2);
    const proposal = await waitFor('the proposal', () => rig.proposals[0]);
    // Node may fire a timer up to a millisecond early; the height started after `startedMs`.
    assert.ok(
      proposal.atMs - startedMs >= intervalMs - 5,
      `proposed ${proposal.atMs - startedMs} ms after start, interval ${intervalMs} ms`,
    );
    assert.equal(proposal.txCount, 3, 'the transactions that arrived while it waited share the block');
  });

  it('proposes at once when the mempool holds a full block', async () => {
    const rig = await startRig({ minBlockIntervalMs: 30_000, maxBlockTxs: 2 });
    const addedMs = Date.now();
    rig.addTxs(2);
    const proposal = await waitFor('the proposal', () => rig.proposals[0]);
    assert.ok(proposal.atMs - addedMs < 15_000, 'a full block does not wait out the interval');
    assert.equal(proposal.txCount, 2);
  });

  it('proposes at once when the height is already older than the interval', async () => {
    const rig = await startRig({ minBlockIntervalMs: 30_000 });
    rig.advanceClock(31_000); // an idle network: the height started long before this transaction
    const addedMs = Date.now();
    rig.addTxs(1);
    const proposal = await waitFor('the proposal', () => rig.proposals[0]);
    assert.ok(proposal.atMs - addedMs < 15_000, 'the first transaction after a quiet spell is not delayed');
    assert.equal(proposal.txCount, 1);
  });

  it('proposes at once without the parameter (absent = 0), as before', async () => {
    const rig = await startRig({});
    const addedMs = Date.now();
    rig.addTxs(1);
    const proposal = await waitFor('the proposal', () => rig.proposals[0]);
    assert.ok(proposal.atMs - addedMs < 15_000);
    assert.equal(proposal.txCount, 1);
  });
});
