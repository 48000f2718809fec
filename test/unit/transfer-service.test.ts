// The transfer service's pure and file-level parts: the hospital's countersignature on a consent,
// salted item commitments and document UIDs, staged uploads, a prepared declaration (sealed
// payload, manifest, private record; nothing secret in the record that goes on the ledger), and
// the release gates at both ends against ledger states built from real signed transactions.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { concatBytes, toHex, utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { getTransfer } from '../../src/core/ledger/views.js';
import { LIMITS } from '../../src/core/limits.js';
import { decodeTxEnvelope, encodeTxEnvelope, signTx, verifyTx } from '../../src/core/records/index.js';
import { containerBytesFor, encodeContainerHead } from '../../src/node/transfer/container.js';
import { layoutForContainer } from '../../src/node/transfer/layout.js';
import { OutboxPayload, outboxPayloadDirectory } from '../../src/node/transfer/outbox.js';
import { countersignGrant } from '../../src/node/transfer-service/countersign.js';
import { payloadKeyFor, prepareDeclaration } from '../../src/node/transfer-service/declare.js';
import { DiskRoom } from '../../src/node/transfer-service/disk-room.js';
import { createServiceFolders, serviceFolders } from '../../src/node/transfer-service/folders.js';
import { acceptDecision, couldAccept, releaseDecision } from '../../src/node/transfer-service/gates.js';
import { IdleTimeout } from '../../src/node/transfer-service/idle-timeout.js';
import {
  checkDocumentUid,
  itemCommitment,
  newDocumentUid,
  newItemSalt,
} from '../../src/node/transfer-service/item-commitment.js';
import { parseSizes } from '../../src/node/transfer-service/routes.js';
import {
  claimSealedUpload,
  removeAllUploads,
  removeIdleUploads,
  sealedUploadPath,
  stageSealedUpload,
  stageUpload,
  uploadPath,
} from '../../src/node/transfer-service/uploads.js';
import {
  declareTransfer,
  grantConsent,
  receiptFor,
  revokeConsent,
  TestLedger,
  testGenesis,
} from '../helpers/fixtures.js';
import { throwsWith } from '../helpers/rejects.js';
import { waitFor } from '../helpers/wait.js';

const net = testGenesis();
const chainId = net.genesis.chainId;
const hospital = { org: 'hku-szh', chainId, signer: net.signers['hku-szh']! };

function throwsCode(action: () => unknown, code: string): void {
  assert.throws(action, (error: unknown) => isBayledgerError(error) && error.code === code);
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Room on the temporary folder's disk with no reserve: these tests are not about a full disk. */
function roomy(): DiskRoom {
  return new DiskRoom(tmpdir(), 0);
}

describe('transfer service: consent countersignature', () => {
  const patientOnly = (overrides = {}) =>
    grantConsent(net, { patient: 'carol', signers: [net.patient('carol')], ...overrides });

  it('adds the hospital signature to a patient-signed grant; the result verifies against genesis', () => {
    const grant = patientOnly();
    const signed = countersignGrant(grant.bytes, hospital);
    assert.equal(signed.sigs.length, 2);
    assert.deepEqual(verifyTx(signed, net.genesis), { ok: true });
    assert.deepEqual(signed.body, grant.envelope.body, 'the body is the one the patient signed');
    // Countersigning twice gives the same envelope (Ed25519 is deterministic).
    assert.deepEqual(
      encodeTxEnvelope(countersignGrant(encodeTxEnvelope(signed), hospital)),
      encodeTxEnvelope(signed),
    );
  });

  it('refuses a grant for another hospital, without or with a bad patient signature, or of another kind', () => {
    throwsWith(
      () => countersignGrant(patientOnly({ sender: 'nf-ufh', allowedSenders: ['nf-ufh'] }).bytes, hospital),
      'RECORD_INVALID',
      'the grant names nf-ufh as submitting hospital, this node is hku-szh',
    );
    throwsWith(
      () => countersignGrant(patientOnly({ allowedSenders: ['nf-ufh'] }).bytes, hospital),
      'RECORD_INVALID',
      'the grant does not allow hku-szh to send',
    );
    const otherNetwork = signTx('consent.grant', patientOnly().body, [net.patient('carol')], 'another-chain');
    throwsWith(
      () => countersignGrant(encodeTxEnvelope(otherNetwork), hospital),
      'SIGNATURE_INVALID',
      'the patient signature does not verify for this network',
    );
    const byStranger = grantConsent(net, { patient: 'carol', signers: [net.patient('mallory')] });
    throwsWith(
      () => countersignGrant(byStranger.bytes, hospital),
      'RECORD_INVALID',
      'a grant is signed by the patient and the hospital only',
    );
    const hospitalOnly = signTx('consent.grant', patientOnly().body, [hospital.signer], hospital.chainId);
    throwsWith(
      () => countersignGrant(encodeTxEnvelope(hospitalOnly), hospital),
      'SIGNATURE_INVALID',
      'the patient has not signed this grant',
    );
    const revoke = revokeConsent(net, { consentId: sha256(utf8('x')) });
    throwsWith(
      () => countersignGrant(revoke.bytes, hospital),
      'RECORD_INVALID',
      'expected a consent.grant, got consent.revoke',
    );
    throwsWith(
      () => countersignGrant(new Uint8Array([1, 2, 3]), hospital),
      'CBOR_TRAILING_BYTES',
      'not a valid transaction: byte 1: 2 bytes after the first item',
    );
  });
});

describe('transfer service: salted item commitments', () => {
  it('makes DICOM 2.25 UIDs and commits to SHA-256(salt || UID)', () => {
    const uids = new Set(Array.from({ length: 50 }, () => newDocumentUid()));
    assert.equal(uids.size, 50);
    for (const uid of uids) {
      assert.match(uid, /^2\.25\.[1-9][0-9]*$/);
      assert.ok(uid.length <= 64);
      assert.equal(checkDocumentUid(uid, 'uid'), uid);
    }
    const uid = '1.2.840.113619.2.55.3.604688119.969.1268071029.320';
    const salt = newItemSalt();
    assert.equal(salt.byteLength, 32);
    assert.deepEqual(itemCommitment(salt, uid), sha256(concatBytes(salt, utf8(uid))));
    assert.notDeepEqual(itemCommitment(newItemSalt(), uid), itemCommitment(salt, uid));
    const longest = `1.${'2'.repeat(62)}`;
    assert.equal(checkDocumentUid(longest, 'uid'), longest, 'exactly 64 characters is allowed');
    for (const bad of ['1.02.3', 'abc', '1..2', `${longest}3`, '']) {
      throwsCode(() => checkDocumentUid(bad, 'uid'), 'REQUEST_MALFORMED');
    }
  });
});

describe('transfer service: uploads and declarations', () => {
  let dir: string;
  const folders = () => serviceFolders({ dataDir: path.join(dir, 'hku-szh', 'data') });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-ts-'));
    await createServiceFolders(folders());
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('stages an upload on disk (0600) with its size and SHA-256, and refuses ids that are not ids', async () => {
    const bytes = randomBytes(300_000);
    const staged = await stageUpload(folders().uploadsDir, chunksOf(bytes, 65_536), roomy());
    assert.equal(staged.sizeBytes, bytes.byteLength);
    assert.equal(toHex(staged.digest), createHash('sha256').update(bytes).digest('hex'));
    const info = await stat(uploadPath(folders().uploadsDir, staged.id));
    assert.equal(info.mode & 0o777, 0o600);
    throwsCode(() => uploadPath(folders().uploadsDir, '../../etc/passwd'), 'REQUEST_MALFORMED');
    await assert.rejects(
      stageUpload(folders().uploadsDir, chunksOf(new Uint8Array(0), 1), roomy()),
      (error: unknown) => isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
  });

  it('seals the uploads, keeps salt and UID private, and declares only sizes, digests and commitments', async () => {
    const study = randomBytes(2_500_000);
    const report = randomBytes(40_000);
    const f = folders();
    const first = await stageUpload(f.uploadsDir, chunksOf(study, 1 << 20), roomy());
    const second = await stageUpload(f.uploadsDir, chunksOf(report, 1 << 20), roomy());
    const uid = '1.2.826.0.1.3680043.8.498.12345';
    const consentId = toHex(sha256(utf8('a consent')));
    const prepared = await prepareDeclaration(
      { org: 'hku-szh', genesis: net.genesis, signer: hospital.signer, folders: f },
      {
        consentId,
        recipient: 'ehealth-hk',
        route: { id: 'gba-standard-contract', filingReference: 'GBA-SC-2026-000123' },
        items: [
          { category: 'imaging-study', documentType: 'dicom-study', upload: first.id, uid },
          { category: 'radiology-report', documentType: 'pdf-report', upload: second.id },
        ],
      },
    );
    const envelope = decodeTxEnvelope(prepared.envelopeBytes);
    assert.equal(envelope.kind, 'transfer.declare');
    assert.deepEqual(prepared.body.route, {
      id: 'gba-standard-contract',
      filingReference: 'GBA-SC-2026-000123',
    });
    assert.deepEqual(verifyTx(envelope, net.genesis), { ok: true });
    const { body } = prepared;
    assert.deepEqual(
      body.items.map((item) => [item.category, item.sizeBytes, toHex(item.digest)]),
      [
        ['imaging-study', study.byteLength, createHash('sha256').update(study).digest('hex')],
        ['radiology-report', report.byteLength, createHash('sha256').update(report).digest('hex')],
      ],
    );
    // The private record opens each commitment; the ledger record holds neither salt nor UID.
    const record = JSON.parse(
      await readFile(path.join(f.declaredDir, `${toHex(prepared.transferId)}.json`), 'utf8'),
    ) as {
      items: { uid: string; salt: string; itemCommitment: string }[];
    };
    assert.equal(record.items[0]!.uid, uid);
    assert.match(record.items[1]!.uid, /^2\.25\./);
    for (const [i, item] of record.items.entries()) {
      const salt = Buffer.from(item.salt, 'hex');
      assert.equal(toHex(itemCommitment(salt, item.uid)), toHex(body.items[i]!.itemCommitment));
      const ledgerBytes = Buffer.from(prepared.envelopeBytes);
      assert.equal(ledgerBytes.indexOf(Buffer.from(item.uid, 'utf8')), -1, 'no UID on the ledger');
      assert.equal(ledgerBytes.indexOf(salt), -1, 'no salt on the ledger');
    }
    // The sealed payload is in the outbox under the declared root; the plaintext uploads are gone.
    const outbox = await OutboxPayload.open(f.outboxDir, body.payload.root);
    assert.equal(outbox.layout.chunkCount, body.payload.chunkCount);
    await outbox.close();
    const left = await readdir(f.uploadsDir);
    assert.ok(!left.includes(first.id) && !left.includes(second.id), 'plaintext uploads deleted');
    // An upload serves one declaration only.
    await assert.rejects(
      prepareDeclaration(
        { org: 'hku-szh', genesis: net.genesis, signer: hospital.signer, folders: f },
        {
          consentId,
          recipient: 'ehealth-hk',
          route: { id: 'certification' },
          items: [{ category: 'lab-result', documentType: 'lab-report', upload: first.id }],
        },
      ),
      (error: unknown) => isBayledgerError(error, 'NOT_FOUND'),
    );
  });

  it('seals for the named recipient only, and refuses an unknown one or an item without its upload', async () => {
    const key = payloadKeyFor(net.genesis, 'ehealth-hk');
    assert.deepEqual(
      [key.chainId, key.recipientId, toHex(key.recipientPublicKey)],
      [net.genesis.chainId, 'ehealth-hk', toHex(net.encryptionKeys['ehealth-hk']!.publicKey)],
    );
    assert.throws(
      () => payloadKeyFor(net.genesis, 'no-such-platform'),
      (error: unknown) => isBayledgerError(error, 'NOT_FOUND'),
    );
    const f = folders();
    const staged = await stageUpload(f.uploadsDir, chunksOf(randomBytes(1_000), 1 << 20), roomy());
    const declarer = { org: 'hku-szh', genesis: net.genesis, signer: hospital.signer, folders: f };
    const base = {
      consentId: toHex(sha256(utf8('a consent'))),
      recipient: 'ehealth-hk',
      route: { id: 'certification' },
    };
    await assert.rejects(
      prepareDeclaration(declarer, {
        ...base,
        items: [
          { category: 'imaging-study', documentType: 'dicom-study', upload: staged.id },
          { category: 'radiology-report', documentType: 'pdf-report' },
        ],
      }),
      (error: unknown) =>
        isBayledgerError(error, 'REQUEST_MALFORMED') && /every item needs its upload/.test(String(error)),
    );
    // Without a filing reference the route carries none (not an absent-but-present key).
    const prepared = await prepareDeclaration(declarer, {
      ...base,
      items: [{ category: 'imaging-study', documentType: 'dicom-study', upload: staged.id }],
    });
    assert.deepEqual(Object.keys(prepared.body.route), ['id']);
  });
});

describe('transfer service: sealed uploads (sealed while they arrive)', () => {
  let dir: string;
  const folders = () => serviceFolders({ dataDir: path.join(dir, 'hku-szh', 'data') });
  const declarer = () => ({
    org: 'hku-szh',
    genesis: net.genesis,
    signer: hospital.signer,
    folders: folders(),
  });
  const platformKey = () => payloadKeyFor(net.genesis, 'ehealth-hk');
  const request = (sealedUpload: string, items = 2) => ({
    consentId: toHex(sha256(utf8('a consent'))),
    recipient: 'ehealth-hk',
    route: { id: 'gba-standard-contract', filingReference: 'GBA-SC-2026-000124' },
    sealedUpload,
    items: [
      { category: 'imaging-study', documentType: 'dicom-study' },
      { category: 'radiology-report', documentType: 'pdf-report' },
    ].slice(0, items),
  });
  const seal = (sizes: number[], body: AsyncIterable<Uint8Array>) =>
    stageSealedUpload({
      uploadsDir: folders().uploadsDir,
      outboxDir: folders().outboxDir,
      key: platformKey(),
      sizes,
      body,
      room: roomy(),
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-ts-sealed-'));
    await createServiceFolders(folders());
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('seals a two-item body in one pass; the declaration claims it into the outbox with the same digests', async () => {
    const study = randomBytes(2_500_000);
    const report = randomBytes(40_000);
    // Pieces that straddle the item boundary and the chunk boundaries.
    const sealed = await seal(
      [study.byteLength, report.byteLength],
      chunksOf(Buffer.concat([study, report]), 65_521),
    );
    assert.equal(sealed.recipient, 'ehealth-hk');
    assert.deepEqual(
      sealed.items.map((item) => [item.sizeBytes, toHex(item.digest)]),
      [
        [study.byteLength, createHash('sha256').update(study).digest('hex')],
        [report.byteLength, createHash('sha256').update(report).digest('hex')],
      ],
    );
    // Only ciphertext is staged: no 64-byte run of either item appears in the sealed payload.
    const staged = sealedUploadPath(folders().uploadsDir, sealed.id);
    const payloadBytes = await readFile(path.join(staged, 'payload.bin'));
    assert.equal(payloadBytes.indexOf(study.subarray(1_000_000, 1_000_064)), -1);
    assert.equal(payloadBytes.indexOf(report.subarray(0, 64)), -1);
    assert.equal((await stat(staged)).mode & 0o777, 0o700);

    const prepared = await prepareDeclaration(declarer(), request(sealed.id));
    assert.deepEqual(
      prepared.body.items.map((item) => [item.sizeBytes, toHex(item.digest)]),
      sealed.items.map((item) => [item.sizeBytes, toHex(item.digest)]),
    );
    assert.deepEqual(verifyTx(decodeTxEnvelope(prepared.envelopeBytes), net.genesis), { ok: true });
    const outbox = await OutboxPayload.open(folders().outboxDir, prepared.body.payload.root);
    assert.equal(outbox.layout.containerBytes > study.byteLength + report.byteLength, true);
    await outbox.close();
    assert.deepEqual(await readdir(folders().uploadsDir), [], 'the sealed upload was moved, nothing left');
    // It served its one declaration.
    await assert.rejects(prepareDeclaration(declarer(), request(sealed.id)), (error: unknown) =>
      isBayledgerError(error, 'NOT_FOUND'),
    );
  });

  it('reads the announced sizes from the query: positive decimal byte counts, 1 to the item limit', () => {
    assert.deepEqual(parseSizes('1'), [1]);
    assert.deepEqual(parseSizes('524288000,40000,7'), [524_288_000, 40_000, 7]);
    for (const bad of [null, '', '0', '-1', '01', '1.5', '1e6', '1,,2', ' 1', '1,', '9'.repeat(17), 'x']) {
      throwsCode(() => parseSizes(bad), 'REQUEST_MALFORMED');
    }
    throwsCode(
      () => parseSizes(Array.from({ length: LIMITS.maxItemsPerTransfer + 1 }, () => '1').join(',')),
      'REQUEST_MALFORMED',
    );
    assert.equal(
      parseSizes(Array.from({ length: LIMITS.maxItemsPerTransfer }, () => '1').join(',')).length,
      LIMITS.maxItemsPerTransfer,
      'exactly the item limit',
    );
  });

  it('refuses a body shorter or longer than the announced sizes, leaving nothing behind', async () => {
    const bytes = randomBytes(300_000);
    await assert.rejects(seal([200_000, 100_001], chunksOf(bytes, 65_536)), (error: unknown) =>
      isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
    await assert.rejects(seal([200_000, 99_999], chunksOf(bytes, 65_536)), (error: unknown) =>
      isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
    await assert.rejects(seal([0, 300_000], chunksOf(bytes, 65_536)), (error: unknown) =>
      isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
    assert.deepEqual(await readdir(folders().uploadsDir), []);
    assert.deepEqual(
      (await readdir(folders().outboxDir)).filter((name) => name !== '.uploads'),
      [],
      'no sealing work folder left',
    );
  });

  it('checks the announced sizes before reading the body: 1 to the item limit, each at least 1 byte, one payload at most', async () => {
    const refusedWith = async (sizes: number[], code: ErrorCode) => {
      let read = 0;
      async function* body(): AsyncGenerator<Uint8Array> {
        read += 1;
        yield new Uint8Array(1);
      }
      await assert.rejects(
        seal(sizes, body()),
        (error: unknown) => isBayledgerError(error, code),
        `${sizes.length} sizes`,
      );
      assert.equal(read, 0, 'refused before reading');
    };
    await refusedWith([], 'REQUEST_MALFORMED');
    await refusedWith(
      Array.from({ length: LIMITS.maxItemsPerTransfer + 1 }, () => 1),
      'REQUEST_MALFORMED',
    );
    await refusedWith([1, 0], 'REQUEST_MALFORMED');
    // The largest first item whose sealed payload (head, items, a tag per chunk) is within the limit.
    const fits = (first: number) => {
      const sizes = [first, 1];
      return layoutForContainer(containerBytesFor(encodeContainerHead(sizes).byteLength, sizes)).ok;
    };
    let [largest, tooLarge] = [LIMITS.maxPayloadBytes - 4 * 1024 * 1024, LIMITS.maxPayloadBytes];
    assert.ok(fits(largest) && !fits(tooLarge));
    while (tooLarge - largest > 1) {
      const middle = Math.floor((largest + tooLarge) / 2);
      if (fits(middle)) largest = middle;
      else tooLarge = middle;
    }
    await refusedWith([largest + 1, 1], 'MESSAGE_TOO_LARGE');
    // At the limits: the item limit of one-byte items; the largest payload passes the check (and is
    // then refused only because its body ends short).
    const most = await seal(
      Array.from({ length: LIMITS.maxItemsPerTransfer }, () => 1),
      chunksOf(randomBytes(LIMITS.maxItemsPerTransfer), 7),
    );
    assert.equal(most.items.length, LIMITS.maxItemsPerTransfer);
    assert.ok(most.items.every((item) => item.sizeBytes === 1));
    await assert.rejects(seal([largest, 1], chunksOf(randomBytes(10), 10)), (error: unknown) =>
      isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
  });

  it('stages at most LIMITS.maxStagedUploads uploads waiting for a declaration', async () => {
    const { uploadsDir } = folders();
    // Uploads already waiting (what they hold does not matter to the count).
    for (let i = 0; i < LIMITS.maxStagedUploads - 1; i++) {
      await writeFile(path.join(uploadsDir, i.toString(16).padStart(32, '0')), '');
    }
    const last = await stageUpload(uploadsDir, chunksOf(randomBytes(10), 10), roomy());
    assert.equal(last.sizeBytes, 10);
    await assert.rejects(stageUpload(uploadsDir, chunksOf(randomBytes(10), 10), roomy()), (error: unknown) =>
      isBayledgerError(error, 'NOT_READY'),
    );
    await assert.rejects(seal([10], chunksOf(randomBytes(10), 10)), (error: unknown) =>
      isBayledgerError(error, 'NOT_READY'),
    );
    assert.equal((await readdir(uploadsDir)).length, LIMITS.maxStagedUploads);
  });

  it('a sealed upload damaged on disk is DATABASE_CORRUPT when claimed, and removed', async () => {
    const { uploadsDir } = folders();
    const badCommitment = await seal([100], chunksOf(randomBytes(100), 100));
    await writeFile(
      path.join(sealedUploadPath(uploadsDir, badCommitment.id), 'commitment.cbor'),
      Uint8Array.of(0xa0),
    );
    const badDigest = await seal([100], chunksOf(randomBytes(100), 100));
    const itemsFile = path.join(sealedUploadPath(uploadsDir, badDigest.id), 'items.json');
    const record = JSON.parse(await readFile(itemsFile, 'utf8')) as { items: { digest: string }[] };
    record.items[0]!.digest = 'abcd';
    await writeFile(itemsFile, JSON.stringify(record));
    for (const damaged of [badCommitment, badDigest]) {
      await assert.rejects(prepareDeclaration(declarer(), request(damaged.id, 1)), (error: unknown) =>
        isBayledgerError(error, 'DATABASE_CORRUPT'),
      );
    }
    assert.deepEqual(await readdir(uploadsDir), []);
  });

  it('refuses a claim for another recipient or with another item count, and consumes the upload', async () => {
    const bytes = randomBytes(100_000);
    const first = await seal([60_000, 40_000], chunksOf(bytes, 65_536));
    await assert.rejects(
      prepareDeclaration(declarer(), { ...request(first.id), recipient: 'nf-ufh' }),
      (error: unknown) => isBayledgerError(error, 'CONFLICT'),
    );
    const second = await seal([60_000, 40_000], chunksOf(bytes, 65_536));
    await assert.rejects(prepareDeclaration(declarer(), request(second.id, 1)), (error: unknown) =>
      isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
    const third = await seal([100_000], chunksOf(bytes, 65_536));
    await assert.rejects(
      prepareDeclaration(declarer(), {
        ...request(third.id, 1),
        items: [{ category: 'lab-result', documentType: 'lab-report', upload: third.id }],
      }),
      (error: unknown) => isBayledgerError(error, 'REQUEST_MALFORMED'),
    );
    // A request that cannot be read is refused before anything is consumed; a refused claim consumes.
    assert.deepEqual(await readdir(folders().uploadsDir), [`sealed-${third.id}`]);
    assert.deepEqual(
      (await readdir(folders().outboxDir)).filter((name) => name !== '.uploads'),
      [],
      'no payload left in the outbox for a refused declaration',
    );
  });

  it('leaves a claimed payload in the outbox only under its root, and start-up removes unclaimed ones', async () => {
    const bytes = randomBytes(50_000);
    const kept = await seal([50_000], chunksOf(bytes, 65_536));
    const claimed = await claimSealedUpload(folders().uploadsDir, folders().outboxDir, kept.id, 'ehealth-hk');
    assert.deepEqual(
      claimed.items.map((item) => item.sizeBytes),
      [50_000],
    );
    await stat(outboxPayloadDirectory(folders().outboxDir, claimed.commitment.root));
    await seal([50_000], chunksOf(bytes, 65_536));
    assert.equal(await removeAllUploads(folders().uploadsDir), 1);
    assert.deepEqual(await readdir(folders().uploadsDir), []);
  });

  it('start-up removes every upload, however fresh, and entries the idle sweep would leave (a link to nothing)', async () => {
    // removeAllUploads is the idle sweep's walk with no idle bound: it must not stat what it removes.
    const { uploadsDir } = folders();
    const bytes = randomBytes(50_000);
    await stageUpload(uploadsDir, chunksOf(bytes, 65_536), roomy());
    await seal([50_000], chunksOf(bytes, 65_536));
    await symlink(path.join(uploadsDir, 'claimed-meanwhile'), path.join(uploadsDir, 'dangling'));
    assert.equal(await removeIdleUploads(uploadsDir, Date.now(), 60_000), 0);
    assert.equal(await removeAllUploads(uploadsDir), 3);
    assert.deepEqual(await readdir(uploadsDir), []);
    assert.equal(await removeAllUploads(path.join(uploadsDir, 'no-such-folder')), 0);
  });

  it('removes uploads no declaration claimed once idle for longer than the bound, and only those', async () => {
    const { uploadsDir } = folders();
    const bytes = randomBytes(50_000);
    const idleStaged = await stageUpload(uploadsDir, chunksOf(bytes, 65_536), roomy());
    const freshStaged = await stageUpload(uploadsDir, chunksOf(bytes, 65_536), roomy());
    const idleSealed = await seal([50_000], chunksOf(bytes, 65_536));
    const freshSealed = await seal([50_000], chunksOf(bytes, 65_536));
    const nowMs = Date.now();
    const maxIdleMs = 60_000;
    const age = async (entry: string, ms: number) => {
      const at = new Date(nowMs - ms);
      await utimes(entry, at, at);
      if ((await stat(entry)).isDirectory()) {
        for (const name of await readdir(entry)) await utimes(path.join(entry, name), at, at);
      }
    };
    // A second either side of the bound: file times are not kept to the millisecond everywhere.
    await age(path.join(uploadsDir, idleStaged.id), maxIdleMs + 1_000);
    await age(path.join(uploadsDir, freshStaged.id), maxIdleMs - 1_000);
    await age(sealedUploadPath(uploadsDir, idleSealed.id), maxIdleMs + 1_000);
    // A sealed upload whose folder is old but one of whose files was written just now (the
    // payload still arriving) is not idle.
    await age(sealedUploadPath(uploadsDir, freshSealed.id), maxIdleMs + 1_000);
    const [written] = await readdir(sealedUploadPath(uploadsDir, freshSealed.id));
    await utimes(
      path.join(sealedUploadPath(uploadsDir, freshSealed.id), written!),
      new Date(nowMs),
      new Date(nowMs),
    );
    // An entry gone between the listing and its stat (here a link to nothing) is left alone.
    await symlink(path.join(uploadsDir, 'claimed-meanwhile'), path.join(uploadsDir, 'dangling'));
    assert.equal(await removeIdleUploads(uploadsDir, nowMs, maxIdleMs), 2);
    assert.deepEqual(
      (await readdir(uploadsDir)).sort(),
      ['dangling', freshStaged.id, path.basename(sealedUploadPath(uploadsDir, freshSealed.id))].sort(),
    );
  });
});

describe('transfer service: release gates', () => {
  const ledger = new TestLedger(net);
  const consent = grantConsent(net, { patient: 'dora' });
  const approved = declareTransfer(net, { consentId: consent.objectId });
  const awaiting = declareTransfer(net, { consentId: consent.objectId, categories: ['genetic-test-result'] });
  const byOther = declareTransfer(net, {
    consentId: grantConsent(net, { patient: 'erin', sender: 'nf-ufh', allowedSenders: ['nf-ufh'] }).objectId,
    sender: 'nf-ufh',
  });
  ledger.block(consent);
  ledger.block(approved, awaiting, byOther);

  it('releases an approved transfer to its declared recipient only, from its declaring hospital only', () => {
    const root = approved.body.payload.root;
    assert.deepEqual(releaseDecision(ledger.state, 'hku-szh', 'ehealth-hk', approved.objectId), {
      ok: true,
      payloadRoot: root,
    });
    assert.deepEqual(releaseDecision(ledger.state, 'hku-szh', 'nf-ufh', approved.objectId), {
      ok: false,
      code: 'NOT_RECIPIENT',
    });
    assert.deepEqual(releaseDecision(ledger.state, 'nf-ufh', 'ehealth-hk', approved.objectId), {
      ok: false,
      code: 'UNKNOWN_TRANSFER',
    });
    assert.deepEqual(releaseDecision(ledger.state, 'hku-szh', 'ehealth-hk', awaiting.objectId), {
      ok: false,
      code: 'NOT_APPROVED',
    });
    assert.deepEqual(releaseDecision(ledger.state, 'hku-szh', 'ehealth-hk', byOther.objectId), {
      ok: false,
      code: 'UNKNOWN_TRANSFER',
    });
    const accept = acceptDecision(ledger.state, 'ehealth-hk', approved.objectId);
    assert.ok(accept.ok);
    assert.equal(accept.sender, 'hku-szh');
    assert.deepEqual(accept.expected.patient, net.patient('dora').publicKey);
    assert.deepEqual(acceptDecision(ledger.state, 'nf-ufh', approved.objectId), {
      ok: false,
      reason: 'NOT_RECIPIENT',
    });
    assert.deepEqual(acceptDecision(ledger.state, 'ehealth-hk', awaiting.objectId), {
      ok: false,
      reason: 'NOT_APPROVED',
    });
    // A transfer id this chain never recorded (a peer can ask for any).
    const neverDeclared = new Uint8Array(32).fill(0xab);
    assert.deepEqual(releaseDecision(ledger.state, 'hku-szh', 'ehealth-hk', neverDeclared), {
      ok: false,
      code: 'UNKNOWN_TRANSFER',
    });
    assert.deepEqual(acceptDecision(ledger.state, 'ehealth-hk', neverDeclared), {
      ok: false,
      reason: 'UNKNOWN_TRANSFER',
    });
  });

  it('pre-filters written records as acceptDecision would: only an approved transfer to this node', () => {
    const record = (id: Uint8Array) => getTransfer(ledger.state, id)!;
    assert.equal(couldAccept(record(approved.objectId), 'ehealth-hk'), true);
    assert.equal(couldAccept(record(approved.objectId), 'nf-ufh'), false);
    assert.equal(couldAccept(record(awaiting.objectId), 'ehealth-hk'), false);
    assert.equal(couldAccept({ ...record(approved.objectId), patient: null }, 'ehealth-hk'), false);
    for (const id of [approved.objectId, awaiting.objectId, byOther.objectId]) {
      for (const self of ['ehealth-hk', 'nf-ufh']) {
        // Never stricter than the decision itself (a consent revocation only acceptDecision sees).
        if (acceptDecision(ledger.state, self, id).ok) assert.equal(couldAccept(record(id), self), true);
      }
    }
  });

  it('stops at a receipt, and at a revocation even after approval', () => {
    const other = new TestLedger(net);
    const grant = grantConsent(net, { patient: 'finn' });
    const first = declareTransfer(net, { consentId: grant.objectId });
    const second = declareTransfer(net, { consentId: grant.objectId });
    other.block(grant);
    other.block(first, second);
    other.block(receiptFor(net, { transferId: first.objectId }));
    assert.equal(getTransfer(other.state, first.objectId)?.status, 'delivered');
    assert.deepEqual(acceptDecision(other.state, 'ehealth-hk', first.objectId), {
      ok: false,
      reason: 'ALREADY_RECEIPTED',
    });
    assert.deepEqual(releaseDecision(other.state, 'hku-szh', 'ehealth-hk', first.objectId), {
      ok: false,
      code: 'NOT_APPROVED',
    });
    assert.ok(releaseDecision(other.state, 'hku-szh', 'ehealth-hk', second.objectId).ok);
    other.block(revokeConsent(net, { consentId: grant.objectId, patient: 'finn' }));
    assert.equal(
      getTransfer(other.state, second.objectId)?.status,
      'approved',
      'the ledger keeps the approval',
    );
    assert.deepEqual(releaseDecision(other.state, 'hku-szh', 'ehealth-hk', second.objectId), {
      ok: false,
      code: 'NOT_APPROVED',
    });
    assert.deepEqual(acceptDecision(other.state, 'ehealth-hk', second.objectId), {
      ok: false,
      reason: 'NOT_APPROVED',
    });
  });
});

describe('transfer service: a payload stream idle deadline', () => {
  it('aborts once nothing moved for its period; each touch starts the period over', async () => {
    // Long enough that a loaded machine still touches well inside each period (every ~20 ms).
    const idleMs = 400;
    const idle = new IdleTimeout(idleMs, 'test stream');
    const started = Date.now();
    // Keep touching for two periods: it must not fire meanwhile.
    await waitFor(
      'two periods of touches',
      () => {
        assert.equal(idle.signal.aborted, false, 'aborted while touched');
        idle.touch();
        return Date.now() - started >= 2 * idleMs;
      },
      { intervalMs: 20 },
    );
    const lastTouch = Date.now();
    await waitFor('the deadline', () => idle.signal.aborted, { timeoutMs: 5_000, intervalMs: 5 });
    assert.ok(Date.now() - lastTouch >= idleMs - 5, 'fired only after a whole idle period');
    assert.ok(isBayledgerError(idle.signal.reason, 'TIMEOUT'));
    idle.dispose();
  });

  it('never fires once disposed', async () => {
    const idle = new IdleTimeout(20, 'test stream');
    idle.dispose();
    const other = new IdleTimeout(60, 'witness');
    await waitFor('a longer deadline to pass', () => other.signal.aborted, { timeoutMs: 5_000 });
    assert.equal(idle.signal.aborted, false);
  });
});
