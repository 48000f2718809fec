// Block identity (design section 6): a block's hash is SHA-256 of its canonical header (RFC 8949
// section 4.2.1). The header commits to the transactions through txRoot, so hashing the header
// alone is enough, and a header plus its certificate is a self-contained checkpoint.
import { encodeCanonical } from '../codec/canonical.js';
import { sha256 } from '../crypto/hash.js';
import type { BlockHeader } from './block.js';
import { headerToCbor } from './block-codec.js';

/** SHA-256(canonical CBOR of the header). */
export function blockHash(header: BlockHeader): Uint8Array {
  return sha256(encodeCanonical(headerToCbor(header)));
}
