// Deterministic inputs for the benchmarks. Keys derive from fixed labels at run time (nothing secret
// is committed); records carry a transfer declaration's field names at about 300 bytes, with
// synthetic values only, nothing that identifies a person.
import { utf8 } from '../../../src/core/bytes.js';
import type { CborMap } from '../../../src/core/codec/index.js';
import { encodeCanonical } from '../../../src/core/codec/index.js';
import { signingMessage } from '../../../src/core/crypto/domain.js';
import { Ed25519Signer } from '../../../src/core/crypto/ed25519.js';
import { sha256 } from '../../../src/core/crypto/hash.js';
import type { SignatureCheck } from '../../../src/node/verify-pool/signature-check.js';

export const BENCH_CHAIN_ID = 'bench-net';
/** Bytes of a Merkle leaf input in the ceiling: about one canonical transaction envelope. */
export const LEAF_BYTES = 300;

function digest(label: string): Uint8Array {
  return sha256(utf8(label));
}

export function benchSigners(count: number): Ed25519Signer[] {
  return Array.from({ length: count }, (_, index) => new Ed25519Signer(digest(`bench/signer/${index}`)));
}

/**
 * A record of about 300 canonical bytes with a transfer declaration's field names (design section
 * 4), trimmed of the route, item commitment and ephemeral key to the ~300-byte size the issue
 * measures at.
 */
export function sampleRecord(index: number): CborMap {
  return {
    consentId: digest(`bench/consent/${index}`),
    sender: 'hku-szh',
    recipient: 'ehealth-hk',
    items: [
      {
        category: 'imaging',
        documentType: 'dicom-study',
        sizeBytes: 48_000_000 + index,
        digest: digest(`bench/item/${index}`),
      },
    ],
    payload: {
      root: digest(`bench/root/${index}`),
      bytes: 48_000_016 + index,
      chunkBytes: 1_048_576,
      chunkCount: 46,
    },
    nonce: digest(`bench/nonce/${index}`).subarray(0, 16),
  };
}

/** `count` valid checks over domain-separated records, signed round-robin by `signerCount` keys. */
export function signedChecks(count: number, signerCount = 16): SignatureCheck[] {
  const signers = benchSigners(signerCount);
  return Array.from({ length: count }, (_, index) => {
    const signer = signers[index % signerCount]!;
    const message = signingMessage('transfer.declare', BENCH_CHAIN_ID, encodeCanonical(sampleRecord(index)));
    return { publicKey: signer.publicKey, message, signature: signer.sign(message) };
  });
}

/** `count` distinct leaf-sized inputs. */
export function leafInputs(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) => {
    const leaf = new Uint8Array(LEAF_BYTES);
    leaf.set(digest(`bench/leaf/${index}`));
    return leaf;
  });
}
