// Crypto (src/core/crypto): node:crypto and @noble/curves agree on Ed25519 and X25519, domain separation
// keeps a signature inside its domain and chain, and malformed keys or signatures make
// verifySignature return false without throwing.
//
// Why `zip215: false` wherever noble verifies: noble's ed25519 defaults to ZIP-215 rules, which
// accept non-canonical point encodings (y >= p) that RFC 8032 section 5.1.3 and OpenSSL reject.
// bayledger verifies with OpenSSL only (one verify function everywhere), so the oracle must apply
// the same strict decoding or the comparison would be meaningless on exactly the edge cases.
import { strict as assert } from 'node:assert';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { toHex, utf8 } from '../../src/core/bytes.js';
import {
  Ed25519Signer,
  SIGNING_PREFIX,
  type SigningDomain,
  sha256,
  signInDomain,
  signingMessage,
  verifyInDomain,
  verifySignature,
  x25519KeyPairFromSecret,
  x25519SharedSecret,
} from '../../src/core/crypto/index.js';
import { BayledgerError } from '../../src/core/errors.js';

const seedArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArbitrary = fc.uint8Array({ maxLength: 300 });

function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // noble throws on some malformed inputs; ours returns false: compare outcomes
  }
}

describe('crypto: Ed25519 node:crypto vs @noble/curves', () => {
  it('derive the same public key and byte-identical signatures for random seeds and messages', () => {
    fc.assert(
      fc.property(seedArbitrary, messageArbitrary, (seed, message) => {
        const signer = new Ed25519Signer(seed);
        assert.equal(toHex(signer.publicKey), toHex(ed25519.getPublicKey(seed)));
        const signature = signer.sign(message);
        assert.equal(toHex(signature), toHex(ed25519.sign(message, seed)));
        assert.equal(verifySignature(signer.publicKey, message, signature), true);
        assert.equal(nobleVerify(signature, message, signer.publicKey), true);
      }),
      { numRuns: 60 },
    );
  });

  it('reach the same verdict on signatures, messages and keys with one byte changed', () => {
    fc.assert(
      fc.property(
        seedArbitrary,
        messageArbitrary,
        fc.constantFrom('signature', 'key', 'message'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (seed, message, target, position, xor) => {
          const signer = new Ed25519Signer(seed);
          const signature = signer.sign(message);
          const publicKey = Uint8Array.from(signer.publicKey);
          const changedMessage = message.byteLength === 0 ? new Uint8Array([xor]) : Uint8Array.from(message);
          const victim = target === 'signature' ? signature : target === 'key' ? publicKey : changedMessage;
          if (victim.byteLength > 0 && !(target === 'message' && message.byteLength === 0)) {
            victim[position % victim.byteLength]! ^= xor;
          }
          const ours = verifySignature(publicKey, changedMessage, signature);
          assert.equal(ours, false);
          assert.equal(nobleVerify(signature, changedMessage, publicKey), ours);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('crypto: verifySignature never throws on malformed input', () => {
  const signer = new Ed25519Signer(sha256(utf8('crypto test key')));
  const message = utf8('hello');
  const signature = signer.sign(message);

  const cases: ReadonlyArray<readonly [string, Uint8Array, Uint8Array]> = [
    ['an empty key', new Uint8Array(0), signature],
    ['a 31-byte key', signer.publicKey.subarray(0, 31), signature],
    ['a 33-byte key', new Uint8Array([...signer.publicKey, 0]), signature],
    ['a key that is not a curve point', new Uint8Array(32).fill(0xff), signature],
    ['an empty signature', signer.publicKey, new Uint8Array(0)],
    ['a 63-byte signature', signer.publicKey, signature.subarray(0, 63)],
    ['a 65-byte signature', signer.publicKey, new Uint8Array([...signature, 0])],
    ['an all-zero signature', signer.publicKey, new Uint8Array(64)],
  ];
  for (const [name, publicKey, badSignature] of cases) {
    it(`returns false for ${name}`, () => {
      assert.equal(verifySignature(publicKey, message, badSignature), false);
    });
  }

  it('rejects S >= L (RFC 8032 section 5.1.7 malleability check), as noble does', () => {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian; S + L verifies in
    // the group equation, so only the range check stops this second signature for one message.
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    let sPlusL = s + order;
    const malleated = Uint8Array.from(signature);
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(sPlusL & 0xffn);
      sPlusL >>= 8n;
    }
    assert.equal(verifySignature(signer.publicKey, message, malleated), false);
    assert.equal(nobleVerify(malleated, message, signer.publicKey), false);
  });

  it('refuses a signing seed of the wrong length with KEY_INVALID', () => {
    for (const length of [0, 31, 33, 64]) {
      assert.throws(() => new Ed25519Signer(new Uint8Array(length)), { code: 'KEY_INVALID' });
    }
  });

  it('never puts the seed in JSON', () => {
    const json = JSON.stringify({ signer });
    assert.ok(json.includes(toHex(signer.publicKey)));
    assert.ok(!json.includes(toHex(signer.exportSeed())));
  });
});

describe('crypto: domain separation', () => {
  const signer = new Ed25519Signer(sha256(utf8('domain test key')));
  const body = utf8('canonical body bytes');
  const signature = signInDomain(signer, 'transfer.declare', 'gba-health', body);

  it('verifies in the domain and chain it was made for', () => {
    assert.equal(verifyInDomain(signer.publicKey, 'transfer.declare', 'gba-health', body, signature), true);
  });

  it('fails under every other domain', () => {
    const others: SigningDomain[] = [
      'consent.grant',
      'consent.revoke',
      'transfer.assess',
      'transfer.receipt',
      'policy.update',
      'consensus.proposal',
      'consensus.prevote',
      'consensus.precommit',
      'api.request',
    ];
    for (const domain of others) {
      assert.equal(verifyInDomain(signer.publicKey, domain, 'gba-health', body, signature), false, domain);
    }
  });

  it('fails under another chain id, including one that extends the first', () => {
    for (const chainId of ['gba-health-2', 'gba-healt', 'gba-health.test', 'finance']) {
      assert.equal(verifyInDomain(signer.publicKey, 'transfer.declare', chainId, body, signature), false);
    }
  });

  it('fails as a raw signature over the body alone', () => {
    assert.equal(verifySignature(signer.publicKey, body, signature), false);
  });

  it('prefixes "bayledger/v1/<kind>/<chainId>" and a zero byte', () => {
    const message = signingMessage('consent.grant', 'c1', new Uint8Array([7]));
    assert.equal(Buffer.from(message).toString('latin1'), `${SIGNING_PREFIX}consent.grant/c1\u0000\u0007`);
  });
});

describe('crypto: X25519', () => {
  it('agrees on a shared secret from both sides for random secrets', () => {
    fc.assert(
      fc.property(seedArbitrary, seedArbitrary, (a, b) => {
        const alice = x25519KeyPairFromSecret(a);
        const bob = x25519KeyPairFromSecret(b);
        assert.equal(
          toHex(x25519SharedSecret(alice.secretKey, bob.publicKey)),
          toHex(x25519SharedSecret(bob.secretKey, alice.publicKey)),
        );
      }),
      { numRuns: 20 },
    );
  });

  // RFC 7748 section 5.2 (first test vector: scalar, u-coordinate, output) and section 6.1 (Alice's
  // and Bob's keys and their shared secret).
  it('matches the RFC 7748 test vectors', () => {
    const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
    assert.equal(
      toHex(
        x25519SharedSecret(
          hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
          hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
        ),
      ),
      'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
    );
    const alice = x25519KeyPairFromSecret(
      hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
    );
    const bob = x25519KeyPairFromSecret(
      hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
    );
    assert.equal(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(toHex(x25519SharedSecret(alice.secretKey, bob.publicKey)), shared);
    assert.equal(toHex(x25519SharedSecret(bob.secretKey, alice.publicKey)), shared);
  });

  it('refuses a peer key of the wrong length by its length, before OpenSSL sees it', () => {
    const own = x25519KeyPairFromSecret(new Uint8Array(32).fill(7));
    for (const length of [0, 31, 33]) {
      assert.throws(
        () => x25519SharedSecret(own.secretKey, new Uint8Array(length).fill(9)),
        (error: unknown) =>
          error instanceof BayledgerError &&
          error.code === 'KEY_INVALID' &&
          /an X25519 public key has 32 bytes/.test(error.message),
      );
    }
  });

  // OpenSSL is the implementation; @noble/curves is the independent oracle, also for peer keys that
  // are arbitrary bytes (non-canonical u, the high bit set, points on the twist).
  it('agrees with @noble/curves on public keys and on secrets with arbitrary peer bytes', () => {
    fc.assert(
      fc.property(seedArbitrary, seedArbitrary, (secret, peer) => {
        assert.equal(toHex(x25519KeyPairFromSecret(secret).publicKey), toHex(x25519.getPublicKey(secret)));
        const outcome = (agree: () => Uint8Array) => {
          try {
            return toHex(agree());
          } catch {
            return 'refused';
          }
        };
        assert.equal(
          outcome(() => x25519SharedSecret(secret, peer)),
          outcome(() => x25519.getSharedSecret(secret, peer)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses keys of the wrong length with KEY_INVALID', () => {
    assert.throws(() => x25519KeyPairFromSecret(new Uint8Array(31)), { code: 'KEY_INVALID' });
    const pair = x25519KeyPairFromSecret(new Uint8Array(32).fill(9));
    assert.throws(() => x25519SharedSecret(pair.secretKey, new Uint8Array(33)), { code: 'KEY_INVALID' });
  });

  it('refuses a low-order peer key (all-zero shared secret) with a typed error', () => {
    const pair = x25519KeyPairFromSecret(new Uint8Array(32).fill(9));
    assert.throws(
      () => x25519SharedSecret(pair.secretKey, new Uint8Array(32)),
      (error: unknown) => error instanceof BayledgerError && error.code === 'KEY_INVALID',
    );
  });
});
