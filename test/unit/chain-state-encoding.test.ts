// State values are encoded once per block (encodeWriteValues) for the stateHash, the store and
// chain verify's derived state. Byte strings, booleans and unsigned integers take a short path
// that writes the head directly; every value must still come out exactly as encodeCanonical
// (RFC 8949 section 4.2.1) writes it, or every node would commit a different stateHash.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { compareTextKeys, encodeCanonical } from '../../src/core/codec/canonical.js';
import {
  encodeWriteValues,
  MemoryState,
  STATE_BUCKETS,
  StateOverlay,
  type StateWrite,
} from '../../src/core/ledger/state-kv.js';

const simpleValue = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.boolean(),
  fc.integer({ min: 0, max: 30 }),
  fc.constantFrom(23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: -1000, max: -1 }),
  fc.record({ n: fc.nat(), b: fc.boolean() }).map((r) => ({ ...r })),
  fc
    .record({
      status: fc.constantFrom('active', 'revoked'),
      reasons: fc.array(fc.constantFrom('A', 'BB', 'CCC'), { maxLength: 3 }),
      nested: fc
        .record({ id: fc.uint8Array({ minLength: 32, maxLength: 32 }), at: fc.nat() })
        .map((r) => ({ ...r })),
      note: fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
    })
    .map((r) => ({ ...r })),
);

describe('chain: state values encoded once per block', () => {
  it('encodes every value (deletes as null) exactly as encodeCanonical encodes it alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(simpleValue, fc.constant(null)), { minLength: 1, maxLength: 40 }),
        (values) => {
          const writes: StateWrite[] = values.map((value, i) => ({ bucket: 'counter', key: `k${i}`, value }));
          const encoded = encodeWriteValues(writes);
          assert.equal(encoded.length, values.length);
          for (const [i, value] of values.entries()) {
            assert.deepEqual(encoded[i], value === null ? null : encodeCanonical(value));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives each value its own bytes: changing one changes no other's", () => {
    const [a, b] = encodeWriteValues([
      { bucket: 'counted', key: 'a', value: true },
      { bucket: 'counted', key: 'b', value: true },
    ]);
    a![0] = 0;
    assert.deepEqual(b, Uint8Array.of(0xf5));
  });
});

describe('chain: state writes in the order the stateHash commits to', () => {
  it('sorts by bucket, then each key by RFC 8949 section 4.2.1 order (length, then bytes)', () => {
    const overlay = new StateOverlay(new MemoryState());
    const keys = ['bb', 'c', 'aa', 'a', 'ba', '10', '9', 'é', 'zz'];
    for (const key of keys) overlay.set('outcome', key, 1);
    overlay.set('consent', 'z', 1);
    const written = overlay.writes().map((write) => `${write.bucket}/${write.key}`);
    const byEncoding = [...keys].sort(compareTextKeys).map((key) => `outcome/${key}`);
    const bucketOrder = STATE_BUCKETS.indexOf('consent') < STATE_BUCKETS.indexOf('outcome');
    assert.deepEqual(written, bucketOrder ? ['consent/z', ...byEncoding] : [...byEncoding, 'consent/z']);
    // Without the non-ASCII key, the ASCII-only comparison must give the same order.
    const ascii = new StateOverlay(new MemoryState());
    for (const key of keys.filter((key) => key !== 'é')) ascii.set('outcome', key, 1);
    assert.deepEqual(
      ascii.writes().map((write) => write.key),
      ['9', 'a', 'c', '10', 'aa', 'ba', 'bb', 'zz'],
    );
  });
});
