// StreamContainerReader (src/node/transfer/container-stream.ts): an upload body read as the
// container (head, then the items back to back). `take` hands out the container's bytes as views
// of the body's own pieces (sealing encrypts them where they arrived, no copy), with each item
// hashed on the way, exactly as `fill` copies them; a read past the last item is refused.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { concatBytes } from '../../src/core/bytes.js';
import { StreamContainerReader } from '../../src/node/transfer/container-stream.js';
import { rejectsWith } from '../helpers/rejects.js';

const HEAD = new Uint8Array([0xa1, 0xa2, 0xa3]);
const SIZES = [5, 100_000, 7];

function itemBytes(): Uint8Array[] {
  return SIZES.map((size, item) => new Uint8Array(size).map((_, i) => (i * 13 + item) & 0xff));
}

/** The items back to back, cut into uneven pieces that straddle item boundaries. */
function pieces(): Uint8Array[] {
  const body = concatBytes(...itemBytes());
  const cuts = [0, 3, 9, 4_000, 65_536, 65_537, 99_990, body.byteLength];
  return cuts.slice(1).map((end, i) => body.slice(cuts[i], end));
}

async function* stream(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

describe('payload: upload stream as the container', () => {
  it('takes the container as views of the body pieces, hashing each item on the way', async () => {
    const body = pieces();
    const reader = new StreamContainerReader(SIZES, stream(body));
    reader.setHead(HEAD);
    const total = HEAD.byteLength + SIZES.reduce((sum, size) => sum + size, 0);
    const taken: Uint8Array[] = [];
    for (let at = 0; at < total; at += 30_000)
      taken.push(...(await reader.take(Math.min(30_000, total - at))));
    assert.deepEqual(concatBytes(...taken), concatBytes(HEAD, ...itemBytes()));
    const buffers = new Set<ArrayBufferLike>(body.map((piece) => piece.buffer));
    assert.ok(
      taken.slice(1).every((part) => buffers.has(part.buffer)),
      'every item byte is a view of a body piece, not a copy',
    );
    const digests = await reader.finish();
    assert.deepEqual(
      digests.map((digest) => [digest.sizeBytes, digest.digest]),
      itemBytes().map((item) => [item.byteLength, sha256(item)]),
    );
  });

  it('fills a buffer with the same bytes, and refuses a body longer than the announced sizes', async () => {
    const reader = new StreamContainerReader(SIZES, stream([...pieces(), new Uint8Array([1])]));
    reader.setHead(HEAD);
    const total = HEAD.byteLength + SIZES.reduce((sum, size) => sum + size, 0);
    const buffer = new Uint8Array(total);
    await reader.fill(buffer, total);
    assert.deepEqual(buffer, concatBytes(HEAD, ...itemBytes()));
    await assert.rejects(reader.finish(), /longer than the announced item sizes/);
  });

  it('refuses a read past the last announced item, even with body bytes left', async () => {
    const reader = new StreamContainerReader(SIZES, stream([...pieces(), new Uint8Array([1, 2, 3])]));
    reader.setHead(HEAD);
    const total = HEAD.byteLength + SIZES.reduce((sum, size) => sum + size, 0);
    await rejectsWith(reader.take(total + 1), 'USAGE', 'container: container read past its last item');
  });
});
