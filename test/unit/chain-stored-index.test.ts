// Chain verify's checks of stored data besides blocks: the transaction id index and log
// (stored-index-check.ts) and the state (stored-state-check.ts). A missing, wrong or extra index
// entry, a transaction stored beyond the log, and a state entry whose key is not even UTF-8 must
// each fail verification at the height of the block they contradict (the tip for what no block
// wrote).
import { strict as assert } from 'node:assert';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { concatBytes } from '../../src/core/bytes.js';
import type { ChainVerifyReport } from '../../src/node/chain/verify-chain.js';
import { verifyDataDir } from '../../src/node/chain/verify-sources.js';
import {
  merkleNodeKey,
  metaKey,
  stateBucketPrefix,
  stateKey,
  txIndexKey,
  txLogKey,
} from '../../src/node/store/buckets.js';
import { encodeTip, encodeTxPosition } from '../../src/node/store/stored-records.js';
import { fileableTestGenesis, type StoppedNodeFiles, useStoppedNode } from '../helpers/chain.js';

/** The report failed at `height` with `code`, and its reason matches `reason` when one is given. */
function expectFault(
  report: ChainVerifyReport,
  height: number,
  code: string,
  reason?: RegExp,
  label?: string,
): void {
  assert.deepEqual(report.ok ? {} : { height: report.height, code: report.code }, { height, code }, label);
  if (reason !== undefined) assert.match(report.ok ? '' : report.reason, reason, label);
}

type Edit = (db: ClassicLevel<Uint8Array, Uint8Array>, files: StoppedNodeFiles) => Promise<void>;

describe('chain verify: the stored id index and log', function () {
  this.timeout(120_000);
  const net = fileableTestGenesis(7500);
  const node = useStoppedNode(net, 5, 'bayledger-index-check-');

  async function verifyEdited(name: string, edit: Edit) {
    const dataDir = join(node.files.directory, name);
    await cp(node.files.dataDir, dataDir, { recursive: true });
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dataDir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    try {
      await edit(db, node.files);
    } finally {
      await db.close();
    }
    return (
      await verifyDataDir(dataDir, node.files.genesisFile, undefined, { workers: 0, ownProcess: false })
    ).report;
  }

  const txIdAt = (height: number, index: number) => node.files.chain.applied[height - 1]!.txIds[index]!;

  it('passes on the untouched directory', async () => {
    const report = await verifyEdited('untouched', async () => {});
    assert.ok(report.ok, report.ok ? '' : report.reason);
  });

  it('names the block of a transaction whose index entry is missing', async () => {
    const report = await verifyEdited('missing', (db) => db.del(txIndexKey(txIdAt(3, 1))));
    expectFault(report, 3, 'TX_INDEX_MISMATCH', /transaction 1 of block 3 has no index entry/);
  });

  it('names the block of a transaction whose index entry points elsewhere', async () => {
    const report = await verifyEdited('wrong', async (db, { chain }) => {
      const { header } = chain.blocks[1]!.block;
      const wrong = { height: 2, index: 0, leafIndex: header.logSize - header.txCount };
      await db.put(txIndexKey(txIdAt(4, 1)), encodeTxPosition(wrong));
    });
    expectFault(report, 4, 'TX_INDEX_MISMATCH');
  });

  it("names block 1 when the chain's very first transaction has no index entry", async () => {
    const report = await verifyEdited('missing-first', (db) => db.del(txIndexKey(txIdAt(1, 0))));
    expectFault(report, 1, 'TX_INDEX_MISMATCH', /transaction 0 of block 1 has no index entry/);
  });

  it('names the block of an index entry with the right leaf but the wrong height or index', async () => {
    const { blocks } = node.files.chain;
    const header = (height: number) => blocks[height - 1]!.block.header;
    const firstLeafOf = (height: number) => header(height).logSize - header(height).txCount;
    const leafIndex = firstLeafOf(4) + 1;
    const wrongIndex = { height: 4, index: 0, leafIndex };
    // Height 3 with an index that lands on the same leaf counted from block 3's first leaf.
    const wrongHeight = { height: 3, index: leafIndex - firstLeafOf(3), leafIndex };
    for (const [name, position] of [
      ['wrong-index', wrongIndex],
      ['wrong-height', wrongHeight],
    ] as const) {
      const report = await verifyEdited(name, (db) =>
        db.put(txIndexKey(txIdAt(4, 1)), encodeTxPosition(position)),
      );
      expectFault(report, 4, 'TX_INDEX_MISMATCH', /index entry of transaction [0-9a-f]{64} is wrong/, name);
    }
  });

  it('names block 1 for a wrong entry of its first transaction, and the tip for an id straddling two logged ones', async () => {
    const first = await verifyEdited('wrong-first', (db) =>
      db.put(txIndexKey(txIdAt(1, 0)), encodeTxPosition({ height: 1, index: 1, leafIndex: 1 })),
    );
    expectFault(first, 1, 'TX_INDEX_MISMATCH', /index entry of transaction [0-9a-f]{64} is wrong/);
    // The second half of one logged id and the first half of the next: found in the ids, but not
    // at an id's start, so it is in no block.
    const straddling = Buffer.concat([txIdAt(2, 0).subarray(16), txIdAt(2, 1).subarray(0, 16)]);
    const report = await verifyEdited('straddling', (db) =>
      db.put(txIndexKey(straddling), encodeTxPosition({ height: 2, index: 0, leafIndex: 0 })),
    );
    expectFault(report, 5, 'TX_INDEX_MISMATCH', /which is not in the log/);
  });

  it('fails at the tip for an index key of the wrong length, and names the block of an unreadable entry', async () => {
    const short = await verifyEdited('short-key', (db) =>
      db.put(txIndexKey(new Uint8Array(31).fill(7)), encodeTxPosition({ height: 1, index: 0, leafIndex: 0 })),
    );
    expectFault(short, 5, 'TX_INDEX_MISMATCH');
    const garbage = await verifyEdited('garbage-entry', (db) =>
      db.put(txIndexKey(txIdAt(2, 0)), Uint8Array.of(0xff, 0x00)),
    );
    expectFault(garbage, 2, 'TX_INDEX_MISMATCH');
  });

  it('fails at the tip for an index entry of a transaction not in the log', async () => {
    const report = await verifyEdited('extra', (db) =>
      db.put(txIndexKey(new Uint8Array(32).fill(7)), encodeTxPosition({ height: 1, index: 0, leafIndex: 0 })),
    );
    expectFault(report, 5, 'TX_INDEX_MISMATCH');
  });

  it('fails at the tip for a transaction stored beyond the log', async () => {
    const report = await verifyEdited('beyond', (db, { chain }) =>
      db.put(txLogKey(chain.tip.logSize), Uint8Array.of(1, 2, 3)),
    );
    expectFault(report, 5, 'TX_LOG_MISMATCH');
  });

  /** A state entry block `height` wrote and no later block wrote again. */
  function entryLastWrittenAt(height: number) {
    const later = node.files.chain.applied.slice(height);
    const write = node.files.chain.applied[height - 1]!.writes.find(
      (candidate) =>
        candidate.value !== null &&
        !later.some((block) =>
          block.writes.some((other) => other.bucket === candidate.bucket && other.key === candidate.key),
        ),
    );
    assert.ok(write, `block ${height} wrote an entry no later block wrote`);
    return write;
  }

  it('names the block that wrote a state entry whose stored value was changed', async () => {
    const write = entryLastWrittenAt(3);
    const report = await verifyEdited('state-changed', (db) =>
      db.put(stateKey(write.bucket, write.key), Uint8Array.of(0xf5)),
    );
    expectFault(report, 3, 'STATE_MISMATCH');
    assert.equal(
      report.ok ? '' : report.reason,
      `state entry ${write.bucket}/${write.key} differs from the value block 3 wrote`,
    );
  });

  it('names the block that wrote a state entry missing from the store', async () => {
    const write = entryLastWrittenAt(2);
    const report = await verifyEdited('state-missing', (db) => db.del(stateKey(write.bucket, write.key)));
    expectFault(report, 2, 'STATE_MISMATCH');
    assert.equal(
      report.ok ? '' : report.reason,
      `state entry ${write.bucket}/${write.key} written by block 2 is missing`,
    );
  });

  it('fails at the tip for a state entry no block wrote', async () => {
    const report = await verifyEdited('state-extra', (db) =>
      db.put(stateKey('seen', 'f'.repeat(64)), Uint8Array.of(0xf5)),
    );
    expectFault(report, 5, 'STATE_MISMATCH', /state entry seen\/f{64} exists but no block wrote it/);
  });

  it('fails at the tip for a state entry no block wrote, whose key is longer than any a block wrote', async () => {
    const longText = await verifyEdited('state-extra-long', (db) =>
      db.put(stateKey('seen', 'f'.repeat(4_000)), Uint8Array.of(0xf5)),
    );
    expectFault(longText, 5, 'STATE_MISMATCH', /state entry seen\/f{4000} exists but no block wrote it/);
    // Not UTF-8 either: the bucket is compared again with the keys as bytes.
    const longBytes = new Uint8Array(4_001).fill(0x66);
    longBytes[4_000] = 0xff;
    const longRaw = await verifyEdited('state-extra-long-raw', (db) =>
      db.put(concatBytes(Uint8Array.of(stateBucketPrefix('seen')), longBytes), Uint8Array.of(0xf5)),
    );
    expectFault(longRaw, 5, 'STATE_MISMATCH', /exists but no block wrote it/);
  });

  it('still names the lower height when the bucket holding the change also holds a key that is not UTF-8', async () => {
    const write = entryLastWrittenAt(3);
    const report = await verifyEdited('state-changed-raw', async (db) => {
      await db.put(stateKey(write.bucket, write.key), Uint8Array.of(0xf5));
      await db.put(Uint8Array.of(stateBucketPrefix(write.bucket), 0x61, 0xff), Uint8Array.of(0xf5));
    });
    expectFault(report, 3, 'STATE_MISMATCH', /differs from the value block 3 wrote/);
  });

  it('names the block whose tree node the store lacks or holds differently', async () => {
    const node3 = node.files.chain.applied[2]!.merkleNodes[0]!;
    const where = `${node3.level}/${node3.index}`;
    const missing = await verifyEdited('node-missing', (db) =>
      db.del(merkleNodeKey(node3.level, node3.index)),
    );
    expectFault(missing, 3, 'TREE_NODE_MISMATCH');
    assert.equal(missing.ok ? '' : missing.reason, `tree node ${where} is missing`);
    const changed = await verifyEdited('node-changed', (db) =>
      db.put(merkleNodeKey(node3.level, node3.index), new Uint8Array(32).fill(1)),
    );
    expectFault(changed, 3, 'TREE_NODE_MISMATCH');
    assert.equal(changed.ok ? '' : changed.reason, `tree node ${where} differs from the re-derived one`);
  });

  it('refuses to open a store whose head names another block than its last', async () => {
    await assert.rejects(
      verifyEdited('head', (db, { chain }) =>
        db.put(metaKey('head'), encodeTip({ ...chain.tip, blockHash: new Uint8Array(32).fill(3) })),
      ),
      /meta head: head does not match the last block/,
    );
  });

  it('reports the index fault first when the state is wrong at the same height', async () => {
    const write = entryLastWrittenAt(3);
    const report = await verifyEdited('both', async (db) => {
      await db.put(stateKey(write.bucket, write.key), Uint8Array.of(0xf5));
      await db.del(txIndexKey(txIdAt(3, 0)));
    });
    expectFault(report, 3, 'TX_INDEX_MISMATCH');
  });

  it('names a state key that is not UTF-8 exactly, at the tip', async () => {
    const report = await verifyEdited('not-utf8', (db) =>
      db.put(Uint8Array.of(stateBucketPrefix('seen'), 0x61, 0xff, 0x62), Uint8Array.of(0xf5)),
    );
    expectFault(report, 5, 'STATE_MISMATCH', /state entry seen\/0x61ff62 exists but no block wrote it/);
  });
});
