// The big-chain generator of the benchmarks (test/bench/fixtures/big-chain.ts), at a small size:
// it writes a chain that chain verify accepts against the genesis file written beside it, reuses
// a chain that is long enough, and resumes a shorter one where it stopped, block for block the
// same as one written in a single run (blocks are a pure function of their height).
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { verifyDataDir } from '../../src/node/chain/verify-sources.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { ensureBigChain } from '../bench/fixtures/big-chain.js';

const options = { txsPerBlock: 10, patientKeys: 4, workers: 1 };

async function tipHash(dataDir: string): Promise<string> {
  const store = await LedgerStore.open(dataDir, { createIfMissing: false });
  try {
    return toHex(store.tip!.blockHash);
  } finally {
    await store.close();
  }
}

describe('chain: big-chain generator (small)', function () {
  this.timeout(120_000);
  let directory: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-big-chain-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a certified chain that verifies against its genesis file', async () => {
    const chain = await ensureBigChain(join(directory, 'a'), 30, options);
    assert.deepEqual([chain.height, chain.txCount], [3, 30]);
    const { report, genesisSource } = await verifyDataDir(chain.dataDir, chain.genesisPath, undefined, {
      workers: 0,
    });
    assert.equal(genesisSource, 'file');
    assert.ok(report.ok, JSON.stringify(report));
    assert.equal(report.ok && report.txCount, 30);
    // Every grant and declaration is recorded (each tx has an outcome, each pair a consent and a transfer).
    assert.ok(report.ok && report.stateEntries >= 30 * 3);
  });

  it('reuses a chain that is long enough, unchanged', async () => {
    const dir = join(directory, 'a');
    const before = await tipHash(join(dir, 'data'));
    const again = await ensureBigChain(dir, 25, options);
    assert.equal(again.height, 3);
    assert.equal(await tipHash(again.dataDir), before);
  });

  it('resumes a shorter chain to exactly the chain a single run writes', async () => {
    const resumed = await ensureBigChain(join(directory, 'a'), 50, options);
    const single = await ensureBigChain(join(directory, 'b'), 50, options);
    assert.deepEqual([resumed.height, resumed.txCount], [5, 50]);
    assert.equal(await tipHash(resumed.dataDir), await tipHash(single.dataDir));
  });
});
