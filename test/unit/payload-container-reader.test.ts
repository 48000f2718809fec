// Sealing's file source (container-reader.ts): the head first, then each item file, hashed on
// the way; a path that is not a regular file, or a file that changes size while it is read, is
// refused rather than declared with a size and digest of bytes that were never sealed.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isBayledgerError } from '../../src/core/errors.js';
import { ContainerReader } from '../../src/node/transfer/container-reader.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('payload container reader', () => {
  const temp = useTempDir('bayledger-container-reader-', 'each');
  const itemPath = (name: string) => path.join(temp.path, name);

  async function readAll(reader: ContainerReader, head: Uint8Array): Promise<Uint8Array> {
    reader.setHead(head);
    const total = head.byteLength + reader.itemSizes.reduce((sum, size) => sum + size, 0);
    const out = new Uint8Array(total);
    // Pieces of 7 bytes, so fills cross from the head into items and from item to item.
    for (let at = 0; at < total; at += 7) {
      const piece = new Uint8Array(Math.min(7, total - at));
      await reader.fill(piece, piece.byteLength);
      out.set(piece, at);
    }
    return out;
  }

  it('hands out the head, then each item in order, and digests each item', async () => {
    await writeFile(itemPath('a'), 'first item');
    await writeFile(itemPath('b'), 'the second item, longer');
    const reader = await ContainerReader.open([itemPath('a'), itemPath('b')]);
    try {
      assert.deepEqual(reader.itemSizes, [10, 23]);
      const bytes = await readAll(reader, new Uint8Array([1, 2, 3]));
      assert.equal(Buffer.from(bytes.subarray(3)).toString(), 'first itemthe second item, longer');
      const digests = await reader.finish();
      assert.deepEqual(
        digests.map((item) => Buffer.from(item.digest).toString('hex')),
        ['first item', 'the second item, longer'].map((text) =>
          createHash('sha256').update(text).digest('hex'),
        ),
      );
    } finally {
      await reader.close();
    }
  });

  it('refuses a path that is not a regular file, naming it', async () => {
    await writeFile(itemPath('a'), 'first item');
    await mkdir(itemPath('folder'));
    await assert.rejects(ContainerReader.open([itemPath('a'), itemPath('folder')]), (error: unknown) => {
      assert.ok(isBayledgerError(error, 'USAGE'), String(error));
      assert.match((error as Error).message, /folder: an item must be a regular file/);
      return true;
    });
  });

  it('refuses a file that grew after it was read whole', async () => {
    await writeFile(itemPath('a'), 'first item');
    const reader = await ContainerReader.open([itemPath('a')]);
    try {
      await readAll(reader, new Uint8Array(0));
      await appendFile(itemPath('a'), ' and more');
      await assert.rejects(reader.finish(), /changed size while it was being sealed/);
    } finally {
      await reader.close();
    }
  });

  it('refuses a file that shrank while it was read', async () => {
    await writeFile(itemPath('a'), 'a first item of some length');
    const reader = await ContainerReader.open([itemPath('a')]);
    try {
      reader.setHead(new Uint8Array(0));
      await reader.fill(new Uint8Array(7), 7);
      await truncate(itemPath('a'), 7);
      await assert.rejects(reader.fill(new Uint8Array(7), 7), /shrank while it was being sealed/);
    } finally {
      await reader.close();
    }
  });
});
