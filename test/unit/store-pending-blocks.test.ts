// Committing a synced range in one batch (PendingBlocks + LedgerStore.commitBlocks): blocks
// verified on the overlay must give exactly the store that committing them one by one gives (every
// key and value), a range with a bad block must write nothing, and a block that does not follow the
// overlay's tip is refused before anything is written.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { toHex } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { verifyCommittedBlock } from '../../src/core/ledger/verify-block.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { PendingBlocks } from '../../src/node/store/pending-blocks.js';
import {
  buildChain,
  commitChain,
  fileableTestGenesis,
  genesisRecordOf,
  type TestChain,
  workloadBlocks,
} from '../helpers/chain.js';

async function dump(directory: string): Promise<string[]> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  const rows: string[] = [];
  try {
    for await (const [key, value] of db.iterator()) rows.push(`${toHex(key)}=${toHex(value)}`);
  } finally {
    await db.close();
  }
  return rows;
}

describe('store: a synced range committed in one batch', function () {
  this.timeout(60_000);
  const net = fileableTestGenesis();
  let chain: TestChain;
  let directory: string;

  before(() => {
    chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: workloadBlocks(net, 6) });
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-pending-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** Opens a store holding the first `height` blocks, committed one by one. */
  async function storeAt(path: string, height: number): Promise<LedgerStore> {
    const store = await LedgerStore.open(path);
    await commitChain(store, { ...chain, blocks: chain.blocks.slice(0, height) } as TestChain);
    return store;
  }

  it('verifies blocks on top of each other and writes exactly what one-by-one commits write', async () => {
    const oneByOne = await storeAt(join(directory, 'one-by-one'), 6);
    await oneByOne.close();
    const batched = await storeAt(join(directory, 'batched'), 2);
    const pending = new PendingBlocks(batched, chain.params);
    for (const { block, certificate } of chain.blocks.slice(2)) {
      const verdict = verifyCommittedBlock(block, certificate, pending.context());
      assert.ok(verdict.ok, verdict.ok ? '' : `${verdict.code}: ${verdict.reason}`);
      pending.add(block, certificate, verdict.applied);
    }
    assert.equal(batched.height, 2, 'nothing is written before commit');
    assert.equal((await pending.commit()).length, 4);
    assert.equal(batched.height, 6);
    assert.deepEqual(batched.tip, chain.tip);
    await batched.close();
    assert.deepEqual(await dump(join(directory, 'batched')), await dump(join(directory, 'one-by-one')));
  });

  it('refuses a replayed transaction that only a pending block holds', async () => {
    const store = await storeAt(join(directory, 'replay'), 2);
    const pending = new PendingBlocks(store, chain.params);
    const third = chain.blocks[2]!;
    const verdict = verifyCommittedBlock(third.block, third.certificate, pending.context());
    assert.ok(verdict.ok);
    pending.add(third.block, third.certificate, verdict.applied);
    assert.equal(pending.context().hasTx(verdict.applied.txIds[0]!), true);
    assert.equal(store.hasTx(verdict.applied.txIds[0]!), false);
    await store.close();
  });

  it('writes nothing when any block of the range fails the commit checks', async () => {
    const store = await storeAt(join(directory, 'bad'), 2);
    const pending = new PendingBlocks(store, chain.params);
    const [third, fourth] = [chain.blocks[2]!, chain.blocks[3]!];
    const verdict = verifyCommittedBlock(third.block, third.certificate, pending.context());
    assert.ok(verdict.ok);
    pending.add(third.block, third.certificate, verdict.applied);
    const next = verifyCommittedBlock(fourth.block, fourth.certificate, pending.context());
    assert.ok(next.ok);
    // An applied result that does not match its header (a bug upstream) must stop the whole range.
    pending.add(fourth.block, fourth.certificate, { ...next.applied, stateHash: new Uint8Array(32) });
    await assert.rejects(
      pending.commit(),
      (error: unknown) => isBayledgerError(error) && error.code === 'BLOCK_INVALID',
    );
    assert.equal(store.height, 2);
    await store.close();
    const reopened = await LedgerStore.open(join(directory, 'bad'));
    assert.equal(reopened.height, 2);
    await reopened.close();
  });

  it('refuses a block that does not follow the pending tip', async () => {
    const store = await LedgerStore.open(join(directory, 'gap'));
    await store.initGenesis(genesisRecordOf(chain.params.genesis));
    const pending = new PendingBlocks(store, chain.params);
    const second = chain.blocks[1]!;
    assert.throws(
      () => pending.add(second.block, second.certificate, chain.applied[1]!),
      (error: unknown) => isBayledgerError(error) && error.code === 'BLOCK_INVALID',
    );
    await store.close();
  });
});
