// Opening a stopped node's data directory for the chain commands (src/node/chain/open-chain.ts)
// and reading its blocks in order (store-block-source.ts): each way a folder can fail to be a
// chain is named, and an empty chain yields no block.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { openDataDir } from '../../src/node/chain/open-chain.js';
import { StoreBlockSource } from '../../src/node/chain/store-block-source.js';
import { genesisRecordOf, LedgerStore } from '../../src/node/store/ledger-store.js';
import { fileableTestGenesis } from '../helpers/chain.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('chain: opening a data directory', () => {
  const temp = useTempDir('bayledger-open-chain-', 'each');
  const net = fileableTestGenesis();

  /** A store in `name` whose genesis record is `record` (none when undefined). */
  async function storeWith(name: string, record?: ReturnType<typeof genesisRecordOf>): Promise<string> {
    const dataDir = path.join(temp.path, name);
    const store = await LedgerStore.open(dataDir);
    if (record !== undefined) await store.initGenesis(record);
    await store.close();
    return dataDir;
  }

  it('names a missing folder, a store with no chain and a stored genesis that does not hash to its record', async () => {
    const missing = path.join(temp.path, 'missing');
    await rejectsWith(openDataDir(missing), 'NOT_FOUND', `${missing}: no such data directory`);
    const empty = await storeWith('empty');
    await rejectsWith(
      openDataDir(empty),
      'NOT_FOUND',
      `${empty}: the data directory holds no chain (no genesis recorded)`,
    );
    const record = genesisRecordOf(net.genesis);
    const mismatched = await storeWith('mismatched', { ...record, hash: new Uint8Array(32).fill(7) });
    await rejectsWith(
      openDataDir(mismatched),
      'DATABASE_CORRUPT',
      `${mismatched}: the stored genesis does not hash to the recorded genesis hash`,
    );
  });

  it('opens a chain with its stored genesis, and an empty chain yields no block', async () => {
    const dataDir = await storeWith('good', genesisRecordOf(net.genesis));
    const { store, params, genesisSource } = await openDataDir(dataDir);
    try {
      assert.deepEqual([params.chainId, genesisSource], [net.genesis.chainId, 'data-dir']);
      const source = new StoreBlockSource(store);
      const blocks = [];
      for await (const block of source.blocks()) blocks.push(block);
      assert.deepEqual([source.height, blocks.length], [0, 0]);
    } finally {
      await store.close();
    }
  });
});
