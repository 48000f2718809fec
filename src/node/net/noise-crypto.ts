// The cipher functions libp2p's Noise transport encrypts with (its `crypto` option, the
// ICryptoInterface of @chainsafe/libp2p-noise), the same as its default but for one thing: a
// large message's ciphertext and tag are returned as a list of the two buffers node:crypto made,
// not joined into a third. The default joins them (Buffer.concat), which for the payload channel
// allocated and copied every sent byte once more: each 64-KiB Noise message of a 1-MiB chunk
// frame, on top of the cipher's own output. Less work per byte sent; the end-to-end effect on a
// transfer was not distinguishable from run-to-run variation (docs/ARCHITECTURE.md decision 48).
// Noise appends what this returns to its output list and the TCP socket writes each buffer of it,
// so the bytes on the wire are unchanged (ChaCha20-Poly1305, RFC 8439 section 2.8: ciphertext,
// then the 16-byte tag).
//
// Decryption stays the default: Noise hands it a copy it made itself (`dst`), which node:crypto
// cannot write into.
import { createCipheriv } from 'node:crypto';
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { Uint8ArrayList } from 'uint8arraylist';

const CHACHA20_POLY1305 = 'chacha20-poly1305';
const TAG_BYTES = 16;
/** Below this the default's WebAssembly cipher is faster than node:crypto (its own threshold). */
const NODE_CIPHER_MIN_BYTES = 1200;

function encryptToList(
  plaintext: Uint8Array | Uint8ArrayList,
  nonce: Uint8Array,
  associatedData: Uint8Array,
  key: Uint8Array,
): Uint8ArrayList {
  const cipher = createCipheriv(CHACHA20_POLY1305, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData, { plaintextLength: plaintext.byteLength });
  const output = new Uint8ArrayList();
  if (plaintext instanceof Uint8Array) output.append(cipher.update(plaintext));
  else for (const buffer of plaintext) output.append(cipher.update(buffer));
  // A stream cipher has nothing left at final(); appended anyway should a build ever differ.
  const rest = cipher.final();
  if (rest.byteLength > 0) output.append(rest);
  output.append(cipher.getAuthTag());
  return output;
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, associatedData, key) {
    if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) {
      return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, associatedData, key);
    }
    return encryptToList(plaintext, nonce, associatedData, key);
  },
};
