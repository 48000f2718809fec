// A direct canonical CBOR writer (RFC 8949 section 4.2.1) for the common case of bayledger's data
// model: null, booleans, safe integers, well-formed text, byte strings, arrays and plain objects
// with ASCII keys. It writes each value once into a reused buffer, with no intermediate sorted
// Map tree; the cbor-x path in canonical.ts needed about three times as long, most of it in that
// tree (profile of a 2,000-transaction block: encodeCanonical was a sixth of verifyBlock).
//
// Anything outside that case (a forbidden value, a non-ASCII key, nesting past the limit) makes
// the writer give up with FAST_PATH_UNAVAILABLE, and canonical.ts then runs the cbor-x path,
// which produces the same bytes or the precise, path-naming error. Canonical encoding is unique,
// so whenever both paths succeed they agree byte for byte (the codec tests hold them to it).
import { LIMITS } from '../limits.js';

/**
 * Known encodings are used for values at most this deep (a transaction body inside a state
 * record): there the nesting of the value itself was already checked against the depth limit when
 * its bytes were decoded at the same or a greater depth.
 */
const KNOWN_MAX_DEPTH = 1;

/** Thrown inside this module only: the value needs the general encoder. */
export const FAST_PATH_UNAVAILABLE: unique symbol = Symbol('fast path unavailable');

const INITIAL_BYTES = 4096;
/**
 * A scratch buffer grown past this is dropped after use rather than kept for the next call. A
 * whole block (up to 8 MiB of transactions) fits, so encoding blocks one after another does not
 * grow a buffer from scratch each time (that doubled encodeBlock's time when the bound was 1 MiB).
 */
const RETAINED_BYTES = 16 * 1024 * 1024;
const TWO_POW_32 = 2 ** 32;

let scratch: Uint8Array = new Uint8Array(INITIAL_BYTES);
let scratchInUse = false;

class Writer {
  bytes: Uint8Array;
  offset = 0;
  /** Values whose canonical bytes are already known (see encodeCanonicalKnowing). */
  known: ReadonlyMap<object, Uint8Array> | undefined;

  constructor(bytes: Uint8Array, known?: ReadonlyMap<object, Uint8Array>) {
    this.bytes = bytes;
    this.known = known;
  }

  reserve(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.bytes.byteLength) return;
    let size = this.bytes.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.offset));
    this.bytes = grown;
  }

  /** A head (major type and argument) in its shortest form, section 4.2.1 rule 1. */
  head(major: number, value: number): void {
    this.reserve(9);
    const bytes = this.bytes;
    const type = major << 5;
    let at = this.offset;
    if (value < 24) {
      bytes[at++] = type | value;
    } else if (value < 0x100) {
      bytes[at++] = type | 24;
      bytes[at++] = value;
    } else if (value < 0x10000) {
      bytes[at++] = type | 25;
      bytes[at++] = value >>> 8;
      bytes[at++] = value & 0xff;
    } else if (value < TWO_POW_32) {
      bytes[at++] = type | 26;
      bytes[at++] = value >>> 24;
      bytes[at++] = (value >>> 16) & 0xff;
      bytes[at++] = (value >>> 8) & 0xff;
      bytes[at++] = value & 0xff;
    } else {
      const high = Math.floor(value / TWO_POW_32);
      const low = value - high * TWO_POW_32;
      bytes[at++] = type | 27;
      bytes[at++] = high >>> 24;
      bytes[at++] = (high >>> 16) & 0xff;
      bytes[at++] = (high >>> 8) & 0xff;
      bytes[at++] = high & 0xff;
      bytes[at++] = low >>> 24;
      bytes[at++] = (low >>> 16) & 0xff;
      bytes[at++] = (low >>> 8) & 0xff;
      bytes[at++] = low & 0xff;
    }
    this.offset = at;
  }

  raw(part: Uint8Array): void {
    this.reserve(part.byteLength);
    this.bytes.set(part, this.offset);
    this.offset += part.byteLength;
  }

  /** Text: ASCII is copied as it is checked; other text is encoded by TextEncoder. */
  text(value: string): void {
    if (!this.asciiText(value)) this.nonAsciiText(value);
  }

  /** A map key: ASCII only, because the key order below is code-unit order, which is UTF-8 order only for ASCII. */
  key(value: string): void {
    if (!this.asciiText(value)) throw FAST_PATH_UNAVAILABLE;
  }

  /**
   * Writes `value` as a text string if every code unit is ASCII (then its UTF-8 bytes are its
   * code units) and returns true; otherwise writes nothing and returns false.
   */
  asciiText(value: string): boolean {
    const length = value.length;
    const start = this.offset;
    this.head(3, length);
    this.reserve(length);
    const bytes = this.bytes;
    let at = this.offset;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7f) {
        this.offset = start;
        return false;
      }
      bytes[at++] = code;
    }
    this.offset = at;
    return true;
  }

  nonAsciiText(value: string): void {
    if (!value.isWellFormed()) throw FAST_PATH_UNAVAILABLE;
    this.raw(encodeHead(3, utf8Length(value)));
    this.reserve(3 * value.length);
    const { written } = encoder.encodeInto(value, this.bytes.subarray(this.offset));
    this.offset += written;
  }
}

const encoder = new TextEncoder();

function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4; // a well-formed high surrogate: the pair is one 4-byte sequence
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The RFC 8949 head (major type and argument, shortest form) alone, for assembling encodings. */
export function encodeHead(major: number, value: number): Uint8Array {
  const writer = new Writer(new Uint8Array(9));
  writer.head(major, value);
  return writer.bytes.slice(0, writer.offset);
}

/**
 * Section 4.2.1 order for ASCII text keys: shorter first, then bytewise, which for ASCII is code
 * unit order. (A non-ASCII key may sort wrongly here; `Writer.key` then gives up on the map.)
 */
function sortsAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

function writeMap(writer: Writer, value: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(value);
  let present = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (value[key] === undefined) continue;
    if (key === '__proto__') throw FAST_PATH_UNAVAILABLE;
    // Insertion sort: maps are small (a dozen keys) and often already in order.
    let j = present - 1;
    while (j >= 0 && sortsAfter(keys[j]!, key)) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
    present++;
  }
  writer.head(5, present);
  for (let i = 0; i < present; i++) {
    const key = keys[i]!;
    writer.key(key);
    writeValue(writer, value[key], depth + 1);
  }
}

function writeValue(writer: Writer, value: unknown, depth: number): void {
  if (depth > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) throw FAST_PATH_UNAVAILABLE;
      // -0 is an integer here and is written as 0, as the general path does.
      if (value >= 0) writer.head(0, value === 0 ? 0 : value);
      else writer.head(1, -1 - value);
      return;
    case 'string':
      writer.text(value);
      return;
    case 'boolean':
      writer.reserve(1);
      writer.bytes[writer.offset++] = value ? 0xf5 : 0xf4;
      return;
    case 'object':
      break;
    default:
      throw FAST_PATH_UNAVAILABLE;
  }
  if (value === null) {
    writer.reserve(1);
    writer.bytes[writer.offset++] = 0xf6;
    return;
  }
  if (value instanceof Uint8Array) {
    writer.head(2, value.byteLength);
    writer.raw(value);
    return;
  }
  if (writer.known !== undefined && depth <= KNOWN_MAX_DEPTH) {
    const encoded = writer.known.get(value);
    if (encoded !== undefined) {
      writer.raw(encoded);
      return;
    }
  }
  if (Array.isArray(value)) {
    writer.head(4, value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw FAST_PATH_UNAVAILABLE;
      writeValue(writer, item, depth + 1);
    }
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw FAST_PATH_UNAVAILABLE;
  writeMap(writer, value as Record<string, unknown>, depth);
}

/**
 * Canonical bytes of `value`, in a fresh buffer the caller owns; throws FAST_PATH_UNAVAILABLE
 * (and nothing else) when the value needs the general encoder.
 */
export function encodeCanonicalFast(value: unknown, known?: ReadonlyMap<object, Uint8Array>): Uint8Array {
  // A getter on a value could re-enter; it then gets its own buffer instead of the shared one.
  const shared = !scratchInUse;
  const writer = new Writer(shared ? scratch : new Uint8Array(INITIAL_BYTES), known);
  if (shared) scratchInUse = true;
  try {
    writeValue(writer, value, 0);
    return writer.bytes.slice(0, writer.offset);
  } finally {
    if (shared) {
      scratch = writer.bytes.byteLength > RETAINED_BYTES ? new Uint8Array(INITIAL_BYTES) : writer.bytes;
      scratchInUse = false;
    }
  }
}

/**
 * Canonical bytes of an array whose items are already canonically encoded: the array head, then
 * the items back to back (RFC 8949 section 4.2.1 encodes an array as exactly that).
 */
export function encodeArrayOfEncoded(items: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const item of items) total += item.byteLength;
  const head = encodeHead(4, items.length);
  const out = new Uint8Array(head.byteLength + total);
  out.set(head, 0);
  let at = head.byteLength;
  for (const item of items) {
    out.set(item, at);
    at += item.byteLength;
  }
  return out;
}
