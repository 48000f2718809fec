// Chain verify in a process of its own (verify-sources.ts, verify-thread.ts): the report, the
// progress and the errors must be exactly those of a verification on the calling thread, so the
// CLI behaves the same whichever runs it; only a big chain gets the process; and the process is
// asked for huge pages without overriding a malloc setting the operator chose.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { writeChainExport } from '../../src/node/chain/export-file.js';
import { openDataDir } from '../../src/node/chain/open-chain.js';
import { StoreBlockSource } from '../../src/node/chain/store-block-source.js';
import { verifyDataDir, verifyExportFile, verifyPlan } from '../../src/node/chain/verify-sources.js';
import { fileableTestGenesis, useStoppedNode } from '../helpers/chain.js';

/** The processes this one started and that still run (Linux lists them per thread). */
function childPids(): number[] {
  return readdirSync('/proc/self/task').flatMap((task) =>
    readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

describe('chain verify in its own process', function () {
  this.timeout(120_000);
  const net = fileableTestGenesis(7400);
  const node = useStoppedNode(net, 4, 'bayledger-verify-thread-');

  it('reports what the calling thread reports, with every progress step', async () => {
    const progress: number[] = [];
    const separate = await verifyDataDir(
      node.files.dataDir,
      node.files.genesisFile,
      (height) => progress.push(height),
      { workers: 1, ownProcess: true },
    );
    const here = await verifyDataDir(node.files.dataDir, node.files.genesisFile, undefined, {
      workers: 1,
      ownProcess: false,
    });
    assert.ok(separate.report.ok);
    assert.deepEqual(separate, here);
    assert.deepEqual(progress, [1, 2, 3, 4]);
  });

  it('verifies an export file the same way', async () => {
    const exportPath = `${node.files.directory}/chain.export`;
    const { store, params } = await openDataDir(node.files.dataDir);
    await writeChainExport(new StoreBlockSource(store), params, exportPath);
    await store.close();
    const separate = await verifyExportFile(exportPath, node.files.chain.params, undefined, {
      workers: 0,
      ownProcess: true,
    });
    const here = await verifyExportFile(exportPath, node.files.chain.params, undefined, {
      workers: 0,
      ownProcess: false,
    });
    assert.ok(separate.ok);
    assert.deepEqual(separate, here);
  });

  it('carries a typed error across with its code, message and place', async () => {
    const missing = `${node.files.directory}/no-such-dir`;
    await assert.rejects(
      verifyDataDir(missing, undefined, undefined, { ownProcess: true }),
      (error: unknown) => {
        assert.ok(isBayledgerError(error), String(error));
        assert.equal(error.code, 'NOT_FOUND');
        assert.equal(error.where, missing);
        assert.equal(error.message, `${missing}: no such data directory`);
        return true;
      },
    );
  });

  it('starts a process only for a big chain: a small one is verified in the calling process', async () => {
    // Children of this process are read while the verification reports progress. (A verify
    // process may still be exiting after it reported: the ones there before a call do not count.)
    const spawnedDuring = async (ownProcess: boolean | undefined): Promise<number[]> => {
      const before = new Set(childPids());
      const seen = new Set<number>();
      const options = ownProcess === undefined ? { workers: 0 } : { workers: 0, ownProcess };
      const { report } = await verifyDataDir(
        node.files.dataDir,
        undefined,
        () => {
          for (const pid of childPids()) if (!before.has(pid)) seen.add(pid);
        },
        options,
      );
      assert.ok(report.ok);
      return [...seen];
    };
    assert.equal((await spawnedDuring(true)).length, 1, 'asked for, a process of its own');
    assert.deepEqual(await spawnedDuring(undefined), [], 'by default, four blocks are verified here');
  });

  it('plans a process of its own for a big chain only, and signature workers for all but small ones', () => {
    const cores = availableParallelism();
    const plans = [
      0,
      LIMITS.verifyWithoutWorkersMaxTxs,
      LIMITS.verifyWithoutWorkersMaxTxs + 1,
      LIMITS.verifyInProcessMaxTxs,
      LIMITS.verifyInProcessMaxTxs + 1,
    ].map((txCount) => verifyPlan(txCount, {}));
    assert.deepEqual(plans, [
      { ownProcess: false, workers: 0 },
      { ownProcess: false, workers: 0 },
      { ownProcess: false, workers: cores },
      { ownProcess: false, workers: cores },
      { ownProcess: true, workers: cores },
    ]);
    // What the caller chose stands.
    assert.deepEqual(verifyPlan(1, { ownProcess: true, workers: 3 }), { ownProcess: true, workers: 3 });
    assert.deepEqual(verifyPlan(10 ** 9, { ownProcess: false, workers: 0 }), {
      ownProcess: false,
      workers: 0,
    });
  });
});
