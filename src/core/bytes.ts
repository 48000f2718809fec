// Byte helpers. Every hash and key is printed as lowercase hex (chain CLI contract).

const HEX_PATTERN = /^([0-9a-f]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses lowercase hex; returns undefined for anything else so callers can name the field. */
export function parseHex(text: string): Uint8Array | undefined {
  if (!HEX_PATTERN.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Inputs at least this long are compared with Buffer.equals (memcmp) instead of a JS loop. */
const MEMCMP_MIN_BYTES = 64;

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength;
  if (length !== b.byteLength) return false;
  // decodeCanonical compares every decoded message with its re-encoding, megabytes for payload
  // chunks and blocks; there memcmp is hundreds of times faster than the loop (a 1 MiB compare
  // took 19 ms in the loop, the payload receiver's largest cost). Short hashes keep the loop,
  // which avoids allocating a Buffer view.
  if (length >= MEMCMP_MIN_BYTES) return Buffer.from(a.buffer, a.byteOffset, length).equals(b);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Bytewise lexicographic comparison (RFC 8949 section 4.2.1 key order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.byteLength - b.byteLength;
}

const utf8Encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
