// Block sync (src/node/block-sync.ts) between real peers: libp2p on 127.0.0.1, real LevelDB
// stores holding certified blocks, each node's NodeChain verifying what it is served. A node far
// behind starts catching up as soon as it hears a peer's height (the status sent on connect); a
// node exactly one block behind is left to consensus at first (the normal race), so only the
// periodic re-check brings it up when no consensus message for that block will come.
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesEqual } from '../../src/core/bytes.js';
import { LIMITS } from '../../src/core/limits.js';
import { BlockSync } from '../../src/node/block-sync.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { MetricsRegistry } from '../../src/node/metrics/index.js';
import type { PeerNetwork } from '../../src/node/net/index.js';
import { NodeChain } from '../../src/node/node-chain.js';
import { decodeSyncResponse, encodeSyncRequest, PROTOCOL } from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { WAL_FILE_NAME } from '../../src/node/store/wal.js';
import { buildChain, genesisRecordOf, type TestChain, workloadBlocks } from '../helpers/chain.js';
import { declareTransfer, grantConsent, testDigest, testGenesis, testItem } from '../helpers/fixtures.js';
import { idleNodeMetrics } from '../helpers/metrics.js';
import { testPeerNetwork } from '../helpers/peer-network.js';
import { waitFor } from '../helpers/wait.js';

const net = testGenesis();

interface SyncPeer {
  readonly org: string;
  readonly store: LedgerStore;
  readonly chain: NodeChain;
  readonly net: PeerNetwork;
  readonly sync: BlockSync;
  readonly lines: Array<Record<string, unknown>>;
}

describe('block sync between real peers', function () {
  this.timeout(30_000);
  let directory: string;
  let built: TestChain;
  const peers: SyncPeer[] = [];
  let peersStarted = 0;

  /**
   * A peer whose store holds the first `blocks` blocks of `source` (the built chain unless
   * another is given, with that chain's own genesis), syncing and listening.
   */
  async function startPeer(org: string, blocks: number, source: TestChain = built): Promise<SyncPeer> {
    // A folder of its own each time: tests reuse organisation names.
    const store = await LedgerStore.open(join(directory, `${org}-${peersStarted++}`), {
      createIfMissing: true,
    });
    await store.initGenesis(genesisRecordOf(source.params.genesis));
    for (const [i, committed] of source.blocks.slice(0, blocks).entries()) {
      await store.commitBlock(committed.block, committed.certificate, source.applied[i]!);
    }
    const chain = new NodeChain(store, source.params);
    const { logger, lines } = createMemoryLogger('debug');
    const peerNet = await testPeerNetwork(
      net,
      org,
      logger.child({ org, component: 'net' }),
      new MetricsRegistry(),
    );
    const metrics = idleNodeMetrics({ peers: () => peerNet.connectedPeers().length });
    const sync = new BlockSync(chain, peerNet, logger.child({ org, component: 'sync' }), metrics);
    await sync.register();
    await peerNet.start();
    sync.start();
    const peer = { org, store, chain, net: peerNet, sync, lines };
    peers.push(peer);
    return peer;
  }

  function connect(from: SyncPeer, to: SyncPeer): void {
    from.net.setPeerAddress(to.org, to.net.listenAddresses()[0]!.replace(/\/p2p\/.*$/, ''));
  }

  function sameTip(a: SyncPeer, b: SyncPeer): boolean {
    return a.chain.height === b.chain.height && bytesEqual(a.chain.tip().blockHash, b.chain.tip().blockHash);
  }

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-block-sync-'));
    built = buildChain({ genesis: net.genesis, signers: net.signers, blocks: workloadBlocks(net, 4) });
  });

  afterEach(async () => {
    for (const peer of peers.splice(0)) {
      await peer.sync.close();
      await peer.net.close();
      await peer.store.close();
    }
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('a node far behind catches up from the status its peer sends on connect', async () => {
    const ahead = await startPeer('sz-cac', 4);
    const behind = await startPeer('ehealth-hk', 0);
    connect(behind, ahead);
    await waitFor('the node behind at the tip of the one ahead', () => sameTip(behind, ahead), {
      timeoutMs: 10_000,
    });
    assert.equal(behind.chain.height, 4);
    assert.ok(bytesEqual(behind.chain.tip().blockHash, built.tip.blockHash));
  });

  it('serves exactly the blocks asked for, from the height asked, and none past its tip', async () => {
    const server = await startPeer('sz-cac', 4);
    const client = await startPeer('qianhai', 4);
    connect(client, server);
    await waitFor('connected', () => client.net.isConnected('sz-cac'), { timeoutMs: 10_000 });
    const ask = async (fromHeight: number, maxBlocks: number) =>
      decodeSyncResponse(
        await client.net.request('sz-cac', PROTOCOL.blockSync, encodeSyncRequest({ fromHeight, maxBlocks }), {
          timeoutMs: 10_000,
        }),
      );
    const two = await ask(2, 2);
    assert.equal(two.tipHeight, 4);
    assert.deepEqual(
      two.blocks.map(({ block }) => block.header.height),
      [2, 3],
    );
    assert.deepEqual(
      (await ask(3, 10)).blocks.map(({ block }) => block.header.height),
      [3, 4],
    );
    const past = await ask(5, 10);
    assert.deepEqual([past.tipHeight, past.blocks.length], [4, 0]);
  });

  it('a node one block behind, with no consensus to bring that block, gets it from the periodic re-check', async () => {
    const ahead = await startPeer('sz-health', 4);
    const behind = await startPeer('nf-ufh', 3);
    connect(behind, ahead);
    await waitFor('connected', () => behind.net.isConnected(ahead.org) && ahead.net.isConnected(behind.org));
    // The status on connect says 4; one above our 3 is left to consensus, so nothing starts yet.
    await waitFor('the node behind at the tip of the one ahead', () => sameTip(behind, ahead), {
      timeoutMs: 10_000,
    });
    assert.ok(bytesEqual(behind.chain.tip().blockHash, built.tip.blockHash));
  });

  it('a peer serving blocks that do not verify is penalised, and the node syncs from an honest one', async () => {
    // The same organisations and keys, another chain: its blocks and certificates are well formed
    // and signed by the same validators, but for another chain id and genesis.
    const otherNet = testGenesis({ chainId: 'gba-health-other' });
    const other = buildChain({
      genesis: otherNet.genesis,
      signers: otherNet.signers,
      blocks: workloadBlocks(otherNet, 5),
    });
    const forger = await startPeer('qianhai', 5, other);
    const honest = await startPeer('hk-health', 4);
    const behind = await startPeer('hku-szh', 0);
    connect(behind, forger);
    connect(behind, honest);
    await waitFor('the node at the honest tip', () => sameTip(behind, honest), { timeoutMs: 15_000 });
    const served = await waitFor('the forged block refused', () =>
      behind.lines.find((line) => line.msg === 'peer served an invalid block'),
    );
    assert.equal(served.peer, 'qianhai');
    const penalty = behind.lines.find((line) => String(line.msg).startsWith('peer misbehaved'));
    assert.equal(penalty?.peer, 'qianhai', 'the network penalised the forger');
    await waitFor('the forger disconnected', () => !behind.net.isConnected('qianhai'));
    assert.ok(bytesEqual(behind.chain.tip().blockHash, built.tip.blockHash), 'nothing of the other chain');
    assert.equal(behind.chain.height, 4);
  });

  it('a node whose own disk failed blames no peer for the block it could not store', async () => {
    const ahead = await startPeer('sz-cac', 4);
    const behind = await startPeer('ehealth-hk', 0);
    // A real failed write: its WAL file, created at the first append, is a full disk.
    await symlink('/dev/full', join(behind.store.directory, WAL_FILE_NAME));
    await assert.rejects(behind.store.walAppend(1, new Uint8Array(1)), { code: 'STORE_FAILED' });
    connect(behind, ahead);
    const refused = await waitFor('the synced block refused by its store', () =>
      behind.lines.find((line) => line.msg === 'could not commit a synced block'),
    );
    assert.deepEqual(
      [refused.peer, refused.height, (refused.error as { code?: string }).code],
      ['sz-cac', 1, 'STORE_FAILED'],
    );
    assert.deepEqual(
      behind.lines.filter(
        (line) =>
          String(line.msg).startsWith('peer misbehaved') || line.msg === 'peer served an invalid block',
      ),
      [],
    );
    assert.ok(behind.net.isConnected('sz-cac'), 'the peer was not disconnected');
    assert.equal(behind.chain.height, 0);
  });

  it('a response stops before the block that would take it past half the message limit', async () => {
    // Blocks 2 and 3 carry about 5 MiB of transactions each (declarations of 64 items), so any
    // two of them pass the response bound (half of LIMITS.maxMessageBytes, 8 MiB) although 64
    // blocks are asked for; blocks 1 and 4 are small.
    const grant = grantConsent(net, { patient: 'big-blocks' });
    const items = Array.from({ length: 64 }, (_, i) =>
      testItem({ digest: testDigest(`big/${i}`), itemCommitment: testDigest(`big/commitment/${i}`) }),
    );
    const declare = () => declareTransfer(net, { consentId: grant.objectId, items });
    const perBlock = Math.ceil((5 * 1024 * 1024) / declare().bytes.byteLength);
    const big = buildChain({
      genesis: net.genesis,
      signers: net.signers,
      blocks: [
        [grant],
        Array.from({ length: perBlock }, declare),
        Array.from({ length: perBlock }, declare),
        [declare()],
      ],
    });
    const txBytes = (height: number) =>
      big.blocks[height - 1]!.block.txs.reduce((total, tx) => total + tx.byteLength, 0);
    assert.ok(txBytes(2) + txBytes(3) > LIMITS.maxMessageBytes / 2);
    assert.ok(txBytes(1) + txBytes(2) + txBytes(4) < LIMITS.maxMessageBytes / 2);

    const server = await startPeer('sz-cac', 4, big);
    const client = await startPeer('qianhai', 4, big);
    connect(client, server);
    await waitFor('connected', () => client.net.isConnected('sz-cac'), { timeoutMs: 10_000 });
    const heightsServed = async (fromHeight: number) => {
      const answer = await client.net.request(
        'sz-cac',
        PROTOCOL.blockSync,
        encodeSyncRequest({ fromHeight, maxBlocks: LIMITS.maxBlocksPerSyncResponse }),
        { timeoutMs: 10_000 },
      );
      return decodeSyncResponse(answer).blocks.map(({ block }) => block.header.height);
    };
    assert.deepEqual(await heightsServed(1), [1, 2]);
    assert.deepEqual(await heightsServed(2), [2]);
    assert.deepEqual(await heightsServed(3), [3, 4]);

    // A node far behind gets the whole chain through such responses.
    const behind = await startPeer('ehealth-hk', 0, big);
    connect(behind, server);
    await waitFor("the node behind at the big chain's tip", () => sameTip(behind, server), {
      timeoutMs: 20_000,
    });
    assert.ok(bytesEqual(behind.chain.tip().blockHash, big.tip.blockHash));
  });
});
