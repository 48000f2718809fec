// Chain verify on a thread of its own (verify-sources.ts, verify-thread.ts): the report, the
// progress and the errors must be exactly those of a verification on the calling thread, so the
// CLI behaves the same whichever runs it.
import { strict as assert } from 'node:assert';
import { isBayledgerError } from '../../src/core/errors.js';
import { writeChainExport } from '../../src/node/chain/export-file.js';
import { openDataDir } from '../../src/node/chain/open-chain.js';
import { StoreBlockSource } from '../../src/node/chain/store-block-source.js';
import { verifyDataDir, verifyExportFile } from '../../src/node/chain/verify-sources.js';
import { fileableTestGenesis, useStoppedNode } from '../helpers/chain.js';

describe('chain verify on its own thread', function () {
  this.timeout(120_000);
  const net = fileableTestGenesis(7400);
  const node = useStoppedNode(net, 4, 'bayledger-verify-thread-');

  it('reports what the calling thread reports, with every progress step', async () => {
    const progress: number[] = [];
    const threaded = await verifyDataDir(
      node.files.dataDir,
      node.files.genesisFile,
      (height) => progress.push(height),
      {
        workers: 1,
      },
    );
    const here = await verifyDataDir(node.files.dataDir, node.files.genesisFile, undefined, {
      workers: 1,
      ownThread: false,
    });
    assert.ok(threaded.report.ok);
    assert.deepEqual(threaded, here);
    assert.deepEqual(progress, [1, 2, 3, 4]);
  });

  it('verifies an export file the same way', async () => {
    const exportPath = `${node.files.directory}/chain.export`;
    const { store, params } = await openDataDir(node.files.dataDir);
    await writeChainExport(new StoreBlockSource(store), params, exportPath);
    await store.close();
    const threaded = await verifyExportFile(exportPath, node.files.chain.params, undefined, { workers: 0 });
    const here = await verifyExportFile(exportPath, node.files.chain.params, undefined, {
      workers: 0,
      ownThread: false,
    });
    assert.ok(threaded.ok);
    assert.deepEqual(threaded, here);
  });

  it('carries a typed error across with its code, message and place', async () => {
    const missing = `${node.files.directory}/no-such-dir`;
    await assert.rejects(verifyDataDir(missing, undefined), (error: unknown) => {
      assert.ok(isBayledgerError(error), String(error));
      assert.equal(error.code, 'NOT_FOUND');
      assert.equal(error.where, missing);
      assert.equal(error.message, `${missing}: no such data directory`);
      return true;
    });
  });
});
