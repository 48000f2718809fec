// Hashes that bind blocks to their network (design section 6). Both are SHA-256 over canonical
// CBOR (RFC 8949 section 4.2.1), so every node computes the same bytes from the same file.
import { encodeCanonical } from '../codec/canonical.js';
import { sha256 } from '../crypto/hash.js';
import type { Genesis, Validator } from './genesis.js';
import { genesisToJson } from './genesis-json.js';

/**
 * SHA-256 of the canonical CBOR of the genesis JSON form (keys as hex text, as in the file).
 * Block 1's previousHash; anyone holding genesis.json can recompute it.
 */
export function genesisHash(genesis: Genesis): Uint8Array {
  return sha256(encodeCanonical(genesisToJson(genesis)));
}

/** SHA-256 of the canonical list [{ id, publicKey }] in proposer order (every header's validatorsHash). */
export function validatorsHash(validators: readonly Validator[]): Uint8Array {
  return sha256(encodeCanonical(validators.map(({ id, publicKey }) => ({ id, publicKey }))));
}
