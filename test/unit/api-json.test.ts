// JSON for API answers (src/node/api/json.ts): byte strings as lowercase hex (a Node Buffer too,
// which JSON.stringify would otherwise write as an array of numbers), bigints as decimal strings.
import { strict as assert } from 'node:assert';
import { toJsonText } from '../../src/node/api/json.js';

describe('API answer JSON', () => {
  it('writes bytes as lowercase hex, a Buffer included, and bigints as decimal strings', () => {
    const answer = {
      txId: Uint8Array.of(0xab, 0x01),
      leaf: Buffer.from([0xff, 0x00]),
      nested: [{ digest: new Uint8Array(0) }],
      total: 2n ** 64n,
      height: 7,
      name: 'x',
    };
    assert.equal(
      toJsonText(answer),
      '{"txId":"ab01","leaf":"ff00","nested":[{"digest":""}],"total":"18446744073709551616","height":7,"name":"x"}',
    );
    assert.equal(toJsonText(Uint8Array.of(1)), '"01"');
  });
});
