// A one-pass decoder for canonical CBOR (RFC 8949 section 4.2.1) in bayledger's data model. It
// checks canonical form while it builds the value (shortest heads, sorted text keys without
// repeats, definite lengths, no floats, tags or undefined, safe integers, strict UTF-8, the depth
// limit, no trailing bytes), so valid input is decoded without the cbor-x decode, the tree copy
// and the full re-encoding that the general path in canonical.ts compares against (about three
// quarters of decodeCanonical's time on a transaction envelope).
//
// On the first thing it does not accept it gives up with FAST_PATH_UNAVAILABLE, and
// canonical.ts runs the general path, which names the violation with its code and byte offset.
// It accepts a subset of what the general path accepts and builds the same value: plain objects
// filled in key order, byte strings as Uint8Array views into the input (as cbor-x returns them).
import { LIMITS } from '../limits.js';
import type { CborMap, CborValue } from './canonical.js';
import { FAST_PATH_UNAVAILABLE } from './fast-encode.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_POW_32 = 2 ** 32;
/** Keys of this many bytes or fewer are built char by char; longer ASCII text goes through latin1. */
const SHORT_TEXT_BYTES = 24;

// --- short ASCII text -----------------------------------------------------------------------------
//
// Map keys ("body", "sigs", "consentId", ...) and many short values (kinds, organisation and
// category ids) come from a small vocabulary. Built char by char, each occurrence allocated one
// string per character (about 230 bytes for a 10-letter key; a decoded transaction allocated
// 8.7 KB in all, 2.6 KB with the table below, commit 06773e2), and a new key string also costs a
// string-table lookup when it becomes a property name. So the last string built for each of
// SHORT_TEXT_SLOTS slots is kept, the slot chosen from the length and three of the bytes (no hash
// over the text), and returned again when its characters equal the input bytes; only a miss
// builds a string, which then takes the slot. Unlike an earlier table (da94717, measured slower:
// it hashed every byte and compared against a copy of the bytes), a hit reads each byte once more
// after the ASCII check of text(), in the comparison itself.

/** Slots of the short-text table (a power of two). */
const SHORT_TEXT_SLOTS = 512;
const shortTexts: string[] = new Array<string>(SHORT_TEXT_SLOTS).fill('');

/** The string of the ASCII bytes[start, end) (1 to SHORT_TEXT_BYTES of them). */
function shortAscii(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  const slot =
    (length * 31 + bytes[start]! * 7 + bytes[end - 1]! + (bytes[start + (length >> 1)]! << 4)) &
    (SHORT_TEXT_SLOTS - 1);
  const known = shortTexts[slot]!;
  if (known.length === length) {
    let i = 0;
    while (i < length && known.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return known;
  }
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  shortTexts[slot] = text;
  return text;
}

class Reader {
  readonly bytes: Uint8Array;
  #buffer: Buffer | undefined;
  offset = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Longer ASCII text is sliced natively (latin1 equals ASCII on bytes below 0x80). */
  asciiSlice(start: number, end: number): string {
    const bytes = this.bytes;
    this.#buffer ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.#buffer.toString('latin1', start, end);
  }

  /** The argument of a head whose additional information is `info`, checked for shortest form. */
  argument(info: number): number {
    if (info < 24) return info;
    const bytes = this.bytes;
    const at = this.offset;
    if (info === 24) {
      if (at + 1 > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
      const value = bytes[at]!;
      if (value < 24) throw FAST_PATH_UNAVAILABLE;
      this.offset = at + 1;
      return value;
    }
    if (info === 25) {
      if (at + 2 > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
      const value = (bytes[at]! << 8) | bytes[at + 1]!;
      if (value < 0x100) throw FAST_PATH_UNAVAILABLE;
      this.offset = at + 2;
      return value;
    }
    if (info === 26) {
      if (at + 4 > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
      const value =
        bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
      if (value < 0x10000) throw FAST_PATH_UNAVAILABLE;
      this.offset = at + 4;
      return value;
    }
    if (info === 27) {
      if (at + 8 > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
      const high = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
      const low =
        bytes[at + 4]! * 0x1000000 + ((bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!);
      // Below 2^32 is not the shortest form; above 2^53 - 1 is outside the data model.
      if (high === 0 || high >= 0x200000) throw FAST_PATH_UNAVAILABLE;
      this.offset = at + 8;
      return high * TWO_POW_32 + low;
    }
    throw FAST_PATH_UNAVAILABLE; // indefinite lengths and reserved values
  }

  text(length: number): string {
    const start = this.offset;
    const end = start + length;
    if (end > this.bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
    const bytes = this.bytes;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    this.offset = end;
    if (!ascii) {
      try {
        return strictUtf8.decode(bytes.subarray(start, end));
      } catch {
        throw FAST_PATH_UNAVAILABLE;
      }
    }
    if (length <= SHORT_TEXT_BYTES) return shortAscii(bytes, start, end);
    return this.asciiSlice(start, end);
  }

  item(depth: number): CborValue {
    if (depth > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;
    const bytes = this.bytes;
    if (this.offset >= bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
    const initial = bytes[this.offset++]!;
    const major = initial >> 5;
    const info = initial & 31;
    switch (major) {
      case 0: {
        const value = this.argument(info);
        if (value > Number.MAX_SAFE_INTEGER) throw FAST_PATH_UNAVAILABLE;
        return value;
      }
      case 1: {
        const value = this.argument(info);
        if (value > Number.MAX_SAFE_INTEGER - 1) throw FAST_PATH_UNAVAILABLE;
        return -1 - value;
      }
      case 2: {
        const length = this.argument(info);
        const start = this.offset;
        if (start + length > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
        this.offset = start + length;
        return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
      }
      case 3:
        return this.text(this.argument(info));
      case 4: {
        const length = this.argument(info);
        // Every item takes at least one byte: a longer claim is malformed (and must not allocate).
        if (length > bytes.byteLength - this.offset) throw FAST_PATH_UNAVAILABLE;
        const items = new Array<CborValue>(length);
        for (let i = 0; i < length; i++) items[i] = this.item(depth + 1);
        return items;
      }
      case 5:
        return this.map(this.argument(info), depth);
      case 7:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw FAST_PATH_UNAVAILABLE;
      default:
        throw FAST_PATH_UNAVAILABLE; // tags
    }
  }

  /** Section 4.2.1: text keys only, in strictly increasing bytewise order of their encodings. */
  map(count: number, depth: number): CborMap {
    const bytes = this.bytes;
    if (count > bytes.byteLength - this.offset) throw FAST_PATH_UNAVAILABLE;
    const out: CborMap = {};
    let previousStart = -1;
    let previousEnd = -1;
    for (let i = 0; i < count; i++) {
      if (depth + 1 > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;
      const keyStart = this.offset;
      if (keyStart >= bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
      const initial = bytes[this.offset++]!;
      if (initial >> 5 !== 3) throw FAST_PATH_UNAVAILABLE;
      const key = this.text(this.argument(initial & 31));
      const keyEnd = this.offset;
      if (previousStart >= 0 && !encodedBefore(bytes, previousStart, previousEnd, keyStart, keyEnd)) {
        throw FAST_PATH_UNAVAILABLE;
      }
      // Assigning it would set the prototype instead of a field (canonical.ts FORBIDDEN_KEY).
      if (key === '__proto__') throw FAST_PATH_UNAVAILABLE;
      previousStart = keyStart;
      previousEnd = keyEnd;
      out[key] = this.item(depth + 1);
    }
    return out;
  }
}

/** Whether bytes[aStart, aEnd) sorts strictly before bytes[bStart, bEnd) (bytewise, shorter prefix first). */
function encodedBefore(
  bytes: Uint8Array,
  aStart: number,
  aEnd: number,
  bStart: number,
  bEnd: number,
): boolean {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i++) {
    const difference = bytes[aStart + i]! - bytes[bStart + i]!;
    if (difference !== 0) return difference < 0;
  }
  return aLength < bLength;
}

/**
 * Decodes canonical CBOR of bayledger's data model in one pass; throws FAST_PATH_UNAVAILABLE (and
 * nothing else) on anything else, leaving the diagnosis to the general path.
 */
export function decodeCanonicalFast(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.offset !== bytes.byteLength) throw FAST_PATH_UNAVAILABLE;
  return value;
}
