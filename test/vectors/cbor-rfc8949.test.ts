// RFC 8949 appendix A examples, split into the ones our data model carries (they must encode to
// exactly the listed bytes and decode back) and the ones canonical bayledger data must REJECT
// (floats, undefined, simple values, tags, integers outside +-(2^53-1), non-text map keys and
// indefinite lengths), each with its error code and the byte offset of the offending head.
import { strict as assert } from 'node:assert';
import { toHex } from '../../src/core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/index.js';
import { BayledgerError, type ErrorCode } from '../../src/core/errors.js';

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Appendix A rows whose value is in bayledger's data model. */
const ACCEPTED: ReadonlyArray<readonly [string, unknown, string]> = [
  ['0', 0, '00'],
  ['1', 1, '01'],
  ['10', 10, '0a'],
  ['23', 23, '17'],
  ['24', 24, '1818'],
  ['25', 25, '1819'],
  ['100', 100, '1864'],
  ['1000', 1000, '1903e8'],
  ['1000000', 1000000, '1a000f4240'],
  ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
  ['-1', -1, '20'],
  ['-10', -10, '29'],
  ['-100', -100, '3863'],
  ['-1000', -1000, '3903e7'],
  ['false', false, 'f4'],
  ['true', true, 'f5'],
  ['null', null, 'f6'],
  ["h''", new Uint8Array(0), '40'],
  ["h'01020304'", bytesOf(1, 2, 3, 4), '4401020304'],
  ['""', '', '60'],
  ['"a"', 'a', '6161'],
  ['"IETF"', 'IETF', '6449455446'],
  ['"\\"\\\\"', '"\\', '62225c'],
  ['"\\u00fc"', '\u00fc', '62c3bc'],
  ['"\\u6c34"', '\u6c34', '63e6b0b4'],
  ['"\\ud800\\udd51"', '\ud800\udd51', '64f0908591'],
  ['[]', [], '80'],
  ['[1, 2, 3]', [1, 2, 3], '83010203'],
  ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
  [
    '[1, 2, ..., 25]',
    Array.from({ length: 25 }, (_, i) => i + 1),
    '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
  ],
  ['{}', {}, 'a0'],
  ['{"a": 1, "b": [2, 3]}', { a: 1, b: [2, 3] }, 'a26161016162820203'],
  ['["a", {"b": "c"}]', ['a', { b: 'c' }], '826161a161626163'],
  [
    '{"a": "A", ..., "e": "E"}',
    { a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' },
    'a56161614161626142616361436164614461656145',
  ],
];

/** Integer limits of our data model around the 32-bit and 53-bit boundaries (not in appendix A). */
const INTEGER_LIMITS: ReadonlyArray<readonly [number, string]> = [
  [2 ** 32 - 1, '1affffffff'],
  [2 ** 32, '1b0000000100000000'],
  [2 ** 53 - 1, '1b001fffffffffffff'],
  [-(2 ** 32), '3affffffff'],
  [-(2 ** 32) - 1, '3b0000000100000000'],
  [-(2 ** 53 - 1), '3b001ffffffffffffe'],
];

/** One rejected row: its diagnostic notation, its bytes, and the offset the error names. */
type RejectedRow = readonly [diagnostic: string, hex: string, offset: number];

/**
 * Appendix A rows canonical bayledger data must reject, by the error they raise: types outside
 * the data model (big integers, floats, simple values, tags, integer map keys), and indefinite
 * lengths, which RFC 8949 section 4.2.1 rules out of deterministic encoding.
 */
const REJECTED: ReadonlyArray<readonly [ErrorCode, readonly RejectedRow[]]> = [
  [
    'CBOR_FORBIDDEN_TYPE',
    [
      ['18446744073709551615', '1bffffffffffffffff', 0],
      ['18446744073709551616', 'c249010000000000000000', 0],
      ['-18446744073709551616', '3bffffffffffffffff', 0],
      ['-18446744073709551617', 'c349010000000000000000', 0],
      ['0.0', 'f90000', 0],
      ['-0.0', 'f98000', 0],
      ['1.0', 'f93c00', 0],
      ['1.1', 'fb3ff199999999999a', 0],
      ['1.5', 'f93e00', 0],
      ['65504.0', 'f97bff', 0],
      ['100000.0', 'fa47c35000', 0],
      ['3.4028234663852886e+38', 'fa7f7fffff', 0],
      ['1.0e+300', 'fb7e37e43c8800759c', 0],
      ['5.960464477539063e-8', 'f90001', 0],
      ['-4.0', 'f9c400', 0],
      ['-4.1', 'fbc010666666666666', 0],
      ['Infinity', 'f97c00', 0],
      ['NaN', 'f97e00', 0],
      ['-Infinity', 'f9fc00', 0],
      ['Infinity (single)', 'fa7f800000', 0],
      ['NaN (double)', 'fb7ff8000000000000', 0],
      ['undefined', 'f7', 0],
      ['simple(16)', 'f0', 0],
      ['simple(255)', 'f8ff', 0],
      ['0("2013-03-21T20:04:00Z")', 'c074323031332d30332d32315432303a30343a30305a', 0],
      ['1(1363896240)', 'c11a514b67b0', 0],
      ['1(1363896240.5)', 'c1fb41d452d9ec200000', 0],
      ["23(h'01020304')", 'd74401020304', 0],
      ["24(h'6449455446')", 'd818456449455446', 0],
      ['32("http://www.example.com")', 'd82076687474703a2f2f7777772e6578616d706c652e636f6d', 0],
      ['{1: 2, 3: 4}', 'a201020304', 1],
    ],
  ],
  [
    'CBOR_NON_CANONICAL',
    [
      ["(_ h'0102', h'030405')", '5f42010243030405ff', 0],
      ['(_ "strea", "ming")', '7f657374726561646d696e67ff', 0],
      ['[_ ]', '9fff', 0],
      ['[_ 1, [2, 3], [_ 4, 5]]', '9f018202039f0405ffff', 0],
      ['[_ 1, [2, 3], [4, 5]]', '9f01820203820405ff', 0],
      ['[1, [2, 3], [_ 4, 5]]', '83018202039f0405ff', 5],
      ['[1, [_ 2, 3], [4, 5]]', '83019f0203ff820405', 2],
      ['[_ 1, 2, ..., 25]', '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', 0],
      ['{_ "a": 1, "b": [_ 2, 3]}', 'bf61610161629f0203ffff', 0],
      ['["a", {_ "b": "c"}]', '826161bf61626163ff', 3],
      ['{_ "Fun": true, "Amt": -2}', 'bf6346756ef563416d7421ff', 0],
    ],
  ],
];

function expectRejection(input: Uint8Array, code: ErrorCode, offset: number): void {
  assert.throws(
    () => decodeCanonical(input),
    (error: unknown) => {
      assert.ok(error instanceof BayledgerError, `expected BayledgerError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.equal(error.where, `byte ${offset}`, error.message);
      return true;
    },
  );
}

describe('RFC 8949 appendix A vectors', () => {
  describe('accepted: encode to the listed bytes and decode back', () => {
    for (const [diagnostic, value, expected] of ACCEPTED) {
      it(diagnostic, () => {
        assert.equal(toHex(encodeCanonical(value)), expected);
        assert.deepStrictEqual(decodeCanonical(hex(expected)), value);
      });
    }
  });

  describe('integer limits of the data model', () => {
    for (const [value, expected] of INTEGER_LIMITS) {
      it(`${value} <-> ${expected}`, () => {
        assert.equal(toHex(encodeCanonical(value)), expected);
        assert.equal(decodeCanonical(hex(expected)), value);
      });
    }

    it('refuses to encode 2^53 and -(2^53), which a JavaScript number cannot hold exactly', () => {
      for (const value of [2 ** 53, -(2 ** 53)]) {
        assert.throws(() => encodeCanonical(value), { code: 'CBOR_FORBIDDEN_TYPE' });
      }
    });

    it('rejects 2^53 and -(2^53) on decode', () => {
      expectRejection(hex('1b0020000000000000'), 'CBOR_FORBIDDEN_TYPE', 0);
      expectRejection(hex('3b001fffffffffffff'), 'CBOR_FORBIDDEN_TYPE', 0);
    });
  });

  describe('rejected: outside canonical bayledger data', () => {
    for (const [code, rows] of REJECTED) {
      for (const [diagnostic, input, offset] of rows) {
        it(`${diagnostic} -> ${code} at byte ${offset}`, () => expectRejection(hex(input), code, offset));
      }
    }
  });
});
