// The store's state reader (state-reader.ts) over a real LevelDB: what it reads from LevelDB and
// what it answers without it. Reads are counted on the real database's getSync.
import { strict as assert } from 'node:assert';
import { toHex, utf8 } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { stateKey } from '../../src/node/store/buckets.js';
import { type ByteDb, openByteDb } from '../../src/node/store/open-db.js';
import { StoreStateReader } from '../../src/node/store/state-reader.js';
import { TxIdFilter } from '../../src/node/store/tx-id-filter.js';
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

  const committed = sha256(utf8('committed transaction'));
  const uncommitted = sha256(utf8('uncommitted transaction'));
  const verdict = { accepted: true, reasons: [] };

  async function storeVerdictOf(txId: Uint8Array): Promise<void> {
    await db.put(stateKey('outcome', toHex(txId)), encodeCanonical(verdict));
  }

  it("answers an uncommitted transaction's verdict from the committed-id filter, without LevelDB", async () => {
    await storeVerdictOf(committed);
    const filter = new TxIdFilter({ expectedIds: 100, maxBytes: 1 << 20 });
    filter.add(committed);
    filter.markComplete();
    const reader = new StoreStateReader(db, filter);
    assert.equal(reader.get('outcome', toHex(uncommitted)), undefined);
    assert.equal(reads, 0, 'the filter said absent, yet LevelDB was read');
    assert.deepEqual(reader.get('outcome', toHex(committed)), verdict);
    assert.equal(reads, 1);
    // Other buckets, and keys the filter cannot parse, are LevelDB's to answer.
    assert.equal(reader.get('seen', toHex(uncommitted)), undefined);
    assert.equal(reader.get('outcome', toHex(uncommitted).toUpperCase()), undefined);
    assert.equal(reads, 3);
  });

  it('reads LevelDB for every verdict while the filter is not answering, and without one', async () => {
    await storeVerdictOf(committed);
    const unfilled = new TxIdFilter({ expectedIds: 100, maxBytes: 1 << 20 });
    unfilled.add(committed);
    const beforeScan = new StoreStateReader(db, unfilled);
    assert.equal(beforeScan.get('outcome', toHex(uncommitted)), undefined);
    assert.deepEqual(beforeScan.get('outcome', toHex(committed)), verdict);
    assert.equal(reads, 2);
    const withoutFilter = new StoreStateReader(db);
    assert.equal(withoutFilter.get('outcome', toHex(uncommitted)), undefined);
    assert.equal(reads, 3);
    // A miss is cached: asked again, LevelDB is not read again.
    assert.equal(withoutFilter.get('outcome', toHex(uncommitted)), undefined);
    assert.equal(reads, 3);
  });
});
