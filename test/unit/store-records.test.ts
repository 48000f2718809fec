// The store's transaction positions: the fast decoder chain verify uses on the id index must accept
// exactly what the store writes and agree with the general decoder on everything it accepts.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LIMITS } from '../../src/core/limits.js';
import {
  decodeTxPositionFast,
  decodeTxPositionOrUndefined,
  encodeTxPosition,
} from '../../src/node/store/stored-records.js';

const positionArb = fc.record({
  height: fc.oneof(fc.nat(30), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  index: fc.nat(LIMITS.maxTxsPerBlock - 1),
  leafIndex: fc.oneof(fc.nat(300), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
});

describe('store: transaction positions', () => {
  it('the fast decoder reads back every position the store writes', () => {
    fc.assert(
      fc.property(positionArb, (position) => {
        assert.deepEqual(decodeTxPositionFast(encodeTxPosition(position)), { ...position });
      }),
      { numRuns: 2000 },
    );
  });

  it('on altered bytes the fast decoder refuses or agrees with the general decoder', () => {
    fc.assert(
      fc.property(
        positionArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: -2, max: 2 }),
        (position, edits, lengthChange) => {
          const bytes = Array.from(encodeTxPosition(position));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          if (lengthChange > 0) bytes.push(...Array(lengthChange).fill(0));
          if (lengthChange < 0) bytes.length += lengthChange;
          const altered = Uint8Array.from(bytes);
          const fast = decodeTxPositionFast(altered);
          if (fast !== undefined) assert.deepEqual(fast, decodeTxPositionOrUndefined(altered));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('refuses non-shortest integers and trailing bytes that the general decoder also refuses', () => {
    const canonical = encodeTxPosition({ height: 5, index: 1, leafIndex: 9 });
    const trailing = Uint8Array.from([...canonical, 0]);
    // index 1 written as 0x18 0x01 instead of 0x01.
    const long = Uint8Array.from([0xa3, ...canonical.subarray(1, 7), 0x18, 0x01, ...canonical.subarray(8)]);
    for (const bytes of [trailing, long]) {
      assert.equal(decodeTxPositionFast(bytes), undefined);
      assert.equal(decodeTxPositionOrUndefined(bytes), undefined);
    }
  });

  it('takes an index up to the last transaction a block can hold, on both paths, and no further', () => {
    const last = { height: 5, index: LIMITS.maxTxsPerBlock - 1, leafIndex: 9 };
    assert.deepEqual(decodeTxPositionFast(encodeTxPosition(last)), last);
    assert.deepEqual(decodeTxPositionOrUndefined(encodeTxPosition(last)), last);
    const past = encodeTxPosition({ ...last, index: LIMITS.maxTxsPerBlock });
    assert.equal(decodeTxPositionFast(past), undefined);
    assert.equal(decodeTxPositionOrUndefined(past), undefined);
  });
});
