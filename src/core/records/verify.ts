// Stateless checks of one transaction against the genesis file (design section 4): signatures
// sorted by signer with no repeats, the required signers of the kind present in their roles, no
// other signer, and every signature valid in its domain "bayledger/v1/<kind>/<chainId>". What
// depends on ledger state (does the consent exist, is it revoked ...) is for applyTx.
import { compareBytes, toHex } from '../bytes.js';
import { parseInPlace } from '../codec/schema.js';
import type { Genesis, Organisation, OrganisationRole } from '../config/genesis.js';
import { signingMessage, verifyInDomain } from '../crypto/domain.js';
import { AssertionFailure, isBayledgerError } from '../errors.js';
import { quorumSize } from '../ledger/certificate-verify.js';
import { parseTxBody, type TypedTx } from './bodies.js';
import { bodyBytesOf, envelopeSchema } from './codec.js';
import type { TxEnvelope } from './envelope.js';

/** Stable codes of verifyTx failures. */
export const TX_CHECK_CODES = [
  'SCHEMA_INVALID',
  'SIGNATURES_NOT_SORTED',
  'ORGANISATION_UNKNOWN',
  'ROLE_MISMATCH',
  'PATIENT_KEY_INVALID',
  'SIGNER_UNKNOWN',
  'SIGNER_MISSING',
  'QUORUM_NOT_REACHED',
  'SIGNATURE_INVALID',
] as const;
export type TxCheckCode = (typeof TX_CHECK_CODES)[number];

export type TxCheck = { ok: true } | { ok: false; code: TxCheckCode; reason: string };

function failed(code: TxCheckCode, reason: string): TxCheck {
  return { ok: false, code, reason };
}

interface OrganisationIndex {
  readonly byId: ReadonlyMap<string, Organisation>;
  readonly byKeyHex: ReadonlyMap<string, Organisation>;
  /** Each organisation's node key in hex, by id: signer checks need it for every transaction. */
  readonly keyHexById: ReadonlyMap<string, string>;
  readonly validatorCount: number;
}

// Genesis objects are immutable and few; index each one once (pure: a cache of a pure function).
const indexCache = new WeakMap<readonly Organisation[], OrganisationIndex>();

export function organisationIndex(genesis: Genesis): OrganisationIndex {
  let index = indexCache.get(genesis.organisations);
  if (index === undefined) {
    index = {
      byId: new Map(genesis.organisations.map((org) => [org.id, org])),
      byKeyHex: new Map(genesis.organisations.map((org) => [toHex(org.nodeKey), org])),
      keyHexById: new Map(genesis.organisations.map((org) => [org.id, toHex(org.nodeKey)])),
      validatorCount: genesis.organisations.filter((org) => org.role === 'validator').length,
    };
    indexCache.set(genesis.organisations, index);
  }
  return index;
}

/** Who must sign: either an exact set of keys, or a quorum of validators. */
type SignerRule =
  | { readonly mode: 'exact'; readonly required: ReadonlyMap<string, string> }
  | { readonly mode: 'quorum'; readonly quorum: number };

function organisationKey(
  index: OrganisationIndex,
  id: string,
  role: OrganisationRole,
  field: string,
): { ok: true; keyHex: string } | { ok: false; check: TxCheck } {
  const org = index.byId.get(id);
  if (org === undefined)
    return { ok: false, check: failed('ORGANISATION_UNKNOWN', `${field} ${id} is not in genesis`) };
  if (org.role !== role) {
    return { ok: false, check: failed('ROLE_MISMATCH', `${field} ${id} is a ${org.role}, not a ${role}`) };
  }
  return { ok: true, keyHex: index.keyHexById.get(id)! };
}

function patientKey(
  index: OrganisationIndex,
  patient: Uint8Array,
): { ok: true; keyHex: string } | { ok: false; check: TxCheck } {
  const keyHex = toHex(patient);
  // A node key is an institution's, never a patient's pseudonym: refusing it keeps the roles apart.
  if (index.byKeyHex.has(keyHex)) {
    return { ok: false, check: failed('PATIENT_KEY_INVALID', 'the patient key is an organisation node key') };
  }
  return { ok: true, keyHex };
}

function signerRule(tx: TypedTx, index: OrganisationIndex): SignerRule | TxCheck {
  const required = new Map<string, string>();
  const need = (found: { ok: true; keyHex: string } | { ok: false; check: TxCheck }, label: string) => {
    if (!found.ok) return found.check;
    required.set(found.keyHex, label);
    return undefined;
  };
  let problem: TxCheck | undefined;
  switch (tx.kind) {
    case 'consent.grant':
      problem =
        need(patientKey(index, tx.body.patient), 'patient') ??
        need(organisationKey(index, tx.body.sender, 'submitter', 'sender'), `sender ${tx.body.sender}`);
      break;
    case 'consent.revoke':
      problem = need(patientKey(index, tx.body.patient), 'patient');
      break;
    case 'transfer.declare':
      problem = need(
        organisationKey(index, tx.body.sender, 'submitter', 'sender'),
        `sender ${tx.body.sender}`,
      );
      break;
    case 'transfer.assess':
      problem = need(
        organisationKey(index, tx.body.assessor, 'validator', 'assessor'),
        `assessor ${tx.body.assessor}`,
      );
      break;
    case 'transfer.receipt':
      problem = need(
        organisationKey(index, tx.body.recipient, 'recipient', 'recipient'),
        `recipient ${tx.body.recipient}`,
      );
      break;
    case 'policy.update':
      return { mode: 'quorum', quorum: quorumSize(index.validatorCount) };
  }
  return problem ?? { mode: 'exact', required };
}

// Signers are strictly increasing (checkParsedSigners checks that first), so distinct: counting
// signatures counts signers, and no set of them is needed. This runs for every transaction of
// chain verify and block validation, so the accepting path allocates nothing but the hex keys.
function checkSigners(tx: TypedTx, rule: SignerRule, index: OrganisationIndex): TxCheck {
  if (rule.mode === 'quorum') {
    for (const entry of tx.sigs) {
      const keyHex = toHex(entry.signer);
      if (index.byKeyHex.get(keyHex)?.role !== 'validator') {
        return failed('SIGNER_UNKNOWN', `signer ${keyHex} is not a validator`);
      }
    }
    if (tx.sigs.length < rule.quorum) {
      return failed(
        'QUORUM_NOT_REACHED',
        `${tx.sigs.length} validator signatures, a quorum is ${rule.quorum}`,
      );
    }
    return { ok: true };
  }
  for (const entry of tx.sigs) {
    const keyHex = toHex(entry.signer);
    if (!rule.required.has(keyHex))
      return failed('SIGNER_UNKNOWN', `signer ${keyHex} is not a required signer`);
  }
  // Every signer is required and they are distinct: as many as required means none is missing.
  if (tx.sigs.length === rule.required.size) return { ok: true };
  return missingSigner(tx, rule.required);
}

/** The first required signer (in the rule's order) without a signature; only on a refusal. */
function missingSigner(tx: TypedTx, required: ReadonlyMap<string, string>): TxCheck {
  for (const [keyHex, label] of required) {
    if (!tx.sigs.some((entry) => toHex(entry.signer) === keyHex)) {
      return failed('SIGNER_MISSING', `missing the signature of the ${label}`);
    }
  }
  // Fewer distinct signers than required, each of them required, always leave one out.
  throw new AssertionFailure('fewer signers than required, yet none missing');
}

/** `owned`: the caller decoded the envelope itself and keeps no other use of it (parseTxBody). */
function parseEnvelope(envelope: TxEnvelope, owned = false): TypedTx | TxCheck {
  try {
    // Only the check matters here (its result is dropped), so nothing needs copying.
    parseInPlace(envelopeSchema, envelope, '$');
    return parseTxBody(envelope, owned);
  } catch (error) {
    if (isBayledgerError(error)) return failed('SCHEMA_INVALID', error.message);
    throw error;
  }
}

function checkParsedSigners(tx: TypedTx, genesis: Genesis): TxCheck {
  for (let i = 1; i < tx.sigs.length; i++) {
    if (compareBytes(tx.sigs[i - 1]!.signer, tx.sigs[i]!.signer) >= 0) {
      return failed(
        'SIGNATURES_NOT_SORTED',
        `signature ${i} is not after signature ${i - 1} in signer order`,
      );
    }
  }
  const index = organisationIndex(genesis);
  const rule = signerRule(tx, index);
  if ('ok' in rule) return rule;
  return checkSigners(tx, rule, index);
}

function checkSignatures(tx: TypedTx, genesis: Genesis, bodyBytes: Uint8Array): TxCheck {
  for (const entry of tx.sigs) {
    if (!verifyInDomain(entry.signer, tx.kind, genesis.chainId, bodyBytes, entry.sig)) {
      return failed('SIGNATURE_INVALID', `invalid ${tx.kind} signature by ${toHex(entry.signer)}`);
    }
  }
  return { ok: true };
}

/**
 * Everything verifyTx checks except the signatures themselves: schemas, signature order, roles
 * and required signers. Cheap; applyTx runs it even when signatures were verified elsewhere.
 */
export function checkTxSigners(envelope: TxEnvelope, genesis: Genesis): TxCheck {
  const tx = parseEnvelope(envelope);
  return 'ok' in tx ? tx : checkParsedSigners(tx, genesis);
}

/**
 * For applyTx: the same checks as verifyTx (signatures only when `verifySignatures`), with one
 * schema parse and one body encoding serving every step; returns the typed transaction.
 * `envelopeOwned`: the caller decoded the envelope itself and keeps no other use of it, so the
 * typed transaction's body may be the decoded body itself instead of a copy.
 */
export function checkTxForApply(
  envelope: TxEnvelope,
  genesis: Genesis,
  bodyBytes: Uint8Array,
  verifySignatures: boolean,
  envelopeOwned = false,
): { ok: true; tx: TypedTx } | Extract<TxCheck, { ok: false }> {
  const tx = parseEnvelope(envelope, envelopeOwned);
  if ('ok' in tx) return tx as Extract<TxCheck, { ok: false }>;
  const signers = checkParsedSigners(tx, genesis);
  if (!signers.ok) return signers;
  if (verifySignatures) {
    const signatures = checkSignatures(tx, genesis, bodyBytes);
    if (!signatures.ok) return signatures;
  }
  return { ok: true, tx };
}

/** One Ed25519 check: for batch or worker-pool verification with the same verifySignature. */
export interface SignatureCheck {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** The domain-separated messages an envelope's signatures must verify against. */
export function signatureChecksOf(envelope: TxEnvelope, chainId: string): SignatureCheck[] {
  const bodyBytes = bodyBytesOf(envelope);
  return envelope.sigs.map((entry) => ({
    publicKey: entry.signer,
    message: signingMessage(envelope.kind, chainId, bodyBytes),
    signature: entry.sig,
  }));
}

/**
 * Checks one envelope without ledger state. Cheap checks come first; signatures (the expensive
 * part, about 60 microseconds each) are verified only when everything else holds.
 */
export function verifyTx(envelope: TxEnvelope, genesis: Genesis): TxCheck {
  const tx = parseEnvelope(envelope);
  if ('ok' in tx) return tx;
  const signers = checkParsedSigners(tx, genesis);
  if (!signers.ok) return signers;
  return checkSignatures(tx, genesis, bodyBytesOf(envelope));
}
