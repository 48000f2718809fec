// The consent and transfer commands' conversations with a node (cli/commands/consent-run.ts,
// transfer-run.ts), in-process against a stand-in node API: when they follow a pending answer up
// until it commits and when they take the answer as it is, what they send, and how a refusal, a
// malformed argument or the wrong key file is reported.
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  consentGrant,
  consentRevoke,
  consentShow,
  grantConsent,
  readNotice,
  readPatientSigner,
  revokeConsent,
} from '../../cli/commands/consent-run.js';
import { resolveApi } from '../../cli/commands/transfer-api.js';
import {
  assessTransfer,
  declareTransfer,
  parseItem,
  transferAssess,
  waitForTransfer,
} from '../../cli/commands/transfer-run.js';
import { toHex } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { txIdOf } from '../../src/core/records/index.js';
import { writeApiTokenFile } from '../../src/node/api/token-file.js';
import { generateKeyFile, writeKeyFile } from '../../src/node/keys/key-file.js';
import { outputOf } from '../helpers/capture-output.js';
import { runCli } from '../helpers/cli.js';
import { rejectsWith } from '../helpers/rejects.js';
import { type StandInNode, type StandInRoute, standInNode } from '../helpers/stand-in-node.js';
import { useTempDir } from '../helpers/temp-dir.js';

const TX_ID = 'ab'.repeat(32);
const CONSENT_ID = 'cd'.repeat(32);
const TRANSFER_ID = 'ef'.repeat(32);

const answer =
  (json: unknown, status = 200): StandInRoute =>
  () => ({ status, json });

/** Answers each request with the next of `answers`, the last one from then on. */
function inTurn(...answers: unknown[]): StandInRoute {
  let next = 0;
  return () => ({ status: 200, json: answers[Math.min(next++, answers.length - 1)] });
}

describe('CLI commands against a stand-in node', () => {
  const temp = useTempDir('bayledger-cli-commands-');
  let patientKey: string;
  let nodeKey: string;
  let tokenFile: string;
  let node: StandInNode | undefined;

  before(async () => {
    patientKey = path.join(temp.path, 'patient.key');
    nodeKey = path.join(temp.path, 'node.key');
    tokenFile = path.join(temp.path, 'api.token');
    await writeKeyFile(patientKey, generateKeyFile('patient'), { overwrite: false });
    await writeKeyFile(nodeKey, generateKeyFile('node', 'hku-szh'), { overwrite: false });
    await writeApiTokenFile(tokenFile);
    await writeFile(path.join(temp.path, 'ct.dcm'), 'a study');
    await writeFile(path.join(temp.path, 'report.pdf'), 'a report');
  });

  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  /** Options that reach the stand-in node with a token; no nodes.json anywhere. */
  const reach = () => ({ api: node!.url, tokenFile, dir: path.join(temp.path, 'no-network') });
  const requestsTo = (key: string) => node!.requests.filter((request) => request.key === key);
  const STATUS = answer({ org: 'hku-szh', chainId: 'gba-health-test' });

  describe('consent', () => {
    const grantOptions = () => ({
      ...reach(),
      patientKey,
      recipient: 'hk-ehealth',
      categories: 'imaging-study, radiology-report',
      purpose: 'continuity-of-care',
      validUntil: '2030-01-01',
      timeout: 10,
    });

    it('follows a pending grant until it commits, then reports its consent id and height', async () => {
      node = await standInNode({
        'GET /status': STATUS,
        'POST /consents': answer({ txId: TX_ID, status: 'pending', consentId: null }, 202),
        [`GET /tx/${TX_ID}`]: inTurn(
          { txId: TX_ID, status: 'pending' },
          { txId: TX_ID, status: 'committed', height: 9, accepted: true, objectId: CONSENT_ID },
        ),
      });
      assert.deepEqual(await grantConsent(grantOptions()), { consentId: CONSENT_ID, txId: TX_ID, height: 9 });
      assert.equal(requestsTo(`GET /tx/${TX_ID}`).length, 2);
      assert.match(JSON.parse(requestsTo('POST /consents')[0]!.body).tx, /^[0-9a-f]+$/);
    });

    it('takes a committed grant as it is, and reports a refused one with its reasons', async () => {
      node = await standInNode({
        'GET /status': STATUS,
        'POST /consents': inTurn(
          { txId: TX_ID, status: 'committed', height: 4, accepted: true, consentId: CONSENT_ID },
          { txId: TX_ID, status: 'committed', height: 5, accepted: false, reasons: ['CONSENT_EXPIRED'] },
        ),
      });
      assert.deepEqual(await grantConsent(grantOptions()), { consentId: CONSENT_ID, txId: TX_ID, height: 4 });
      assert.equal(node.requests.filter((request) => request.key.startsWith('GET /tx/')).length, 0);
      await rejectsWith(
        grantConsent(grantOptions()),
        'RECORD_INVALID',
        `the consent was refused by the ledger at height 5: CONSENT_EXPIRED (transaction ${TX_ID})`,
      );
    });

    it('follows a revocation the node did not see commit by the id it signed, and takes one it did', async () => {
      node = await standInNode({
        'GET /status': STATUS,
        'POST /tx': inTurn(
          { txId: TX_ID, status: 'pending' },
          { txId: TX_ID, status: 'committed', height: 12, accepted: true },
        ),
        'GET /tx/*': answer({ status: 'committed', height: 11, accepted: true }),
      });
      const revoke = () => revokeConsent({ ...reach(), consent: CONSENT_ID, patientKey, timeout: 10 });
      const followed = await revoke();
      const posted = requestsTo('POST /tx')[0]!;
      const signedId = toHex(txIdOf(posted.bytes));
      assert.deepEqual(followed, { consentId: CONSENT_ID, txId: signedId, height: 11 });
      assert.deepEqual(
        node.requests.filter((request) => request.key.startsWith('GET /tx/')).map((request) => request.key),
        [`GET /tx/${signedId}`],
      );
      assert.equal(posted.url, '/tx?wait=commit&timeoutMs=10000');
      assert.equal((await revoke()).height, 12);
      assert.equal(node.requests.filter((request) => request.key.startsWith('GET /tx/')).length, 1);
    });

    it('reports a refused revocation with its reasons and the transaction it signed', async () => {
      node = await standInNode({
        'GET /status': STATUS,
        'POST /tx': answer({ status: 'committed', height: 13, accepted: false, reasons: ['NOT_PATIENT'] }),
      });
      const refusal = revokeConsent({ ...reach(), consent: CONSENT_ID, patientKey, timeout: 10 });
      await rejectsWith(
        refusal,
        'RECORD_INVALID',
        /^the revocation was refused by the ledger at height 13: NOT_PATIENT \(transaction [0-9a-f]{64}\)$/,
      );
      const signedId = toHex(txIdOf(requestsTo('POST /tx')[0]!.bytes));
      await refusal.catch((error: Error) => assert.ok(error.message.includes(signedId), error.message));
    });

    it('prints a refused grant or revocation with --json, then fails naming the reasons, as a rejected declaration does', async () => {
      node = await standInNode({
        'GET /status': STATUS,
        'POST /consents': answer({
          txId: TX_ID,
          status: 'committed',
          height: 5,
          accepted: false,
          reasons: ['CONSENT_EXPIRED'],
          consentId: null,
        }),
        'POST /tx': answer({ status: 'committed', height: 13, accepted: false, reasons: ['NOT_PATIENT'] }),
      });
      const granted = await outputOf(() => consentGrant({ ...grantOptions(), json: true }));
      await rejectsWith(
        Promise.reject(granted.error),
        'RECORD_INVALID',
        `the consent was refused by the ledger at height 5: CONSENT_EXPIRED (transaction ${TX_ID})`,
      );
      assert.deepEqual(JSON.parse(granted.stdout), {
        consentId: null,
        txId: TX_ID,
        height: 5,
        accepted: false,
        reasons: ['CONSENT_EXPIRED'],
      });
      const revoked = await outputOf(() =>
        consentRevoke({ ...reach(), consent: CONSENT_ID, patientKey, timeout: 10, json: true }),
      );
      await rejectsWith(Promise.reject(revoked.error), 'RECORD_INVALID', /^the revocation was refused/);
      const signedId = toHex(txIdOf(requestsTo('POST /tx')[0]!.bytes));
      assert.deepEqual(JSON.parse(revoked.stdout), {
        consentId: CONSENT_ID,
        txId: signedId,
        height: 13,
        accepted: false,
        reasons: ['NOT_PATIENT'],
      });
      // Without --json the refusal is the error line alone, as before.
      const plain = await outputOf(() => consentGrant(grantOptions()));
      assert.deepEqual([isBayledgerError(plain.error, 'RECORD_INVALID'), plain.stdout], [true, '']);
    });

    it('refuses a malformed consent id before reading any file, and a key file that is not a patient', async () => {
      for (const consent of ['cd'.repeat(31), 'not hex']) {
        await rejectsWith(
          revokeConsent({
            api: 'http://127.0.0.1:9',
            consent,
            patientKey: path.join(temp.path, 'missing.key'),
            timeout: 1,
          }),
          'USAGE',
          '--consent: 64 lowercase hex digits',
        );
      }
      await rejectsWith(
        readPatientSigner(nodeKey),
        'USAGE',
        `${nodeKey}: not a patient key file (keys generate --kind patient)`,
      );
    });

    it('refuses a date that is not a real day, or not in an unambiguous form, before asking the node anything', async () => {
      node = await standInNode({ 'GET /status': STATUS });
      const forms =
        'expected a date YYYY-MM-DD (00:00 UTC that day) or a date-time with its zone, such as ' +
        '2026-12-31T12:00:00Z or 2026-12-31T12:00:00+08:00';
      // Date.parse would sign 2026-12-01 for the first, read the second in local time, and leave
      // the third to the ledger's 'validUntil must be later than validFrom'.
      await rejectsWith(
        grantConsent({ ...grantOptions(), validUntil: '2026-11-31' }),
        'USAGE',
        `--valid-until 2026-11-31: no day 31: 2026-11 has 30 days; ${forms}`,
      );
      await rejectsWith(
        grantConsent({ ...grantOptions(), validUntil: '12/31/2026' }),
        'USAGE',
        `--valid-until 12/31/2026: ${forms}`,
      );
      await rejectsWith(
        grantConsent({ ...grantOptions(), validFrom: '2026-02-30', validUntil: '2026-03-31' }),
        'USAGE',
        `--valid-from 2026-02-30: no day 30: 2026-02 has 28 days; ${forms}`,
      );
      assert.deepEqual(node.requests, []);
    });

    /**
     * `consent grant` as a CLI process with no node to ask (port 9), valid options but `changed`:
     * what it refuses must be refused before any request.
     */
    function grantWithNoNode(changed: Record<string, string>) {
      const values: Record<string, string> = {
        recipient: 'hk-ehealth',
        categories: 'imaging-study',
        purpose: 'continuity-of-care',
        validUntil: '2030-01-01',
        ...changed,
      };
      const flag = (key: string) => `--${key.replace(/[A-Z]/g, (upper) => `-${upper.toLowerCase()}`)}`;
      return runCli([
        'consent',
        'grant',
        '--api',
        'http://127.0.0.1:9',
        '--token-file',
        tokenFile,
        '--patient-key',
        patientKey,
        ...Object.entries(values).flatMap(([key, value]) => [flag(key), value]),
      ]);
    }

    it('a date that is not a real day is a usage error of the command (exit 2)', async function () {
      // One CLI process started from source.
      this.timeout(60_000);
      const result = await grantWithNoNode({ validUntil: '2026-02-30' });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr,
        'bayledger: error: --valid-until 2026-02-30: no day 30: 2026-02 has 28 days; expected a date ' +
          'YYYY-MM-DD (00:00 UTC that day) or a date-time with its zone, such as 2026-12-31T12:00:00Z ' +
          'or 2026-12-31T12:00:00+08:00\n',
      );
    });

    /** What the ledger's schema says of an id that is not one (idSchema). */
    const NOT_AN_ID =
      'expected text of at most 64 characters (identifier: lowercase letters, digits, . _ : -)';
    /** Grant options the body's schema refuses, and the usage error each is refused with. */
    const refusedGrantOptions: Array<[Record<string, string>, string]> = [
      [{ recipient: 'HK eHealth' }, `--recipient: ${NOT_AN_ID}, got text of 10 characters`],
      [{ purpose: 'Continuity of Care' }, `--purpose: ${NOT_AN_ID}, got text of 18 characters`],
      [
        { categories: 'imaging-study, Radiology Report' },
        `--categories Radiology Report: ${NOT_AN_ID}, got text of 16 characters`,
      ],
      [{ categories: ' , ' }, '--categories: expected list of 1 to 32 items, got array'],
      [{ categories: 'imaging-study,imaging-study' }, '--categories[1]: repeated value imaging-study'],
      [
        { validFrom: '2026-03-01', validUntil: '2026-02-01' },
        '--valid-until 2026-02-01: must be later than --valid-from 2026-03-01',
      ],
      [
        { validUntil: '2020-01-01' },
        '--valid-until 2020-01-01: must be later than --valid-from (default: a minute before now)',
      ],
      [
        { validFrom: '1969-12-31', validUntil: '2030-01-01' },
        '--valid-from 1969-12-31: expected integer from 0 to 253402300799, got number',
      ],
    ];

    it('refuses a --recipient, --purpose, --categories or validity window the ledger would refuse, before asking the node anything (usage errors)', async () => {
      node = await standInNode({ 'GET /status': STATUS });
      const tooMany = Array.from({ length: 33 }, (_, i) => `category-${i}`).join(',');
      const cases: Array<[Record<string, string>, string]> = [
        ...refusedGrantOptions,
        [{ categories: tooMany }, '--categories: expected list of 1 to 32 items, got array'],
      ];
      for (const [bad, message] of cases) {
        await rejectsWith(grantConsent({ ...grantOptions(), ...bad }), 'USAGE', message);
      }
      assert.deepEqual(node.requests, []);
    });

    it('a --recipient, --purpose, --categories or validity window the ledger would refuse is a usage error with no node up (exit 2)', async function () {
      // One CLI process started from source per case, in parallel.
      this.timeout(120_000);
      const results = await Promise.all(refusedGrantOptions.map(([bad]) => grantWithNoNode(bad)));
      for (const [i, result] of results.entries()) {
        const message = refusedGrantOptions[i]![1];
        assert.deepEqual(
          [result.code, result.stdout, result.stderr],
          [2, '', `bayledger: error: ${message}\n`],
          message,
        );
      }
    });

    it('reads --notice before asking the node, naming the file and --notice when it cannot', async () => {
      node = await standInNode({ 'GET /status': STATUS });
      const missing = path.join(temp.path, 'no-notice.txt');
      await rejectsWith(
        grantConsent({ ...grantOptions(), notice: missing }),
        'NOT_FOUND',
        `${missing}: notice file not found (--notice)`,
      );
      await rejectsWith(
        grantConsent({ ...grantOptions(), notice: temp.path }),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected a notice file (--notice)`,
      );
      assert.deepEqual(node.requests, []);
      const notice = path.join(temp.path, 'notice.txt');
      await writeFile(notice, 'the notice the patient read');
      assert.deepEqual(await readNotice(notice), new TextEncoder().encode('the notice the patient read'));
    });

    it('shows a consent as the node holds it with --json, and its main fields as a table without', async () => {
      const record = {
        consentId: CONSENT_ID,
        grant: {
          patient: '11'.repeat(32),
          sender: 'hku-szh',
          allowedSenders: ['hku-szh'],
          recipient: 'hk-ehealth',
          purpose: 'continuity-of-care',
          categories: ['imaging-study'],
          validFrom: 1_800_000_000,
          validUntil: 1_900_000_000,
        },
        status: 'active',
        statusNow: 'expired',
        grantedAtHeight: 3,
        revokedAtHeight: null,
      };
      node = await standInNode({ [`GET /consents/${CONSENT_ID}`]: answer(record) });
      const { stdout: json } = await outputOf(() => consentShow(CONSENT_ID, { ...reach(), json: true }));
      assert.deepEqual(JSON.parse(json), record);
      const { stdout: table } = await outputOf(() => consentShow(CONSENT_ID, reach()));
      assert.match(table, /^status\s+expired$/m);
      assert.match(table, /^validUntil\s+2030-03-17T17:46:40\.000Z$/m);
    });
  });

  describe('transfer', () => {
    it('reads an item as CATEGORY=PATH or CATEGORY:TYPE=PATH, and names one that is neither', () => {
      assert.deepEqual(parseItem('imaging-study=/data/ct.dcm'), {
        category: 'imaging-study',
        documentType: 'dicom-study',
        path: '/data/ct.dcm',
      });
      assert.deepEqual(parseItem('lab-result:csv=a=b'), {
        category: 'lab-result',
        documentType: 'csv',
        path: 'a=b',
      });
      assert.equal(parseItem('x=y').documentType, 'document');
      for (const text of ['imaging-study', '=ct.dcm', 'imaging-study=']) {
        assert.throws(
          () => parseItem(text),
          (error: unknown) =>
            isBayledgerError(error, 'USAGE') && error.message === `--item ${text}: expected CATEGORY=PATH`,
        );
      }
    });

    const declareOptions = (items: string[], uid: string[]) => ({
      ...reach(),
      consent: CONSENT_ID,
      recipient: 'hk-ehealth',
      item: items.map(
        (item) => `${item}=${path.join(temp.path, item === 'imaging-study' ? 'ct.dcm' : 'report.pdf')}`,
      ),
      uid,
      route: 'gba-health-imaging',
      timeout: 10,
    });
    const UPLOADED = answer({ sealedUpload: 'sealed-1', recipient: 'hk-ehealth', items: [] }, 201);

    it('follows a pending declaration until it commits, sending each --uid with its item', async () => {
      node = await standInNode({
        'POST /uploads/sealed': UPLOADED,
        'POST /transfers': answer({ transferId: TRANSFER_ID, txId: TX_ID, status: 'pending' }, 202),
        [`GET /tx/${TX_ID}`]: answer({ txId: TX_ID, status: 'committed', height: 7, accepted: true }),
        [`GET /transfers/${TRANSFER_ID}`]: answer({
          transferId: TRANSFER_ID,
          status: 'approved',
          reasons: [],
        }),
      });
      const declared = await declareTransfer(
        declareOptions(['imaging-study', 'radiology-report'], ['1.2.3']),
      );
      assert.deepEqual(declared, {
        transferId: TRANSFER_ID,
        txId: TX_ID,
        height: 7,
        status: 'approved',
        reasons: [],
      });
      assert.deepEqual(JSON.parse(requestsTo('POST /transfers')[0]!.body), {
        consentId: CONSENT_ID,
        recipient: 'hk-ehealth',
        route: { id: 'gba-health-imaging' },
        sealedUpload: 'sealed-1',
        items: [
          { category: 'imaging-study', documentType: 'dicom-study', uid: '1.2.3' },
          { category: 'radiology-report', documentType: 'pdf-report' },
        ],
      });
    });

    it('takes a committed declaration as it is, and reports one the ledger refused as rejected', async () => {
      const committed = {
        transferId: TRANSFER_ID,
        txId: TX_ID,
        height: 3,
        status: 'awaiting-assessment',
        reasons: [],
      };
      node = await standInNode({
        'POST /uploads/sealed': UPLOADED,
        'POST /transfers': inTurn(committed, { transferId: TRANSFER_ID, txId: TX_ID, status: 'pending' }),
        [`GET /tx/${TX_ID}`]: answer({
          status: 'committed',
          height: 8,
          accepted: false,
          reasons: ['CONSENT_REVOKED'],
        }),
      });
      // As many --uid as --item is allowed.
      assert.deepEqual(await declareTransfer(declareOptions(['imaging-study'], ['1.2.3'])), committed);
      assert.equal(requestsTo(`GET /tx/${TX_ID}`).length, 0);
      assert.deepEqual(await declareTransfer(declareOptions(['imaging-study'], [])), {
        transferId: TRANSFER_ID,
        txId: TX_ID,
        height: 8,
        status: 'rejected',
        reasons: ['CONSENT_REVOKED'],
      });
    });

    it('refuses more --uid than --item before sending anything', async () => {
      node = await standInNode({});
      await rejectsWith(
        declareTransfer(declareOptions(['imaging-study'], ['1.2.3', '1.2.4'])),
        'USAGE',
        'more --uid than --item',
      );
      assert.deepEqual(node.requests, []);
    });

    it('sends --filing-reference with the route, and no filing reference when there is none', async () => {
      const committed = { transferId: TRANSFER_ID, txId: TX_ID, height: 3, status: 'approved', reasons: [] };
      node = await standInNode({ 'POST /uploads/sealed': UPLOADED, 'POST /transfers': answer(committed) });
      const options = declareOptions(['imaging-study'], []);
      await declareTransfer({ ...options, filingReference: 'HK-2026/001' });
      await declareTransfer(options);
      assert.deepEqual(
        requestsTo('POST /transfers').map((request) => JSON.parse(request.body).route),
        [{ id: 'gba-health-imaging', filingReference: 'HK-2026/001' }, { id: 'gba-health-imaging' }],
      );
    });

    it('refuses a --uid, --filing-reference, --recipient, --route or --item id the node would refuse, before streaming any file (usage errors)', async () => {
      node = await standInNode({});
      const options = declareOptions(['imaging-study'], []);
      const identifier = /: expected text of at most \d+ characters \(identifier: /;
      const cases: Array<[{ recipient?: string; route?: string; item?: string[] }, string]> = [
        [{ recipient: 'HK eHealth' }, '--recipient'],
        [{ route: 'BAD ROUTE!' }, '--route'],
        [{ item: [`Imaging Study=${path.join(temp.path, 'ct.dcm')}`] }, '--item Imaging Study'],
        [{ item: [`imaging-study:DICOM=${path.join(temp.path, 'ct.dcm')}`] }, '--item imaging-study:DICOM'],
      ];
      for (const [bad, where] of cases) {
        await rejectsWith(
          declareTransfer({ ...options, ...bad }),
          'USAGE',
          new RegExp(`^${where}${identifier.source}`),
        );
      }
      await rejectsWith(
        declareTransfer(declareOptions(['imaging-study'], ['not a uid'])),
        'USAGE',
        '--uid not a uid: a document UID is a DICOM UID: digits and dots, at most 64 characters',
      );
      await rejectsWith(
        declareTransfer({ ...declareOptions(['imaging-study'], []), filingReference: 'has spaces!' }),
        'USAGE',
        /^--filing-reference: expected text of at most \d+ characters \(filing reference: /,
      );
      assert.deepEqual(node.requests, []);
    });

    it('follows a pending assessment, and fails naming the reasons when the ledger refused it', async () => {
      node = await standInNode({
        [`POST /transfers/${TRANSFER_ID}/assess`]: inTurn(
          { txId: TX_ID, status: 'pending' },
          { txId: TX_ID, status: 'committed', height: 6, accepted: true },
        ),
        [`GET /tx/${TX_ID}`]: answer({
          status: 'committed',
          height: 5,
          accepted: false,
          reasons: ['NOT_ASSESSOR'],
        }),
        [`GET /transfers/${TRANSFER_ID}`]: answer({
          transferId: TRANSFER_ID,
          status: 'approved',
          reasons: [],
        }),
      });
      const assess = () =>
        transferAssess(TRANSFER_ID, {
          ...reach(),
          decision: 'approve',
          reason: 'OK',
          timeout: 10,
          json: true,
        });
      // A refused assessment is printed, then fails (exit 1), so a script sees both.
      const refusedRun = await outputOf(assess);
      await rejectsWith(
        Promise.reject(refusedRun.error),
        'RECORD_INVALID',
        'the assessment was refused by the ledger: NOT_ASSESSOR',
      );
      assert.deepEqual(JSON.parse(refusedRun.stdout).reasons, ['NOT_ASSESSOR']);
      const acceptedRun = await outputOf(assess);
      assert.equal(acceptedRun.error, undefined);
      const accepted = JSON.parse(acceptedRun.stdout);
      assert.deepEqual([accepted.accepted, accepted.height, accepted.status], [true, 6, 'approved']);
    });

    it('refuses a --reason that is not a reason code before asking any node (a usage error)', async () => {
      node = await standInNode({});
      for (const reason of ['ok', 'NOT OK', '']) {
        await rejectsWith(
          assessTransfer(TRANSFER_ID, { ...reach(), decision: 'approve', reason, timeout: 10 }),
          'USAGE',
          /^--reason: expected text of at most \d+ characters \(reason code: upper-case letters, digits, _\)/,
        );
      }
      assert.deepEqual(node.requests, []);
    });

    it('sends an assessment without --api to the first validator in nodes.json, not the first node', async () => {
      const assessed = {
        [`POST /transfers/${TRANSFER_ID}/assess`]: answer({
          txId: TX_ID,
          status: 'committed',
          height: 6,
          accepted: true,
        }),
        [`GET /transfers/${TRANSFER_ID}`]: answer({
          transferId: TRANSFER_ID,
          status: 'approved',
          reasons: [],
        }),
      };
      // The recipient answers as a real one would; each validator would take the assessment.
      const recipient = await standInNode({
        [`POST /transfers/${TRANSFER_ID}/assess`]: answer(
          {
            error: {
              code: 'CONFLICT',
              message: 'assessing a transfer is done on a validator node; this node is a recipient',
            },
          },
          409,
        ),
      });
      node = await standInNode(assessed);
      const secondValidator = await standInNode(assessed);
      try {
        const dir = path.join(temp.path, 'recipient-first');
        await mkdir(dir);
        await writeFile(
          path.join(dir, 'nodes.json'),
          JSON.stringify([
            { org: 'hk-ehealth', role: 'recipient', api: recipient.url, tokenFile },
            { org: 'hku-szh', role: 'submitter', api: 'http://127.0.0.1:9', tokenFile },
            { org: 'sz-cac', role: 'validator', api: node.url, tokenFile },
            { org: 'hk-health', role: 'validator', api: secondValidator.url, tokenFile },
          ]),
        );
        const result = await assessTransfer(TRANSFER_ID, {
          dir,
          decision: 'approve',
          reason: 'OK',
          timeout: 10,
        });
        assert.deepEqual([result.accepted, result.status], [true, 'approved']);
        assert.equal(requestsTo(`POST /transfers/${TRANSFER_ID}/assess`).length, 1);
        assert.deepEqual([recipient.requests, secondValidator.requests], [[], []]);
      } finally {
        await recipient.close();
        await secondValidator.close();
      }
    });

    it('waits for the state asked for, and stops once the transfer can no longer reach it', async () => {
      const view = (status: string, reasons: string[] = []) => ({ transferId: TRANSFER_ID, status, reasons });
      node = await standInNode({
        [`GET /transfers/${TRANSFER_ID}`]: inTurn(
          view('awaiting-assessment'),
          view('approved'),
          view('delivered'),
          view('rejected', ['NEGATIVE_LIST']),
        ),
      });
      const api = await resolveApi(reach());
      assert.equal((await waitForTransfer(api, TRANSFER_ID, 'delivered', 10, 1)).status, 'delivered');
      assert.equal(requestsTo(`GET /transfers/${TRANSFER_ID}`).length, 3);
      await rejectsWith(
        waitForTransfer(api, TRANSFER_ID, 'approved', 10, 1),
        'CONFLICT',
        `transfer ${TRANSFER_ID} is rejected (NEGATIVE_LIST); it will not be approved`,
      );
    });
  });
});
