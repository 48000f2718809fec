// The committed-id filter (tx-id-filter.ts) and the store's use of it: it must never call a
// committed id absent (verifyBlock would accept a replay), whether the id was stored before the
// store opened, committed while its start-up scan ran, or added after the filter grew or hit its
// memory bound.
import { strict as assert } from 'node:assert';
import { ClassicLevel } from 'classic-level';
import { utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { blockKey } from '../../src/node/store/buckets.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { TxIdFilter } from '../../src/node/store/tx-id-filter.js';
import { fakeBlock, txBytes, useTestStore } from '../helpers/fake-block.js';

function ids(prefix: string, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha256(utf8(`${prefix} ${i}`)));
}

function countAbsent(filter: TxIdFilter, txIds: readonly Uint8Array[]): number {
  return txIds.filter((txId) => filter.definitelyAbsent(txId)).length;
}

describe('TxIdFilter', () => {
  it('answers "maybe" to every id until the scan of stored ids is complete', () => {
    const filter = new TxIdFilter({ expectedIds: 1000, maxBytes: 1 << 20 });
    const absent = ids('absent', 1000);
    assert.equal(countAbsent(filter, absent), 0);
    assert.equal(filter.answering, false);
    filter.markComplete();
    assert.equal(filter.answering, true);
    assert.equal(countAbsent(filter, absent), 1000, 'an empty filter calls every id absent');
  });

  it('makes its first segment when it fits the memory bound exactly, and none when it does not', () => {
    // 100 ids at 10 bits: 1,000 bits, rounded up to 1,024 (128 bytes).
    const exact = new TxIdFilter({ expectedIds: 100, maxBytes: 128 });
    assert.equal(exact.bytes, 128);
    exact.add(ids('one', 1)[0]!);
    exact.markComplete();
    assert.equal(exact.answering, true);
    const tooSmall = new TxIdFilter({ expectedIds: 100, maxBytes: 127 });
    assert.equal(tooSmall.bytes, 0);
    tooSmall.markComplete();
    assert.equal(tooSmall.answering, false, 'no filter: every id is a "maybe"');
  });

  it('starts a filter for an empty log at its smallest segment, 32 bits, and grows from there', () => {
    const filter = new TxIdFilter({ expectedIds: 0, maxBytes: 1 << 20 });
    assert.equal(filter.bytes, 4);
    const added = ids('first', 100);
    for (const txId of added) filter.add(txId);
    filter.markComplete();
    assert.equal(countAbsent(filter, added), 0);
    assert.ok(filter.bytes > 4);
  });

  it('never calls an added id absent, and grows past its first segment', () => {
    const filter = new TxIdFilter({ expectedIds: 100, maxBytes: 1 << 20 });
    const firstBytes = filter.bytes;
    const added = ids('added', 50_000);
    for (const txId of added) filter.add(txId);
    filter.markComplete();
    assert.equal(countAbsent(filter, added), 0);
    assert.equal(filter.countIds, 50_000);
    assert.ok(filter.bytes > 16 * firstBytes, `grew from ${firstBytes} to ${filter.bytes} bytes`);
    // Each segment is sized for 10 or more bits an id; across the grown segments false "maybe"
    // answers stay under 2% (the ids are fixed, so the count is too: 298 of 20,000; setting an
    // eighth bit per id, one more than the seven the lookups read, made it 540).
    const absent = ids('absent', 20_000);
    const falseMaybe = absent.length - countAbsent(filter, absent);
    assert.ok(falseMaybe < 400, `${falseMaybe} of 20,000 absent ids answered "maybe"`);
  });

  it('keeps false "maybe" answers near 1% when sized for its ids', () => {
    const filter = new TxIdFilter({ expectedIds: 10_000, maxBytes: 1 << 20 });
    for (const txId of ids('added', 10_000)) filter.add(txId);
    filter.markComplete();
    const absent = ids('absent', 100_000);
    const falseMaybe = absent.length - countAbsent(filter, absent);
    assert.ok(falseMaybe < 1000, `${falseMaybe} of 100,000 absent ids answered "maybe"`);
  });

  it('switches itself off at its memory bound instead of dropping an id', () => {
    const filter = new TxIdFilter({ expectedIds: 10, maxBytes: 256 });
    filter.markComplete();
    const added = ids('added', 1000);
    for (const txId of added) filter.add(txId);
    assert.equal(filter.answering, false);
    assert.equal(filter.bytes, 0);
    assert.equal(countAbsent(filter, added), 0);
    assert.equal(countAbsent(filter, ids('absent', 100)), 0, 'off: every answer is "maybe"');
  });

  it('never grows by a segment smaller than the last one: it switches off instead', () => {
    // A first segment of 128 bits (16 bytes, 12 ids). Another 128 would make 32 bytes, one over
    // the bound; 64 bits would fit, but a segment smaller than the last is never added.
    const filter = new TxIdFilter({ expectedIds: 10, maxBytes: 31 });
    filter.markComplete();
    const added = ids('added', 13);
    for (const txId of added) filter.add(txId);
    assert.equal(filter.answering, false);
    assert.equal(filter.bytes, 0);
  });

  it('grows by less than 4x when 4x would not fit its bound, before it switches off', () => {
    // A first segment of 1,024 bits (128 bytes, 102 ids); 4x more would pass 384 bytes, 2x does not.
    const filter = new TxIdFilter({ expectedIds: 100, maxBytes: 384 });
    filter.markComplete();
    const added = ids('added', 103);
    for (const txId of added) filter.add(txId);
    assert.equal(filter.bytes, 384, 'a second segment of 2,048 bits');
    assert.equal(filter.answering, true);
    assert.equal(countAbsent(filter, added), 0);
    for (const txId of ids('more', 200)) filter.add(txId);
    assert.equal(filter.answering, false, 'nothing fits after the second segment');
  });

  it('has no filter at all when the log at open is past its memory bound', () => {
    // 100 million ids at 10 bits would need 2^30 bits (128 MiB): refused before allocating.
    const before = process.memoryUsage().arrayBuffers;
    const filter = new TxIdFilter({ expectedIds: 100_000_000, maxBytes: 64 * 1024 * 1024 });
    const allocatedBytes = process.memoryUsage().arrayBuffers - before;
    assert.ok(allocatedBytes < 1024 * 1024, `allocated ${allocatedBytes} bytes for a filter it refused`);
    assert.equal(filter.bytes, 0);
    filter.markComplete();
    assert.equal(filter.answering, false);
    filter.add(sha256(utf8('any')));
    assert.equal(filter.definitelyAbsent(sha256(utf8('other'))), false);
  });

  it('answers "maybe" for an id that is not 32 bytes, and refuses to add one', () => {
    const filter = new TxIdFilter({ expectedIds: 10, maxBytes: 1 << 20 });
    filter.markComplete();
    assert.equal(filter.definitelyAbsent(new Uint8Array(31)), false);
    assert.equal(filter.definitelyAbsent(new Uint8Array(0)), false);
    assert.equal(filter.definitelyAbsent(new Uint8Array(32)), true);
    assert.throws(() => filter.add(new Uint8Array(33)), /32 bytes/);
  });

  it('reads ids at any offset of a shared buffer', () => {
    const filter = new TxIdFilter({ expectedIds: 10, maxBytes: 1 << 20 });
    filter.markComplete();
    const txId = sha256(utf8('offset'));
    const shared = new Uint8Array(100);
    shared.set(txId, 37);
    filter.add(shared.subarray(37, 69));
    assert.equal(filter.definitelyAbsent(txId), false);
  });
});

describe('LedgerStore committed-id filter', () => {
  const t = useTestStore('bayledger-txids-');

  /** Commits `blocks` blocks of `txsPerBlock` transactions; returns their ids. */
  async function commitBlocks(blocks: number, txsPerBlock: number): Promise<Uint8Array[]> {
    const committed: Uint8Array[] = [];
    for (let b = 0; b < blocks; b++) {
      const parts = fakeBlock(t.store, txBytes(t.store.height + 1, txsPerBlock), []);
      await t.store.commitBlock(parts.block, parts.certificate, parts.applied);
      committed.push(...parts.applied.txIds);
    }
    return committed;
  }

  it('finds every id stored before it opened once its scan is done, and only those', async () => {
    const committed = await commitBlocks(25, 200);
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    assert.equal(t.store.txIdFilterState.state, 'unfilled');
    assert.ok(
      committed.every((txId) => t.store.hasTx(txId)),
      'unfilled: LevelDB answers',
    );
    await t.store.fillTxIdFilter();
    assert.equal(t.store.txIdFilterState.state, 'answering');
    assert.ok(
      committed.every((txId) => t.store.hasTx(txId)),
      'a committed id reported absent',
    );
    const absent = ids('never committed', 5000);
    assert.ok(absent.every((txId) => !t.store.hasTx(txId)));
    const last = committed[committed.length - 1]!;
    assert.equal((await t.store.readTx(last))?.leafIndex, 4999);
    assert.equal(await t.store.readTx(absent[0]!), undefined);
  });

  it('finds ids committed before and while its scan runs', async () => {
    await commitBlocks(20, 200);
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    const beforeScan = await commitBlocks(2, 100);
    const scan = t.store.fillTxIdFilter();
    assert.equal(t.store.txIdFilterState.state, 'scanning');
    // The scan's iterator reads the store as it was when the scan started, so these ids reach the
    // filter only through commitBlock.
    const during = await commitBlocks(3, 100);
    await scan;
    assert.equal(t.store.txIdFilterState.state, 'answering');
    assert.ok(
      beforeScan.every((txId) => t.store.hasTx(txId)),
      'an id committed before the scan reported absent',
    );
    assert.ok(
      during.every((txId) => t.store.hasTx(txId)),
      'an id committed during the scan reported absent',
    );
    const after = await commitBlocks(2, 100);
    assert.ok(after.every((txId) => t.store.hasTx(txId)));
  });

  it('starts one scan however often it is asked, and none once the store is closing', async () => {
    const committed = await commitBlocks(3, 50);
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    const first = t.store.fillTxIdFilter();
    assert.equal(t.store.fillTxIdFilter(), first, 'the scan already running');
    await first;
    assert.equal(t.store.txIdFilterState.state, 'answering');
    assert.ok(committed.every((txId) => t.store.hasTx(txId)));
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    const closing = t.store.close();
    await t.store.fillTxIdFilter();
    await closing;
    assert.equal(t.store.txIdFilterState.state, 'unfilled', 'no scan of a closing store');
    t.store = await LedgerStore.open(t.directory);
  });

  it("reports 'failed', with why, when its scan cannot read a stored block, and keeps answering from LevelDB", async () => {
    const committed = await commitBlocks(3, 50);
    await t.store.close();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(t.directory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.put(blockKey(1), Uint8Array.of(0xff));
    await db.close();
    t.store = await LedgerStore.open(t.directory);
    await t.store.fillTxIdFilter();
    const state = t.store.txIdFilterState;
    assert.equal(state.state, 'failed');
    assert.match(state.detail ?? '', /height 1/);
    assert.ok(
      committed.slice(100).every((txId) => t.store.hasTx(txId)),
      'ids of intact blocks still found',
    );
  });

  it('answers like the id index from a store that was empty at open', async () => {
    await t.store.fillTxIdFilter();
    assert.equal(t.store.txIdFilterState.state, 'answering');
    const committed = await commitBlocks(5, 50);
    assert.ok(committed.every((txId) => t.store.hasTx(txId)));
    assert.ok(ids('never committed', 1000).every((txId) => !t.store.hasTx(txId)));
    assert.equal(t.store.hasTx(new Uint8Array(5)), false, 'a malformed id goes to LevelDB and is not found');
  });

  it('closes cleanly while its scan is running, and opens again', async () => {
    const committed = await commitBlocks(20, 200);
    await t.store.close();
    t.store = await LedgerStore.open(t.directory);
    const scan = t.store.fillTxIdFilter();
    await t.store.close();
    await scan;
    t.store = await LedgerStore.open(t.directory);
    await t.store.fillTxIdFilter();
    assert.equal(t.store.txIdFilterState.state, 'answering');
    assert.ok(committed.every((txId) => t.store.hasTx(txId)));
  });

  it("is 'off' when its first segment does not fit the bound, and LevelDB answers every check", async () => {
    const committed = await commitBlocks(3, 50);
    await t.store.close();
    // The first segment holds LIMITS.txIdFilterMinimumIds ids at 10 bits: 128 KiB.
    t.store = await LedgerStore.open(t.directory, { txIdFilterMaxBytes: 128 * 1024 - 1 });
    assert.deepEqual(t.store.txIdFilterState, { state: 'off', bytes: 0 });
    await t.store.fillTxIdFilter();
    assert.deepEqual(t.store.txIdFilterState, { state: 'off', bytes: 0 }, 'a scan does not turn it on');
    const more = await commitBlocks(2, 50);
    assert.ok([...committed, ...more].every((txId) => t.store.hasTx(txId)));
    assert.ok(ids('never committed', 1000).every((txId) => !t.store.hasTx(txId)));
  });

  it("switches itself 'off' when it would grow past the bound, and LevelDB answers every check", async () => {
    await t.store.close();
    t.store = await LedgerStore.open(t.directory, { txIdFilterMaxBytes: 128 * 1024 });
    await t.store.fillTxIdFilter();
    assert.deepEqual(t.store.txIdFilterState, { state: 'answering', bytes: 128 * 1024 });
    // The 128-KiB segment holds exactly 104,857 ids at 10 bits; the next id needs a segment that cannot fit.
    const committed = [...(await commitBlocks(20, 5_000)), ...(await commitBlocks(1, 4_857))];
    assert.deepEqual(t.store.txIdFilterState, { state: 'answering', bytes: 128 * 1024 });
    committed.push(...(await commitBlocks(1, 1)));
    assert.deepEqual(t.store.txIdFilterState, { state: 'off', bytes: 0 });
    assert.ok(committed.every((txId) => t.store.hasTx(txId)));
    assert.ok(ids('never committed', 1000).every((txId) => !t.store.hasTx(txId)));
  });
});
