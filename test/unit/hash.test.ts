// sha256 (src/core/crypto/hash.ts): the FIPS 180-4 example digests, and every way it hashes (one
// part, parts joined in its reused buffer, parts streamed past ONE_SHOT_MAX_BYTES) equals
// node:crypto's createHash over the concatenation; each digest is a fresh array of its own.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { toHex, utf8 } from '../../src/core/bytes.js';
import { HASH_BYTES, sha256 } from '../../src/core/crypto/hash.js';

function reference(parts: readonly Uint8Array[]): string {
  const hasher = createHash('sha256');
  for (const part of parts) hasher.update(part);
  return hasher.digest('hex');
}

describe('sha256', () => {
  it('gives the FIPS 180-4 example digests', () => {
    assert.equal(
      toHex(sha256(new Uint8Array(0))),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      toHex(sha256(utf8('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      toHex(sha256(utf8('ab'), utf8(''), utf8('c'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('equals createHash over the concatenation, below, at and past the one-shot bound', () => {
    const part = fc.oneof(
      fc.uint8Array({ maxLength: 70 }),
      fc.integer({ min: 4000, max: 4200 }).map((length) => new Uint8Array(length).fill(length % 251)),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        assert.equal(toHex(sha256(...parts)), reference(parts));
      }),
      { numRuns: 300 },
    );
    for (const total of [4095, 4096, 4097]) {
      const parts = [new Uint8Array(1).fill(1), new Uint8Array(total - 1).fill(2)];
      assert.equal(toHex(sha256(...parts)), reference(parts));
    }
  });

  it('returns a fresh 32-byte array each time, untouched by later hashes', () => {
    const first = sha256(utf8('a'), utf8('b'));
    const copy = Uint8Array.from(first);
    const second = sha256(utf8('c'), utf8('d'));
    assert.equal(first.byteLength, HASH_BYTES);
    assert.notEqual(first, second);
    assert.deepEqual(first, copy);
    second[0] = second[0]! ^ 0xff;
    assert.deepEqual(sha256(utf8('a'), utf8('b')), copy);
  });
});
