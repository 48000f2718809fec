// The Noise cipher functions (src/node/net/noise-crypto.ts) must put exactly the default's bytes on
// the wire: a peer running the default decrypts them, and a changed byte is refused.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import { noiseCrypto } from '../../src/node/net/noise-crypto.js';

const key = randomBytes(32);
const nonce = Buffer.concat([Buffer.alloc(4), randomBytes(8)]);
const associatedData = randomBytes(32);

function flat(value: Uint8Array | Uint8ArrayList): Uint8Array {
  return value instanceof Uint8Array ? value : value.subarray();
}

describe('Noise cipher functions (noise-crypto.ts)', () => {
  // A full Noise message (65,535 bytes with its tag), one just above the threshold, and small ones.
  for (const size of [0, 1, 1199, 1200, 4096, 65_519]) {
    it(`encrypts ${size} bytes to the default's bytes, which the default decrypts`, () => {
      const plaintext = randomBytes(size);
      const ours = flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, associatedData, key));
      const theirs = flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, associatedData, key));
      assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
      assert.equal(ours.byteLength, size + 16);
      const opened = defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, associatedData, key);
      assert.deepEqual(Buffer.from(flat(opened)), plaintext);
    });
  }

  it('returns a large message as its parts, not joined (the point of it); a small one as the default does', () => {
    const sealed = noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(65_519), nonce, associatedData, key);
    assert.ok(!(sealed instanceof Uint8Array), 'a joined buffer');
    assert.equal(sealed.byteLength, 65_535);
    // Below 1,200 bytes the default's own (WebAssembly) cipher answers, in one buffer: the byte
    // comparisons above could not tell the two paths apart.
    const small = noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(1199), nonce, associatedData, key);
    assert.ok(small instanceof Uint8Array, 'a small message goes to the default');
    const threshold = noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(1200), nonce, associatedData, key);
    assert.ok(!(threshold instanceof Uint8Array), 'from 1,200 bytes on, node:crypto and parts');
  });

  it('takes a plaintext given as a list of buffers', () => {
    const parts = [randomBytes(3000), randomBytes(10), randomBytes(40_000)];
    const list = new Uint8ArrayList(...parts);
    const ours = flat(noiseCrypto.chaCha20Poly1305Encrypt(list, nonce, associatedData, key));
    const theirs = flat(
      defaultCrypto.chaCha20Poly1305Encrypt(Buffer.concat(parts), nonce, associatedData, key),
    );
    assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
  });

  it('is refused by the default once a byte changed', () => {
    const sealed = Buffer.from(
      flat(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(5000), nonce, associatedData, key)),
    );
    sealed[1234] = (sealed[1234] ?? 0) ^ 1;
    assert.throws(() => defaultCrypto.chaCha20Poly1305Decrypt(sealed, nonce, associatedData, key));
  });
});
