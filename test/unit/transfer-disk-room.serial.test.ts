// Room on the disk for payloads (src/node/transfer-service/disk-room.ts): the free bytes statfs
// reports, and the refusals of a hospital's uploads that would leave less than the ledger's
// reserve: a sealed upload before any of its body is read, a streamed one before its first byte
// and again once the disk runs short mid-stream; each keeps nothing. The disks are real (the
// temporary folder's); a reserve larger than the disk stands for a full one. The recipient's side
// is in transfer-service-payload.serial.test.ts.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LIMITS } from '../../src/core/limits.js';
import { payloadKeyFor } from '../../src/node/transfer-service/declare.js';
import { DiskRoom } from '../../src/node/transfer-service/disk-room.js';
import {
  createServiceFolders,
  type ServiceFolders,
  serviceFolders,
} from '../../src/node/transfer-service/folders.js';
import { stageSealedUpload, stageUpload } from '../../src/node/transfer-service/uploads.js';
import { testGenesis } from '../helpers/fixtures.js';
import { rejectsWith } from '../helpers/rejects.js';

const net = testGenesis();
const ADVICE = ': free space on the node and try again';

/** Bytes of the disk holding `directory`, free or not. */
async function diskBytes(directory: string): Promise<number> {
  const { blocks, bsize } = await statfs(directory);
  return blocks * bsize;
}

/** A body that counts how many of its pieces were read. */
function countedBody(pieces: readonly Uint8Array[]): { body: AsyncIterable<Uint8Array>; read: () => number } {
  let read = 0;
  return {
    body: (async function* () {
      for (const piece of pieces) {
        read++;
        yield piece;
      }
    })(),
    read: () => read,
  };
}

describe('transfer service: room on the disk for payloads', () => {
  let dir: string;
  let folders: ServiceFolders;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-disk-room-'));
    folders = serviceFolders({ dataDir: path.join(dir, 'hku-szh', 'data') });
    await createServiceFolders(folders);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Every file and folder the uploads left, outbox and staged uploads included. */
  const leftovers = async () => [
    ...(await readdir(folders.outboxDir)).filter((name) => name !== path.basename(folders.uploadsDir)),
    ...(await readdir(folders.uploadsDir)),
  ];

  it('reads the free bytes from statfs, and fits what leaves the reserve free', async () => {
    const { bavail, bsize } = await statfs(dir);
    const room = new DiskRoom(dir, 0);
    const free = await room.freeBytes();
    assert.ok(free > 0 && free <= (await diskBytes(dir)), `${free} bytes free`);
    // Others may write meanwhile; the figure is statfs's own, within 1,024 blocks.
    assert.ok(Math.abs(free - bavail * bsize) <= 1024 * bsize);
    assert.equal((await room.check(0)).ok, true);
    const over = await new DiskRoom(dir, free + 1024 * 1024 * 1024).check(5);
    assert.equal(over.ok, false);
    assert.match(
      over.reason,
      new RegExp(
        `^needs 5 bytes; the node's disk has \\d+ free, of which ${free + 1024 * 1024 * 1024} are kept for its ledger$`,
      ),
    );
  });

  it('counts the room claimed by writes under way as taken, until they release it', async () => {
    // A reserve 100 MiB below what is free: two claims of 60 MiB cannot both fit, one can (the
    // 40 MiB margins dwarf what anything else writes meanwhile).
    const MIB = 1024 * 1024;
    const free = await new DiskRoom(dir, 0).freeBytes();
    assert.ok(free > 200 * MIB, 'the test needs 200 MiB free');
    const room = new DiskRoom(dir, free - 100 * MIB);
    // Asked at once, as two fetches approved in one block ask: exactly one gets the room.
    const [first, second] = await Promise.all([room.claim(60 * MIB), room.claim(60 * MIB)]);
    assert.deepEqual([first.verdict.ok, second.verdict.ok].sort(), [false, true]);
    const [granted, refused] = first.verdict.ok ? [first, second] : [second, first];
    assert.equal(room.claimedBytes, 60 * MIB);
    assert.match(
      refused.verdict.reason,
      new RegExp(`and ${60 * MIB} are claimed by payload fetches under way$`),
    );
    assert.equal((await room.check(60 * MIB)).ok, false, 'a check counts the claim too');
    refused.release(); // holds nothing
    assert.equal(room.claimedBytes, 60 * MIB);
    granted.release();
    granted.release(); // idempotent
    assert.equal(room.claimedBytes, 0);
    const again = await room.claim(60 * MIB);
    assert.equal(again.verdict.ok, true);
    again.release();
  });

  it('refuses a sealed upload that would leave less than the reserve before reading any of it', async () => {
    const reserve = (await diskBytes(dir)) + 1;
    const sizes = [3_000_000, 40_000];
    const { body, read } = countedBody([randomBytes(3_040_000)]);
    await rejectsWith(
      stageSealedUpload({
        uploadsDir: folders.uploadsDir,
        outboxDir: folders.outboxDir,
        key: payloadKeyFor(net.genesis, 'ehealth-hk'),
        sizes,
        body,
        room: new DiskRoom(dir, reserve),
      }),
      'INSUFFICIENT_STORAGE',
      // The items, a head of 33 bytes, and a 16-byte tag for each of three 1 MiB chunks.
      new RegExp(
        `^sealing 2 items \\(3040081 bytes\\) needs 3040081 bytes; the node's disk has \\d+ free, of which ${reserve} are kept for its ledger${ADVICE}$`,
      ),
    );
    assert.equal(read(), 0, 'no byte of the body was read');
    assert.deepEqual(await leftovers(), []);
  });

  it('refuses a streamed upload before its first byte, and mid-stream once the disk runs short', async () => {
    const upload = (room: DiskRoom, pieces: readonly Uint8Array[]) => {
      const counted = countedBody(pieces);
      return { staged: stageUpload(folders.uploadsDir, counted.body, room), read: counted.read };
    };
    const full = upload(new DiskRoom(dir, (await diskBytes(dir)) + 1), [randomBytes(10)]);
    await rejectsWith(
      full.staged,
      'INSUFFICIENT_STORAGE',
      new RegExp(
        `^the next part of an upload needs ${LIMITS.diskRoomCheckBytes} bytes; the node's disk has \\d+ free`,
      ),
    );
    assert.equal(full.read(), 0);
    assert.deepEqual(await leftovers(), []);

    // Room for the first check's LIMITS.diskRoomCheckBytes and half as much again: once those are
    // written, the second check finds too little for the next ones.
    const free = await new DiskRoom(dir, 0).freeBytes();
    const piece = randomBytes(LIMITS.diskRoomCheckBytes / 4);
    const short = upload(new DiskRoom(dir, free - 1.5 * LIMITS.diskRoomCheckBytes), Array(8).fill(piece));
    await rejectsWith(
      short.staged,
      'INSUFFICIENT_STORAGE',
      /^the next part of an upload needs \d+ bytes; the node's disk has/,
    );
    assert.equal(short.read(), 4, 'refused right after the first check-sized part');
    assert.deepEqual(await leftovers(), []);
  });
});
