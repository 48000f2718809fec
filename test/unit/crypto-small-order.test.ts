import assert from 'node:assert/strict';
import { verifySignature } from '../../src/core/crypto/ed25519.js';

describe('Ed25519 small-order public keys', () => {
  it('refuses the identity key with the R = identity, S = 0 signature that OpenSSL would accept', () => {
    const identityKey = Uint8Array.from(Buffer.from(`01${'00'.repeat(31)}`, 'hex'));
    const signature = Uint8Array.from(Buffer.from(`01${'00'.repeat(63)}`, 'hex'));
    for (const message of ['revoke consent', 'anything else']) {
      assert.equal(verifySignature(identityKey, new TextEncoder().encode(message), signature), false);
    }
  });

  it('refuses every small-order point encoding as a key', () => {
    // The 8 torsion points of edwards25519 in canonical encoding (RFC 8032 section 5.1.3 form).
    const torsion = [
      `01${'00'.repeat(31)}`,
      `ec${'ff'.repeat(30)}7f`,
      `00${'00'.repeat(30)}80`,
      `00${'00'.repeat(31)}`,
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    ];
    for (const hex of torsion) {
      const key = Uint8Array.from(Buffer.from(hex, 'hex'));
      assert.equal(verifySignature(key, new Uint8Array([1]), new Uint8Array(64)), false, hex);
    }
  });
});

describe('Ed25519 small-order blocklist agrees with the curve', () => {
  it('flags exactly the keys noble finds small-order, over every sign bit of each listed y', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const { Ed25519Signer } = await import('../../src/core/crypto/ed25519.js');
    const message = new Uint8Array([7]);
    // Ordinary keys still verify: the blocklist must not catch them.
    for (let i = 1; i <= 20; i++) {
      const signer = new Ed25519Signer(new Uint8Array(32).fill(i));
      assert.equal(ed25519.Point.fromBytes(signer.publicKey).isSmallOrder(), false);
      assert.equal(verifySignature(signer.publicKey, message, signer.sign(message)), true);
    }
  });
});
