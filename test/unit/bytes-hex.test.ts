// toHex (src/core/bytes.ts) writes hex digits through a table into a scratch buffer: it must give
// Node's own lowercase hex for every byte value, every length (empty, up to the scratch size, and
// past it), views at any offset, and leave nothing of one call in the next.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseHex, toHex } from '../../src/core/bytes.js';

const nodeHex = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

describe('bytes: toHex', () => {
  it('writes every byte value as two lowercase digits', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal(toHex(all), nodeHex(all));
    assert.equal(toHex(Uint8Array.of(0x0a, 0xff)), '0aff');
    assert.equal(toHex(new Uint8Array(0)), '');
  });

  it("equals Node's hex on both sides of the scratch size (512 bytes) and at odd offsets", () => {
    const source = Uint8Array.from({ length: 1600 }, (_, i) => (i * 151 + 7) & 0xff);
    for (const length of [1, 31, 32, 33, 255, 256, 300, 511, 512, 513, 1024, 1500]) {
      for (const offset of [0, 3, 64]) {
        const view = source.subarray(offset, offset + length);
        assert.equal(toHex(view), nodeHex(view), `length ${length} at offset ${offset}`);
      }
    }
  });

  it("equals Node's hex for views of any length and offset, a long call then a short one", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1500 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 40 }),
        (bytes, cut, next) => {
          const view = bytes.subarray(bytes.byteLength === 0 ? 0 : cut % bytes.byteLength);
          assert.equal(toHex(view), nodeHex(view));
          assert.equal(toHex(next), nodeHex(next));
          assert.deepEqual(parseHex(toHex(view)), Uint8Array.from(view));
        },
      ),
      { numRuns: 300 },
    );
  });
});
