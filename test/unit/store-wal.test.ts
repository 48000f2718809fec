// The consensus WAL file: durable appends in order, a torn last append dropped, damage elsewhere
// refused, clears that keep newer heights, and records of the older LevelDB-backed log moved in.
import { strict as assert } from 'node:assert';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { ClassicLevel } from 'classic-level';
import { utf8 } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { Bucket, bucketRange, walKey } from '../../src/node/store/buckets.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { WAL_FILE_NAME, walFrame } from '../../src/node/store/wal.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

async function contents(store: LedgerStore): Promise<[number, string][]> {
  return (await store.walRead()).map((record) => [record.height, text(record.record)]);
}

describe('consensus WAL file', () => {
  const temp = useTempDir('bayledger-wal-', 'each');
  const walPath = () => path.join(temp.path, WAL_FILE_NAME);
  let store: LedgerStore;

  beforeEach(async () => {
    store = await LedgerStore.open(temp.path);
  });
  afterEach(async () => {
    await store.close();
  });

  it('adds no file to a data directory that never appends', async () => {
    await store.close();
    store = await LedgerStore.open(temp.path);
    await assert.rejects(stat(walPath()), { code: 'ENOENT' });
  });

  it('drops a torn last append and appends after the last whole record', async () => {
    await store.walAppend(4, utf8('prevote 4'));
    await store.walAppend(4, utf8('precommit 4'));
    await store.close();
    const whole = (await stat(walPath())).size;
    // A crash in the middle of the third append: its header and half its payload reached the disk.
    const header = Buffer.alloc(16);
    header.writeUInt32BE(100, 0);
    header.writeUInt32BE(4, 12);
    await appendFile(walPath(), Buffer.concat([header, Buffer.alloc(50, 7)]));
    store = await LedgerStore.open(temp.path);
    assert.equal((await stat(walPath())).size, whole, 'the torn record is cut off');
    assert.deepEqual(await contents(store), [
      [4, 'prevote 4'],
      [4, 'precommit 4'],
    ]);
    await store.walAppend(5, utf8('prevote 5'));
    await store.close();
    store = await LedgerStore.open(temp.path);
    assert.deepEqual((await contents(store)).at(-1), [5, 'prevote 5']);
  });

  it('drops a last append torn inside its header, at every length from 1 to 15 bytes', async () => {
    await store.walAppend(3, utf8('prevote 3'));
    await store.close();
    const whole = await readFile(walPath());
    const next = walFrame(3, utf8('precommit 3'));
    for (let tornBytes = 1; tornBytes < 16; tornBytes++) {
      await writeFile(walPath(), Buffer.concat([whole, next.subarray(0, tornBytes)]));
      store = await LedgerStore.open(temp.path);
      assert.deepEqual(await contents(store), [[3, 'prevote 3']], `${tornBytes} header bytes`);
      await store.close();
      assert.equal((await stat(walPath())).size, whole.byteLength, `${tornBytes} header bytes cut off`);
    }
    store = await LedgerStore.open(temp.path);
  });

  it('keeps an empty record, also as the last one in the file', async () => {
    await store.walAppend(6, utf8('prevote 6'));
    await store.walAppend(6, new Uint8Array(0));
    await store.close();
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [
      [6, 'prevote 6'],
      [6, ''],
    ]);
  });

  it('drops a torn last append by its length alone, even when its present bytes match the checksum', async () => {
    await store.walAppend(7, utf8('prevote 7'));
    await store.close();
    const whole = await readFile(walPath());
    // The header promises 100 payload bytes, 50 arrived, and the checksum (of the height and the
    // payload) happens to be that of what arrived: only the length shows the record incomplete.
    const torn = walFrame(7, new Uint8Array(100).fill(7)).subarray(0, 16 + 50);
    torn.writeUInt32BE(crc32(torn.subarray(8)), 4);
    await writeFile(walPath(), Buffer.concat([whole, torn]));
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [[7, 'prevote 7']]);
    assert.equal((await stat(walPath())).size, whole.byteLength);
  });

  it('drops a last record whose checksum fails', async () => {
    await store.walAppend(2, utf8('prevote 2'));
    await store.walAppend(2, utf8('precommit 2'));
    await store.close();
    const file = await readFile(walPath());
    file[file.byteLength - 1]! ^= 0x01;
    await writeFile(walPath(), file);
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [[2, 'prevote 2']]);
  });

  it('refuses a damaged record that is followed by more than one record of bytes', async () => {
    const large = new Uint8Array(Math.ceil(LIMITS.maxWalRecordBytes / 2) + 1024);
    await store.walAppend(3, utf8('proposal 3'));
    await store.walAppend(3, large);
    await store.walAppend(3, large);
    await store.close();
    const file = await readFile(walPath());
    file[20]! ^= 0x01; // inside the first record's payload
    await writeFile(walPath(), file);
    await assert.rejects(LedgerStore.open(temp.path), (error: unknown) => {
      assert.ok(isBayledgerError(error) && error.code === 'DATABASE_CORRUPT', String(error));
      assert.match(error.message, /record at byte 0 is damaged and is not the last/);
      return true;
    });
    store = await LedgerStore.open(path.join(temp.path, 'other'));
  });

  it('keeps a newer height when clearing behind it, across appends and reopens', async () => {
    await store.walAppend(7, utf8('precommit 7'));
    await store.walAppend(8, utf8('prevote 8'));
    await store.walClear(7);
    await store.walAppend(8, utf8('precommit 8'));
    assert.deepEqual(await contents(store), [
      [8, 'prevote 8'],
      [8, 'precommit 8'],
    ]);
    await store.close();
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [
      [8, 'prevote 8'],
      [8, 'precommit 8'],
    ]);
    const before = await stat(walPath());
    await store.walClear(8);
    const after = await stat(walPath());
    assert.equal(after.size, 0, 'a clear of every record truncates the file');
    assert.equal(after.ino, before.ino, 'in place, not by writing a new file');
    assert.deepEqual(await contents(store), []);
  });

  it('ignores a clear that removes nothing', async () => {
    await store.walAppend(9, utf8('prevote 9'));
    const before = await stat(walPath());
    await store.walClear(8);
    const after = await stat(walPath());
    assert.equal(after.size, before.size);
    assert.equal(after.ino, before.ino, 'the file is not rewritten');
    assert.deepEqual(await contents(store), [[9, 'prevote 9']]);
  });

  it('moves records an older build kept in LevelDB into the file, in order, and deletes them there', async () => {
    await store.walAppend(6, utf8('already in the file'));
    await store.close();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(temp.path, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    await db.put(walKey(6, 1), utf8('legacy precommit 6'));
    await db.put(walKey(6, 0), utf8('legacy prevote 6'));
    await db.close();
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [
      [6, 'already in the file'],
      [6, 'legacy prevote 6'],
      [6, 'legacy precommit 6'],
    ]);
    await store.close();
    const check = new ClassicLevel<Uint8Array, Uint8Array>(temp.path, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await check.open();
    const left = await check.keys(bucketRange(Bucket.Wal)).all();
    await check.close();
    assert.equal(left.length, 0);
    store = await LedgerStore.open(temp.path);
    assert.equal((await contents(store)).length, 3, 'moved once, not again on the next open');
  });

  it('refuses an oversize record before writing anything, and takes the next one (no disk fault)', async () => {
    await rejectsWith(
      store.walAppend(1, new Uint8Array(LIMITS.maxWalRecordBytes + 1)),
      'MESSAGE_TOO_LARGE',
      `WAL record of ${LIMITS.maxWalRecordBytes + 1} bytes exceeds ${LIMITS.maxWalRecordBytes}`,
    );
    await assert.rejects(stat(walPath()), { code: 'ENOENT' });
    await store.walAppend(1, utf8('prevote 1'));
    assert.deepEqual(await contents(store), [[1, 'prevote 1']]);
  });

  it('drops a last record of exactly the size limit whose checksum fails, as a torn append', async () => {
    await store.walAppend(9, utf8('prevote 9'));
    await store.walAppend(9, new Uint8Array(LIMITS.maxWalRecordBytes).fill(0x33));
    await store.close();
    const file = await readFile(walPath());
    file[file.byteLength - 1]! ^= 0x01;
    await writeFile(walPath(), file);
    store = await LedgerStore.open(temp.path);
    assert.deepEqual(await contents(store), [[9, 'prevote 9']]);
  });

  it('opens a log of exactly maxWalRecords records and refuses one more as corrupt', async () => {
    await store.close();
    const record = walFrame(1, new Uint8Array(0));
    await writeFile(walPath(), Buffer.concat(Array.from({ length: LIMITS.maxWalRecords }, () => record)));
    store = await LedgerStore.open(temp.path);
    assert.equal((await store.walRead()).length, LIMITS.maxWalRecords);
    await store.close();
    await appendFile(walPath(), record);
    await assert.rejects(LedgerStore.open(temp.path), (error: unknown) => {
      assert.ok(isBayledgerError(error, 'DATABASE_CORRUPT'), String(error));
      assert.match((error as Error).message, /more than 100000 records/);
      return true;
    });
    // The refused open left the data directory free: with the extra record gone it opens again.
    await writeFile(walPath(), Buffer.concat(Array.from({ length: LIMITS.maxWalRecords }, () => record)));
    store = await LedgerStore.open(temp.path);
  });

  it('keeps a record of exactly the size limit across a reopen', async () => {
    const largest = new Uint8Array(LIMITS.maxWalRecordBytes).fill(0x5a);
    await store.walAppend(8, largest);
    await store.walAppend(8, utf8('after'));
    await store.close();
    store = await LedgerStore.open(temp.path);
    const records = await store.walRead();
    assert.equal(records.length, 2);
    assert.equal(records[0]!.record.byteLength, LIMITS.maxWalRecordBytes);
    assert.ok(records[0]!.record.every((byte) => byte === 0x5a));
    assert.equal(text(records[1]!.record), 'after');
  });
});
