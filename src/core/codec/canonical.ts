// Canonical CBOR: RFC 8949 section 4.2.1 "Core Deterministic Encoding Requirements", on cbor-x.
//
// cbor-x has no canonical mode (a `canonical` option is silently ignored), so we
//  - sort map keys ourselves (bytewise on the encoded key; for text keys that is length first,
//    then bytewise on the UTF-8 bytes, section 4.2.1),
//  - pass integers of 2^32 and more as bigint, because cbor-x writes numbers >= 2^32 as float64
//    while bigint gets the 9-byte head that is the shortest form for that range (section 4.2.1),
//  - refuse floats, undefined, Date, Map and every other non-data value in signed data,
//  - and on decode re-encode and compare bytes, so only canonical input is accepted.
// The options below are explicit on purpose: each one changes the bytes we sign.
import { Decoder, Encoder } from 'cbor-x';
import { bytesEqual, compareBytes, utf8 } from '../bytes.js';
import { BayledgerError, errorMessage, fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import { diagnoseNonCanonical } from './diagnose.js';
import { decodeCanonicalFast } from './fast-decode.js';
import { encodeCanonicalFast, FAST_PATH_UNAVAILABLE } from './fast-encode.js';

/** The values canonical CBOR carries in bayledger. Maps are plain objects with text keys. */
export type CborValue = null | boolean | number | string | Uint8Array | CborValue[] | CborMap;
export interface CborMap {
  [key: string]: CborValue | undefined;
}

const ENCODER_OPTIONS = {
  useRecords: false, // records (tag 0xdfff) are stateful: never for signed or wire data
  variableMapSize: true, // shortest map length heads, section 4.2.1
  useTag259ForMaps: false,
  tagUint8Array: false, // byte strings untagged (major type 2)
  mapsAsObjects: true,
  structuredClone: false,
  pack: false,
  bundleStrings: false,
  largeBigIntToFloat: false,
} as const;

const encoder = new Encoder(ENCODER_OPTIONS);
const decoder = new Decoder(ENCODER_OPTIONS);

const TWO_POW_32 = 2 ** 32;
/** JavaScript objects cannot hold this key as a plain field; see `prepare` and diagnose.ts. */
export const FORBIDDEN_KEY = '__proto__';

/** Sorts keys and converts values into the form cbor-x encodes canonically; rejects the rest. */
function prepare(value: unknown, path: string, depth: number): unknown {
  if (depth > LIMITS.maxCborDepth) fail('CBOR_TOO_LARGE', `nesting deeper than ${LIMITS.maxCborDepth}`, path);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      fail('CBOR_FORBIDDEN_TYPE', `only safe integers are allowed, got ${value}`, path);
    }
    if (Object.is(value, -0)) return 0;
    return value >= TWO_POW_32 || value < -TWO_POW_32 ? BigInt(value) : value;
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) fail('CBOR_FORBIDDEN_TYPE', 'text is not well-formed Unicode', path);
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) fail('CBOR_FORBIDDEN_TYPE', 'undefined is not allowed', `${path}[${i}]`);
      out[i] = prepare(value[i], `${path}[${i}]`, depth + 1);
    }
    return out;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Assigning "__proto__" below would set the prototype instead of a field, silently dropping
    // the entry from the signed bytes; no bayledger schema uses that name, so refuse it.
    for (const [key] of entries) {
      if (key === FORBIDDEN_KEY) fail('CBOR_FORBIDDEN_TYPE', `map key ${FORBIDDEN_KEY} is not allowed`, path);
    }
    entries.sort(([a], [b]) => compareTextKeys(a, b));
    // A Map, not an object: JavaScript enumerates integer-like keys ("0", "10") before all others
    // whatever the insertion order, which would break the sorted order; cbor-x writes a Map's
    // entries in insertion order as a plain CBOR map (major type 5).
    const out = new Map<string, unknown>();
    for (const [key, child] of entries) out.set(key, prepare(child, `${path}.${key}`, depth + 1));
    return out;
  }
  const kind = value === undefined ? 'undefined' : (value?.constructor?.name ?? typeof value);
  return fail('CBOR_FORBIDDEN_TYPE', `${kind} is not allowed in canonical data`, path);
}

/** Section 4.2.1: keys sorted bytewise on their encodings; for text keys, length then bytes. */
export function compareTextKeys(a: string, b: string): number {
  // Fast path: for ASCII keys (every key bayledger itself writes) UTF-8 length is the string
  // length and bytewise order is code-unit order, so no encoding is needed.
  if (isAscii(a) && isAscii(b)) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const aBytes = utf8(a);
  const bBytes = utf8(b);
  if (aBytes.byteLength !== bBytes.byteLength) return aBytes.byteLength - bBytes.byteLength;
  return compareBytes(aBytes, bBytes);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Encodes a value in RFC 8949 section 4.2.1 core deterministic encoding. The direct writer of
 * fast-encode.ts handles bayledger's own values; anything it does not take (including every value
 * that is refused) goes through the general path below, which names the offending field.
 */
export function encodeCanonical(value: unknown): Uint8Array {
  try {
    return encodeCanonicalFast(value);
  } catch (error) {
    if (error !== FAST_PATH_UNAVAILABLE) throw error;
  }
  return encodeCanonicalGeneral(value);
}

/**
 * encodeCanonical, copying the given bytes for values found (by identity) in `known` instead of
 * encoding them: the ledger passes each transaction body with the canonical bytes it was decoded
 * from, so state records that embed a body (a consent's grant, a transfer's declaration) cost a
 * copy. The caller guarantees that each known value is unchanged since those bytes were decoded
 * from it, and that it sits at depth 0 or 1 of `value` (deeper ones are encoded as usual).
 */
export function encodeCanonicalKnowing(value: unknown, known: ReadonlyMap<object, Uint8Array>): Uint8Array {
  try {
    return encodeCanonicalFast(value, known);
  } catch (error) {
    if (error !== FAST_PATH_UNAVAILABLE) throw error;
  }
  return encodeCanonicalGeneral(value);
}

/** The general encoder: prepare (sort, convert, refuse), then cbor-x. */
export function encodeCanonicalGeneral(value: unknown): Uint8Array {
  const prepared = prepare(value, '$', 0);
  const encoded: Uint8Array = encoder.encode(prepared);
  // cbor-x may return a view into a shared buffer; copy so callers own their bytes.
  return new Uint8Array(encoded);
}

/** Converts cbor-x's decoded tree into CborValue, rejecting anything outside the data model. */
function normalise(value: unknown, path: string, depth: number): CborValue {
  if (depth > LIMITS.maxCborDepth) fail('CBOR_TOO_LARGE', `nesting deeper than ${LIMITS.maxCborDepth}`, path);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) fail('CBOR_FORBIDDEN_TYPE', `non-integer number ${value}`, path);
    return value;
  }
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    if (!Number.isSafeInteger(asNumber)) fail('CBOR_FORBIDDEN_TYPE', 'integer outside the safe range', path);
    return asNumber;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map((item, i) => normalise(item, `${path}[${i}]`, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: CborMap = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      out[key] = normalise(child, `${path}.${key}`, depth + 1);
    }
    return out;
  }
  const kind = value === undefined ? 'undefined' : (value as object)?.constructor?.name;
  return fail('CBOR_FORBIDDEN_TYPE', `${kind ?? typeof value} is not allowed`, path);
}

/**
 * Decodes canonical CBOR. Rejects, each with its own code: input over `maxBytes`, malformed
 * bytes, trailing bytes, duplicate keys, any non-canonical form, and values outside the data model.
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes: number = LIMITS.maxCborBytes): CborValue {
  if (bytes.byteLength > maxBytes) {
    fail(
      'CBOR_TOO_LARGE',
      `input of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`,
      `byte ${maxBytes}`,
    );
  }
  if (bytes.byteLength === 0) fail('CBOR_MALFORMED', 'empty input', 'byte 0');
  // Canonical input of our data model decodes in one checking pass (fast-decode.ts); anything it
  // does not accept is decided, and diagnosed, by the general path.
  try {
    return decodeCanonicalFast(bytes);
  } catch (error) {
    if (error !== FAST_PATH_UNAVAILABLE) throw error;
  }
  return decodeCanonicalGeneral(bytes);
}

/** The general decoder: cbor-x, then normalise, re-encode and compare (sizes already checked). */
export function decodeCanonicalGeneral(bytes: Uint8Array): CborValue {
  let value: CborValue;
  let reencoded: Uint8Array;
  try {
    value = normalise(decoder.decode(bytes), '$', 0);
    reencoded = encodeCanonicalGeneral(value);
  } catch (error) {
    // cbor-x may throw on structure we also reject, and `normalise` knows no byte offsets; the
    // strict walker names the first violation with its offset, so prefer its diagnosis.
    const diagnosis = diagnoseNonCanonical(bytes);
    if (diagnosis) throw diagnosis;
    if (error instanceof BayledgerError) throw error;
    const message = errorMessage(error);
    if (message.includes('end of buffer not reached'))
      fail('CBOR_TRAILING_BYTES', 'bytes after the first item');
    fail('CBOR_MALFORMED', `malformed CBOR (${message})`);
  }
  if (!bytesEqual(reencoded, bytes)) {
    throw diagnoseNonCanonical(bytes) ?? new BayledgerError('CBOR_NON_CANONICAL', 'not in canonical form');
  }
  return value;
}
