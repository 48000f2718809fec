// Mempool admission (src/node/admission.ts): a valid transaction comes back decoded and checked
// under the id it was given; bytes that do not decode are refused with the decoder's own code, a
// well-formed but invalid transaction with RECORD_INVALID and the reason; every call is timed.
import { strict as assert } from 'node:assert';
import { concatBytes, toHex } from '../../src/core/bytes.js';
import { admitTransaction } from '../../src/node/admission.js';
import type { NodeMetrics } from '../../src/node/node-metrics.js';
import { grantConsent, testGenesis, testKey } from '../helpers/fixtures.js';
import { idleNodeMetrics } from '../helpers/metrics.js';

describe('mempool admission', () => {
  const network = testGenesis();
  let metrics: NodeMetrics;

  beforeEach(() => {
    metrics = idleNodeMetrics();
  });

  it('admits a valid transaction, decoded and checked, under the id it was given', () => {
    const grant = grantConsent(network, { patient: 'admitted' });
    const result = admitTransaction(grant.bytes, grant.txId, network.genesis, metrics);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(toHex(result.tx.txId), toHex(grant.txId));
    assert.equal(result.tx.tx.kind, 'consent.grant');
    assert.deepEqual(result.tx.bytes, grant.bytes);
    assert.equal(metrics.signatureVerifySeconds.count(), 1);
  });

  it("refuses bytes that are no envelope with the decoder's own code", () => {
    const grant = grantConsent(network, { patient: 'trailing' });
    const cases: Array<[string, Uint8Array, string]> = [
      ['not CBOR at all', Uint8Array.of(0xff), 'CBOR_MALFORMED'],
      ['an envelope with a byte after it', concatBytes(grant.bytes, Uint8Array.of(0)), 'CBOR_TRAILING_BYTES'],
      ['a CBOR integer', Uint8Array.of(0x01), 'SCHEMA_INVALID'],
    ];
    for (const [what, bytes, code] of cases) {
      const result = admitTransaction(bytes, grant.txId, network.genesis, metrics);
      assert.equal(result.ok, false, what);
      if (result.ok) continue;
      assert.equal(result.code, code, `${what}: the decoder names the fault`);
      assert.ok(result.reason.length > 0, what);
    }
    assert.equal(metrics.signatureVerifySeconds.count(), cases.length, 'refusals are timed too');
  });

  it('refuses a well-formed transaction signed by someone the genesis does not know, with the reason', () => {
    const forged = grantConsent(network, { patient: 'forged', signers: [testKey('nobody')] });
    const result = admitTransaction(forged.bytes, forged.txId, network.genesis, metrics);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.code, 'RECORD_INVALID');
    assert.ok(result.reason.length > 0);
  });
});
