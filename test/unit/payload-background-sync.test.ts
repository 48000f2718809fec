// BackgroundSync (src/node/transfer/background-sync.ts): the sealer's output is flushed in the
// background as it grows, one fdatasync at a time, and `finish` still fsyncs the whole file after
// the last write and reports any background failure.
import { strict as assert } from 'node:assert';
import { BackgroundSync, type SyncableFile } from '../../src/node/transfer/background-sync.js';

/** A file whose flushes are counted and finish only when the test says so. */
class FakeFile implements SyncableFile {
  datasyncs = 0;
  syncs = 0;
  readonly #pending: Array<{ resolve(): void; reject(error: Error): void }> = [];

  datasync(): Promise<void> {
    this.datasyncs++;
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  async sync(): Promise<void> {
    this.syncs++;
  }

  get running(): number {
    return this.#pending.length;
  }

  complete(error?: Error): void {
    const next = this.#pending.shift()!;
    if (error === undefined) next.resolve();
    else next.reject(error);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('payload: background sync of the sealed output', () => {
  it('starts an fdatasync once enough bytes were written, never two at once', async () => {
    const file = new FakeFile();
    const syncer = new BackgroundSync(file, 100);
    syncer.written(60);
    assert.equal(file.datasyncs, 0, 'under the threshold: nothing yet');
    syncer.written(60);
    assert.equal(file.datasyncs, 1, 'over the threshold: one background sync');
    syncer.written(500);
    assert.equal(file.datasyncs, 1, 'one at a time: the running sync is not doubled');
    file.complete();
    await settle();
    syncer.written(99);
    assert.equal(file.datasyncs, 2, 'the bytes that waited start the next one');
    file.complete();
    await settle();
    syncer.written(10);
    assert.equal(file.datasyncs, 2, 'the count restarted with that sync');
  });

  it('finish waits for a running sync, then fsyncs the whole file', async () => {
    const file = new FakeFile();
    const syncer = new BackgroundSync(file, 10);
    syncer.written(10);
    let finished = false;
    const finishing = syncer.finish().then(() => {
      finished = true;
    });
    await settle();
    assert.deepEqual([finished, file.syncs], [false, 0], 'the final fsync waits for the running one');
    file.complete();
    await finishing;
    assert.deepEqual([file.datasyncs, file.syncs], [1, 1]);
  });

  it('finish reports a background failure, even one that ended long before', async () => {
    const file = new FakeFile();
    const syncer = new BackgroundSync(file, 10);
    syncer.written(10);
    file.complete(new Error('EIO'));
    await settle();
    syncer.written(5);
    await assert.rejects(syncer.finish(), /EIO/);
    assert.equal(file.syncs, 0, 'nothing is reported durable after a failed flush');
    await syncer.settle();
  });
});
