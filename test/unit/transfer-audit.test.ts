// Audit views (src/node/transfer-service/audit.ts; issue 6 item 5) over a real store holding a
// certified chain: a transfer's whole life (consent, declaration and verdict, assessments, the
// approving block's certificate, receipt, revocation) in block order, and everything of one
// patient from the per-patient index, a refused grant included.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { StoreChainReader } from '../../src/node/chain/store-chain-reader.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { AuditViews } from '../../src/node/transfer-service/audit.js';
import { buildChain, commitChain, type TestChain } from '../helpers/chain.js';
import {
  assessTransfer,
  declareTransfer,
  grantConsent,
  receiptFor,
  revokeConsent,
  testDigest,
  testGenesis,
} from '../helpers/fixtures.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('audit views', function () {
  this.timeout(30_000);
  const net = testGenesis();
  const PATIENT = 'audited';
  const consent = grantConsent(net, { patient: PATIENT });
  const refusedGrant = grantConsent(net, { patient: PATIENT, purpose: 'marketing' });
  const imaging = declareTransfer(net, { consentId: consent.objectId });
  const genetic = declareTransfer(net, { consentId: consent.objectId, categories: ['genetic-test-result'] });
  const refusedGenetic = declareTransfer(net, {
    consentId: consent.objectId,
    categories: ['genetic-test-result'],
  });
  const halfAssessed = declareTransfer(net, {
    consentId: consent.objectId,
    categories: ['genetic-test-result'],
  });
  const prohibited = declareTransfer(net, {
    consentId: consent.objectId,
    categories: ['population-health-data'],
  });
  const revocation = revokeConsent(net, { consentId: consent.objectId, patient: PATIENT });
  let store: LedgerStore;
  let chain: TestChain;
  let views: AuditViews;
  // Registered before the folder's removal (useTempDir's after hook): mocha runs after hooks in
  // the order they are registered, so the store is closed before its folder goes.
  after(async () => {
    await store?.close();
  });
  const temp = useTempDir('bayledger-audit-');

  before(async () => {
    chain = buildChain({
      genesis: net.genesis,
      signers: net.signers,
      blocks: [
        [consent, refusedGrant],
        [imaging, genetic, refusedGenetic, halfAssessed, prohibited],
        [
          assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-cac' }),
          assessTransfer(net, { transferId: halfAssessed.objectId, assessor: 'sz-cac' }),
          assessTransfer(net, {
            transferId: refusedGenetic.objectId,
            assessor: 'sz-cac',
            decision: 'reject',
            reason: 'NOT_NECESSARY',
          }),
        ],
        [assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-health' })],
        [
          receiptFor(net, { transferId: imaging.objectId }),
          receiptFor(net, { transferId: genetic.objectId, payloadRoot: testDigest('another root') }),
        ],
        [revocation],
      ],
    });
    store = await LedgerStore.open(join(temp.path, 'data'), { createIfMissing: true });
    await commitChain(store, chain);
    const lastBlockSeconds = Math.floor(chain.tip.timeMs / 1000);
    views = new AuditViews(store, new StoreChainReader(store, chain.params), () => lastBlockSeconds);
  });

  const timeOf = (height: number) => new Date(chain.blocks[height - 1]!.block.header.timeMs).toISOString();
  const validators = () => chain.params.validators.map((validator) => validator.id);

  it('tells a delivered transfer from its consent to its receipt, in block order', async () => {
    const audit = await views.transfer(imaging.objectId);
    assert.equal(audit.transferId, toHex(imaging.objectId));
    assert.equal(audit.status, 'delivered');
    assert.equal(audit.patient, toHex(net.patient(PATIENT).publicKey));
    assert.deepEqual(audit.route, { id: 'gba-standard-contract', filingReference: 'GBA-SC-2026-000001' });
    assert.equal(audit.consent?.consentId, toHex(consent.objectId));
    assert.equal(audit.consent?.status, 'revoked');
    assert.deepEqual([audit.consent?.revokedAtHeight, audit.consent?.grantedAtHeight], [6, 1]);
    assert.deepEqual(
      [audit.consent?.grantTxId, audit.consent?.revokeTxId],
      [toHex(consent.txId), toHex(revocation.txId)],
    );
    assert.deepEqual([audit.declaration.height, audit.declaration.time], [2, timeOf(2)]);
    assert.deepEqual(audit.verdict, {
      accepted: true,
      status: 'approved',
      reasons: [],
      requiredAssessors: [],
    });
    assert.deepEqual(audit.assessments, []);
    assert.deepEqual(audit.approval, {
      height: 2,
      time: timeOf(2),
      blockHash: toHex(chain.blocks[1]!.certificate.blockHash),
      round: 0,
      signers: validators(),
    });
    assert.equal(audit.receipt?.accepted, true);
    assert.equal(audit.receipt?.payloadRootMatchesDeclaration, true);
    assert.deepEqual([audit.receipt?.height, audit.receipt?.time], [5, timeOf(5)]);
    assert.deepEqual(
      audit.timeline.map((event) => [event.height, event.event]),
      [
        [1, 'consent granted'],
        [2, 'declared'],
        [2, 'approved (final)'],
        [5, 'delivered (receipt)'],
        [6, 'consent revoked'],
      ],
    );
    assert.ok(audit.timeline.every((event) => event.time === timeOf(event.height)));
    assert.equal(audit.timeline.at(-1)!.txId, toHex(revocation.txId));
    assert.match(audit.timeline[1]!.detail, /1 item\(s\), \d+ sealed bytes; verdict approved$/);
    assert.match(audit.timeline[3]!.detail, /^OK; payload root matches the declaration$/);
  });

  it('shows a transfer that needed assessment: who assessed when, the approving block, a receipt for another root', async () => {
    const audit = await views.transfer(genetic.objectId);
    assert.equal(audit.verdict.status, 'awaiting-assessment');
    assert.deepEqual(audit.verdict.requiredAssessors, ['sz-cac', 'sz-health']);
    assert.ok(audit.verdict.reasons.includes('ASSESSMENT_REQUIRED'));
    assert.deepEqual(
      audit.assessments.map((assessment) => [assessment.assessor, assessment.decision, assessment.height]),
      [
        ['sz-cac', 'approve', 3],
        ['sz-health', 'approve', 4],
      ],
    );
    assert.equal(audit.approval?.height, 4);
    assert.equal(audit.receipt?.payloadRootMatchesDeclaration, false);
    assert.deepEqual(
      audit.timeline.map((event) => [event.height, event.event]),
      [
        [1, 'consent granted'],
        [2, 'declared'],
        [3, 'assessed by sz-cac'],
        [4, 'assessed by sz-health'],
        [4, 'approved (final)'],
        [5, 'delivered (receipt)'],
        [6, 'consent revoked'],
      ],
    );
    assert.match(
      audit.timeline[1]!.detail,
      /verdict awaiting-assessment \(.*ASSESSMENT_REQUIRED.*\); awaiting sz-cac, sz-health$/,
    );
    assert.match(audit.timeline[5]!.detail, /payload root DIFFERS FROM the declaration$/);
  });

  it('shows a transfer an assessor refused, ending at that assessment', async () => {
    const audit = await views.transfer(refusedGenetic.objectId);
    assert.equal(audit.status, 'rejected');
    assert.equal(audit.verdict.accepted, true, 'accepted at declaration, refused later');
    assert.equal(audit.approval, null);
    assert.equal(audit.receipt, null);
    const rejected = audit.timeline.find((event) => event.event === 'rejected');
    assert.deepEqual([rejected?.height, rejected?.txId], [3, audit.assessments[0]!.txId]);
  });

  it('shows a transfer still waiting for an assessor: no approval, and no refusal either', async () => {
    const audit = await views.transfer(halfAssessed.objectId);
    assert.equal(audit.status, 'awaiting-assessment');
    assert.deepEqual(
      audit.assessments.map((assessment) => assessment.assessor),
      ['sz-cac'],
    );
    assert.equal(audit.approval, null);
    assert.deepEqual(
      audit.timeline.map((event) => event.event),
      ['consent granted', 'declared', 'assessed by sz-cac', 'consent revoked'],
    );
  });

  it('shows a declaration the policy refused outright: rejected at declaration, with its reasons', async () => {
    const audit = await views.transfer(prohibited.objectId);
    assert.equal(audit.status, 'rejected');
    assert.equal(audit.verdict.accepted, false);
    assert.equal(audit.verdict.status, 'rejected');
    assert.ok(audit.verdict.reasons.includes('NEGATIVE_LIST_PROHIBITED'), audit.verdict.reasons.join());
    assert.match(audit.timeline[1]!.detail, /verdict rejected \(.+\)$/);
    assert.equal(
      audit.timeline.some((event) => event.event === 'rejected'),
      false,
      'the declaration itself says it was refused',
    );
  });

  it('lists everything of one patient, a refused grant with its reasons included, in block order', async () => {
    const audit = await views.patient(net.patient(PATIENT).publicKey);
    assert.deepEqual(
      audit.consents.map((entry) => [entry.consentId, entry.accepted, entry.grantedAtHeight]),
      [
        [toHex(consent.objectId), true, 1],
        [toHex(refusedGrant.objectId), false, 1],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const refused = audit.consents.find((entry) => !entry.accepted)!;
    assert.equal(refused.status, 'rejected');
    assert.equal(refused.grantTxId, toHex(refusedGrant.txId));
    assert.ok(refused.reasons.includes('PURPOSE_NOT_ALLOWED'), refused.reasons.join());
    assert.equal(refused.time, timeOf(1));
    // Its grant's body is not on the ledger: what it said is not known, null rather than ''.
    assert.deepEqual(
      [refused.purpose, refused.recipient, refused.validFrom, refused.validUntil],
      [null, null, null, null],
    );
    const granted = audit.consents.find((entry) => entry.accepted)!;
    assert.equal(granted.time, timeOf(1));
    assert.deepEqual(
      audit.transfers.map((entry) => entry.transferId).sort(),
      [imaging, genetic, refusedGenetic, halfAssessed, prohibited].map((tx) => toHex(tx.objectId)).sort(),
    );
    const genetics = audit.transfers.find((entry) => entry.transferId === toHex(genetic.objectId))!;
    assert.deepEqual(
      [genetics.declaredAtHeight, genetics.approvedAtHeight, genetics.receiptAtHeight, genetics.categories],
      [2, 4, 5, ['genetic-test-result']],
    );
    assert.equal(audit.truncated, false);
    // Another patient has nothing.
    assert.deepEqual(await views.patient(net.patient('nobody').publicKey), {
      patient: toHex(net.patient('nobody').publicKey),
      consents: [],
      transfers: [],
      truncated: false,
    });
  });

  it('says when a patient has more index entries than one audit reads, and lists no more than that', async () => {
    const patient = net.patient(PATIENT).publicKey;
    const kinds: string[] = [];
    for await (const entry of store.stateEntriesIn('patient', `${toHex(patient)}/`))
      kinds.push(entry.key.split('/')[1]!);
    const indexEntries = kinds.length;
    assert.ok(indexEntries >= 7, `${indexEntries} index entries`);
    /** Records the audit lists for the first `count` index entries: one per grant and declaration. */
    const listedOf = (count: number) =>
      kinds.slice(0, count).filter((kind) => kind === 'consent.grant' || kind === 'transfer.declare').length;
    const listed = (audit: Awaited<ReturnType<AuditViews['patient']>>) =>
      audit.consents.length + audit.transfers.length;
    const bounded = (max: number) =>
      new AuditViews(store, new StoreChainReader(store, chain.params), () => 0, max).patient(patient);
    const exactly = await bounded(indexEntries);
    assert.equal(exactly.truncated, false, 'a bound of exactly the entries there are cuts nothing');
    assert.equal(listed(exactly), listedOf(indexEntries));
    const cut = await bounded(indexEntries - 1);
    assert.equal(cut.truncated, true);
    assert.equal(listed(cut), listedOf(indexEntries - 1));
    // Entries are in key order (by kind): a bound that ends inside the declarations lists only
    // the declarations within it.
    const throughFirstDeclaration = kinds.indexOf('transfer.declare') + 1;
    const early = await bounded(throughFirstDeclaration);
    assert.equal(early.truncated, true);
    assert.equal(early.transfers.length, 1);
    assert.equal(listed(early), listedOf(throughFirstDeclaration));
  });

  it('NOT_FOUND for a transfer the ledger does not hold', async () => {
    await assert.rejects(views.transfer(testDigest('no such transfer')), (error: unknown) =>
      isBayledgerError(error, 'NOT_FOUND'),
    );
  });
});
