// Tamper evidence (issue 3 item 5): flip one byte in a stored block, a transaction, a transaction's
// id-index entry, a tree node and a state entry of a stopped node's data directory; `bayledger
// chain verify` must fail with exit code 1 and name the height of the block that wrote the
// changed data.
import { strict as assert } from 'node:assert';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { toHex } from '../../src/core/bytes.js';
import type { StateBucket } from '../../src/core/ledger/state-kv.js';
import { blockKey, merkleNodeKey, stateKey, txIndexKey, txLogKey } from '../../src/node/store/buckets.js';
import {
  fileableTestGenesis,
  type StoppedNodeFiles,
  type TestChain,
  writeStoppedNode,
} from '../helpers/chain.js';
import { runCli } from '../helpers/cli.js';

/** Flips one bit of the stored value under `key`, in the middle of the value. */
async function flipStoredByte(dataDir: string, key: Uint8Array): Promise<void> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dataDir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    const value = await db.get(key);
    assert.ok(value !== undefined, 'the entry to tamper with exists');
    const copy = Uint8Array.from(value);
    copy[Math.floor(copy.length / 2)]! ^= 0x01;
    await db.put(key, copy, { sync: true });
  } finally {
    await db.close();
  }
}

/** A state entry written by block `height` and by no later block. */
function stateEntryLastWrittenAt(chain: TestChain, height: number): { bucket: StateBucket; key: string } {
  const later = new Set(
    chain.applied.slice(height).flatMap((a) => a.writes.map((w) => `${w.bucket}/${w.key}`)),
  );
  const write = chain.applied[height - 1]!.writes.find(
    (w) => w.value !== null && w.bucket === 'consent' && !later.has(`${w.bucket}/${w.key}`),
  );
  assert.ok(write, `block ${height} wrote a consent no later block rewrote`);
  return write;
}

describe('tamper evidence: chain verify names the first bad height', function () {
  this.timeout(120_000);
  const net = fileableTestGenesis(7300);
  let files: StoppedNodeFiles;
  let directory: string;
  let pristine: string;
  let genesisFile: string;
  let chain: TestChain;

  before(async () => {
    files = await writeStoppedNode(net, 8, 'bayledger-tamper-');
    ({ directory, dataDir: pristine, genesisFile, chain } = files);
  });

  after(async () => {
    await files?.remove();
  });

  /** `bayledger chain verify --json` of a data directory against the genesis file. */
  const verifyCli = (dataDir: string) =>
    runCli(['chain', 'verify', '--data-dir', dataDir, '--genesis', genesisFile, '--json']);

  it('passes on the untouched data directory', async () => {
    const result = await verifyCli(pristine);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { ok: boolean; height: number; blockHash: string };
    assert.deepEqual([report.ok, report.height, report.blockHash], [true, 8, toHex(chain.tip.blockHash)]);
  });

  const cases: { name: string; height: number; key: (chain: TestChain) => Uint8Array }[] = [
    { name: 'a stored block', height: 3, key: () => blockKey(3) },
    {
      name: 'a transaction',
      height: 5,
      key: (c) => {
        const { header } = c.blocks[4]!.block;
        return txLogKey(header.logSize - header.txCount + 1);
      },
    },
    { name: 'a transaction index entry', height: 5, key: (c) => txIndexKey(c.applied[4]!.txIds[1]!) },
    {
      name: 'a tree node',
      height: 6,
      key: (c) => {
        const node = c.applied[5]!.merkleNodes.find((n) => n.level > 0)!;
        return merkleNodeKey(node.level, node.index);
      },
    },
    {
      name: 'a state entry',
      height: 4,
      key: (c) => {
        const entry = stateEntryLastWrittenAt(c, 4);
        return stateKey(entry.bucket, entry.key);
      },
    },
  ];

  for (const { name, height, key } of cases) {
    it(`catches a flipped byte in ${name} at height ${height}`, async () => {
      const dataDir = join(directory, name.replaceAll(' ', '-'));
      await cp(pristine, dataDir, { recursive: true });
      await flipStoredByte(dataDir, key(chain));
      const result = await verifyCli(dataDir);
      assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
      const report = JSON.parse(result.stdout) as { ok: boolean; height: number; reason: string };
      assert.equal(report.ok, false);
      assert.equal(report.height, height, report.reason);
      assert.match(result.stderr, new RegExp(`failed at height ${height}`));
    });
  }
});
