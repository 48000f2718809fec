// DirectAppender (src/node/transfer/direct-appender.ts): sequential writes staged in aligned
// memory and written with O_DIRECT must leave exactly the bytes written, at every flush, whatever
// the piece sizes, and continue a file from an unaligned offset (a resumed transfer). Real files
// in a temporary folder; where the file system refuses O_DIRECT the same checks cover the fallback.
import { strict as assert } from 'node:assert';
import { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LIMITS } from '../../src/core/limits.js';
import {
  DIRECT_IO_ALIGN_BYTES,
  DirectAppender,
  openDirect,
} from '../../src/node/transfer/direct-appender.js';
import { directIoAllowed } from '../helpers/direct-io.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('transfer: DirectAppender (O_DIRECT item writes)', () => {
  const temp = useTempDir('bayledger-direct-');
  const opened: number[] = [];

  afterEach(() => {
    for (const fd of opened.splice(0)) closeSync(fd);
  });

  async function appenderFor(file: string): Promise<DirectAppender> {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    opened.push(fd);
    const directFd = await openDirect(file);
    if (directFd !== undefined) opened.push(directFd);
    return new DirectAppender(fd, directFd);
  }

  it('leaves exactly the bytes written at every flush, for random piece sizes', async () => {
    const random = seededRandom(7);
    const file = path.join(temp.path, 'item.bin');
    writeFileSync(file, '');
    const appender = await appenderFor(file);
    assert.equal(
      appender.direct,
      directIoAllowed(temp.path),
      'O_DIRECT is used wherever the file system allows it',
    );
    const total = 3 * LIMITS.directWriteStageBytes + 12_345;
    const expected = new Uint8Array(total);
    for (let i = 0; i < total; i++) expected[i] = Math.floor(random() * 256);
    let at = 0;
    while (at < total) {
      // Pieces from 1 byte to a little over a stage, a few of them per write.
      const pieces: Uint8Array[] = [];
      let end = at;
      for (let n = 1 + Math.floor(random() * 3); n > 0 && end < total; n--) {
        const size = Math.min(total - end, 1 + Math.floor(random() * (LIMITS.directWriteStageBytes + 5_000)));
        pieces.push(expected.slice(end, end + size));
        end += size;
      }
      await appender.write(at, pieces);
      at = end;
      if (random() < 0.4) {
        await appender.flush();
        assert.deepEqual(
          new Uint8Array(readFileSync(file)),
          expected.subarray(0, at),
          `after a flush at ${at}`,
        );
      }
    }
    await appender.flush();
    assert.deepEqual(new Uint8Array(readFileSync(file)), expected);
  });

  it('continues a file from an unaligned offset, keeping the bytes before it', async () => {
    const file = path.join(temp.path, 'resumed.bin');
    const before = new Uint8Array(DIRECT_IO_ALIGN_BYTES * 2 + 1_000).fill(0xab);
    // Bytes past the resume point (written but never made durable by the earlier run) are replaced.
    writeFileSync(file, Buffer.concat([before, Buffer.alloc(5_000, 0xee)]));
    const appender = await appenderFor(file);
    const rest = new Uint8Array(DIRECT_IO_ALIGN_BYTES + 77).fill(0x11);
    await appender.write(before.byteLength, [rest.subarray(0, 50), rest.subarray(50)]);
    await appender.flush();
    const expected = Buffer.concat([before, rest]);
    // The stale bytes past the new end are cut off with the padding (the file ends where writing did).
    assert.deepEqual(readFileSync(file), expected);
    // A flush with nothing new changes nothing; writes must continue where the last one ended.
    await appender.flush();
    await assert.rejects(appender.write(0, [new Uint8Array(1)]), /append at 0/);
  });

  it('a stage handed on to the next appender carries nothing of the previous file', async () => {
    const first = path.join(temp.path, 'first.bin');
    const second = path.join(temp.path, 'second.bin');
    writeFileSync(first, '');
    writeFileSync(second, '');
    const one = await appenderFor(first);
    await one.write(0, [new Uint8Array(LIMITS.directWriteStageBytes + 5_000).fill(0xaa)]);
    await one.flush();
    one.release();
    await assert.rejects(
      one.write(LIMITS.directWriteStageBytes + 5_000, [new Uint8Array(1)]),
      /after release/,
    );
    const two = await appenderFor(second);
    await two.write(0, [new Uint8Array(3_000).fill(0x55)]);
    await two.flush();
    assert.deepEqual(new Uint8Array(readFileSync(second)), new Uint8Array(3_000).fill(0x55));
    assert.equal(readFileSync(first).byteLength, LIMITS.directWriteStageBytes + 5_000);
  });

  /**
   * A descriptor the kernel refuses writes to with EINVAL, standing in for an O_DIRECT descriptor
   * whose open succeeded but whose writes are refused (no file system here does that):
   * /proc/self/oom_score_adj refuses anything that does not parse as a number, and the bytes
   * written below (0xff) never do, so the process's OOM score is never changed.
   */
  function refusingDescriptor(): number {
    const fd = openSync('/proc/self/oom_score_adj', constants.O_WRONLY);
    opened.push(fd);
    return fd;
  }

  /** A new empty file `name` and an ordinary read-write descriptor of it (closed after each test). */
  function emptyFile(name: string): { file: string; fd: number } {
    const file = path.join(temp.path, name);
    writeFileSync(file, '');
    const fd = openSync(file, constants.O_RDWR, 0o600);
    opened.push(fd);
    return { file, fd };
  }

  it('falls back for good when an O_DIRECT write is refused at a flush', async () => {
    const { file, fd } = emptyFile('refused-at-flush.bin');
    const appender = new DirectAppender(fd, refusingDescriptor());
    assert.equal(appender.direct, true);
    const bytes = new Uint8Array(10_000).fill(0xff);
    await appender.write(0, [bytes.subarray(0, 6_000)]);
    await appender.flush();
    assert.equal(appender.direct, false, 'the refused descriptor is not used again');
    assert.deepEqual(new Uint8Array(readFileSync(file)), bytes.subarray(0, 6_000));
    await appender.write(6_000, [bytes.subarray(6_000)]);
    await appender.flush();
    assert.deepEqual(new Uint8Array(readFileSync(file)), bytes);
  });

  it('falls back for good when an O_DIRECT write is refused with a full stage, mid-piece', async () => {
    const { file, fd } = emptyFile('refused-mid-piece.bin');
    const appender = new DirectAppender(fd, refusingDescriptor());
    const total = 2 * LIMITS.directWriteStageBytes + 3_000;
    const bytes = new Uint8Array(total).fill(0xff);
    // Distinct bytes at the seams, so a piece written at the wrong offset shows.
    for (const at of [0, LIMITS.directWriteStageBytes - 1, LIMITS.directWriteStageBytes, total - 1]) {
      bytes[at] = 0xfe;
    }
    await appender.write(0, [bytes.subarray(0, 100), bytes.subarray(100)]);
    assert.equal(appender.direct, false);
    await appender.flush();
    assert.deepEqual(new Uint8Array(readFileSync(file)), bytes);
  });

  it('writes through the ordinary descriptor when there is no O_DIRECT one', async () => {
    const { file, fd } = emptyFile('plain.bin');
    const appender = new DirectAppender(fd, undefined);
    assert.equal(appender.direct, false);
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    await appender.write(0, [bytes.subarray(0, 3)]);
    await appender.write(3, [bytes.subarray(3)]);
    await appender.flush();
    assert.deepEqual(new Uint8Array(readFileSync(file)), bytes);
  });
});
