// A strict walker over CBOR bytes that names the first departure from RFC 8949 section 4.2.1
// (core deterministic encoding) with its byte offset. It runs only on the error path, after a
// re-encoding did not reproduce the input, so its cost never touches valid traffic.
import { bytesEqual, compareBytes, utf8 } from '../bytes.js';
import { BayledgerError } from '../errors.js';
import { LIMITS } from '../limits.js';

// RFC 8949 section 3.1: text strings are UTF-8 (RFC 3629); `fatal` rejects invalid sequences,
// including encoded surrogates, instead of substituting U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Mirrors FORBIDDEN_KEY in canonical.ts (a plain JavaScript object cannot carry it as a field).
const FORBIDDEN_KEY_BYTES = Uint8Array.from([0x69, ...utf8('__proto__')]);

class Walker {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  error(
    code:
      | 'CBOR_MALFORMED'
      | 'CBOR_NON_CANONICAL'
      | 'CBOR_DUPLICATE_KEY'
      | 'CBOR_FORBIDDEN_TYPE'
      | 'CBOR_TRAILING_BYTES'
      | 'CBOR_TOO_LARGE',
    message: string,
    at: number,
  ): BayledgerError {
    return new BayledgerError(code, message, `byte ${at}`);
  }

  byte(): number {
    if (this.offset >= this.bytes.byteLength)
      throw this.error('CBOR_MALFORMED', 'unexpected end of input', this.offset);
    return this.bytes[this.offset++]!;
  }

  /** Reads a head's argument and checks it is in the shortest form (section 4.2.1, rule 1). */
  argument(info: number, start: number): number {
    if (info < 24) return info;
    if (info === 31) throw this.error('CBOR_NON_CANONICAL', 'indefinite length is not allowed', start);
    if (info > 27) throw this.error('CBOR_MALFORMED', `reserved additional information ${info}`, start);
    const length = 1 << (info - 24);
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 256 + this.byte();
    const minimum = [24, 256, 65536, 2 ** 32][info - 24]!;
    if (value < minimum)
      throw this.error('CBOR_NON_CANONICAL', 'integer or length not in shortest form', start);
    return value;
  }

  checkUtf8(from: number, length: number, start: number): void {
    try {
      strictUtf8.decode(this.bytes.subarray(from, from + length));
    } catch {
      throw this.error('CBOR_MALFORMED', 'text string is not valid UTF-8', start);
    }
  }

  item(depth: number): void {
    if (depth > LIMITS.maxCborDepth) throw this.error('CBOR_TOO_LARGE', 'nesting too deep', this.offset);
    const start = this.offset;
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 31;
    if (major === 7) {
      if (info === 20 || info === 21 || info === 22) return; // false, true, null
      if (info === 23) throw this.error('CBOR_FORBIDDEN_TYPE', 'undefined is not allowed', start);
      if (info >= 25 && info <= 27)
        throw this.error('CBOR_FORBIDDEN_TYPE', 'floating-point numbers are not allowed', start);
      if (info === 31) throw this.error('CBOR_MALFORMED', 'break outside an indefinite-length item', start);
      if (info === 28 || info === 29 || info === 30)
        throw this.error('CBOR_MALFORMED', `reserved additional information ${info}`, start);
      // Section 3.3: one-byte simple values below 32 are not well-formed.
      const simple = info === 24 ? this.byte() : info;
      if (info === 24 && simple < 32)
        throw this.error('CBOR_MALFORMED', `simple value ${simple} in a two-byte form`, start);
      throw this.error('CBOR_FORBIDDEN_TYPE', `simple value ${simple} is not allowed`, start);
    }
    if (major === 6) throw this.error('CBOR_FORBIDDEN_TYPE', 'tags are not allowed', start);
    const argument = this.argument(info, start);
    if (major === 0 || major === 1) {
      // The data model holds JavaScript safe integers only: 0..2^53-1 and -(2^53-1)..-1.
      const largest = major === 0 ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1;
      if (argument > largest)
        throw this.error('CBOR_FORBIDDEN_TYPE', 'integer outside the safe range +-(2^53-1)', start);
      return;
    }
    if (major === 2 || major === 3) {
      if (this.offset + argument > this.bytes.byteLength)
        throw this.error('CBOR_MALFORMED', 'string runs past the end', start);
      if (major === 3) this.checkUtf8(this.offset, argument, start);
      this.offset += argument;
      return;
    }
    if (major === 4) {
      for (let i = 0; i < argument; i++) this.item(depth + 1);
      return;
    }
    // major 5: map. Keys must be strictly increasing bytewise (section 4.2.1); equal means duplicate.
    let previousKey: Uint8Array | undefined;
    for (let i = 0; i < argument; i++) {
      const keyStart = this.offset;
      this.item(depth + 1);
      const key = this.bytes.subarray(keyStart, this.offset);
      if (previousKey) {
        const order = compareBytes(previousKey, key);
        if (order === 0) throw this.error('CBOR_DUPLICATE_KEY', 'duplicate map key', keyStart);
        if (order > 0) throw this.error('CBOR_NON_CANONICAL', 'map keys not in sorted order', keyStart);
      }
      if (this.bytes[keyStart]! >> 5 !== 3)
        throw this.error('CBOR_FORBIDDEN_TYPE', 'map keys must be text', keyStart);
      if (bytesEqual(key, FORBIDDEN_KEY_BYTES))
        throw this.error('CBOR_FORBIDDEN_TYPE', 'map key __proto__ is not allowed', keyStart);
      previousKey = key;
      this.item(depth + 1);
    }
  }
}

/** Returns the first canonical-form violation in `bytes`, or undefined if the walker finds none. */
export function diagnoseNonCanonical(bytes: Uint8Array): BayledgerError | undefined {
  const walker = new Walker(bytes);
  try {
    walker.item(0);
    if (walker.offset !== bytes.byteLength) {
      return walker.error(
        'CBOR_TRAILING_BYTES',
        `${bytes.byteLength - walker.offset} bytes after the first item`,
        walker.offset,
      );
    }
  } catch (error) {
    if (error instanceof BayledgerError) return error;
    throw error;
  }
  return undefined;
}
