// What `bayledger audit` prints for people (cli/commands/audit-run.ts): a transfer's summary and
// timeline, and a patient's consents and transfers, with '-' for what the ledger does not hold
// yet and a note when the list is cut. The node is a stand-in; the views' contents are
// transfer-audit.test.ts's.
import { strict as assert } from 'node:assert';
import { auditPatient, auditTransfer, formatTransferAudit } from '../../cli/commands/audit-run.js';
import { isBayledgerError } from '../../src/core/errors.js';
import type { PatientAudit, TransferAudit } from '../../src/node/transfer-service/audit.js';
import { outputOf } from '../helpers/capture-output.js';
import { type StandInNode, standInNode } from '../helpers/stand-in-node.js';

const TRANSFER_ID = 'ef'.repeat(32);
const PATIENT = '11'.repeat(32);
const CONSENT_ID = 'cd'.repeat(32);

const consent = {
  consentId: CONSENT_ID,
  status: 'active',
  purpose: 'continuity-of-care',
  categories: ['imaging-study', 'radiology-report'],
  allowedSenders: ['hku-szh'],
  recipient: 'hk-ehealth',
  validFrom: '2026-01-01T00:00:00.000Z',
  validUntil: '2027-01-01T00:00:00.000Z',
  grantedAtHeight: 3,
  grantTxId: '33'.repeat(32),
  revokedAtHeight: null,
  revokeTxId: null,
};

function transferAudit(approved: boolean): TransferAudit {
  return {
    transferId: TRANSFER_ID,
    status: approved ? 'approved' : 'awaiting-assessment',
    reasons: approved ? [] : ['NEEDS_REGULATOR_REVIEW'],
    patient: approved ? PATIENT : null,
    sender: 'hku-szh',
    recipient: 'hk-ehealth',
    route: { id: 'gba-health-imaging', filingReference: null },
    consent: approved ? consent : null,
    declaration: {
      txId: '44'.repeat(32),
      height: 4,
      time: '2026-11-28T10:00:04.000Z',
      policyVersion: 1,
      items: [
        {
          category: 'imaging-study',
          documentType: 'dicom-study',
          sizeBytes: 512,
          digest: '55'.repeat(32),
          itemCommitment: '66'.repeat(32),
        },
      ],
      payload: { root: '77'.repeat(32), bytes: 512, chunkBytes: 1_048_576, chunkCount: 1 },
    },
    verdict: { accepted: true, status: 'awaiting-assessment', reasons: [], requiredAssessors: ['sz-cac'] },
    assessments: [],
    approval: approved
      ? {
          height: 6,
          time: '2026-11-28T10:00:06.000Z',
          blockHash: '88'.repeat(32),
          round: 0,
          signers: ['sz-cac', 'qianhai'],
        }
      : null,
    receipt: null,
    timeline: [
      {
        height: 4,
        time: '2026-11-28T10:00:04.000Z',
        event: 'declared',
        txId: '44'.repeat(32),
        detail: 'imaging-study',
      },
    ],
  };
}

describe('CLI: audit tables', () => {
  let node: StandInNode | undefined;

  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  it("prints a transfer's consent, approval and certifying validators, or '-' and 'not on the ledger'", () => {
    const approved = formatTransferAudit(transferAudit(true)).split('\n');
    assert.ok(approved.includes('status        approved'), approved.join('\n'));
    assert.ok(approved.includes(`consent       ${CONSENT_ID} (active)`));
    assert.ok(approved.includes('approved at   height 6'));
    assert.ok(approved.includes('certified by  sz-cac, qianhai'));
    const pending = formatTransferAudit(transferAudit(false)).split('\n');
    assert.ok(
      pending.includes('status        awaiting-assessment (NEEDS_REGULATOR_REVIEW)'),
      pending.join('\n'),
    );
    assert.ok(pending.includes('patient       -'));
    assert.ok(pending.includes('consent       not on the ledger'));
    assert.ok(pending.includes('approved at   -'));
    assert.ok(pending.includes('certified by  -'));
    assert.ok(pending.includes('4       2026-11-28T10:00:04.000Z  declared  imaging-study'));
  });

  it('refuses an id or key that is not 64 hex digits as a usage error before reading the node folder or token', async () => {
    // A folder without nodes.json and a token file that is not there: both would be file errors.
    const missing = { dir: '/nonexistent/bayledger-network', tokenFile: '/nonexistent/api.token' };
    await assert.rejects(auditTransfer('ef'.repeat(31), missing), (error: unknown) => {
      assert.ok(isBayledgerError(error));
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /a transfer id is 64 lowercase hex digits/);
      return true;
    });
    await assert.rejects(auditPatient('XY'.repeat(32), missing), (error: unknown) => {
      assert.ok(isBayledgerError(error));
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /a patient key is 64 lowercase hex digits/);
      return true;
    });
  });

  it('prints the JSON view as the node gives it with --json, the tables without', async () => {
    const audit = transferAudit(true);
    node = await standInNode({
      [`GET /audit/transfers/${TRANSFER_ID}`]: () => ({ status: 200, json: audit }),
    });
    const json = await outputOf(() => auditTransfer(TRANSFER_ID, { api: node!.url, json: true }));
    assert.deepEqual(JSON.parse(json.stdout), audit);
    const text = await outputOf(() => auditTransfer(TRANSFER_ID, { api: node!.url }));
    assert.equal(text.stdout, `${formatTransferAudit(audit)}\n`);
  });

  it("prints a patient's consents and transfers, '-' for what is not there yet, and notes a cut list", async () => {
    const audit: PatientAudit = {
      patient: PATIENT,
      truncated: true,
      consents: [
        { ...consent, accepted: true, reasons: [], time: '2026-11-28T10:00:03.000Z' },
        {
          ...consent,
          consentId: '99'.repeat(32),
          status: 'none',
          purpose: null,
          categories: [],
          allowedSenders: [],
          recipient: null,
          validFrom: null,
          validUntil: null,
          accepted: false,
          reasons: ['CONSENT_PATIENT_SIGNATURE_INVALID'],
          time: '2026-11-28T10:00:05.000Z',
        },
      ],
      transfers: [
        {
          transferId: TRANSFER_ID,
          status: 'delivered',
          reasons: [],
          sender: 'hku-szh',
          recipient: 'hk-ehealth',
          categories: ['imaging-study', 'radiology-report'],
          consentId: CONSENT_ID,
          declaredAtHeight: 4,
          approvedAtHeight: 6,
          receiptAtHeight: 8,
        },
        {
          transferId: 'aa'.repeat(32),
          status: 'rejected',
          reasons: ['NEGATIVE_LIST', 'CONSENT_SCOPE'],
          sender: 'hku-szh',
          recipient: 'hk-ehealth',
          categories: ['genetic-test-result'],
          consentId: CONSENT_ID,
          declaredAtHeight: 9,
          approvedAtHeight: null,
          receiptAtHeight: null,
        },
      ],
    };
    const empty: PatientAudit = { patient: '22'.repeat(32), truncated: false, consents: [], transfers: [] };
    node = await standInNode({
      [`GET /audit/patients/${PATIENT}`]: () => ({ status: 200, json: audit }),
      [`GET /audit/patients/${empty.patient}`]: () => ({ status: 200, json: empty }),
    });
    const { stdout: text } = await outputOf(() => auditPatient(PATIENT, { api: node!.url }));
    const rows = (header: string) => {
      const lines = text.split('\n');
      const at = lines.findIndex((line) => line.startsWith(header));
      assert.ok(at >= 0, text);
      return lines.slice(at + 1, at + 3).map((line) => line.split(/ {2,}/));
    };
    assert.ok(text.startsWith(`patient ${PATIENT}: 2 consent(s), 2 transfer(s)\n\nNOTE: `), text);
    assert.deepEqual(rows('consent '), [
      [
        CONSENT_ID,
        'active',
        '3',
        'continuity-of-care',
        'imaging-study,radiology-report',
        '2027-01-01T00:00:00.000Z',
      ],
      ['99'.repeat(32), 'rejected (CONSENT_PATIENT_SIGNATURE_INVALID)', '3', '-', '-', '-'],
    ]);
    assert.deepEqual(rows('transfer '), [
      [TRANSFER_ID, 'delivered', '4', '6', '8', 'imaging-study,radiology-report', '-'],
      ['aa'.repeat(32), 'rejected', '9', '-', '-', 'genetic-test-result', 'NEGATIVE_LIST, CONSENT_SCOPE'],
    ]);
    // --json passes the node's view on: a refused grant's unknown fields stay null.
    const json = await outputOf(() => auditPatient(PATIENT, { api: node!.url, json: true }));
    assert.deepEqual(JSON.parse(json.stdout), audit);
    const refused = (JSON.parse(json.stdout) as PatientAudit).consents[1]!;
    assert.deepEqual(
      [refused.purpose, refused.recipient, refused.validFrom, refused.validUntil],
      [null, null, null, null],
    );
    const none = await outputOf(() => auditPatient(empty.patient, { api: node!.url }));
    assert.equal(none.stdout, `patient ${empty.patient}: 0 consent(s), 0 transfer(s)\n\n`);
  });
});
