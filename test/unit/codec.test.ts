// Canonical CBOR codec (src/core/codec): what encodeCanonical refuses to sign, and every
// canonical-form violation decodeCanonical rejects, each with its error code and byte offset.
import { strict as assert } from 'node:assert';
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonicalGeneral } from '../../src/core/codec/canonical.js';
import { compareTextKeys, decodeCanonical, encodeCanonical } from '../../src/core/codec/index.js';
import { BayledgerError, type ErrorCode } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function expectError(action: () => unknown, code: ErrorCode, where: string | undefined): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof BayledgerError, `expected BayledgerError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.where, where, error.message);
    return true;
  });
}

/** `depth` nested one-element arrays around 0: 0x81 repeated, then 0x00. */
function nestedArrays(depth: number): Uint8Array {
  return Uint8Array.from([...new Array<number>(depth).fill(0x81), 0x00]);
}

describe('codec: encodeCanonical', () => {
  it('sorts map keys length-first, then bytewise (RFC 8949 section 4.2.1)', () => {
    const encoded = encodeCanonical({ bb: 1, a: 2, c: 3, aa: 4, '\u00e9': 5 });
    // Keys in order: "a", "c", "aa", "bb", "\u00e9" (2 UTF-8 bytes c3 a9, after "bb" bytewise).
    assert.equal(toHex(encoded), 'a56161026163036261610462626201' + '62c3a905');
    assert.ok(compareTextKeys('z', 'aa') < 0);
    assert.ok(compareTextKeys('\u00e9', 'zz') > 0);
  });

  it('gives the same bytes whatever the key insertion order, at every depth', () => {
    const first = encodeCanonical({ x: { b: 1, a: [{ d: 1, c: 2 }] }, a: null });
    const second = encodeCanonical({ a: null, x: { a: [{ c: 2, d: 1 }], b: 1 } });
    assert.equal(toHex(first), toHex(second));
  });

  it('keeps sorted order for integer-like keys, which JavaScript enumerates first', () => {
    // Regression: building the sorted map as an object put "0" and "10" before "" and "a".
    const expected = 'a4' + '60f6' + '6130f6' + '6161f6' + '623130f6';
    assert.equal(toHex(encodeCanonical({ '10': null, '0': null, a: null, '': null })), expected);
    assert.deepStrictEqual(decodeCanonical(hex(expected)), { '': null, a: null, '0': null, '10': null });
  });

  it('drops fields whose value is undefined, as if absent', () => {
    assert.equal(toHex(encodeCanonical({ a: 1, b: undefined })), toHex(encodeCanonical({ a: 1 })));
  });

  it('writes -0 as the integer 0', () => {
    assert.equal(toHex(encodeCanonical(-0)), '00');
  });

  it('returns bytes the caller owns (not a view of a shared buffer)', () => {
    const first = encodeCanonical([1, 2, 3]);
    const copy = Uint8Array.from(first);
    encodeCanonical(['something', 'else', 'entirely', new Uint8Array(64)]);
    assert.deepStrictEqual(first, copy);
    assert.equal(first.byteOffset, 0);
    assert.equal(first.buffer.byteLength, first.byteLength);
  });

  const refused: ReadonlyArray<readonly [string, unknown, string]> = [
    ['a float', { a: [1.5] }, '$.a[0]'],
    ['NaN', Number.NaN, '$'],
    ['Infinity', Number.POSITIVE_INFINITY, '$'],
    ['an integer beyond 2^53-1', 2 ** 53, '$'],
    ['a bigint', { n: 1n }, '$.n'],
    ['undefined at top level', undefined, '$'],
    ['undefined inside an array', [1, undefined], '$[1]'],
    ['a Date', { at: new Date(0) }, '$.at'],
    ['a Map', new Map([['a', 1]]), '$'],
    ['a Set', [new Set([1])], '$[0]'],
    ['a class instance', { x: new (class Point {})() }, '$.x'],
    ['an object without prototype', Object.create(null), '$'],
    ['a function', { f: () => 1 }, '$.f'],
    ['a symbol', [Symbol('s')], '$[0]'],
    ['a lone surrogate', { s: '\ud800' }, '$.s'],
    ['the key __proto__', { m: JSON.parse('{"__proto__": 1}') }, '$.m'],
  ];
  for (const [name, value, where] of refused) {
    it(`refuses ${name} with CBOR_FORBIDDEN_TYPE at ${where}`, () => {
      expectError(() => encodeCanonical(value), 'CBOR_FORBIDDEN_TYPE', where);
    });
  }

  it(`refuses nesting deeper than ${LIMITS.maxCborDepth} with CBOR_TOO_LARGE, in both encoders`, () => {
    // The general encoder only runs where the direct writer gives up, so it is held to it here.
    for (const encode of [encodeCanonical, encodeCanonicalGeneral]) {
      let array: unknown = 0;
      let map: unknown = 0;
      for (let i = 0; i < LIMITS.maxCborDepth; i++) {
        array = [array];
        map = { a: map };
      }
      assert.equal(encode(array).byteLength, LIMITS.maxCborDepth + 1);
      assert.equal(encode(map).byteLength, 3 * LIMITS.maxCborDepth + 1);
      assert.throws(() => encode([array]), { code: 'CBOR_TOO_LARGE' });
      assert.throws(() => encode({ a: map }), { code: 'CBOR_TOO_LARGE' });
    }
  });

  it('names the type it refuses', () => {
    assert.throws(() => encodeCanonical({ at: new Date(0) }), /Date is not allowed/);
    assert.throws(() => encodeCanonical({ x: new (class Point {})() }), /Point is not allowed/);
    assert.throws(() => encodeCanonical(undefined), /undefined is not allowed/);
  });
});

describe('codec: decodeCanonical rejections, each with its code and byte offset', () => {
  const cases: ReadonlyArray<readonly [string, string, ErrorCode, number]> = [
    // RFC 8949 section 4.2.1 rule 1: integers and lengths in the shortest form.
    ['23 in a 1-byte argument', '1817', 'CBOR_NON_CANONICAL', 0],
    ['23 in a 2-byte argument', '190017', 'CBOR_NON_CANONICAL', 0],
    ['255 in a 2-byte argument', '1900ff', 'CBOR_NON_CANONICAL', 0],
    ['65535 in a 4-byte argument', '1a0000ffff', 'CBOR_NON_CANONICAL', 0],
    ['2^32-1 in an 8-byte argument', '1b00000000ffffffff', 'CBOR_NON_CANONICAL', 0],
    ['-24 in a 1-byte argument', '3817', 'CBOR_NON_CANONICAL', 0],
    ['a byte-string length in a long form', '5801ff', 'CBOR_NON_CANONICAL', 0],
    ['a text length in a long form', '780161', 'CBOR_NON_CANONICAL', 0],
    ['an array length in a long form', '980100', 'CBOR_NON_CANONICAL', 0],
    ['a map length in a long form', 'b80100', 'CBOR_NON_CANONICAL', 0],
    ['a non-shortest integer inside an array', '82011817', 'CBOR_NON_CANONICAL', 2],
    // 24, 256, 65536 and 2^32 at the bottom of their forms are canonical: the fault is the next item.
    ['a non-shortest integer after the smallest 1-byte one', '8218181817', 'CBOR_NON_CANONICAL', 3],
    ['a non-shortest integer after the smallest 2-byte one', '821901001817', 'CBOR_NON_CANONICAL', 4],
    ['a non-shortest integer after the smallest 4-byte one', '821a000100001817', 'CBOR_NON_CANONICAL', 6],
    [
      'a non-shortest integer after the smallest 8-byte one',
      '821b00000001000000001817',
      'CBOR_NON_CANONICAL',
      10,
    ],
    ['a non-shortest integer as a map value', 'a26161016162190017', 'CBOR_NON_CANONICAL', 6],
    // Section 4.2.1 rule 3: map keys sorted bytewise on their encodings, no duplicates.
    ['unsorted keys "b", "a"', 'a2616201616102', 'CBOR_NON_CANONICAL', 4],
    ['a longer key before a shorter one', 'a2626161016162 02'.replace(' ', ''), 'CBOR_NON_CANONICAL', 5],
    ['unsorted keys in a nested map', '81a2616201616102', 'CBOR_NON_CANONICAL', 5],
    ['a duplicate key', 'a2616101616102', 'CBOR_DUPLICATE_KEY', 4],
    ['a duplicate key with equal values', 'a2616101616101', 'CBOR_DUPLICATE_KEY', 4],
    ['an integer map key', 'a10102', 'CBOR_FORBIDDEN_TYPE', 1],
    ['a byte-string map key', 'a1416100', 'CBOR_FORBIDDEN_TYPE', 1],
    ['the map key __proto__', 'a1695f5f70726f746f5f5f01', 'CBOR_FORBIDDEN_TYPE', 1],
    ['the map key __proto__ holding a map', 'a1695f5f70726f746f5f5fa0', 'CBOR_FORBIDDEN_TYPE', 1],
    // Structure.
    ['trailing bytes', '0001', 'CBOR_TRAILING_BYTES', 1],
    ['trailing bytes after a map', 'a0a0a0', 'CBOR_TRAILING_BYTES', 1],
    ['a truncated map', 'a16161', 'CBOR_MALFORMED', 3],
    ['a truncated array', '830102', 'CBOR_MALFORMED', 3],
    ['a byte string longer than the input', '5affffffff00', 'CBOR_MALFORMED', 0],
    ['an array claiming 2^32-1 items', '9affffffff', 'CBOR_MALFORMED', 5],
    ['reserved additional information 28', '1c', 'CBOR_MALFORMED', 0],
    ['a lone break', 'ff', 'CBOR_MALFORMED', 0],
    ['invalid UTF-8 in a text string', '62c328', 'CBOR_MALFORMED', 0],
    ['an encoded surrogate in a text string', '63eda080', 'CBOR_MALFORMED', 0],
    ['an overlong UTF-8 encoding', '62c0af', 'CBOR_MALFORMED', 0],
    ['a two-byte simple value below 32', 'f818', 'CBOR_MALFORMED', 0],
    ['a two-byte simple value 32 (well formed, outside the data model)', 'f820', 'CBOR_FORBIDDEN_TYPE', 0],
    ['reserved additional information 28 of major type 7', 'fc', 'CBOR_MALFORMED', 0],
    ['reserved additional information 29 of major type 7', 'fd', 'CBOR_MALFORMED', 0],
    ['reserved additional information 30 of major type 7', 'fe', 'CBOR_MALFORMED', 0],
    // What the data model holds passes the walker: the fault is the item after it.
    ['false, true and null before a non-shortest integer', '84f4f5f61817', 'CBOR_NON_CANONICAL', 4],
    ['2^53-1 before a non-shortest integer', '821b001fffffffffffff1817', 'CBOR_NON_CANONICAL', 10],
    ['-(2^53-1) before a non-shortest integer', '823b001ffffffffffffe1817', 'CBOR_NON_CANONICAL', 10],
    // Data model.
    ['a float inside a map', 'a16161f93c00', 'CBOR_FORBIDDEN_TYPE', 3],
    ['undefined inside an array', '8201f7', 'CBOR_FORBIDDEN_TYPE', 2],
    ['a tag inside an array', '81c11a514b67b0', 'CBOR_FORBIDDEN_TYPE', 1],
    ['an indefinite-length array inside a map', 'a161619fff', 'CBOR_NON_CANONICAL', 3],
  ];
  for (const [name, input, code, offset] of cases) {
    it(`${name} -> ${code} at byte ${offset}`, () => {
      expectError(() => decodeCanonical(hex(input)), code, `byte ${offset}`);
    });
  }

  it('names the kind of item the data model refuses', () => {
    const messages: [string, RegExp][] = [
      ['f7', /undefined is not allowed/],
      ['f93c00', /floating-point numbers are not allowed/],
      ['fa3f800000', /floating-point numbers are not allowed/],
      ['fb3ff0000000000000', /floating-point numbers are not allowed/],
      ['fc', /reserved additional information 28/],
      ['f820', /simple value 32 is not allowed/],
    ];
    for (const [input, message] of messages) assert.throws(() => decodeCanonical(hex(input)), message);
  });

  it('rejects empty input as malformed', () => {
    expectError(() => decodeCanonical(new Uint8Array(0)), 'CBOR_MALFORMED', 'byte 0');
  });

  it('rejects input over the size limit before decoding it, naming the limit', () => {
    const input = encodeCanonical(new Uint8Array(100));
    assert.equal(input.byteLength, 102);
    expectError(() => decodeCanonical(input, 101), 'CBOR_TOO_LARGE', 'byte 101');
    assert.equal((decodeCanonical(input, 102) as Uint8Array).byteLength, 100);
  });

  it(`accepts ${LIMITS.maxCborDepth} levels of nesting and rejects one more at its byte`, () => {
    assert.ok(Array.isArray(decodeCanonical(nestedArrays(LIMITS.maxCborDepth))));
    const tooDeep = LIMITS.maxCborDepth + 1;
    expectError(() => decodeCanonical(nestedArrays(tooDeep)), 'CBOR_TOO_LARGE', `byte ${tooDeep}`);
  });

  it(`holds nested maps to the same ${LIMITS.maxCborDepth} levels as arrays`, () => {
    // { "a": { "a": ... 0 } }: a one-pair map head and the key "a" per level.
    const nestedMaps = (depth: number) =>
      Uint8Array.from([...Array.from({ length: depth }, () => [0xa1, 0x61, 0x61]).flat(), 0x00]);
    assert.equal(typeof decodeCanonical(nestedMaps(LIMITS.maxCborDepth)), 'object');
    const tooDeep = LIMITS.maxCborDepth + 1;
    // Just past the too-deep level's map head (three bytes per level above it), as for arrays.
    expectError(
      () => decodeCanonical(nestedMaps(tooDeep)),
      'CBOR_TOO_LARGE',
      `byte ${3 * LIMITS.maxCborDepth + 1}`,
    );
  });

  it('rejects very deep nesting with a typed error, not a stack overflow', () => {
    expectError(
      () => decodeCanonical(nestedArrays(200_000)),
      'CBOR_TOO_LARGE',
      `byte ${LIMITS.maxCborDepth + 1}`,
    );
  });

  it('accepts what it encodes, with maps as plain objects and bytes as Uint8Array', () => {
    const value = { b: new Uint8Array([1, 2]), a: [true, false, null, -5, 'x'], nested: { k: 'v' } };
    const decoded = decodeCanonical(encodeCanonical(value)) as Record<string, unknown>;
    assert.deepStrictEqual(decoded, {
      a: [true, false, null, -5, 'x'],
      b: new Uint8Array([1, 2]),
      nested: { k: 'v' },
    });
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(Object.getPrototypeOf(decoded.b), Uint8Array.prototype);
  });
});
