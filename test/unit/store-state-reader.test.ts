// The store's state reader (state-reader.ts) over a real LevelDB: which reads reach LevelDB.
// Reads are counted on the real database's getSync.
import { strict as assert } from 'node:assert';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { stateKey } from '../../src/node/store/buckets.js';
import { type ByteDb, openByteDb } from '../../src/node/store/open-db.js';
import { StoreStateReader } from '../../src/node/store/state-reader.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('StoreStateReader', () => {
  let db: ByteDb;
  let opened = false;
  let reads: number;
  // Registered before the folder's hooks, so the database closes before its folder is removed.
  afterEach(async () => {
    if (opened) await db.close();
    opened = false;
  });
  const folder = useTempDir('bayledger-state-reader-', 'each');

  beforeEach(async () => {
    db = await openByteDb(folder.path, { createIfMissing: true });
    opened = true;
    reads = 0;
    const getSync = db.getSync.bind(db);
    db.getSync = ((key: Uint8Array) => {
      reads++;
      return getSync(key);
    }) as ByteDb['getSync'];
  });

  it('reads each entry from LevelDB once, a missing one included, and mirrors committed writes', async () => {
    const consent = { status: 'active' };
    await db.put(stateKey('consent', 'aa'), encodeCanonical(consent));
    const reader = new StoreStateReader(db);
    assert.deepEqual(reader.get('consent', 'aa'), consent);
    assert.equal(reader.get('consent', 'bb'), undefined);
    assert.equal(reads, 2);
    assert.deepEqual(reader.get('consent', 'aa'), consent);
    assert.equal(reader.get('consent', 'bb'), undefined, 'a miss is cached');
    assert.equal(reads, 2);
    // After a commit the cache holds the new value without reading LevelDB.
    const written = { status: 'revoked' };
    reader.committed([{ bucket: 'consent', key: 'bb', value: written }], [encodeCanonical(written)]);
    assert.deepEqual(reader.get('consent', 'bb'), written);
    assert.equal(reader.get('transfer', 'cc'), undefined);
    assert.equal(reads, 3);
  });

  it('reads the buckets block application never reads back from LevelDB every time, never stale', async () => {
    const reader = new StoreStateReader(db);
    for (const bucket of ['seen', 'outcome', 'patient'] as const) {
      assert.equal(reader.get(bucket, 'dd'), undefined);
      assert.equal(reader.get(bucket, 'dd'), undefined);
      // The block's batch is durable before committed() is called, as the store does.
      const value = { bucket };
      await db.put(stateKey(bucket, 'dd'), encodeCanonical(value));
      reader.committed([{ bucket, key: 'dd', value }], [encodeCanonical(value)]);
      assert.deepEqual(reader.get(bucket, 'dd'), value, `${bucket}: the stored value, not a cached miss`);
    }
    assert.equal(reads, 9, 'three reads of each bucket, none answered from the cache');
  });
});
