// State values are encoded once per block (encodeWriteValues) for the stateHash, the store and
// chain verify's derived state. Byte strings, booleans and unsigned integers take a short path
// that writes the head directly; every value must still come out exactly as encodeCanonical
// (RFC 8949 section 4.2.1) writes it, or every node would commit a different stateHash.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { encodeWriteValues, type StateWrite } from '../../src/core/ledger/state-kv.js';

const simpleValue = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.boolean(),
  fc.integer({ min: 0, max: 30 }),
  fc.constantFrom(23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: -1000, max: -1 }),
  fc.record({ n: fc.nat(), b: fc.boolean() }).map((r) => ({ ...r })),
);

describe('chain: state values encoded once per block', () => {
  it('encodes byte strings, booleans and integers exactly as encodeCanonical does', () => {
    fc.assert(
      fc.property(fc.array(simpleValue, { minLength: 1, maxLength: 20 }), (values) => {
        const writes: StateWrite[] = values.map((value, i) => ({ bucket: 'counter', key: `k${i}`, value }));
        const encoded = encodeWriteValues(writes);
        for (const [i, value] of values.entries()) assert.deepEqual(encoded[i], encodeCanonical(value));
      }),
      { numRuns: 500 },
    );
  });

  it('hands out a fresh array for each value (no caller shares bytes with another)', () => {
    const [a, b] = encodeWriteValues([
      { bucket: 'counted', key: 'a', value: true },
      { bucket: 'counted', key: 'b', value: true },
    ]);
    a![0] = 0;
    assert.deepEqual(b, Uint8Array.of(0xf5));
  });
});
