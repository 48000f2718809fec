// A recipient node's spare item-write worker (src/node/transfer/item-write-spare.ts): a receive
// takes it loaded and files the same bytes with it, a size it was not made for gets a worker of
// its own, nothing is started after close, and a waiting spare never keeps a process alive.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '../../src/core/bytes.js';
import { LIMITS } from '../../src/core/limits.js';
import { INBOX_MANIFEST_FILE } from '../../src/node/transfer/filing.js';
import { ItemWriteWorker } from '../../src/node/transfer/item-write-pool.js';
import { ItemWriteWorkerSpare } from '../../src/node/transfer/item-write-spare.js';
import { PayloadReceiver } from '../../src/node/transfer/receiver.js';
import { LIVE_CHILDREN, trackChild } from '../helpers/child.js';
import { deliver, receiverOptions, sealFixture, sha256, withTempDir } from './payload-harness.js';

const SMALL_CHUNK = 256;
const SLOTS = 2;

describe('the spare item-write worker of a recipient node', () => {
  it('hands a receive its loaded worker, which files every item unchanged, and is replenished after', async () => {
    // LIMITS.payloadReceiveChunksInFlight slots of the payload's chunk size: the shape a sink asks.
    const spare = new ItemWriteWorkerSpare(LIMITS.payloadReceiveChunksInFlight, SMALL_CHUNK);
    try {
      await withTempDir(async (dir) => {
        const fixture = await sealFixture(dir, [9000, 0, 700], { chunkBytes: SMALL_CHUNK });
        const receiver = await PayloadReceiver.open(
          receiverOptions(fixture, { itemsOnWorker: true, itemWorkerSpare: spare }),
        );
        // Closed whatever happens: a receive left open keeps its worker, and this process, alive.
        try {
          assert.equal(spare.holding, false, 'the receive took the spare');
          const outcome = await deliver(fixture, { receiver });
          assert.equal(await receiver.itemsOnWorker(), true, 'the items went to the worker');
          assert.equal(outcome.status, 'delivered', JSON.stringify(outcome));
          if (outcome.status !== 'delivered') return;
          const manifest = JSON.parse(
            await readFile(path.join(outcome.directory, INBOX_MANIFEST_FILE), 'utf8'),
          );
          assert.equal(manifest.items.length, 3);
          for (const [index, item] of manifest.items.entries()) {
            assert.equal(item.digest, toHex(sha256(fixture.contents[index]!)));
            const filed = await readFile(path.join(outcome.directory, item.file));
            assert.ok(Buffer.from(fixture.contents[index]!).equals(filed), `item ${index} differs`);
          }
        } finally {
          await receiver.close();
        }
        spare.replenish();
        assert.equal(spare.holding, true, 'a new spare after the receive');
      });
    } finally {
      await spare.close();
    }
  });

  it('gives a worker loaded ahead to the first taker, and starts one for a slot size it was not made for', async () => {
    const spare = new ItemWriteWorkerSpare(SLOTS, SMALL_CHUNK);
    try {
      // Loaded before anyone asks: the worker handed over says so without starting anything.
      const taken = spare.take(SLOTS, SMALL_CHUNK);
      assert.equal(spare.holding, false);
      assert.equal(await taken.whenReady(), true);
      await taken.close();
      spare.replenish();
      assert.equal(spare.holding, true);
      const other = spare.take(SLOTS, SMALL_CHUNK * 2);
      assert.equal(spare.holding, true, 'the spare is kept for a payload of its own chunk size');
      assert.equal(await other.whenReady(), true);
      await other.close();
    } finally {
      await spare.close();
    }
  });

  it('never hands out a spare that failed while it waited, and starts nothing once closed', async () => {
    // The first worker started (the spare) is stopped at once, as a worker that died while idle.
    const started: ItemWriteWorker[] = [];
    const spare = new ItemWriteWorkerSpare(SLOTS, SMALL_CHUNK, (count, bytes) => {
      const worker = ItemWriteWorker.start(count, bytes);
      started.push(worker);
      return worker;
    });
    await started[0]!.close();
    assert.equal(started[0]!.failed, true, 'a stopped worker counts as failed');
    const first = spare.take(SLOTS, SMALL_CHUNK);
    assert.notEqual(first, started[0], 'the failed spare is not handed out');
    assert.equal(first.failed, false);
    assert.equal(await first.whenReady(), true);
    await first.close();
    spare.replenish();
    await spare.close();
    assert.equal(spare.holding, false);
    spare.replenish();
    assert.equal(spare.holding, false, 'nothing replenished after close');
    const own = spare.take(SLOTS, SMALL_CHUNK);
    assert.equal(own.failed, false);
    assert.equal(await own.whenReady(), true);
    await own.close();
  });

  it('lets a process whose spare waits for work end by itself', async function () {
    this.timeout(60_000);
    const script = [
      "import { ItemWriteWorkerSpare } from './src/node/transfer/item-write-spare.ts';",
      `const spare = new ItemWriteWorkerSpare(${SLOTS}, ${SMALL_CHUNK});`,
      "console.log(spare.holding ? 'holding' : 'empty');",
    ].join('\n');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = trackChild(
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the process did not end by itself within 45 s: ${output}`));
      }, 45_000);
      child.once('exit', (exitCode) => {
        clearTimeout(deadline);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, output);
    assert.equal(output.trim(), 'holding');
    assert.equal(LIVE_CHILDREN.has(child), false);
  });
});
