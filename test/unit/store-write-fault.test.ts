// A store whose disk fails (src/node/store/write-fault.ts): the first failed block or WAL write is
// latched as STORE_FAILED naming the folder, the write and the system's words; every later write
// is refused without touching the disk; whoever listens is told once. The failing disk here is
// real: the WAL file is a link to /dev/full, where every write fails with ENOSPC as on a full
// disk. A full LevelDB, in real node processes, is test/e2e/disk-full.test.ts's.
import { strict as assert } from 'node:assert';
import { symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { BayledgerError } from '../../src/core/errors.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { WAL_FILE_NAME } from '../../src/node/store/wal.js';
import { WriteFaultLatch } from '../../src/node/store/write-fault.js';
import { fakeBlock, txBytes, useTestStore } from '../helpers/fake-block.js';
import { rejectsWith } from '../helpers/rejects.js';

const ADVICE =
  '; the node stops. Free space or repair the disk, then start the node again: every block it committed is kept';

describe('store write faults', () => {
  describe('WriteFaultLatch', () => {
    it('runs writes while they succeed and tells nobody', async () => {
      const latch = new WriteFaultLatch('/data');
      const heard: BayledgerError[] = [];
      latch.onFault((fault) => heard.push(fault));
      let runs = 0;
      await latch.write('write block 1', () => {
        runs++;
      });
      await latch.write('write block 2', async () => {
        runs++;
      });
      assert.deepEqual([runs, heard, latch.fault], [2, [], undefined]);
    });

    it('latches the first failure as STORE_FAILED, tells each listener once, and runs no later write', async () => {
      const latch = new WriteFaultLatch('/data');
      const heard: string[] = [];
      latch.onFault((fault) => heard.push(`first: ${fault.message}`));
      latch.onFault((fault) => heard.push(`second: ${fault.code}`));
      const expected = `/data: could not write block 3: ENOSPC: no space left on device${ADVICE}`;
      await rejectsWith(
        latch.write('write block 3', () => {
          throw new Error('ENOSPC: no space left on device');
        }),
        'STORE_FAILED',
        expected,
      );
      assert.deepEqual(heard, [`first: ${expected}`, 'second: STORE_FAILED']);
      let ran = false;
      await rejectsWith(
        latch.write('append a consensus WAL record for height 4', () => {
          ran = true;
        }),
        'STORE_FAILED',
        expected,
      );
      assert.equal(ran, false, 'a write after the fault never reaches the disk');
      // A listener that comes late hears the fault at once; the early ones hear nothing more.
      latch.onFault((fault) => heard.push(`late: ${fault.where}`));
      assert.deepEqual(heard, [`first: ${expected}`, 'second: STORE_FAILED', 'late: /data']);
      assert.equal(latch.fault?.message, expected);
    });

    it('keeps the first of two writes that fail together, and tells the listener once', async () => {
      const latch = new WriteFaultLatch('/data');
      const heard: string[] = [];
      latch.onFault((fault) => heard.push(fault.message));
      const failing = (words: string) => async () => {
        await Promise.resolve();
        throw new Error(words);
      };
      const first = latch.write('write block 7', failing('EIO'));
      const second = latch.write('clear the consensus WAL up to height 6', failing('EROFS'));
      const expected = `/data: could not write block 7: EIO${ADVICE}`;
      await rejectsWith(first, 'STORE_FAILED', expected);
      await rejectsWith(second, 'STORE_FAILED', expected);
      assert.deepEqual(heard, [expected]);
    });
  });

  describe('LedgerStore on a disk that is full', () => {
    const test = useTestStore('bayledger-write-fault-');

    it('a WAL append that fails stops every later write, and the reopened store has lost nothing', async () => {
      const store = test.store;
      const first = fakeBlock(store, txBytes(1, 3), []);
      await store.commitBlock(first.block, first.certificate, first.applied);
      const heard: BayledgerError[] = [];
      store.onWriteFault((fault) => heard.push(fault));
      // The WAL file is created at the first append (none was made yet): make it a full disk.
      const walPath = path.join(test.directory, WAL_FILE_NAME);
      await symlink('/dev/full', walPath);
      const words = new RegExp(
        `^${test.directory}: could not append a consensus WAL record for height 2: ENOSPC: no space left on device, write; the node stops`,
      );
      await rejectsWith(store.walAppend(2, new Uint8Array([4, 5, 6])), 'STORE_FAILED', words);
      assert.equal(heard.length, 1);
      assert.match(heard[0]!.message, words);
      // The next block is refused with the same fault, and nothing of it is written.
      const second = fakeBlock(store, txBytes(2, 3), []);
      await rejectsWith(
        store.commitBlock(second.block, second.certificate, second.applied),
        'STORE_FAILED',
        words,
      );
      await rejectsWith(store.walClear(2), 'STORE_FAILED', words);
      assert.equal(store.height, 1);
      assert.equal(heard.length, 1, 'told once');

      // With the disk repaired, the store opens at the block it had committed and takes the next.
      await unlink(walPath);
      await reopen(test);
      assert.equal(test.store.height, 1);
      assert.deepEqual(await test.store.walRead(), []);
      await test.store.commitBlock(second.block, second.certificate, second.applied);
      assert.equal(test.store.height, 2);
    });
  });
});

/** Closes the test's store and opens its folder again. */
async function reopen(test: { readonly directory: string; store: LedgerStore }): Promise<void> {
  await test.store.close();
  test.store = await LedgerStore.open(test.directory);
}
