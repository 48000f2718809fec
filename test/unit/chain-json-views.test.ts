// JSON forms of ledger objects (src/node/chain/json-views.ts), which the chain commands print and
// the API serves: byte strings as lowercase hex at any depth, absent fields left out, null kept,
// everything else as CBOR decoded it.
import { strict as assert } from 'node:assert';
import type { CborValue } from '../../src/core/codec/canonical.js';
import { cborToJson } from '../../src/node/chain/json-views.js';

describe('chain: JSON views of CBOR values', () => {
  it('writes bytes as hex at any depth, drops undefined fields and keeps the rest', () => {
    const body = {
      consentId: Uint8Array.of(0xde, 0xad),
      items: [{ digest: Uint8Array.of(1), sizeBytes: 10 }, [Uint8Array.of(2), 'x']],
      filingReference: null,
      dropped: undefined,
      approved: true,
    } as unknown as CborValue;
    assert.deepEqual(cborToJson(body), {
      consentId: 'dead',
      items: [{ digest: '01', sizeBytes: 10 }, ['02', 'x']],
      filingReference: null,
      approved: true,
    });
    assert.equal(cborToJson(undefined), null);
    assert.equal(cborToJson(Uint8Array.of(0xff)), 'ff');
  });
});
