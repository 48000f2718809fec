// applyTx: state transitions of every kind, every lifecycle transition, replay guard, counters,
// per-patient index and committed outcomes (design sections 4 and 5). Every reason code must be
// reachable through applyTx itself, not only through the pure evaluator: the last test checks it.
import assert from 'node:assert/strict';
import { bytesEqual, toHex } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { applyTx, readPolicy, type TxOutcome } from '../../src/core/ledger/apply-tx.js';
import { type MemoryState, nextStateHash, StateOverlay } from '../../src/core/ledger/state-kv.js';
import {
  consentStatusAt,
  getConsent,
  getDistinctPatients,
  getOutcome,
  getPatientIndexEntry,
  getSeen,
  getTransfer,
  isPatientCounted,
  type TransferRecord,
} from '../../src/core/ledger/views.js';
import { REASON_CODES } from '../../src/core/policy/reasons.js';
import { encodeTxEnvelope } from '../../src/core/records/index.js';
import type { BuiltTx, TestNetwork, TestNetworkOptions } from '../helpers/fixtures.js';
import {
  assessTransfer,
  DAY_SECONDS,
  declareTransfer,
  grantConsent,
  receiptFor,
  resignTx,
  revokeConsent,
  TEST_GENESIS_TIME_SECONDS,
  TestLedger,
  testDigest,
  testGenesis,
  testPolicy,
  updatePolicy,
  VALIDATORS,
} from '../helpers/fixtures.js';

const T0 = TEST_GENESIS_TIME_SECONDS;
const observedReasons = new Set<string>();

/** A ledger whose every outcome feeds the reason-code coverage check. */
class Ledger extends TestLedger {
  override blockAt(timeMs: number, ...txs: BuiltTx[]): TxOutcome[] {
    const outcomes = super.blockAt(timeMs, ...txs);
    for (const outcome of outcomes) for (const reason of outcome.reasons) observedReasons.add(reason);
    return outcomes;
  }
}

function setup(options: TestNetworkOptions = {}) {
  const net = testGenesis({
    extraOrganisations: [
      { id: 'hk-ha-cms', name: 'Hospital Authority CMS', role: 'recipient', jurisdiction: 'HK' },
    ],
    ...options,
  });
  return { net, ledger: new Ledger(net) };
}

/**
 * Block 1: a grant and a declaration of a genetic test result under it, which the negative list
 * holds for sz-cac's and sz-health's assessments.
 */
function awaiting(options: TestNetworkOptions = {}) {
  const { net, ledger } = setup(options);
  const grant = grantConsent(net);
  const declaration = declareTransfer(net, {
    consentId: grant.objectId,
    categories: ['genetic-test-result'],
  });
  const outcomes = ledger.block(grant, declaration);
  assert.deepEqual(outcomes[1]!.reasons, ['ASSESSMENT_REQUIRED']);
  assert.equal(outcomes[1]!.accepted, true);
  return { net, ledger, grant, declaration };
}

function transferOf(ledger: TestLedger, tx: BuiltTx): TransferRecord {
  const record = getTransfer(ledger.state, tx.objectId);
  assert.ok(record, 'transfer recorded');
  return record;
}

function only(outcomes: TxOutcome[]): { accepted: boolean; reasons: string[] } {
  assert.equal(outcomes.length, 1);
  return { accepted: outcomes[0]!.accepted, reasons: outcomes[0]!.reasons };
}

const ACCEPTED = { accepted: true, reasons: [] };
const refused = (...reasons: string[]) => ({ accepted: false, reasons });

describe('applyTx: consent.grant', () => {
  it('records an accepted grant: consent, replay guard, patient index and outcome', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const [outcome] = ledger.block(grant);
    assert.deepEqual(outcome, { accepted: true, reasons: [], objectId: grant.objectId });
    const consent = getConsent(ledger.state, grant.objectId);
    assert.deepEqual(consent, {
      consentId: grant.objectId,
      grant: grant.body,
      status: 'active',
      grantedAtHeight: 1,
      grantTxId: grant.txId,
      revokedAtHeight: null,
      revokeTxId: null,
    });
    assert.ok(bytesEqual(getSeen(ledger.state, grant.objectId)!, grant.txId));
    assert.deepEqual(
      getPatientIndexEntry(ledger.state, grant.body.patient, 'consent.grant', grant.objectId),
      {
        txId: grant.txId,
        height: 1,
      },
    );
    assert.deepEqual(getOutcome(ledger.state, grant.txId), {
      accepted: true,
      reasons: [],
      kind: 'consent.grant',
      objectId: grant.objectId,
      height: 1,
    });
  });

  const table: [string, Parameters<typeof grantConsent>[1], string[]][] = [
    [
      'an allowed sender that is a regulator',
      { allowedSenders: ['hku-szh', 'qianhai'] },
      ['SENDER_NOT_REGISTERED'],
    ],
    ['a recipient that is a regulator', { recipient: 'hk-health' }, ['RECIPIENT_NOT_REGISTERED']],
    ['a purpose outside the policy', { purpose: 'marketing' }, ['PURPOSE_NOT_ALLOWED']],
    ['an uncatalogued category', { categories: ['tax-record'] }, ['CATEGORY_UNKNOWN']],
    [
      'a window longer than the policy allows',
      { validUntil: T0 + 400 * DAY_SECONDS },
      ['CONSENT_VALIDITY_TOO_LONG'],
    ],
    ['a window already over', { validFrom: T0 - 10, validUntil: T0 + 1 }, ['CONSENT_EXPIRED']],
  ];
  for (const [name, options, reasons] of table) {
    it(`records a refused grant with ${name}, and no consent exists`, () => {
      const { net, ledger } = setup();
      const grant = grantConsent(net, options);
      assert.deepEqual(only(ledger.block(grant)), refused(...reasons));
      assert.equal(getConsent(ledger.state, grant.objectId), undefined);
      assert.equal(getOutcome(ledger.state, grant.txId)?.accepted, false);
      const declaration = declareTransfer(net, { consentId: grant.objectId });
      assert.deepEqual(only(ledger.block(declaration)), refused('CONSENT_NOT_FOUND'));
    });
  }

  it('a second envelope of the same body is recorded as DUPLICATE and changes nothing', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const again = resignTx(net, grant, [net.patient('alice'), net.signers['hku-szh']!]);
    assert.notEqual(toHex(again.txId), toHex(grant.txId));
    assert.ok(bytesEqual(again.objectId, grant.objectId));
    ledger.block(grant);
    assert.deepEqual(only(ledger.block(again)), refused('DUPLICATE'));
    assert.ok(bytesEqual(getConsent(ledger.state, grant.objectId)!.grantTxId, grant.txId));
    assert.ok(bytesEqual(getSeen(ledger.state, grant.objectId)!, grant.txId));
    assert.equal(getOutcome(ledger.state, again.txId)?.accepted, false);
  });
});

describe('applyTx: consent.revoke', () => {
  it('revokes from the block that records it: earlier in the block approves, later refuses', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    ledger.block(grant);
    const before = declareTransfer(net, { consentId: grant.objectId });
    const revoke = revokeConsent(net, { consentId: grant.objectId });
    const after = declareTransfer(net, { consentId: grant.objectId });
    const outcomes = ledger.block(before, revoke, after);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.reasons),
      [[], [], ['CONSENT_REVOKED']],
    );
    const consent = getConsent(ledger.state, grant.objectId)!;
    assert.equal(consent.status, 'revoked');
    assert.equal(consent.revokedAtHeight, 2);
    assert.ok(bytesEqual(consent.revokeTxId!, revoke.txId));
    assert.equal(consentStatusAt(consent, T0 + 10), 'revoked');
    assert.equal(transferOf(ledger, before).status, 'approved');
    assert.equal(transferOf(ledger, after).status, 'rejected');
    assert.ok(getPatientIndexEntry(ledger.state, grant.body.patient, 'consent.revoke', revoke.objectId));
  });

  it('refuses a second revocation, an unknown consent, and another patient', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    ledger.block(grant, revokeConsent(net, { consentId: grant.objectId }));
    assert.deepEqual(
      only(ledger.block(revokeConsent(net, { consentId: grant.objectId, nonce: net.nextNonce() }))),
      refused('CONSENT_REVOKED'),
    );
    assert.deepEqual(
      only(ledger.block(revokeConsent(net, { consentId: testDigest('nothing') }))),
      refused('CONSENT_NOT_FOUND'),
    );
    const carol = grantConsent(net, { patient: 'carol' });
    ledger.block(carol);
    assert.deepEqual(
      only(ledger.block(revokeConsent(net, { consentId: carol.objectId, patient: 'mallory' }))),
      refused('CONSENT_PATIENT_MISMATCH'),
    );
    assert.equal(getConsent(ledger.state, carol.objectId)!.status, 'active');
  });

  it('a revocation that overtook its grant is refused, and a retry with a fresh nonce applies', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const early = revokeConsent(net, { consentId: grant.objectId });
    assert.deepEqual(only(ledger.block(early)), refused('CONSENT_NOT_FOUND'));
    ledger.block(grant);
    assert.throws(
      () => ledger.block(early),
      (error: unknown) => isBayledgerError(error, 'RECORD_INVALID'),
    );
    const retry = revokeConsent(net, { consentId: grant.objectId, nonce: net.nextNonce() });
    assert.deepEqual(only(ledger.block(retry)), ACCEPTED);
    assert.equal(getConsent(ledger.state, grant.objectId)!.status, 'revoked');
  });

  it('derives not-yet-valid, active and expired from time on read, at each boundary second', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net, { validFrom: T0 + 100, validUntil: T0 + 200 });
    ledger.block(grant);
    const consent = getConsent(ledger.state, grant.objectId)!;
    assert.deepEqual(
      [T0 + 99, T0 + 100, T0 + 199, T0 + 200].map((t) => consentStatusAt(consent, t)),
      ['not-yet-valid', 'active', 'active', 'expired'],
    );
  });
});

describe('applyTx: transfer.declare', () => {
  it('approves a clean declaration at once and counts the patient for the year', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    const outcomes = ledger.block(grant, declaration);
    assert.deepEqual(outcomes[1], { accepted: true, reasons: [], objectId: declaration.objectId });
    const transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'approved');
    assert.equal(transfer.approvedAtHeight, 1);
    assert.ok(bytesEqual(transfer.patient!, grant.body.patient));
    assert.deepEqual(transfer.declaration, declaration.body);
    assert.equal(transfer.policyVersion, 1);
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 1);
    assert.ok(isPatientCounted(ledger.state, 'hku-szh', 2026, grant.body.patient));
    assert.ok(
      getPatientIndexEntry(ledger.state, grant.body.patient, 'transfer.declare', declaration.objectId),
    );
  });

  it('judges the validity window at floor(blockTimeMs / 1000), both sides of each end', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net, { validFrom: T0 + 100, validUntil: T0 + 200 });
    ledger.block(grant);
    const at = (ms: number) =>
      only(ledger.blockAt(ms, declareTransfer(net, { consentId: grant.objectId }))).reasons;
    assert.deepEqual(
      at((T0 + 100) * 1000 - 1),
      ['CONSENT_NOT_YET_VALID'],
      'last millisecond before validFrom',
    );
    assert.deepEqual(at((T0 + 100) * 1000), [], 'first millisecond of validFrom');
    assert.deepEqual(at((T0 + 200) * 1000 - 1), [], 'last millisecond before validUntil');
    assert.deepEqual(at((T0 + 200) * 1000), ['CONSENT_EXPIRED'], 'first millisecond of validUntil');
  });

  it('records a refused declaration with every reason, and without a consent no patient', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net, { separateConsent: { crossBorder: false, sensitive: true } });
    ledger.block(grant);
    const declaration = declareTransfer(net, {
      consentId: grant.objectId,
      sender: 'nf-ufh',
      recipient: 'hk-ha-cms',
      route: { id: 'gba-standard-contract' },
      categories: ['discharge-summary', 'population-health-data'],
    });
    assert.deepEqual(
      only(ledger.block(declaration)),
      refused(
        'FILING_REFERENCE_MISSING',
        'CONSENT_SENDER_MISMATCH',
        'CONSENT_RECIPIENT_MISMATCH',
        'CATEGORY_NOT_CONSENTED',
        'SEPARATE_CONSENT_MISSING',
        'NEGATIVE_LIST_PROHIBITED',
      ),
    );
    const transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'rejected');
    assert.equal(transfer.approvedAtHeight, null);
    assert.equal(getDistinctPatients(ledger.state, 'nf-ufh', 2026), 0);

    const orphan = declareTransfer(net, {
      consentId: testDigest('no-such-consent'),
      route: { id: 'fast-lane' },
    });
    assert.deepEqual(only(ledger.block(orphan)), refused('ROUTE_INVALID', 'CONSENT_NOT_FOUND'));
    assert.equal(transferOf(ledger, orphan).patient, null);
  });

  it('refuses an unregistered recipient, an uncatalogued category and a consent not yet valid', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net, {
      recipient: 'ehealth-hk',
      categories: ['imaging-study'],
      validFrom: T0 + DAY_SECONDS,
      validUntil: T0 + 2 * DAY_SECONDS,
    });
    ledger.block(grant);
    const declaration = declareTransfer(net, {
      consentId: grant.objectId,
      recipient: 'hku-szh',
      categories: ['imaging-study'],
    });
    assert.deepEqual(
      only(ledger.block(declaration)),
      refused('RECIPIENT_NOT_REGISTERED', 'CONSENT_NOT_YET_VALID', 'CONSENT_RECIPIENT_MISMATCH'),
    );
  });

  it('enforces the policy limits on items and payload bytes', () => {
    const { net, ledger } = setup({
      policy: {
        limits: {
          maxItemsPerTransfer: 2,
          maxPayloadBytes: 2 * 1024 * 1024,
          maxConsentValiditySeconds: 366 * DAY_SECONDS,
        },
      },
    });
    const grant = grantConsent(net);
    ledger.block(grant);
    const within = declareTransfer(net, { consentId: grant.objectId, categories: ['imaging-study'] });
    const over = declareTransfer(net, {
      consentId: grant.objectId,
      categories: ['imaging-study', 'lab-result', 'radiology-report'],
    });
    assert.deepEqual(
      ledger.block(within, over).map((outcome) => outcome.reasons),
      [[], ['PAYLOAD_TOO_LARGE', 'TOO_MANY_ITEMS']],
    );
  });

  it('a second envelope of the same declaration is DUPLICATE and leaves the transfer as it was', () => {
    const { net, ledger, declaration } = awaiting();
    const before = transferOf(ledger, declaration);
    assert.deepEqual(
      only(ledger.block(resignTx(net, declaration, [net.signers['hku-szh']!]))),
      refused('DUPLICATE'),
    );
    assert.deepEqual(transferOf(ledger, declaration), before);
  });

  it('catalogue changes reach declarations: a category removed from the catalogue is unknown', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    ledger.block(grant);
    const policy = testPolicy({
      version: 2,
      categories: net.genesis.policy.categories.filter((category) => category.id !== 'lab-result'),
    });
    ledger.block(updatePolicy(net, { policy }));
    const declaration = declareTransfer(net, { consentId: grant.objectId, categories: ['lab-result'] });
    assert.deepEqual(only(ledger.block(declaration)), refused('CATEGORY_UNKNOWN'));
  });
});

describe('applyTx: yearly distinct-patient threshold', () => {
  it('max 2: the 3rd distinct patient is refused; a counted patient and other routes pass', () => {
    const { net, ledger } = setup({ thresholds: { maxDistinctPatientsPerSenderPerYear: 2 } });
    const grants = ['alice', 'bob', 'carol'].map((patient) =>
      grantConsent(net, { patient, allowedSenders: ['hku-szh', 'nf-ufh'] }),
    );
    ledger.block(...grants);
    const declare = (index: number, options: Partial<Parameters<typeof declareTransfer>[1]> = {}) =>
      declareTransfer(net, { consentId: grants[index]!.objectId, ...options });
    assert.deepEqual(
      ledger.block(declare(0), declare(1), declare(2), declare(0)).map((outcome) => outcome.reasons),
      [[], [], ['VOLUME_THRESHOLD'], []],
    );
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 2);
    const unthresholded = declare(2, { route: { id: 'security-assessment' } });
    const otherSender = declare(2, { sender: 'nf-ufh' });
    assert.deepEqual(
      ledger.block(unthresholded, otherSender).map((outcome) => outcome.reasons),
      [[], []],
    );
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 2, 'security assessment does not count');
    assert.equal(getDistinctPatients(ledger.state, 'nf-ufh', 2026), 1, 'each sender has its own count');
  });

  it('counts per UTC calendar year of block time, to the millisecond', () => {
    const newYearsEveMs = Date.UTC(2026, 11, 31, 23, 59, 0);
    const { net, ledger } = setup({
      genesisTimeMs: newYearsEveMs,
      thresholds: { maxDistinctPatientsPerSenderPerYear: 1 },
    });
    const alice = grantConsent(net, { patient: 'alice' });
    const bob = grantConsent(net, { patient: 'bob' });
    ledger.block(alice, bob);
    const lastMs2026 = Date.UTC(2027, 0, 1) - 1;
    assert.deepEqual(
      ledger
        .blockAt(
          lastMs2026,
          declareTransfer(net, { consentId: alice.objectId }),
          declareTransfer(net, { consentId: bob.objectId }),
        )
        .map((outcome) => outcome.reasons),
      [[], ['VOLUME_THRESHOLD']],
    );
    assert.deepEqual(
      only(ledger.blockAt(Date.UTC(2027, 0, 1), declareTransfer(net, { consentId: bob.objectId }))),
      ACCEPTED,
    );
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 1);
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2027), 1);
  });
});

describe('applyTx: transfer.assess', () => {
  it('awaits every named regulator; the last approval approves and counts the patient then', () => {
    const { net, ledger, grant, declaration } = awaiting();
    let transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'awaiting-assessment');
    assert.deepEqual(transfer.pendingAssessors, ['sz-cac', 'sz-health']);
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 0, 'not counted while awaiting');
    const first = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
    assert.deepEqual(only(ledger.block(first)), { accepted: true, reasons: ['ASSESSMENT_REQUIRED'] });
    transfer = transferOf(ledger, declaration);
    assert.deepEqual(transfer.pendingAssessors, ['sz-cac']);
    assert.deepEqual(transfer.requiredAssessors, ['sz-cac', 'sz-health']);
    const last = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-cac' });
    assert.deepEqual(only(ledger.block(last)), ACCEPTED);
    transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'approved');
    assert.equal(transfer.approvedAtHeight, 3);
    assert.deepEqual(
      transfer.assessments.map((entry) => [entry.assessor, entry.decision, entry.height]),
      [
        ['sz-health', 'approve', 2],
        ['sz-cac', 'approve', 3],
      ],
    );
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 1);
    assert.ok(getPatientIndexEntry(ledger.state, grant.body.patient, 'transfer.assess', last.objectId));
  });

  it('one rejection rejects the transfer; later assessments find nothing awaiting', () => {
    const { net, ledger, declaration } = awaiting();
    const reject = assessTransfer(net, {
      transferId: declaration.objectId,
      decision: 'reject',
      reason: 'PURPOSE_DISPROPORTIONATE',
    });
    assert.deepEqual(only(ledger.block(reject)), { accepted: true, reasons: ['ASSESSMENT_REJECTED'] });
    const transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'rejected');
    assert.deepEqual(transfer.reasons, ['ASSESSMENT_REJECTED']);
    assert.equal(transfer.assessments[0]!.reason, 'PURPOSE_DISPROPORTIONATE');
    const late = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
    assert.deepEqual(only(ledger.block(late)), refused('TRANSFER_NOT_AWAITING_ASSESSMENT'));
  });

  it('refuses a regulator not named, a second assessment, an unknown or approved transfer', () => {
    const { net, ledger, grant, declaration } = awaiting();
    const transferId = declaration.objectId;
    assert.deepEqual(
      only(ledger.block(assessTransfer(net, { transferId, assessor: 'qianhai' }))),
      refused('ASSESSOR_NOT_REQUIRED'),
    );
    ledger.block(assessTransfer(net, { transferId }));
    assert.deepEqual(
      only(ledger.block(assessTransfer(net, { transferId, reason: 'STILL_FINE' }))),
      refused('ALREADY_ASSESSED'),
    );
    assert.deepEqual(
      only(ledger.block(assessTransfer(net, { transferId: testDigest('nothing') }))),
      refused('TRANSFER_NOT_FOUND'),
    );
    const plain = declareTransfer(net, { consentId: grant.objectId });
    ledger.block(plain);
    assert.deepEqual(
      only(ledger.block(assessTransfer(net, { transferId: plain.objectId }))),
      refused('TRANSFER_NOT_AWAITING_ASSESSMENT'),
    );
  });

  it('the last approval re-checks: a revocation while waiting rejects the transfer', () => {
    const { net, ledger, grant, declaration } = awaiting();
    ledger.block(
      assessTransfer(net, { transferId: declaration.objectId }),
      revokeConsent(net, { consentId: grant.objectId }),
    );
    const last = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
    assert.deepEqual(only(ledger.block(last)), { accepted: true, reasons: ['CONSENT_REVOKED'] });
    assert.equal(transferOf(ledger, declaration).status, 'rejected');
    assert.equal(getDistinctPatients(ledger.state, 'hku-szh', 2026), 0);
  });

  it('the last approval re-checks: a threshold reached while waiting rejects the transfer', () => {
    const { net, ledger, declaration } = awaiting({ thresholds: { maxDistinctPatientsPerSenderPerYear: 1 } });
    const bob = grantConsent(net, { patient: 'bob' });
    ledger.block(bob, declareTransfer(net, { consentId: bob.objectId }));
    ledger.block(assessTransfer(net, { transferId: declaration.objectId }));
    const last = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
    assert.deepEqual(only(ledger.block(last)), { accepted: true, reasons: ['VOLUME_THRESHOLD'] });
  });

  it('the last approval re-checks: a policy update that now prohibits the category rejects', () => {
    const { net, ledger, declaration } = awaiting();
    const policy = testPolicy({
      version: 2,
      negativeList: [{ category: 'genetic-test-result', rule: 'prohibited', assessors: [] }],
    });
    ledger.block(updatePolicy(net, { policy }), assessTransfer(net, { transferId: declaration.objectId }));
    const last = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
    assert.deepEqual(only(ledger.block(last)), { accepted: true, reasons: ['NEGATIVE_LIST_PROHIBITED'] });
  });
});

describe('applyTx: transfer.receipt', () => {
  function approved() {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    ledger.block(grant, declaration);
    return { net, ledger, grant, declaration, transferId: declaration.objectId };
  }

  it('an accepting receipt with the declared root delivers the transfer', () => {
    const { net, ledger, grant, declaration, transferId } = approved();
    const receipt = receiptFor(net, { transferId });
    assert.deepEqual(only(ledger.block(receipt)), ACCEPTED);
    const transfer = transferOf(ledger, declaration);
    assert.equal(transfer.status, 'delivered');
    assert.deepEqual(transfer.receipt, {
      accepted: true,
      payloadRoot: declaration.body.payload.root,
      reason: 'OK',
      height: 2,
      txId: receipt.txId,
    });
    assert.ok(getPatientIndexEntry(ledger.state, grant.body.patient, 'transfer.receipt', receipt.objectId));
    assert.deepEqual(
      only(ledger.block(receiptFor(net, { transferId, nonce: net.nextNonce() }))),
      refused('TRANSFER_NOT_APPROVED'),
    );
  });

  it('an early receipt is refused; the retry with a fresh nonce after approval delivers', () => {
    const { net, ledger, declaration } = awaiting();
    const early = receiptFor(net, { transferId: declaration.objectId });
    assert.deepEqual(only(ledger.block(early)), refused('TRANSFER_NOT_APPROVED'));
    ledger.block(
      assessTransfer(net, { transferId: declaration.objectId }),
      assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' }),
    );
    const retry = receiptFor(net, { transferId: declaration.objectId, nonce: net.nextNonce() });
    assert.deepEqual(only(ledger.block(retry)), ACCEPTED);
    assert.equal(transferOf(ledger, declaration).status, 'delivered');
  });

  it('another root, or a refusing receipt, ends in receipt-mismatch', () => {
    const first = approved();
    const wrongRoot = receiptFor(first.net, {
      transferId: first.transferId,
      payloadRoot: testDigest('other-root'),
    });
    assert.deepEqual(only(first.ledger.block(wrongRoot)), {
      accepted: true,
      reasons: ['PAYLOAD_ROOT_MISMATCH'],
    });
    assert.equal(transferOf(first.ledger, first.declaration).status, 'receipt-mismatch');
    const second = approved();
    const refusing = receiptFor(second.net, {
      transferId: second.transferId,
      accepted: false,
      reason: 'DECRYPTION_FAILED',
    });
    assert.deepEqual(only(second.ledger.block(refusing)), { accepted: true, reasons: ['RECEIPT_REJECTED'] });
    const transfer = transferOf(second.ledger, second.declaration);
    assert.equal(transfer.status, 'receipt-mismatch');
    assert.equal(transfer.receipt?.reason, 'DECRYPTION_FAILED');
  });

  it('refuses a receipt for an unknown, unapproved, or someone else’s transfer', () => {
    const { net, ledger, grant } = approved();
    assert.deepEqual(
      only(ledger.block(receiptFor(net, { transferId: testDigest('nothing') }))),
      refused('TRANSFER_NOT_FOUND'),
    );
    const waiting = declareTransfer(net, { consentId: grant.objectId, categories: ['genetic-test-result'] });
    ledger.block(waiting);
    assert.deepEqual(
      only(ledger.block(receiptFor(net, { transferId: waiting.objectId }))),
      refused('TRANSFER_NOT_APPROVED'),
    );
    const fresh = approved();
    const other = receiptFor(fresh.net, { transferId: fresh.transferId, recipient: 'hk-ha-cms' });
    assert.deepEqual(only(fresh.ledger.block(other)), refused('RECEIPT_RECIPIENT_MISMATCH'));
    assert.equal(getTransfer(fresh.ledger.state, fresh.transferId)?.status, 'approved');
  });
});

/** Version 2 of the test policy, with imaging studies on the negative list as prohibited. */
function imagingProhibited(net: TestNetwork) {
  return testPolicy({
    version: 2,
    negativeList: [
      ...net.genesis.policy.negativeList,
      { category: 'imaging-study', rule: 'prohibited', assessors: [] },
    ],
  });
}

describe('applyTx: policy.update', () => {
  it('replaces the active policy at version+1; later declarations are judged by it', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const policy = imagingProhibited(net);
    assert.deepEqual(only(ledger.block(grant, updatePolicy(net, { policy })).slice(1)), ACCEPTED);
    assert.deepEqual(readPolicy(ledger.state, net.genesis), policy);
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    assert.deepEqual(only(ledger.block(declaration)), refused('NEGATIVE_LIST_PROHIBITED'));
    assert.equal(transferOf(ledger, declaration).policyVersion, 2);
  });

  it('judges a declaration by a policy updated earlier in the same block', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    ledger.block(grant);
    const policy = imagingProhibited(net);
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    const outcomes = ledger.block(updatePolicy(net, { policy }), declaration);
    assert.deepEqual(only(outcomes.slice(1)), refused('NEGATIVE_LIST_PROHIBITED'));
    assert.equal(transferOf(ledger, declaration).policyVersion, 2);
  });

  it('refuses a skipped or repeated version, and assessors that are not validators', () => {
    const { net, ledger } = setup();
    assert.deepEqual(
      readPolicy(ledger.state, net.genesis),
      net.genesis.policy,
      'genesis policy until an update',
    );
    assert.deepEqual(
      only(ledger.block(updatePolicy(net, { policy: testPolicy({ version: 3 }) }))),
      refused('POLICY_VERSION_INVALID'),
    );
    assert.deepEqual(
      only(ledger.block(updatePolicy(net, { policy: testPolicy({ version: 1, purposes: ['research'] }) }))),
      refused('POLICY_VERSION_INVALID'),
    );
    const foreignAssessor = testPolicy({
      version: 2,
      negativeList: [{ category: 'genetic-test-result', rule: 'assessment', assessors: ['hku-szh'] }],
    });
    assert.deepEqual(
      only(ledger.block(updatePolicy(net, { policy: foreignAssessor }))),
      refused('POLICY_INVALID'),
    );
    assert.deepEqual(readPolicy(ledger.state, net.genesis), net.genesis.policy);
  });
});

describe('applyTx: transactions that make a block invalid', () => {
  function thrown(run: () => unknown): unknown {
    try {
      run();
    } catch (error) {
      return error;
    }
    return assert.fail('expected a throw');
  }

  it('throws for a transaction already committed, and the block keeps nothing', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    ledger.block(grant);
    const size = ledger.state.entries.size;
    const other = grantConsent(net, { patient: 'bob' });
    const error = thrown(() => ledger.block(other, grant));
    assert.ok(isBayledgerError(error, 'RECORD_INVALID'), String(error));
    assert.equal(ledger.state.entries.size, size);
    assert.equal(ledger.height, 1);
  });

  it('throws SIGNATURE_INVALID for a forged signature unless the caller verified signatures', () => {
    const { net, ledger } = setup();
    const grant = grantConsent(net);
    const sigs = grant.envelope.sigs.map((entry) => ({ ...entry, sig: new Uint8Array(64) }));
    const forged = { ...grant, envelope: { ...grant.envelope, sigs } };
    const txId = sha256(encodeTxEnvelope(forged.envelope));
    const overlay = new StateOverlay(ledger.state);
    const context = { genesis: net.genesis, blockTimeMs: ledger.timeMs + 1000, height: 1 };
    assert.ok(
      isBayledgerError(
        thrown(() => applyTx(overlay, forged.envelope, txId, context)),
        'SIGNATURE_INVALID',
      ),
    );
    // A verify pool that already checked these exact bytes may skip the signature step.
    const outcome = applyTx(overlay, forged.envelope, txId, { ...context, signaturesVerified: true });
    assert.equal(outcome.accepted, true);
  });

  it('throws RECORD_INVALID for a wrong role or a missing quorum even with signatures verified', () => {
    const { net, ledger } = setup();
    const overlay = new StateOverlay(ledger.state);
    const context = {
      genesis: net.genesis,
      blockTimeMs: ledger.timeMs + 1000,
      height: 1,
      signaturesVerified: true,
    };
    const thin = updatePolicy(net, {
      policy: testPolicy({ version: 2 }),
      signers: VALIDATORS.slice(0, 2).map((id) => net.signers[id]!),
    });
    assert.ok(
      isBayledgerError(
        thrown(() => applyTx(overlay, thin.envelope, thin.txId, context)),
        'RECORD_INVALID',
      ),
    );
    assert.deepEqual(overlay.writes(), []);
  });
});

describe('applyTx: determinism and stored values', () => {
  function history() {
    const { net, ledger, declaration } = awaiting();
    ledger.block(assessTransfer(net, { transferId: declaration.objectId }));
    ledger.block(assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' }));
    assert.deepEqual(only(ledger.block(receiptFor(net, { transferId: declaration.objectId }))), ACCEPTED);
    return ledger.state;
  }

  it('two nodes applying the same blocks hold byte-identical state', () => {
    const a = history();
    const b = history();
    const sorted = (state: MemoryState) =>
      [...state.entries.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    const asWrites = (state: MemoryState) =>
      sorted(state).map(([key, value]) => {
        const [bucket, name] = key.split('\u0000') as [never, string];
        return { bucket, key: name, value };
      });
    assert.deepEqual(sorted(a), sorted(b));
    assert.equal(
      toHex(nextStateHash(new Uint8Array(32), asWrites(a))),
      toHex(nextStateHash(new Uint8Array(32), asWrites(b))),
    );
  });

  it('a stored value that does not parse is reported as DATABASE_CORRUPT with its key', () => {
    const state = history();
    const [key] = [...state.entries.keys()].filter((entry) => entry.startsWith('transfer\u0000'));
    const transferHex = key!.split('\u0000')[1]!;
    state.entries.set(key!, { status: 'delivered' });
    assert.throws(
      () => getTransfer(state, Uint8Array.from(Buffer.from(transferHex, 'hex'))),
      (error: unknown) => isBayledgerError(error, 'DATABASE_CORRUPT') && error.message.includes(transferHex),
    );
  });
});

describe('applyTx: reason-code coverage', () => {
  // Mocha runs this last in the file, after every test above fed `observedReasons`.
  it('every REASON_CODES entry was produced by applyTx in this file', () => {
    assert.deepEqual(
      REASON_CODES.filter((code) => !observedReasons.has(code)),
      [],
    );
  });
});
