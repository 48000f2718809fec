// NodeChain's one commit path (src/node/node-chain.ts): a block that is not for the next height is
// no commit and no error (consensus and block sync race for the same height); a block that fails
// its checks is BLOCK_INVALID, naming the fault; and a block from block sync is verified whole,
// certificate included, even when this node already validated the same block as a proposal.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesEqual } from '../../src/core/bytes.js';
import { NodeChain } from '../../src/node/node-chain.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { buildChain, genesisRecordOf, type TestChain, workloadBlocks } from '../helpers/chain.js';
import { testGenesis } from '../helpers/fixtures.js';
import { rejectsWith } from '../helpers/rejects.js';

const net = testGenesis();

describe('node chain: the commit path', () => {
  let dir: string;
  let store: LedgerStore;
  let built: TestChain;

  before(() => {
    built = buildChain({ genesis: net.genesis, signers: net.signers, blocks: workloadBlocks(net, 2) });
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-node-chain-'));
    store = await LedgerStore.open(path.join(dir, 'data'), { createIfMissing: true });
    await store.initGenesis(genesisRecordOf(net.genesis));
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits nothing, and throws nothing, for a block that is not for the next height', async () => {
    const chain = new NodeChain(store, built.params);
    const heard: number[] = [];
    chain.onCommitted((event) => heard.push(event.block.header.height));
    const [first, second] = built.blocks;
    // Not yet due: the second block before the first.
    assert.equal(await chain.commit(second!.block, second!.certificate, 'sync'), false);
    assert.equal(await chain.commit(first!.block, first!.certificate, 'consensus'), true);
    // Already committed, by the other path: consensus decided it, block sync brings it too.
    assert.equal(await chain.commit(first!.block, first!.certificate, 'sync'), false);
    assert.deepEqual([chain.height, heard], [1, [1]]);
    assert.ok(bytesEqual(chain.tip().blockHash, first!.certificate.blockHash));
  });

  it('verifies a synced block whole, certificate included, though it validated that block as a proposal', async () => {
    const chain = new NodeChain(store, built.params);
    const [first] = built.blocks;
    // The node validated this very block when it was proposed (its applied result is remembered),
    // but no quorum certified it: a forged certificate must not get it committed.
    chain.rememberApplied(first!.certificate.blockHash, built.applied[0]!);
    const forged = structuredClone(first!.certificate);
    (forged.signatures[0]!.signature as Uint8Array)[3]! ^= 1;
    await rejectsWith(
      chain.commit(first!.block, forged, 'sync'),
      'BLOCK_INVALID',
      /^block 1 failed verification: CERTIFICATE_INVALID: /,
    );
    assert.equal(chain.height, 0);
    assert.equal(await chain.commit(first!.block, first!.certificate, 'sync'), true);
  });

  it('reads between commits: a read queued after one commit and before the next sees exactly the first', async () => {
    const chain = new NodeChain(store, built.params);
    const [first, second] = built.blocks;
    const firstTx = built.applied[0]!.txIds[0]!;
    const secondTx = built.applied[1]!.txIds[0]!;
    const look = () => ({ height: chain.height, first: store.hasTx(firstTx), second: store.hasTx(secondTx) });
    const before = chain.betweenCommits(look);
    const committed = [chain.commit(first!.block, first!.certificate, 'sync')];
    const between = chain.betweenCommits(look);
    // Queued in the same turn: the second commit must not start before the read runs. (Reading
    // after `await drain()` let it: its ids were in the filter while its tip had not moved.)
    committed.push(chain.commit(second!.block, second!.certificate, 'sync'));
    assert.deepEqual(await before, { height: 0, first: false, second: false });
    assert.deepEqual(await between, { height: 1, first: true, second: false });
    assert.deepEqual(await Promise.all(committed), [true, true]);
    assert.deepEqual(await chain.betweenCommits(look), { height: 2, first: true, second: true });
  });

  it('a read that throws fails its own promise only; commits queued after it still run', async () => {
    const chain = new NodeChain(store, built.params);
    const [first] = built.blocks;
    const failing = chain.betweenCommits(() => {
      throw new Error('a read that fails');
    });
    const committing = chain.commit(first!.block, first!.certificate, 'sync');
    await assert.rejects(failing, /a read that fails/);
    assert.equal(await committing, true);
  });
});
