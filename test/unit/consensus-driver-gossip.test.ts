// Who the consensus driver sends what to (docs/ARCHITECTURE.md decision 25): the proposal and
// precommits go to every peer, prevotes only to the other validators, because nodes that never
// vote decide on a proposal and a quorum of precommits (Algorithm 1 line 49). A real validator's
// driver, store and mempool; the network is a recorder.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsensusMessage, decodeConsensusMessage } from '../../src/core/consensus/codec.js';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { signVote } from '../../src/core/consensus/signing.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { txIdOf } from '../../src/core/records/index.js';
import { ConsensusDriver } from '../../src/node/consensus-driver.js';
import { createSilentLogger } from '../../src/node/log/index.js';
import { Mempool } from '../../src/node/mempool/mempool.js';
import type { PeerNetwork } from '../../src/node/net/types.js';
import { NodeChain } from '../../src/node/node-chain.js';
import { createNodeMetrics } from '../../src/node/node-metrics.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { genesisRecordOf } from '../helpers/chain.js';
import { testGenesis } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

interface Sent {
  readonly to: string; // an organisation, or '*' for a broadcast
  readonly message: ConsensusMessage;
  /** Date.now() when the driver sent it (a waitFor notices it a poll later). */
  readonly atMs: number;
}

function recordingNetwork(sent: Sent[]): PeerNetwork {
  const record = (to: string, protocol: string, bytes: Uint8Array): void => {
    if (protocol === PROTOCOL.consensus)
      sent.push({ to, message: decodeConsensusMessage(bytes), atMs: Date.now() });
  };
  const partial: Partial<PeerNetwork> = {
    broadcast: (protocol, bytes) => record('*', protocol, bytes),
    send: (to, protocol, bytes) => {
      record(to, protocol, bytes);
      return 'queued';
    },
  };
  return partial as PeerNetwork;
}

const voteType = (s: Sent): string | undefined =>
  s.message.type === 'vote' ? s.message.vote.type : undefined;

describe('consensus driver: who gets what', function () {
  this.timeout(20_000);
  const network = testGenesis();
  const params = chainParamsOf(network.genesis);
  const validatorIds = params.validators.map((validator) => validator.id);
  // The proposer of height 1, round 0 (arXiv:1807.04938 line 14: it proposes at once).
  const self = proposerOf(params.validators, 1, 0).id;
  let directory: string;
  let store: LedgerStore;
  let driver: ConsensusDriver;

  /** Our validator's driver over `store`, an empty mempool, and a network that records into `sent`. */
  function validatorDriver(over: LedgerStore, sent: Sent[], regossipMs: number): ConsensusDriver {
    return new ConsensusDriver({
      chain: new NodeChain(over, params),
      mempool: new Mempool({
        txIdOf,
        admit: () => ({ ok: false, code: 'RECORD_INVALID', reason: 'no transactions in this test' }),
        isCommitted: () => false,
      }),
      net: recordingNetwork(sent),
      self,
      signer: network.signers[self]!,
      logger: createSilentLogger(),
      metrics: createNodeMetrics({
        peers: () => 0,
        mempoolTxs: () => 0,
        mempoolBytes: () => 0,
        txIdFilterAnswering: () => false,
      }),
      clock: { nowMs: () => Date.now() },
      regossipMs,
    });
  }

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-driver-'));
    store = await LedgerStore.open(join(directory, 'data'), { createIfMissing: true });
    await store.initGenesis(genesisRecordOf(network.genesis));
  });

  after(async () => {
    await driver?.close();
    await store?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('sends the proposal and precommits to every peer, prevotes to the other validators only', async () => {
    assert.ok(
      network.genesis.organisations.some((organisation) => !validatorIds.includes(organisation.id)),
      'the test genesis has followers',
    );
    const sent: Sent[] = [];
    driver = validatorDriver(store, sent, 60_000);
    await driver.start();
    driver.notifyTxsAvailable(); // an empty block is proposed at once instead of after the heartbeat

    const prevote = await waitFor('our prevote', () => sent.find((s) => voteType(s) === 'prevote'));
    const proposal = sent.find((s) => s.message.type === 'proposal');
    assert.ok(proposal !== undefined, 'a proposal was sent');
    assert.equal(proposal.to, '*', 'the proposal goes to every peer');
    const prevoteRecipients = sent.filter((s) => voteType(s) === 'prevote').map((s) => s.to);
    assert.deepEqual(
      prevoteRecipients.sort(),
      validatorIds.filter((id) => id !== self).sort(),
      'prevotes go to the other validators, one each',
    );

    // Two more validators prevote the block: a quorum, so we precommit it (Algorithm 1 line 36).
    assert.ok(prevote.message.type === 'vote');
    const { height, round, blockHash } = prevote.message.vote;
    for (const validator of validatorIds.filter((id) => id !== self).slice(0, 2)) {
      const signature = signVote(
        network.signers[validator]!,
        params.chainId,
        'prevote',
        height,
        round,
        blockHash,
      );
      driver.input({
        type: 'vote',
        vote: { type: 'prevote', height, round, blockHash, validator, signature },
      });
    }
    const precommit = await waitFor('our precommit', () => sent.find((s) => voteType(s) === 'precommit'));
    assert.equal(precommit.to, '*', 'precommits go to every peer (followers decide on them)');
  });

  it('sends its proposal and prevote again once the height has not moved for a regossip interval', async () => {
    // Its own store: the first case left its driver at height 1 with a WAL of its own.
    const stalledDirectory = await mkdtemp(join(tmpdir(), 'bayledger-driver-stall-'));
    const stalledStore = await LedgerStore.open(join(stalledDirectory, 'data'), { createIfMissing: true });
    await stalledStore.initGenesis(genesisRecordOf(network.genesis));
    const sent: Sent[] = [];
    const regossipMs = 100;
    const stalled = validatorDriver(stalledStore, sent, regossipMs);
    try {
      await stalled.start();
      stalled.notifyTxsAvailable();
      const prevote = await waitFor('our prevote', () => sent.find((s) => voteType(s) === 'prevote'));
      // Nobody answers, so the machine waits in the prevote step (no timeout runs before 2f + 1
      // prevotes, Algorithm 1 line 34): only the driver's stall watch can send anything more.
      await waitFor(
        'the proposal sent again',
        () => sent.filter((s) => s.message.type === 'proposal').length >= 2,
      );
      const proposals = sent.filter((s) => s.message.type === 'proposal');
      assert.ok(
        proposals[1]!.atMs - prevote.atMs >= regossipMs - 5,
        'not before one interval without progress',
      );
      assert.ok(proposals.every((s) => s.to === '*'));
      assert.deepEqual(proposals[1]!.message, proposals[0]!.message, 'the same signed proposal');
      await waitFor(
        'the prevote sent again',
        () => sent.filter((s) => voteType(s) === 'prevote').length >= 2 * (validatorIds.length - 1),
      );
      const prevoteRecipients = new Set(sent.filter((s) => voteType(s) === 'prevote').map((s) => s.to));
      assert.deepEqual([...prevoteRecipients].sort(), validatorIds.filter((id) => id !== self).sort());
    } finally {
      await stalled.close();
      await stalledStore.close();
      await rm(stalledDirectory, { recursive: true, force: true });
    }
  });
});
