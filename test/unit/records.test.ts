// Records: closed schemas, canonical bytes and ids, signing, and the stateless signer rules of
// verifyTx (design section 4).
import assert from 'node:assert/strict';
import { bytesEqual, toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { signInDomain } from '../../src/core/crypto/domain.js';
import { verifySignature } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { BayledgerError, isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  addSignature,
  bodyBytesOf,
  type ConsentGrantBody,
  checkTxSigners,
  decodeTxEnvelope,
  encodeTxEnvelope,
  objectIdOf,
  parseTxBody,
  signatureChecksOf,
  signTx,
  TX_KINDS,
  type TxCheck,
  type TxEnvelope,
  txIdOf,
  verifyTx,
} from '../../src/core/records/index.js';
import {
  assessTransfer,
  type BuiltTx,
  declareTransfer,
  grantConsent,
  receiptFor,
  revokeConsent,
  testDigest,
  testGenesis,
  testItem,
  testKey,
  testPolicy,
  updatePolicy,
  VALIDATORS,
} from '../helpers/fixtures.js';

const net = testGenesis();
const grant = grantConsent(net);
const declaration = declareTransfer(net, { consentId: grant.objectId });
const oneOfEachKind: BuiltTx[] = [
  grant,
  revokeConsent(net, { consentId: grant.objectId }),
  declaration,
  assessTransfer(net, { transferId: declaration.objectId }),
  receiptFor(net, { transferId: declaration.objectId }),
  updatePolicy(net, { policy: testPolicy({ version: 2 }) }),
];

/** Encodes an envelope with a hand-made body, bypassing signTx's schema check. */
function rawEnvelope(
  kind: string,
  body: Record<string, unknown>,
  sigs: unknown[] = grant.envelope.sigs as unknown[],
) {
  return encodeCanonical({ kind, body, sigs });
}

function decodeError(bytes: Uint8Array): BayledgerError {
  try {
    decodeTxEnvelope(bytes);
  } catch (error) {
    if (error instanceof BayledgerError) return error;
    throw error;
  }
  assert.fail('decodeTxEnvelope accepted invalid input');
}

function withGrantBody(changes: Record<string, unknown>): Uint8Array {
  return rawEnvelope('consent.grant', { ...grant.body, ...changes });
}

function withDeclarationBody(changes: Record<string, unknown>): Uint8Array {
  return rawEnvelope(
    'transfer.declare',
    { ...declaration.body, ...changes },
    declaration.envelope.sigs as unknown[],
  );
}

function failedCode(check: TxCheck): string {
  assert.equal(check.ok, false, 'expected the check to fail');
  return check.ok ? '' : check.code;
}

describe('records: canonical bytes and ids', () => {
  it('round-trips one envelope of every kind through canonical bytes', () => {
    assert.deepEqual(
      oneOfEachKind.map((tx) => tx.kind),
      [...TX_KINDS],
    );
    for (const tx of oneOfEachKind) {
      const decoded = decodeTxEnvelope(tx.bytes);
      assert.deepEqual(decoded, tx.envelope, tx.kind);
      assert.ok(bytesEqual(encodeTxEnvelope(decoded), tx.bytes), tx.kind);
    }
  });

  it('txId is SHA-256 of the envelope bytes; objectId is SHA-256 of the canonical body', () => {
    assert.equal(toHex(txIdOf(grant.bytes)), toHex(sha256(grant.bytes)));
    assert.equal(toHex(objectIdOf(grant.envelope)), toHex(sha256(encodeCanonical(grant.body))));
    assert.equal(toHex(bodyBytesOf(grant.envelope)), toHex(encodeCanonical(grant.body)));
  });

  it('a countersignature changes the txId but never the consentId', () => {
    const patientOnly = signTx('consent.grant', grant.body, [net.patient('alice')], net.genesis.chainId);
    const countersigned = addSignature(patientOnly, net.signers['hku-szh']!, net.genesis.chainId);
    assert.ok(bytesEqual(objectIdOf(patientOnly), grant.objectId));
    assert.deepEqual(countersigned, grant.envelope, 'same envelope as signing with both keys at once');
    assert.notEqual(toHex(txIdOf(encodeTxEnvelope(patientOnly))), toHex(grant.txId));
    assert.deepEqual(verifyTx(countersigned, net.genesis), { ok: true });
    assert.deepEqual(
      addSignature(countersigned, net.signers['hku-szh']!, net.genesis.chainId),
      countersigned,
      're-signing is idempotent',
    );
  });

  it('signTx sorts signatures by signer bytes and refuses a body its schema refuses', () => {
    const hospital = net.signers['hku-szh']!;
    const patient = net.patient('alice');
    const reversed = signTx('consent.grant', grant.body, [hospital, patient], net.genesis.chainId);
    assert.deepEqual(reversed, grant.envelope);
    assert.throws(
      () => signTx('consent.grant', { ...grant.body, purpose: 'Free text' }, [patient], net.genesis.chainId),
      (error: unknown) => isBayledgerError(error, 'SCHEMA_INVALID') && error.where === '$.body.purpose',
    );
    assert.throws(
      () =>
        signTx(
          'consent.revoke',
          { consentId: grant.objectId, patient: patient.publicKey },
          [patient, patient],
          'c',
        ),
      (error: unknown) => isBayledgerError(error, 'USAGE'),
    );
  });

  it('encodeTxEnvelope refuses an envelope over LIMITS.maxTxBytes', () => {
    const sigs = Array.from({ length: 1100 }, () => grant.envelope.sigs[0]!);
    assert.throws(
      () => encodeTxEnvelope({ ...grant.envelope, sigs }),
      (error: unknown) => isBayledgerError(error, 'RECORD_INVALID'),
    );
  });

  it('encodeTxEnvelope encodes an envelope of exactly LIMITS.maxTxBytes and refuses one byte more', () => {
    // The encoder checks size only, not the schema: a padding field sized to land on the limit.
    const padded = (paddingBytes: number) =>
      ({
        ...grant.envelope,
        body: { ...grant.envelope.body, padding: new Uint8Array(paddingBytes) },
      }) as never;
    const overhead = encodeCanonical(padded(60_000)).byteLength - 60_000;
    const atLimit = LIMITS.maxTxBytes - overhead;
    assert.equal(encodeTxEnvelope(padded(atLimit)).byteLength, LIMITS.maxTxBytes);
    assert.throws(
      () => encodeTxEnvelope(padded(atLimit + 1)),
      (error: unknown) => isBayledgerError(error, 'RECORD_INVALID'),
    );
  });

  it('signatureChecksOf gives the messages verifySignature accepts (for a verify pool)', () => {
    const checks = signatureChecksOf(grant.envelope, net.genesis.chainId);
    assert.equal(checks.length, 2);
    for (const check of checks) assert.ok(verifySignature(check.publicKey, check.message, check.signature));
    const otherChain = signatureChecksOf(grant.envelope, 'another-chain');
    assert.ok(!verifySignature(otherChain[0]!.publicKey, otherChain[0]!.message, otherChain[0]!.signature));
  });
});

describe('records: decode rejections name the field', () => {
  const cases: { name: string; bytes: () => Uint8Array; code: string; where?: string }[] = [
    {
      name: 'unknown body field',
      bytes: () => withGrantBody({ patientName: 'x' }),
      code: 'SCHEMA_INVALID',
      where: '$.body.patientName',
    },
    {
      name: 'unknown envelope field',
      bytes: () => encodeCanonical({ ...grant.envelope, memo: 'x' }),
      code: 'SCHEMA_INVALID',
      where: '$.memo',
    },
    {
      name: 'unknown kind',
      bytes: () => rawEnvelope('consent.amend', grant.body),
      code: 'SCHEMA_INVALID',
      where: '$.kind',
    },
    {
      name: 'missing field',
      bytes: () => withGrantBody({ noticeDigest: undefined }),
      code: 'SCHEMA_INVALID',
      where: '$.body.noticeDigest',
    },
    {
      name: 'patient key of 31 bytes',
      bytes: () => withGrantBody({ patient: new Uint8Array(31) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.patient',
    },
    {
      name: 'nonce of 15 bytes',
      bytes: () => withGrantBody({ nonce: new Uint8Array(15) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.nonce',
    },
    {
      name: 'notice digest of 33 bytes',
      bytes: () => withGrantBody({ noticeDigest: new Uint8Array(33) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.noticeDigest',
    },
    {
      name: 'notice as text (no free text)',
      bytes: () => withGrantBody({ noticeDigest: 'I agree' }),
      code: 'SCHEMA_INVALID',
      where: '$.body.noticeDigest',
    },
    {
      name: 'upper-case identifier',
      bytes: () => withGrantBody({ sender: 'HKU-SZH' }),
      code: 'SCHEMA_INVALID',
      where: '$.body.sender',
    },
    {
      name: 'identifier with a space',
      bytes: () => withGrantBody({ purpose: 'chan tai man' }),
      code: 'SCHEMA_INVALID',
      where: '$.body.purpose',
    },
    {
      name: 'identifier of 65 characters',
      bytes: () => withGrantBody({ recipient: 'a'.repeat(65) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.recipient',
    },
    {
      name: 'identifier of 64 characters is fine',
      bytes: () => withGrantBody({ recipient: 'a'.repeat(64) }),
      code: 'OK',
    },
    {
      name: '17 allowed senders',
      bytes: () => withGrantBody({ allowedSenders: Array.from({ length: 17 }, (_, i) => `h${i}`) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.allowedSenders',
    },
    {
      name: 'no allowed sender',
      bytes: () => withGrantBody({ allowedSenders: [] }),
      code: 'SCHEMA_INVALID',
      where: '$.body.allowedSenders',
    },
    {
      name: '33 categories',
      bytes: () => withGrantBody({ categories: Array.from({ length: 33 }, (_, i) => `c${i}`) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.categories',
    },
    {
      name: 'repeated category',
      bytes: () => withGrantBody({ categories: ['lab-result', 'lab-result'] }),
      code: 'SCHEMA_INVALID',
      where: '$.body.categories[1]',
    },
    {
      name: 'validUntil equal to validFrom',
      bytes: () => withGrantBody({ validUntil: grant.body.validFrom }),
      code: 'SCHEMA_INVALID',
      where: '$.body.validUntil',
    },
    {
      name: 'hospitalVerifiedIdentity false',
      bytes: () => withGrantBody({ hospitalVerifiedIdentity: false }),
      code: 'SCHEMA_INVALID',
      where: '$.body.hospitalVerifiedIdentity',
    },
    {
      name: 'negative time',
      bytes: () => withGrantBody({ validFrom: -1 }),
      code: 'SCHEMA_INVALID',
      where: '$.body.validFrom',
    },
    {
      name: 'unknown separate-consent flag',
      bytes: () =>
        withGrantBody({ separateConsent: { crossBorder: true, sensitive: true, marketing: true } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.separateConsent.marketing',
    },
    {
      name: '65 items',
      bytes: () => withDeclarationBody({ items: Array.from({ length: 65 }, () => testItem()) }),
      code: 'SCHEMA_INVALID',
      where: '$.body.items',
    },
    {
      name: 'no items',
      bytes: () => withDeclarationBody({ items: [] }),
      code: 'SCHEMA_INVALID',
      where: '$.body.items',
    },
    {
      name: 'raw DICOM UID field in an item',
      bytes: () => withDeclarationBody({ items: [{ ...testItem(), studyUid: '1.2.840.1' }] }),
      code: 'SCHEMA_INVALID',
      where: '$.body.items[0].studyUid',
    },
    {
      name: 'item commitment of 20 bytes',
      bytes: () => withDeclarationBody({ items: [testItem({ itemCommitment: new Uint8Array(20) })] }),
      code: 'SCHEMA_INVALID',
      where: '$.body.items[0].itemCommitment',
    },
    {
      name: 'payload over 4 GiB',
      bytes: () =>
        withDeclarationBody({ payload: { ...declaration.body.payload, bytes: LIMITS.maxPayloadBytes + 1 } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.payload.bytes',
    },
    {
      name: 'payload of zero bytes',
      bytes: () => withDeclarationBody({ payload: { ...declaration.body.payload, bytes: 0 } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.payload.bytes',
    },
    {
      name: 'ephemeral key of 31 bytes',
      bytes: () =>
        withDeclarationBody({ payload: { ...declaration.body.payload, ephemeralKey: new Uint8Array(31) } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.payload.ephemeralKey',
    },
    {
      name: 'filing reference with spaces',
      bytes: () =>
        withDeclarationBody({ route: { id: 'gba-standard-contract', filingReference: 'filed by Dr Chan' } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.route.filingReference',
    },
    {
      name: 'filing reference of 129 characters',
      bytes: () =>
        withDeclarationBody({ route: { id: 'gba-standard-contract', filingReference: 'A'.repeat(129) } }),
      code: 'SCHEMA_INVALID',
      where: '$.body.route.filingReference',
    },
    {
      name: 'no signatures',
      bytes: () => rawEnvelope('consent.grant', grant.body, []),
      code: 'SCHEMA_INVALID',
      where: '$.sigs',
    },
    {
      name: 'signature of 63 bytes',
      bytes: () =>
        rawEnvelope('consent.grant', grant.body, [
          { signer: grant.envelope.sigs[0]!.signer, sig: new Uint8Array(63) },
        ]),
      code: 'SCHEMA_INVALID',
      where: '$.sigs[0].sig',
    },
    {
      name: '33 signatures',
      bytes: () =>
        rawEnvelope(
          'consent.grant',
          grant.body,
          Array.from({ length: 33 }, () => grant.envelope.sigs[0]),
        ),
      code: 'SCHEMA_INVALID',
      where: '$.sigs',
    },
    {
      name: 'non-canonical bytes (map length head in two bytes)',
      bytes: () => {
        const bytes = Uint8Array.from(grant.bytes);
        assert.equal(bytes[0], 0xa3); // map of 3: body, kind, sigs
        return Uint8Array.from([0xb8, 0x03, ...bytes.subarray(1)]);
      },
      code: 'CBOR_NON_CANONICAL',
    },
    {
      name: 'over LIMITS.maxTxBytes',
      bytes: () => withGrantBody({ noticeDigest: new Uint8Array(LIMITS.maxTxBytes) }),
      code: 'CBOR_TOO_LARGE',
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const bytes = testCase.bytes();
      if (testCase.code === 'OK') {
        assert.equal(decodeTxEnvelope(bytes).kind, 'consent.grant');
        return;
      }
      const error = decodeError(bytes);
      assert.equal(error.code, testCase.code, error.message);
      if (testCase.where) assert.equal(error.where, testCase.where, error.message);
    });
  }

  it('assessment and receipt reasons are codes, and OK exactly when the receipt accepts', () => {
    const receipt = receiptFor(net, { transferId: declaration.objectId });
    const bad = (body: Record<string, unknown>, kind = 'transfer.receipt') =>
      decodeError(rawEnvelope(kind, body, receipt.envelope.sigs as unknown[]));
    assert.equal(bad({ ...receipt.body, reason: 'looked fine to me' }).where, '$.body.reason');
    assert.equal(
      bad({ ...receipt.body, accepted: true, reason: 'CHUNK_DIGEST_MISMATCH' }).where,
      '$.body.reason',
    );
    assert.equal(bad({ ...receipt.body, accepted: false, reason: 'OK' }).where, '$.body.reason');
    const assess = assessTransfer(net, { transferId: declaration.objectId });
    assert.equal(bad({ ...assess.body, decision: 'maybe' }, 'transfer.assess').where, '$.body.decision');
  });

  it('policy.update: the policy inside must carry the same version', () => {
    const update = updatePolicy(net, { policy: testPolicy({ version: 2 }) });
    const error = decodeError(
      rawEnvelope(
        'policy.update',
        { version: 3, policy: update.body.policy },
        update.envelope.sigs as unknown[],
      ),
    );
    assert.equal(error.where, '$.body.policy.version');
  });
});

describe('records: verifyTx signer rules', () => {
  const chainId = net.genesis.chainId;
  const patient = net.patient('alice');
  const hospital = net.signers['hku-szh']!;

  function verifyBuilt(kind: BuiltTx['kind'], body: unknown, signers: Parameters<typeof signTx>[2]): TxCheck {
    return verifyTx(signTx(kind, body as ConsentGrantBody, signers, chainId), net.genesis);
  }

  function withSigs(envelope: TxEnvelope, sigs: TxEnvelope['sigs']): TxEnvelope {
    return { ...envelope, sigs };
  }

  it('accepts one valid transaction of every kind', () => {
    for (const tx of oneOfEachKind)
      assert.deepEqual(verifyTx(tx.envelope, net.genesis), { ok: true }, tx.kind);
  });

  const table: { name: string; check: () => TxCheck; code: string }[] = [
    {
      name: 'grant without the patient signature',
      check: () => verifyBuilt('consent.grant', grant.body, [hospital]),
      code: 'SIGNER_MISSING',
    },
    {
      name: 'grant without the hospital countersignature',
      check: () => verifyBuilt('consent.grant', grant.body, [patient]),
      code: 'SIGNER_MISSING',
    },
    {
      name: 'grant signed by another patient',
      check: () => verifyBuilt('consent.grant', grant.body, [net.patient('bob'), hospital]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'grant with an extra signer',
      check: () => verifyBuilt('consent.grant', grant.body, [patient, hospital, net.signers['sz-cac']!]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'grant countersigned by another hospital',
      check: () => verifyBuilt('consent.grant', grant.body, [patient, net.signers['nf-ufh']!]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'grant whose sender is a validator',
      check: () =>
        verifyBuilt('consent.grant', { ...grant.body, sender: 'sz-cac' }, [patient, net.signers['sz-cac']!]),
      code: 'ROLE_MISMATCH',
    },
    {
      name: 'grant whose sender is not in genesis',
      check: () =>
        verifyBuilt('consent.grant', { ...grant.body, sender: 'rogue-clinic' }, [
          patient,
          testKey('rogue-clinic'),
        ]),
      code: 'ORGANISATION_UNKNOWN',
    },
    {
      name: 'grant whose patient key is a node key',
      check: () =>
        verifyBuilt('consent.grant', { ...grant.body, patient: net.signers['nf-ufh']!.publicKey }, [
          net.signers['nf-ufh']!,
          hospital,
        ]),
      code: 'PATIENT_KEY_INVALID',
    },
    {
      name: 'revoke signed by the hospital, not the patient',
      check: () =>
        verifyBuilt('consent.revoke', { consentId: grant.objectId, patient: patient.publicKey }, [hospital]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'declaration by a recipient',
      check: () =>
        verifyBuilt('transfer.declare', { ...declaration.body, sender: 'ehealth-hk' }, [
          net.signers['ehealth-hk']!,
        ]),
      code: 'ROLE_MISMATCH',
    },
    {
      name: 'declaration signed by another hospital',
      check: () => verifyBuilt('transfer.declare', declaration.body, [net.signers['nf-ufh']!]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'assessment by a hospital',
      check: () =>
        verifyBuilt(
          'transfer.assess',
          { transferId: declaration.objectId, assessor: 'hku-szh', decision: 'approve', reason: 'OK' },
          [hospital],
        ),
      code: 'ROLE_MISMATCH',
    },
    {
      name: 'assessment named for one regulator, signed by another',
      check: () =>
        verifyBuilt(
          'transfer.assess',
          { transferId: declaration.objectId, assessor: 'sz-cac', decision: 'approve', reason: 'OK' },
          [net.signers.qianhai!],
        ),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'receipt by a hospital',
      check: () =>
        verifyBuilt(
          'transfer.receipt',
          { ...receiptFor(net, { transferId: declaration.objectId }).body, recipient: 'hku-szh' },
          [hospital],
        ),
      code: 'ROLE_MISMATCH',
    },
    {
      name: 'policy update by 2 of 4 validators',
      check: () => updatePolicyCheck(VALIDATORS.slice(0, 2)),
      code: 'QUORUM_NOT_REACHED',
    },
    {
      name: 'policy update with a hospital among the signers',
      check: () =>
        verifyBuilt('policy.update', { version: 2, policy: testPolicy({ version: 2 }) }, [
          ...VALIDATORS.map((id) => net.signers[id]!),
          hospital,
        ]),
      code: 'SIGNER_UNKNOWN',
    },
    {
      name: 'forged signature (one bit flipped)',
      check: () => {
        const sigs = grant.envelope.sigs.map((entry, i) =>
          i === 0 ? { ...entry, sig: flipBit(entry.sig) } : entry,
        );
        return verifyTx(withSigs(grant.envelope, sigs), net.genesis);
      },
      code: 'SIGNATURE_INVALID',
    },
    {
      name: 'signatures not sorted',
      check: () => verifyTx(withSigs(grant.envelope, [...grant.envelope.sigs].reverse()), net.genesis),
      code: 'SIGNATURES_NOT_SORTED',
    },
    {
      name: 'the same signature twice',
      check: () =>
        verifyTx(
          withSigs(declaration.envelope, [declaration.envelope.sigs[0]!, declaration.envelope.sigs[0]!]),
          net.genesis,
        ),
      code: 'SIGNATURES_NOT_SORTED',
    },
    {
      name: 'signed for another chainId',
      check: () =>
        verifyTx(signTx('transfer.declare', declaration.body, [hospital], 'other-chain'), net.genesis),
      code: 'SIGNATURE_INVALID',
    },
    {
      name: "signed in another kind's domain",
      check: () => {
        const sig = signInDomain(hospital, 'transfer.receipt', chainId, bodyBytesOf(declaration.envelope));
        return verifyTx(withSigs(declaration.envelope, [{ signer: hospital.publicKey, sig }]), net.genesis);
      },
      code: 'SIGNATURE_INVALID',
    },
    {
      name: 'a body its schema refuses',
      check: () =>
        verifyTx({ ...declaration.envelope, body: { ...declaration.envelope.body, items: [] } }, net.genesis),
      code: 'SCHEMA_INVALID',
    },
  ];

  function updatePolicyCheck(signerIds: readonly string[]): TxCheck {
    const signers = signerIds.map((id) => net.signers[id]!);
    return verifyTx(updatePolicy(net, { policy: testPolicy({ version: 2 }), signers }).envelope, net.genesis);
  }

  for (const row of table) {
    it(`refuses ${row.name} with ${row.code}`, () => {
      assert.equal(failedCode(row.check()), row.code);
    });
  }

  // The reasons name the signer, so they are pinned here: the order of the checks decides which
  // one a transaction with both an unknown and a missing signer gets (unknown first).
  it('names the unknown or missing signer in its reason', () => {
    const bob = net.patient('bob');
    const reasonOf = (check: TxCheck) => (check.ok ? 'ok' : `${check.code}: ${check.reason}`);
    assert.equal(
      reasonOf(verifyBuilt('consent.grant', grant.body, [hospital])),
      'SIGNER_MISSING: missing the signature of the patient',
    );
    assert.equal(
      reasonOf(verifyBuilt('consent.grant', grant.body, [patient])),
      `SIGNER_MISSING: missing the signature of the sender ${grant.body.sender}`,
    );
    assert.equal(
      reasonOf(verifyBuilt('consent.grant', grant.body, [bob, hospital])),
      `SIGNER_UNKNOWN: signer ${toHex(bob.publicKey)} is not a required signer`,
    );
    assert.equal(
      reasonOf(verifyBuilt('consent.grant', grant.body, [bob])),
      `SIGNER_UNKNOWN: signer ${toHex(bob.publicKey)} is not a required signer`,
    );
    assert.equal(
      reasonOf(updatePolicyCheck(VALIDATORS.slice(0, 2))),
      'QUORUM_NOT_REACHED: 2 validator signatures, a quorum is 3',
    );
    assert.equal(
      reasonOf(
        verifyBuilt('policy.update', { version: 2, policy: testPolicy({ version: 2 }) }, [
          ...VALIDATORS.map((id) => net.signers[id]!),
          hospital,
        ]),
      ),
      `SIGNER_UNKNOWN: signer ${toHex(hospital.publicKey)} is not a validator`,
    );
  });

  it('a policy update by exactly a quorum (3 of 4) is valid', () => {
    assert.deepEqual(updatePolicyCheck(VALIDATORS.slice(0, 3)), { ok: true });
    assert.deepEqual(updatePolicyCheck(VALIDATORS.slice(1)), { ok: true });
  });

  it('a policy update quorum counts validators only, however many other organisations join', () => {
    const hospitals = ['a', 'b', 'c'].map((id) => ({
      id: `hospital-${id}`,
      name: `Hospital ${id}`,
      role: 'submitter' as const,
      jurisdiction: 'CN-GD',
    }));
    const bigger = testGenesis({ extraOrganisations: hospitals });
    const failedReason = (check: TxCheck) => (check.ok ? 'ok' : `${check.code}: ${check.reason}`);
    const update = (signerIds: readonly string[]) =>
      verifyTx(
        updatePolicy(bigger, {
          policy: testPolicy({ version: 2 }),
          signers: signerIds.map((id) => bigger.signers[id]!),
        }).envelope,
        bigger.genesis,
      );
    assert.deepEqual(update(VALIDATORS.slice(0, 3)), { ok: true });
    assert.equal(
      failedReason(update(VALIDATORS.slice(0, 2))),
      'QUORUM_NOT_REACHED: 2 validator signatures, a quorum is 3',
    );
  });

  it('checkTxSigners checks everything but the signatures themselves', () => {
    const forged = withSigs(declaration.envelope, [{ signer: hospital.publicKey, sig: new Uint8Array(64) }]);
    assert.deepEqual(checkTxSigners(forged, net.genesis), { ok: true });
    assert.equal(failedCode(verifyTx(forged, net.genesis)), 'SIGNATURE_INVALID');
    assert.equal(
      failedCode(
        checkTxSigners(
          withSigs(forged, [{ signer: patient.publicKey, sig: new Uint8Array(64) }]),
          net.genesis,
        ),
      ),
      'SIGNER_UNKNOWN',
    );
  });

  it('parseTxBody returns the typed body of each kind', () => {
    const typed = parseTxBody(declaration.envelope);
    assert.equal(typed.kind, 'transfer.declare');
    if (typed.kind === 'transfer.declare') assert.equal(typed.body.items[0]!.category, 'imaging-study');
    assert.ok(bytesEqual(testDigest('payload-root'), declaration.body.payload.root));
  });

  it('parseTxBody refuses a kind it has no schema for, inherited names included', () => {
    for (const kind of ['consent.forge', 'toString', '__proto__']) {
      const envelope = { ...declaration.envelope, kind } as unknown as TxEnvelope;
      assert.throws(
        () => parseTxBody(envelope),
        (error: unknown) =>
          error instanceof BayledgerError &&
          error.code === 'SCHEMA_INVALID' &&
          error.message.includes(`unknown kind ${kind}`),
      );
    }
  });
});

function flipBit(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[10]! ^= 0x01;
  return copy;
}
