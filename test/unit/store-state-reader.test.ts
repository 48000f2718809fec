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
    const verdict = { accepted: true, reasons: [] };
    await db.put(stateKey('outcome', 'aa'), encodeCanonical(verdict));
    const reader = new StoreStateReader(db);
    assert.deepEqual(reader.get('outcome', 'aa'), verdict);
    assert.equal(reader.get('outcome', 'bb'), undefined);
    assert.equal(reads, 2);
    assert.deepEqual(reader.get('outcome', 'aa'), verdict);
    assert.equal(reader.get('outcome', 'bb'), undefined, 'a miss is cached');
    assert.equal(reads, 2);
    // After a commit the cache holds the new value without reading LevelDB.
    const written = { accepted: false, reasons: ['X'] };
    reader.committed([{ bucket: 'outcome', key: 'bb', value: written }], [encodeCanonical(written)]);
    assert.deepEqual(reader.get('outcome', 'bb'), written);
    assert.equal(reader.get('seen', 'cc'), undefined);
    assert.equal(reads, 3);
  });
});
