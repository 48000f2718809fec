// Ledger views (src/core/ledger/views.ts): a value the block's own overlay wrote is returned as it
// was written, without parsing it again; a value from the base (store, re-derived state) is still
// parsed, and one that does not parse is DATABASE_CORRUPT; so is a value a scan of the store hands over.
import assert from 'node:assert/strict';
import { toHex } from '../../src/core/bytes.js';
import { type CborValue, decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { applyTx } from '../../src/core/ledger/apply-tx.js';
import { MemoryState, StateOverlay, type StateWrite } from '../../src/core/ledger/state-kv.js';
import {
  consentOfWrite,
  getConsent,
  getOutcome,
  getTransfer,
  type OutcomeRecord,
  putOutcome,
  storedTransfer,
  type TransferRecord,
  transferOfWrite,
} from '../../src/core/ledger/views.js';
import { type BuiltTx, declareTransfer, grantConsent, testGenesis } from '../helpers/fixtures.js';

const txId = new Uint8Array(32).fill(7);
const outcome: OutcomeRecord = {
  accepted: true,
  reasons: [],
  kind: 'consent.grant',
  objectId: new Uint8Array(32).fill(9),
  height: 3,
};

describe('ledger views: own writes and base values', () => {
  it("returns the overlay's own write as written, and undefined after its delete", () => {
    const overlay = new StateOverlay(new MemoryState());
    putOutcome(overlay, txId, outcome);
    assert.equal(getOutcome(overlay, txId), outcome);
    assert.deepEqual(overlay.written('outcome', toHex(txId)), outcome);
    overlay.set('outcome', toHex(txId), null);
    assert.equal(getOutcome(overlay, txId), undefined);
  });

  it('still parses what the base holds: a bad value there is DATABASE_CORRUPT, a good one a copy', () => {
    const base = new MemoryState();
    const key = toHex(txId);
    base.apply([{ bucket: 'outcome', key, value: { accepted: 'yes' } }]);
    const overlay = new StateOverlay(base);
    assert.equal(overlay.written('outcome', key), undefined);
    assert.throws(
      () => getOutcome(overlay, txId),
      (error: unknown) => isBayledgerError(error, 'DATABASE_CORRUPT') && error.message.includes(key),
    );
    const good = new MemoryState();
    good.apply([{ bucket: 'outcome', key, value: { ...outcome } }]);
    const read = getOutcome(new StateOverlay(good), txId);
    assert.deepEqual(read, outcome);
    assert.notEqual(read, good.get('outcome', key));
  });

  it('hands out the written object itself, which the record types keep read-only', () => {
    const overlay = new StateOverlay(new MemoryState());
    putOutcome(overlay, txId, outcome);
    const read = getOutcome(overlay, txId)!;
    // Not a copy: what keeps a caller from changing the block's write is the type (views.ts).
    assert.equal(read, outcome);
    // Checked by `tsc -p . --noEmit` (never run): each line fails to compile if its field or list
    // stops being read-only, and then the unused @ts-expect-error is itself an error.
    const mutations = (record: TransferRecord): void => {
      // @ts-expect-error a record's field is read-only
      record.status = 'approved';
      // @ts-expect-error a list the record owns is read-only
      record.pendingAssessors.push('regulator');
      // @ts-expect-error so are the entries of its assessments
      record.assessments[0]!.decision = 'approve';
    };
    assert.equal(typeof mutations, 'function');
  });
});

describe("ledger views: the records of a block's writes", () => {
  /** One block's overlay after a grant and a declaration under it, and its sorted writes. */
  function grantAndDeclare() {
    const net = testGenesis();
    const grant = grantConsent(net);
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    const overlay = new StateOverlay(new MemoryState());
    const context = { genesis: net.genesis, blockTimeMs: net.genesis.genesisTimeMs + 1000, height: 1 };
    for (const tx of [grant, declaration] as BuiltTx[]) applyTx(overlay, tx.envelope, tx.txId, context);
    return { overlay, writes: overlay.writes(), grant, declaration };
  }

  function writeTo(writes: readonly StateWrite[], bucket: StateWrite['bucket'], id: Uint8Array): StateWrite {
    const found = writes.find((write) => write.bucket === bucket && write.key === toHex(id));
    assert.ok(found, `a ${bucket} write for ${toHex(id)}`);
    return found;
  }

  it('returns the record the put function wrote, the very object, typed', () => {
    const { overlay, writes, grant, declaration } = grantAndDeclare();
    const consent = consentOfWrite(writeTo(writes, 'consent', grant.objectId));
    const transfer = transferOfWrite(writeTo(writes, 'transfer', declaration.objectId));
    assert.equal(consent, getConsent(overlay, grant.objectId));
    assert.equal(transfer, getTransfer(overlay, declaration.objectId));
    assert.equal(consent?.status, 'active');
    assert.deepEqual(transfer?.transferId, declaration.objectId);
  });

  it('is undefined for a write to another bucket and for a delete', () => {
    const { writes, grant, declaration } = grantAndDeclare();
    const consentWrite = writeTo(writes, 'consent', grant.objectId);
    assert.equal(transferOfWrite(consentWrite), undefined);
    assert.equal(consentOfWrite(writeTo(writes, 'transfer', declaration.objectId)), undefined);
    assert.equal(consentOfWrite(writeTo(writes, 'seen', grant.objectId)), undefined);
    assert.equal(consentOfWrite({ ...consentWrite, value: null }), undefined);
  });

  it('parses a transfer record from a scanned value as getTransfer does; a bad one is DATABASE_CORRUPT', () => {
    const { writes, declaration } = grantAndDeclare();
    const write = writeTo(writes, 'transfer', declaration.objectId);
    // What a scan of the store hands over: the canonical bytes, decoded.
    const scanned = decodeCanonical(encodeCanonical(write.value!));
    const record = storedTransfer(write.key, scanned);
    assert.deepEqual(record, transferOfWrite(write));
    assert.throws(
      () =>
        storedTransfer(write.key, { ...(scanned as Record<string, unknown>), status: 'lost' } as CborValue),
      (error: unknown) => isBayledgerError(error, 'DATABASE_CORRUPT') && error.message.includes(write.key),
    );
  });
});
