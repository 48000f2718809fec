// RFC 8032 section 7.1 Ed25519 test vectors (TEST 1, 2, 3, 1024, SHA(abc)) and the RFC 7748
// section 6.1 X25519 vector. Our node:crypto path (Ed25519Signer, verifySignature) and
// @noble/curves must both reproduce every public key and signature exactly.
import { strict as assert } from 'node:assert';
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../../src/core/bytes.js';
import {
  Ed25519Signer,
  verifySignature,
  x25519KeyPairFromSecret,
  x25519SharedSecret,
} from '../../src/core/crypto/index.js';

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

interface Rfc8032Vector {
  readonly name: string;
  readonly secretKey: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
}

// The 1023-byte message of TEST 1024, as printed in RFC 8032 section 7.1.
const TEST_1024_MESSAGE =
  '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c5' +
  '0544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0' +
  '810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82' +
  'd522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9' +
  'a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c9' +
  '4fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5' +
  'd0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88' +
  '425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc' +
  '2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80' +
  'c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae078' +
  '4504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9' +
  'b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d' +
  'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc' +
  '82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d371459867' +
  '80fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8' +
  'b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e' +
  '6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f791' +
  '4f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45' +
  'a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac' +
  '86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0';

const RFC8032_VECTORS: readonly Rfc8032Vector[] = [
  {
    name: 'TEST 1',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secretKey: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    publicKey: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: TEST_1024_MESSAGE,
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secretKey: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    // SHA-512("abc")
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

describe('RFC 8032 section 7.1 Ed25519 vectors', () => {
  it('carries the full 1023-byte message of TEST 1024', () => {
    assert.equal(hex(TEST_1024_MESSAGE).byteLength, 1023);
  });

  for (const vector of RFC8032_VECTORS) {
    describe(vector.name, () => {
      const seed = hex(vector.secretKey);
      const message = hex(vector.message);
      const signature = hex(vector.signature);
      const publicKey = hex(vector.publicKey);

      it('node:crypto derives the public key and the exact signature', () => {
        const signer = new Ed25519Signer(seed);
        assert.equal(toHex(signer.publicKey), vector.publicKey);
        assert.equal(toHex(signer.sign(message)), vector.signature);
      });

      it('verifySignature accepts it and rejects a flipped bit in message, signature or key', () => {
        assert.equal(verifySignature(publicKey, message, signature), true);
        const badSignature = Uint8Array.from(signature);
        badSignature[63]! ^= 0x01;
        assert.equal(verifySignature(publicKey, message, badSignature), false);
        const badMessage = message.byteLength === 0 ? new Uint8Array([0]) : Uint8Array.from(message);
        if (message.byteLength > 0) badMessage[0]! ^= 0x80;
        assert.equal(verifySignature(publicKey, badMessage, signature), false);
        const badKey = Uint8Array.from(publicKey);
        badKey[0]! ^= 0x01;
        assert.equal(verifySignature(badKey, message, signature), false);
      });

      it('@noble/curves (zip215: false) derives, signs and verifies the same', () => {
        assert.equal(toHex(ed25519.getPublicKey(seed)), vector.publicKey);
        assert.equal(toHex(ed25519.sign(message, seed)), vector.signature);
        // Strict RFC 8032 decoding, as OpenSSL does; see test/unit/crypto.test.ts for why.
        assert.equal(ed25519.verify(signature, message, publicKey, { zip215: false }), true);
      });
    });
  }
});

describe('RFC 7748 section 6.1 X25519 vector', () => {
  const alice = {
    secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  };
  const bob = {
    secret: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
    public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  };
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  it('derives both public keys', () => {
    assert.equal(toHex(x25519KeyPairFromSecret(hex(alice.secret)).publicKey), alice.public);
    assert.equal(toHex(x25519KeyPairFromSecret(hex(bob.secret)).publicKey), bob.public);
  });

  it('agrees on the shared secret from both sides', () => {
    assert.equal(toHex(x25519SharedSecret(hex(alice.secret), hex(bob.public))), shared);
    assert.equal(toHex(x25519SharedSecret(hex(bob.secret), hex(alice.public))), shared);
  });
});
