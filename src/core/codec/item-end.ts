// Where one CBOR data item ends (RFC 8949 section 3: a head, then its content). For bytes that
// decodeCanonical already accepted, so every head is well formed and definite-length: it lets the
// ledger take the canonical bytes of a nested value (a transaction's body) as a view into the
// bytes it decoded instead of encoding the value again.
import { assert } from '../errors.js';

const TWO_POW_32 = 2 ** 32;

function word(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

/** The offset just past the item that starts at `offset` in already-validated canonical CBOR. */
export function canonicalItemEnd(bytes: Uint8Array, offset: number): number {
  let at = offset;
  // Items still to skip at this point; arrays add their items, maps twice their pairs.
  let pending = 1;
  while (pending > 0) {
    pending--;
    assert(at < bytes.byteLength, 'item-end: item runs past the input');
    const initial = bytes[at++]!;
    const major = initial >> 5;
    const info = initial & 31;
    let value: number;
    if (info < 24) value = info;
    else if (info === 24) value = bytes[at++]!;
    else if (info === 25) {
      value = (bytes[at]! << 8) | bytes[at + 1]!;
      at += 2;
    } else if (info === 26) {
      value = word(bytes, at);
      at += 4;
    } else {
      assert(info === 27, `item-end: additional information ${info} in checked input`);
      value = word(bytes, at) * TWO_POW_32 + word(bytes, at + 4);
      at += 8;
    }
    if (major === 2 || major === 3) at += value;
    else if (major === 4) pending += value;
    else if (major === 5) pending += 2 * value;
    else assert(major !== 6, 'item-end: tag in checked input');
  }
  assert(at <= bytes.byteLength, 'item-end: item runs past the input');
  return at;
}
