// LedgerStore: atomic commit, checked reads, tip, tree nodes, state reader, WAL and the lock.
// Blocks here carry opaque transaction bytes and a hand-made applied result, so the store is
// tested on its own; full chains with real transactions are in chain tests.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import type { StateWrite } from '../../src/core/ledger/state-kv.js';
import { inclusionProof, leafHash, MemoryMerkleLog, rootAt } from '../../src/core/merkle/index.js';
import {
  blockKey,
  merkleNodeKey,
  metaKey,
  stateKey,
  txIndexKey,
  txLogKey,
} from '../../src/node/store/buckets.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import {
  decodeBlockRecord,
  encodeBlockRecord,
  encodeTxPosition,
} from '../../src/node/store/stored-records.js';
import { fakeBlock, GENESIS_HASH, txBytes, useTestStore, ZERO } from '../helpers/fake-block.js';
import { rejectsWith } from '../helpers/rejects.js';

describe('LedgerStore', () => {
  const t = useTestStore('bayledger-store-');

  async function commit(txCount: number, writes: StateWrite[] = []) {
    const parts = fakeBlock(t.store, txBytes(t.store.height + 1, txCount), writes);
    await t.store.commitBlock(parts.block, parts.certificate, parts.applied);
    return parts;
  }

  /** Closes the store, lets `edit` change its LevelDB directly, and opens the store again. */
  async function editStoredBytes(
    edit: (raw: ClassicLevel<Uint8Array, Uint8Array>) => Promise<void>,
  ): Promise<void> {
    await t.store.close();
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(t.directory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    try {
      await edit(raw);
    } finally {
      await raw.close();
    }
    t.store = await LedgerStore.open(t.directory);
  }

  it('commits blocks and reads them back, checked, after reopening', async () => {
    const first = await commit(3, [{ bucket: 'consent', key: 'c1', value: { status: 'active' } }]);
    await commit(0);
    const third = await commit(5, [{ bucket: 'consent', key: 'c1', value: null }]);
    assert.equal(t.store.height, 3);
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    assert.equal(t.store.height, 3);
    assert.deepEqual(t.store.tip?.blockHash, blockHash(third.block.header));
    assert.deepEqual(await t.store.readBlock(1), first.block);
    assert.deepEqual((await t.store.readBlock(3)).txs, third.block.txs);
    assert.deepEqual(await t.store.readCertificate(3), third.certificate);
    const tx = await t.store.readTx(sha256(third.block.txs[4]!));
    assert.deepEqual(tx, { height: 3, index: 4, leafIndex: 7, envelope: third.block.txs[4] });
    assert.equal(t.store.hasTx(sha256(first.block.txs[0]!)), true);
    assert.equal(t.store.hasTx(sha256(utf8('never committed'))), false);
    assert.equal(await t.store.readTx(sha256(utf8('never committed'))), undefined);
    assert.equal(t.store.state.get('consent', 'c1'), undefined, 'deleted by block 3');
    assert.equal(t.store.genesis?.json, '{}');
  });

  it('runs LevelDB with the memtable size it is given (16 MiB without one): a small one flushes', async () => {
    // LevelDB's LOG records each memtable it writes out as a level-0 table. The same 1,200
    // transactions fill LevelDB's smallest memtable (64 KiB) several times, the default not once.
    const level0Tables = async () =>
      (await readFile(join(t.directory, 'LOG'), 'utf8'))
        .split('\n')
        .filter((line) => /Level-0 table #\d+: started/.test(line)).length;
    const commitMany = async () => {
      for (let block = 0; block < 6; block++) await commit(200);
    };
    assert.equal(t.store.memtableBytes, 16 * 1024 * 1024);
    await commitMany();
    await t.store.close();
    assert.equal(await level0Tables(), 0);
    t.store = await LedgerStore.open(t.directory, { tuning: { writeBufferSize: 64 * 1024 } });
    assert.equal(t.store.memtableBytes, 64 * 1024);
    await commitMany();
    await t.store.close();
    // LevelDB starts a new LOG at each open; this one belongs to the 64 KiB store. Its open writes
    // the first store's unflushed memtable out (one table, measured: a 16 MiB store logs 1 here);
    // the 64 KiB memtable was written out 10 more times.
    assert.ok((await level0Tables()) >= 5, 'a 64 KiB memtable is written out every few blocks');
    t.store = await LedgerStore.open(t.directory);
    assert.equal(t.store.height, 12);
  });

  it('serves the same roots and proofs as an in-memory log', async () => {
    const reference = new MemoryMerkleLog();
    for (let height = 1; height <= 6; height++) {
      const { block } = await commit(height % 4);
      for (const tx of block.txs) reference.append(leafHash(tx));
    }
    assert.equal(t.store.tip?.logSize, reference.size);
    for (let size = 1; size <= reference.size; size++) {
      assert.deepEqual(rootAt(t.store.merkle, size), rootAt(reference, size));
      for (let leaf = 0; leaf < size; leaf++) {
        assert.deepEqual(inclusionProof(t.store.merkle, leaf, size), inclusionProof(reference, leaf, size));
      }
    }
  });

  it('state reads see committed values and cached values do not leak mutations', async () => {
    await commit(1, [{ bucket: 'counter', key: 'hku-szh/2026', value: { count: 1 } }]);
    const value = t.store.state.get('counter', 'hku-szh/2026') as { count: number };
    assert.deepEqual(value, { count: 1 });
    value.count = 99;
    assert.deepEqual(t.store.state.get('counter', 'hku-szh/2026'), { count: 1 });
    await commit(1, [{ bucket: 'counter', key: 'hku-szh/2026', value: { count: 2 } }]);
    assert.deepEqual(t.store.state.get('counter', 'hku-szh/2026'), { count: 2 });
  });

  it('scans one state bucket, or the keys of a bucket under a prefix, as one key range', async () => {
    const value = { n: 1 };
    await commit(1, [
      ...['a', 'aa/1', 'aa/2', 'ab/1', 'aa', 'b', 'é/1'].map((key) => ({
        bucket: 'patient' as const,
        key,
        value,
      })),
      { bucket: 'transfer', key: 'aa/9', value },
      { bucket: 'consent', key: 'aa/8', value },
    ]);
    const keys = async (bucket: 'patient' | 'transfer', prefix?: string) => {
      const found: string[] = [];
      for await (const entry of t.store.stateEntriesIn(bucket, prefix)) {
        assert.equal(entry.bucket, bucket);
        found.push(entry.key);
      }
      return found;
    };
    assert.deepEqual(await keys('patient', 'aa/'), ['aa/1', 'aa/2']);
    assert.deepEqual(await keys('patient', 'aa'), ['aa', 'aa/1', 'aa/2']);
    assert.deepEqual(await keys('patient', 'é'), ['é/1']);
    assert.deepEqual(await keys('patient', 'zz'), []);
    assert.deepEqual(await keys('patient'), ['a', 'aa', 'aa/1', 'aa/2', 'ab/1', 'b', 'é/1']);
    assert.deepEqual(await keys('transfer'), ['aa/9']);
  });

  it('answers NOT_FOUND for a height that is not a block of the chain, and DATABASE_CORRUPT for one that went missing', async () => {
    await commit(1);
    await commit(1);
    for (const height of [0, 3]) {
      await assert.rejects(
        t.store.readBlockRecord(height),
        (error: unknown) => isBayledgerError(error, 'NOT_FOUND'),
        String(height),
      );
    }
    await editStoredBytes((raw) => raw.del(blockKey(1)));
    await assert.rejects(t.store.readBlockRecord(1), (error: unknown) =>
      isBayledgerError(error, 'DATABASE_CORRUPT'),
    );
  });

  it('refuses stored records that contradict themselves: block hash, id count, transaction index and bytes', async () => {
    const first = await commit(3);
    await commit(2);
    const third = await commit(2);
    // One transaction of block 3 will be indexed at the first leaf past the log, another changed in it.
    const [beyond, changed] = third.applied.txIds as [Uint8Array, Uint8Array];
    await editStoredBytes(async (raw) => {
      const recordOf = async (height: number) =>
        decodeBlockRecord((await raw.get(blockKey(height)))!, 'test');
      // Block 1 names another hash than its header's; block 2 lists one id too many.
      await raw.put(
        blockKey(1),
        encodeBlockRecord({ ...(await recordOf(1)), blockHash: new Uint8Array(32).fill(1) }),
      );
      const record2 = await recordOf(2);
      await raw.put(
        blockKey(2),
        encodeBlockRecord({ ...record2, txIds: [...record2.txIds, record2.txIds[0]!] }),
      );
      await raw.put(txIndexKey(beyond), encodeTxPosition({ height: 3, index: 0, leafIndex: 7 }));
      await raw.put(txLogKey(6), Uint8Array.of(1, 2, 3));
    });
    await rejectsWith(t.store.readBlockRecord(1), 'DATABASE_CORRUPT', /block hash does not match its header/);
    await rejectsWith(t.store.readBlockRecord(2), 'DATABASE_CORRUPT', /3 transaction ids for txCount 2/);
    await rejectsWith(t.store.readTx(beyond), 'DATABASE_CORRUPT', /indexed beyond the log/);
    await rejectsWith(t.store.readTx(changed), 'DATABASE_CORRUPT', /does not hash to its id/);
    await rejectsWith(t.store.readBlock(3), 'DATABASE_CORRUPT', /transaction 1 does not hash to its id/);
    assert.equal((await t.store.readTx(first.applied.txIds[2]!))?.leafIndex, 2);
  });

  it('refuses a block whose transaction is missing from the log, naming it', async () => {
    await commit(1);
    const second = await commit(3);
    await editStoredBytes(async (raw) => {
      await raw.del(txLogKey(2));
    });
    const missingId = Buffer.from(second.applied.txIds[1]!).toString('hex');
    await rejectsWith(
      t.store.readBlock(2),
      'DATABASE_CORRUPT',
      new RegExp(`transaction 1 \\(${missingId}\\) missing`),
    );
    assert.equal((await t.store.readBlock(1)).txs.length, 1);
  });

  it('reads tree nodes up to the last complete subtree, and refuses a missing or short one as corruption', async () => {
    await commit(3);
    await commit(3);
    await editStoredBytes(async (raw) => {
      await raw.del(merkleNodeKey(1, 0));
      await raw.put(merkleNodeKey(1, 1), new Uint8Array(31));
    });
    // Six leaves: level 1 has complete nodes 0 to 2; node 3 would need leaves 6 and 7.
    assert.equal(t.store.merkle.getNode(1, 2).byteLength, 32);
    assert.throws(
      () => t.store.merkle.getNode(1, 3),
      (error: unknown) => isBayledgerError(error, 'NOT_FOUND'),
    );
    assert.throws(
      () => t.store.merkle.getNode(0, 6),
      (error: unknown) => isBayledgerError(error, 'NOT_FOUND'),
    );
    assert.throws(() => t.store.merkle.getNode(1, 0), /tree node missing/);
    assert.throws(() => t.store.merkle.getNode(1, 1), /tree node has 31 bytes/);
  });

  it('belongs to one network: the same genesis again is accepted, another one refused, across a reopen', async () => {
    await t.store.initGenesis({ hash: GENESIS_HASH, json: '{}' });
    const other = { hash: sha256(utf8('another genesis')), json: '{}' };
    await assert.rejects(t.store.initGenesis(other), (error: unknown) =>
      isBayledgerError(error, 'CONFIG_INVALID'),
    );
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    await assert.rejects(t.store.initGenesis(other), /store belongs to genesis/);
    await t.store.initGenesis({ hash: GENESIS_HASH, json: '{}' });
  });

  it('refuses a commit that does not fit the tip, and writes nothing', async () => {
    await commit(2);
    const good = fakeBlock(t.store, txBytes(2, 2), []);
    const wrongCertificate = { ...good.certificate, blockHash: ZERO };
    await rejectsWith(
      t.store.commitBlock(good.block, wrongCertificate, good.applied),
      'BLOCK_INVALID',
      /certificate/,
    );
    const wrongState = { ...good.applied, stateHash: ZERO };
    await rejectsWith(
      t.store.commitBlock(good.block, good.certificate, wrongState),
      'BLOCK_INVALID',
      /stateHash/,
    );
    // An applied result of another shape than the block: one id too few, a log one leaf short.
    const fewerIds = { ...good.applied, txIds: good.applied.txIds.slice(1) };
    await rejectsWith(
      t.store.commitBlock(good.block, good.certificate, fewerIds),
      'BLOCK_INVALID',
      /transaction count mismatch/,
    );
    const shortLog = { ...good.applied, logSize: good.applied.logSize - 1 };
    await rejectsWith(
      t.store.commitBlock(good.block, good.certificate, shortLog),
      'BLOCK_INVALID',
      /logSize mismatch/,
    );
    const relinked = fakeBlock(t.store, txBytes(2, 2), []);
    const forked = { ...relinked.block, header: { ...relinked.block.header, previousHash: ZERO } };
    await rejectsWith(
      t.store.commitBlock(forked, relinked.certificate, relinked.applied),
      'BLOCK_INVALID',
      /previousHash does not link to the tip/,
    );
    assert.equal(t.store.height, 1);
    await rejectsWith(t.store.readBlock(2), 'NOT_FOUND', /no block at height 2/);
    await t.store.commitBlock(good.block, good.certificate, good.applied);
    assert.equal(t.store.height, 2);
  });

  it('reports a flipped byte in a stored block or state entry as corruption at its height', async () => {
    await commit(2, [{ bucket: 'transfer', key: 't1', value: { status: 'approved' } }]);
    await commit(1);
    await editStoredBytes(async (raw) => {
      const record = (await raw.get(blockKey(1)))!;
      record[record.length - 40]! ^= 0x01;
      await raw.put(blockKey(1), record);
      const state = (await raw.get(stateKey('transfer', 't1')))!;
      await raw.put(stateKey('transfer', 't1'), state.subarray(0, state.length - 1));
    });
    await rejectsWith(t.store.readBlock(1), 'DATABASE_CORRUPT', /height 1/);
    assert.deepEqual((await t.store.readBlock(2)).header.height, 2);
    assert.throws(() => t.store.state.get('transfer', 't1'), /state transfer\/t1/);
  });

  it('refuses a data directory written in another store format, naming both formats', async () => {
    await commit(2);
    await t.store.close();
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(t.directory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    // A format 1 store (transactions keyed by id) has blocks and no format record.
    await raw.del(metaKey('format'));
    await raw.close();
    await rejectsWith(
      LedgerStore.open(t.directory),
      'CONFIG_INVALID',
      /store format 1; this build reads format 2/,
    );
    t.store = await LedgerStore.open(join(t.directory, 'fresh'));
  });

  it('keeps WAL records in order across reopen and clears decided heights', async () => {
    await t.store.walAppend(1, utf8('proposal 1'));
    await t.store.walAppend(1, utf8('prevote 1'));
    await t.store.walAppend(2, utf8('prevote 2'));
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    await t.store.walAppend(2, utf8('precommit 2'));
    const records = await t.store.walRead();
    assert.deepEqual(
      records.map((r) => [r.height, Buffer.from(r.record).toString()]),
      [
        [1, 'proposal 1'],
        [1, 'prevote 1'],
        [2, 'prevote 2'],
        [2, 'precommit 2'],
      ],
    );
    await t.store.walClear(1);
    assert.deepEqual(
      (await t.store.walRead()).map((r) => r.height),
      [2, 2],
    );
    // The clear deleted the records on disk (keys loaded at open and appended since alike).
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    assert.deepEqual(
      (await t.store.walRead()).map((r) => r.height),
      [2, 2],
    );
    await t.store.walAppend(3, utf8('prevote 3'));
    await t.store.walClear(2);
    assert.deepEqual(
      (await t.store.walRead()).map((r) => [r.height, Buffer.from(r.record).toString()]),
      [[3, 'prevote 3']],
    );
  });

  it('refuses to open a database another process holds, naming the directory', async () => {
    await t.store.close();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const {ClassicLevel}=require('classic-level');const db=new ClassicLevel(process.argv[1]);db.open().then(()=>console.log('open'));setInterval(()=>{},1000);`,
        t.directory,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve());
        holder.on('exit', () => reject(new Error('holder exited early')));
      });
      await rejectsWith(
        LedgerStore.open(t.directory),
        'DATABASE_LOCKED',
        new RegExp(`database in use by another process: ${t.directory}`),
      );
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    t.store = await LedgerStore.open(t.directory);
    assert.equal(t.store.height, 0);
  });

  it('tells a missing database from one that cannot be opened, naming the path', async () => {
    const missing = join(t.directory, 'nothing-here');
    await rejectsWith(
      LedgerStore.open(missing, { createIfMissing: false }),
      'NOT_FOUND',
      new RegExp(`^no bayledger database in ${missing}$`),
    );
    // A folder without a database (a mistyped --data-dir) is refused as it is, without the LOCK
    // and LOG files LevelDB would create before finding no database.
    const empty = join(t.directory, 'org-folder');
    await mkdir(empty);
    await writeFile(join(empty, 'node.json'), '{}');
    await rejectsWith(
      LedgerStore.open(empty, { createIfMissing: false }),
      'NOT_FOUND',
      new RegExp(`^no bayledger database in ${empty}$`),
    );
    assert.deepEqual(await readdir(empty), ['node.json']);
    // A file where the database's folder should be: named so when it must exist; when it may be
    // created, LevelDB's own words follow the path.
    const file = join(t.directory, 'a-file');
    await writeFile(file, 'not a database');
    await rejectsWith(
      LedgerStore.open(file, { createIfMissing: false }),
      'NOT_FOUND',
      new RegExp(`^no bayledger database in ${file}: it is a file, not a folder$`),
    );
    await rejectsWith(
      LedgerStore.open(file, { createIfMissing: true }),
      'DATABASE_CORRUPT',
      new RegExp(`^cannot open database ${file}: .+`),
    );
  });
});
