import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { Ed25519Signer, verifySignature } from '../../src/core/crypto/ed25519.js';

const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndianNumber(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function littleEndianBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** What OpenSSL's Ed25519 says of a signature (the rule bayledger used before decision 45). */
function openSslAccepts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return verify(null, message, key, signature);
}

describe('Ed25519 small-order public keys', () => {
  it('refuses the identity key with the R = identity, S = 0 signature that OpenSSL would accept', () => {
    const identityKey = Uint8Array.from(Buffer.from(`01${'00'.repeat(31)}`, 'hex'));
    const signature = Uint8Array.from(Buffer.from(`01${'00'.repeat(63)}`, 'hex'));
    for (const message of ['revoke consent', 'anything else']) {
      const bytes = new TextEncoder().encode(message);
      assert.equal(openSslAccepts(identityKey, bytes, signature), true);
      assert.equal(verifySignature(identityKey, bytes, signature), false);
    }
  });

  it('refuses every small-order point encoding as a key', () => {
    // The 8 torsion points of edwards25519 in canonical encoding (RFC 8032 section 5.1.3 form),
    // then the non-canonical y = p + 1 and y = p encodings of the identity and an order-4 point.
    const torsion = [
      `01${'00'.repeat(31)}`,
      `ec${'ff'.repeat(30)}7f`,
      `00${'00'.repeat(30)}80`,
      `00${'00'.repeat(31)}`,
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
      `ee${'ff'.repeat(30)}7f`,
      `ed${'ff'.repeat(30)}7f`,
      `ee${'ff'.repeat(30)}ff`,
    ];
    for (const hex of torsion) {
      const key = Uint8Array.from(Buffer.from(hex, 'hex'));
      assert.equal(verifySignature(key, new Uint8Array([1]), new Uint8Array(64)), false, hex);
    }
  });

  it('passes ordinary keys, which noble finds not of small order', () => {
    const message = new Uint8Array([7]);
    for (let i = 1; i <= 20; i++) {
      const signer = new Ed25519Signer(new Uint8Array(32).fill(i));
      assert.equal(ed25519.Point.fromBytes(signer.publicKey).isSmallOrder(), false);
      assert.equal(verifySignature(signer.publicKey, message, signer.sign(message)), true);
    }
  });
});

describe('Ed25519 small-order R (decision 45)', () => {
  it('refuses a crafted signature with R = identity that satisfies the cofactorless equation', () => {
    // With R the identity, S = k * a (k = SHA-512(R || A || M) mod L, a the signer's scalar)
    // satisfies [S]B = R + [k]A, so OpenSSL accepts it; libsodium refuses any small-order R.
    // Only the key's holder can make one; it is a second, non-deterministic signature.
    const seed = new Uint8Array(32).fill(9);
    const signer = new Ed25519Signer(seed);
    const { scalar } = ed25519.utils.getExtendedPublicKey(seed);
    const message = new TextEncoder().encode('declare transfer');
    const identityR = Uint8Array.from(Buffer.from(`01${'00'.repeat(31)}`, 'hex'));
    const k =
      littleEndianNumber(sha512(new Uint8Array([...identityR, ...signer.publicKey, ...message]))) %
      GROUP_ORDER;
    const signature = new Uint8Array([...identityR, ...littleEndianBytes((k * scalar) % GROUP_ORDER, 32)]);
    assert.equal(openSslAccepts(signer.publicKey, message, signature), true);
    assert.equal(verifySignature(signer.publicKey, message, signature), false);
    // The honest signature of the same message still verifies.
    assert.equal(verifySignature(signer.publicKey, message, signer.sign(message)), true);
  });
});
