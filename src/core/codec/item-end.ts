// Where one CBOR data item ends (RFC 8949 section 3: a head, then its content). For bytes that
// decodeCanonical already accepted, so every head is well formed and definite-length: it lets the
// ledger take the canonical bytes of a nested value (a transaction's body) as a view into the
// bytes it decoded instead of encoding the value again.
import { assert } from '../errors.js';

const TWO_POW_32 = 2 ** 32;

function argumentAt(bytes: Uint8Array, offset: number, info: number): { value: number; next: number } {
  if (info < 24) return { value: info, next: offset };
  if (info === 24) return { value: bytes[offset]!, next: offset + 1 };
  if (info === 25) return { value: (bytes[offset]! << 8) | bytes[offset + 1]!, next: offset + 2 };
  const word = (at: number) =>
    bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
  if (info === 26) return { value: word(offset), next: offset + 4 };
  assert(info === 27, `item-end: additional information ${info} in checked input`);
  return { value: word(offset) * TWO_POW_32 + word(offset + 4), next: offset + 8 };
}

/** The offset just past the item that starts at `offset` in already-validated canonical CBOR. */
export function canonicalItemEnd(bytes: Uint8Array, offset: number): number {
  let at = offset;
  // Items still to skip at this point; arrays add their items, maps twice their pairs.
  let pending = 1;
  while (pending > 0) {
    pending--;
    assert(at < bytes.byteLength, 'item-end: item runs past the input');
    const initial = bytes[at]!;
    const major = initial >> 5;
    const { value, next } = argumentAt(bytes, at + 1, initial & 31);
    at = next;
    if (major === 2 || major === 3) at += value;
    else if (major === 4) pending += value;
    else if (major === 5) pending += 2 * value;
    else assert(major !== 6, 'item-end: tag in checked input');
  }
  assert(at <= bytes.byteLength, 'item-end: item runs past the input');
  return at;
}
