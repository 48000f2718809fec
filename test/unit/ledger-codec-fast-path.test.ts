// The direct canonical writer and the one-pass decoder (src/core/codec/fast-*.ts), which the
// ledger's block path runs on, held to the general cbor-x path they replace on the hot path:
// for any value, encodeCanonical gives the general encoder's bytes or its exact error; for any
// bytes (valid, mutated, truncated, random), decodeCanonical gives the general decoder's value or
// its exact error code and byte offset. Also: the writer's edge cases and real envelopes.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  type CborValue,
  decodeCanonical,
  decodeCanonicalGeneral,
  encodeCanonical,
  encodeCanonicalGeneral,
} from '../../src/core/codec/canonical.js';
import { decodeCanonicalFast } from '../../src/core/codec/fast-decode.js';
import { encodeArrayOfEncoded, FAST_PATH_UNAVAILABLE } from '../../src/core/codec/fast-encode.js';
import { BayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { Workload } from '../bench/fixtures/workload.js';
import { testGenesis } from '../helpers/fixtures.js';

const RUNS = 400;

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; where: string | undefined };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof BayledgerError)) throw error;
    return { ok: false, code: error.code, where: error.where };
  }
}

const boundaryIntegers = [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];
const integers = fc.oneof(
  fc.constantFrom(...boundaryIntegers.flatMap((n) => [n, -n, -n - 1])),
  fc.integer(),
  fc.maxSafeInteger(),
);
const keys = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constantFrom('0', '10', '__proto__', 'a', 'aa', 'b', 'é', '\ud800'),
);
/** Values of the data model and values outside it (floats, undefined, bigint, Date, lone surrogates). */
const { value: anyValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    integers,
    fc.constantFrom(1.5, Number.NaN, -0, 2 ** 53, undefined, 1n, new Date(0), new Map(), new Uint16Array(2)),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 6, noNullPrototype: true }),
  ),
}));

describe('ledger codec fast path: encodeCanonical agrees with the general encoder', () => {
  it('gives the same bytes or the same error (code and field path) for any value', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        assert.deepStrictEqual(
          outcome(() => encodeCanonical(value)),
          outcome(() => encodeCanonicalGeneral(value)),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('writes text at every UTF-8 width boundary as the general encoder does', () => {
    // One code unit below and at each boundary of 1-, 2-, 3- and 4-byte sequences, alone, in a
    // longer text and as a map key.
    const characters = ['\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}'];
    for (const character of characters) {
      for (const text of [character, `ab${character}cd`, character.repeat(30)]) {
        assert.deepStrictEqual(encodeCanonical(text), encodeCanonicalGeneral(text), JSON.stringify(text));
        assert.deepStrictEqual(
          encodeCanonical({ [text]: 1, a: text }),
          encodeCanonicalGeneral({ [text]: 1, a: text }),
        );
      }
    }
  });

  it('agrees at the nesting limit and one past it', () => {
    for (const depth of [LIMITS.maxCborDepth, LIMITS.maxCborDepth + 1]) {
      let value: unknown = { k: 1 };
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
      assert.deepStrictEqual(
        outcome(() => encodeCanonical(value)),
        outcome(() => encodeCanonicalGeneral(value)),
      );
    }
  });

  it('grows past its scratch buffer and returns bytes the caller owns', () => {
    const big = {
      blob: new Uint8Array(3 * 1024 * 1024).fill(7),
      list: Array.from({ length: 5000 }, (_, i) => i),
    };
    const first = encodeCanonical(big);
    assert.deepStrictEqual(first, encodeCanonicalGeneral(big));
    const small = encodeCanonical({ a: 1 });
    assert.equal(small.buffer.byteLength, small.byteLength);
    assert.deepStrictEqual(decodeCanonical(first), decodeCanonicalGeneral(first));
  });

  it('writes an array of encoded items exactly as encoding the array', () => {
    const items: CborValue[] = [[1, 'a'], { b: new Uint8Array(30) }, 'x'.repeat(300), null];
    const encoded = encodeArrayOfEncoded(items.map((item) => encodeCanonical(item)));
    assert.deepStrictEqual(encoded, encodeCanonicalGeneral(items));
    const many = Array.from({ length: 300 }, (_, i) => i);
    assert.deepStrictEqual(
      encodeArrayOfEncoded(many.map((n) => encodeCanonical(n))),
      encodeCanonicalGeneral(many),
    );
  });
});

describe('ledger codec fast path: decodeCanonical agrees with the general decoder', () => {
  function expectSameDecode(bytes: Uint8Array): void {
    assert.deepStrictEqual(
      outcome(() => decodeCanonical(bytes)),
      outcome(() => decodeCanonicalGeneral(bytes)),
    );
  }

  it('decodes valid encodings to the same value', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const encoded = outcome(() => encodeCanonicalGeneral(value));
        if (encoded.ok) expectSameDecode(encoded.value as Uint8Array);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same value or error for mutated and truncated encodings', () => {
    fc.assert(
      fc.property(
        anyValue,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (value, position, byte, cut) => {
          const encoded = outcome(() => encodeCanonicalGeneral(value));
          if (!encoded.ok) return;
          const bytes = Uint8Array.from(encoded.value as Uint8Array);
          const mutated = Uint8Array.from(bytes);
          mutated[position % mutated.byteLength] = byte;
          expectSameDecode(mutated);
          if (bytes.byteLength > 1) expectSameDecode(bytes.subarray(0, 1 + (cut % (bytes.byteLength - 1))));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('gives the same value or error for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => expectSameDecode(bytes)),
      { numRuns: RUNS },
    );
  });

  it('handles the head boundaries, long text and non-ASCII text the same way', () => {
    const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
    for (const input of [
      '1b001fffffffffffff', // 2^53 - 1
      '1b0020000000000000', // 2^53: outside the data model
      '3b001ffffffffffffe', // -(2^53 - 1)
      '3b001fffffffffffff', // -(2^53): outside
      '1b0000000100000000', // 2^32 in its shortest form
      '1b00000000ffffffff', // 2^32 - 1 in a long form
      '62c3a9', // non-ASCII text
      '63eda080', // an encoded surrogate
      'a2616101616102', // a duplicate key
      'a1695f5f70726f746f5f5f01', // __proto__
      'f7',
      'f93c00',
      'c100',
    ]) {
      expectSameDecode(hex(input));
    }
    expectSameDecode(encodeCanonicalGeneral({ long: 'k'.repeat(500), sub: { é: 'ü'.repeat(40) } }));
  });
});

describe('ledger codec fast path: decodes the whole data model itself', () => {
  // The fast path may hand anything to the general path, which decides the same: the tests above
  // cannot see it give up where it should not. Canonical encodings of the data model are its job.
  const modelKeys = fc.oneof(
    fc.string({ maxLength: 30 }).filter((key) => key !== '__proto__'),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const { value: modelValue } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      integers.filter((n) => Number.isSafeInteger(n)),
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.array(tie('value'), { maxLength: 30 }),
      fc.dictionary(modelKeys, tie('value'), { maxKeys: 30, noNullPrototype: true }),
    ),
  }));

  it('decodes every canonical encoding of the data model without the general path', () => {
    fc.assert(
      fc.property(modelValue, (value) => {
        const bytes = encodeCanonicalGeneral(value);
        assert.deepStrictEqual(decodeCanonicalFast(bytes), decodeCanonicalGeneral(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a length claim longer than the input without reading on', () => {
    const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
    // Arrays and maps of 2^32 - 1 items, a byte string and a text of 2^32 - 1 bytes, in 5 bytes.
    for (const input of ['9affffffff', 'baffffffff', '5affffffff', '7affffffff']) {
      assert.throws(
        () => decodeCanonicalFast(hex(input)),
        (error: unknown) => error === FAST_PATH_UNAVAILABLE,
      );
      assert.equal(outcome(() => decodeCanonical(hex(input))).ok, false, input);
    }
  });
});

describe('ledger codec fast path: short text table', () => {
  it('returns exactly the text of the bytes when texts share a slot, a length and the sampled bytes', () => {
    // A two-letter alphabet makes texts of one length agree on the first, middle and last byte
    // (the slot) while differing elsewhere, so hits, misses and replaced slots all occur.
    const shortText = fc.stringMatching(/^[ab]{1,24}$/);
    fc.assert(
      fc.property(fc.array(shortText, { minLength: 1, maxLength: 40 }), fc.nat(), (texts, seed) => {
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < texts.length; i++) {
            const text = texts[(i * (round + 1) + seed) % texts.length]!;
            assert.equal(decodeCanonical(encodeCanonicalGeneral(text)), text);
            const map = decodeCanonical(encodeCanonicalGeneral({ [text]: text, c: 'a' })) as Record<
              string,
              unknown
            >;
            assert.deepStrictEqual(Object.keys(map).sort(), [text, 'c'].sort());
            assert.equal(map[text], text);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('ledger codec fast path: real transactions', () => {
  it('decodes and re-encodes a block of grants and declarations exactly', () => {
    const net = testGenesis();
    const txs = new Workload(net.genesis, net.signers, { txsPerBlock: 40, patientKeys: 5 }).blockTxs(1);
    for (const tx of txs) {
      const value = decodeCanonical(tx);
      // A copy: cbor-x leaves a `dataView` property on the buffers it decodes.
      assert.deepStrictEqual(value, decodeCanonicalGeneral(Uint8Array.from(tx)));
      assert.ok(Buffer.from(encodeCanonical(value)).equals(tx));
    }
  });
});
