// The state transition of one transaction (design sections 4 and 5). Every well-formed, correctly
// signed transaction is committed with a verdict: its outcome (accepted, or not with reason codes)
// goes to bucket 'outcome' under its txId, so every node reports the same answer (docs/ARCHITECTURE
// decision 4). Malformed, badly signed or already committed transactions make the block invalid:
// applyTx throws for them and the caller discards the block.
//
// Lifecycles:
//   consent   active -> revoked (revokedAtHeight); 'expired' is derived from block time on read.
//   transfer  rejected | awaiting-assessment -> approved | rejected; approved -> delivered |
//             receipt-mismatch.
// A declaration awaiting assessment is accepted with reason ASSESSMENT_REQUIRED. On an accepted
// transaction, reasons describe the resulting state of its object when that state is not plain
// success (ASSESSMENT_REQUIRED, ASSESSMENT_REJECTED, RECEIPT_REJECTED ...).
import { bytesEqual, toHex } from '../bytes.js';
import type { Genesis } from '../config/genesis.js';
import { sha256 } from '../crypto/hash.js';
import { fail } from '../errors.js';
import { utcYearOfSeconds } from '../policy/calendar.js';
import { evaluateDeclaration, routeIsThresholded } from '../policy/evaluate-declaration.js';
import { evaluateConsentGrant } from '../policy/evaluate-grant.js';
import type { ReasonCode } from '../policy/reasons.js';
import { policyProblems } from '../policy/schema.js';
import type { Policy, Verdict } from '../policy/types.js';
import type { TypedTx } from '../records/bodies.js';
import { bodyBytesOf } from '../records/codec.js';
import type { ConsentGrantBody } from '../records/consent-grant.js';
import type { ConsentRevokeBody } from '../records/consent-revoke.js';
import type { TxEnvelope, TxKind } from '../records/envelope.js';
import type { PolicyUpdateBody } from '../records/policy-update.js';
import type { TransferAssessBody } from '../records/transfer-assess.js';
import type { TransferDeclareBody } from '../records/transfer-declare.js';
import type { TransferReceiptBody } from '../records/transfer-receipt.js';
import { checkTxForApply } from '../records/verify.js';
import type { StateOverlay } from './state-kv.js';
import {
  countPatient,
  getConsent,
  getDistinctPatients,
  getOutcome,
  getSeen,
  getTransfer,
  isPatientCounted,
  putConsent,
  putOutcome,
  putPatientIndexEntry,
  putPolicy,
  putSeen,
  putTransfer,
  readPolicy,
  type TransferRecord,
} from './views.js';

export { readPolicy } from './views.js';

export interface TxOutcome {
  readonly accepted: boolean;
  /** REASON_CODES, in that order, without repeats. */
  readonly reasons: string[];
  /** objectIdOf(envelope): the consentId of a grant, the transferId of a declaration. */
  readonly objectId: Uint8Array;
}

export interface TxApplyContext {
  readonly genesis: Genesis;
  /** The block's time; policy is judged at floor(blockTimeMs / 1000) seconds. */
  readonly blockTimeMs: number;
  readonly height: number;
  /**
   * Set only when the caller verified exactly these signatures already (a verify pool, or the
   * mempool's check-once cache). Roles and required signers are checked regardless.
   */
  readonly signaturesVerified?: boolean;
}

/** What one handler sees: the tx's ids and the block's time, height and active policy. */
interface Step {
  readonly state: StateOverlay;
  readonly genesis: Genesis;
  readonly policy: Policy;
  readonly txId: Uint8Array;
  readonly objectId: Uint8Array;
  readonly height: number;
  readonly blockTimeSeconds: number;
}

interface Result {
  readonly accepted: boolean;
  readonly reasons: ReasonCode[];
}

const refused = (reason: ReasonCode): Result => ({ accepted: false, reasons: [reason] });

function fromVerdict(verdict: Verdict): Result {
  return { accepted: verdict.status !== 'rejected', reasons: verdict.reasons };
}

function indexForPatient(step: Step, patient: Uint8Array | null, kind: TxKind): void {
  if (patient === null) return;
  // Record fields are written in canonical key order (RFC 8949 section 4.2.1: shorter keys first,
  // then bytewise), so the encoder's per-map sort finds them already in place.
  putPatientIndexEntry(step.state, patient, kind, step.objectId, { txId: step.txId, height: step.height });
}

// --- consent.grant --------------------------------------------------------------------------

function applyGrant(step: Step, grant: ConsentGrantBody): Result {
  const duplicate = getSeen(step.state, step.objectId) !== undefined;
  const verdict = evaluateConsentGrant(grant, {
    policy: step.policy,
    organisations: step.genesis.organisations,
    blockTimeSeconds: step.blockTimeSeconds,
    duplicate,
  });
  if (duplicate) return fromVerdict(verdict); // the first record of this body stays untouched
  putSeen(step.state, step.objectId, step.txId);
  indexForPatient(step, grant.patient, 'consent.grant');
  if (verdict.status === 'approved') {
    putConsent(step.state, {
      grant,
      status: 'active',
      consentId: step.objectId,
      grantTxId: step.txId,
      revokeTxId: null,
      grantedAtHeight: step.height,
      revokedAtHeight: null,
    });
  }
  return fromVerdict(verdict);
}

// --- consent.revoke -------------------------------------------------------------------------

function applyRevoke(step: Step, revoke: ConsentRevokeBody): Result {
  const consent = getConsent(step.state, revoke.consentId);
  if (consent === undefined) return refused('CONSENT_NOT_FOUND');
  if (!bytesEqual(consent.grant.patient, revoke.patient)) return refused('CONSENT_PATIENT_MISMATCH');
  if (consent.status === 'revoked') return refused('CONSENT_REVOKED');
  // Effective from this block: declarations later in this block already see it revoked.
  putConsent(step.state, {
    ...consent,
    status: 'revoked',
    revokedAtHeight: step.height,
    revokeTxId: step.txId,
  });
  indexForPatient(step, revoke.patient, 'consent.revoke');
  return { accepted: true, reasons: [] };
}

// --- transfer.declare -----------------------------------------------------------------------

/**
 * Evaluates a declaration against the current block: its consent as recorded now, and the
 * sender's distinct-patient count for the UTC year of this block. A transfer counts toward the
 * threshold in the year of the block that approves it, so the count is taken at approval.
 */
function evaluateNow(
  step: Step,
  declaration: TransferDeclareBody,
  duplicate: boolean,
): { verdict: Verdict; patient: Uint8Array | null } {
  const consent = getConsent(step.state, declaration.consentId);
  const year = utcYearOfSeconds(step.blockTimeSeconds);
  const patient = consent?.grant.patient;
  const verdict = evaluateDeclaration(declaration, {
    policy: step.policy,
    organisations: step.genesis.organisations,
    blockTimeSeconds: step.blockTimeSeconds,
    consent: consent && { grant: consent.grant, revoked: consent.status === 'revoked' },
    duplicate,
    senderDistinctPatientsThisYear: getDistinctPatients(step.state, declaration.sender, year),
    patientCountedThisYear:
      patient !== undefined && isPatientCounted(step.state, declaration.sender, year, patient),
  });
  return { verdict, patient: patient ?? null };
}

/** Marks a transfer approved at this height and counts its patient if its route is thresholded. */
function approve(step: Step, transfer: TransferRecord): TransferRecord {
  const declaration = transfer.declaration;
  if (transfer.patient !== null && routeIsThresholded(step.policy, declaration.route.id)) {
    countPatient(step.state, declaration.sender, utcYearOfSeconds(step.blockTimeSeconds), transfer.patient);
  }
  return {
    ...transfer,
    status: 'approved',
    reasons: [],
    pendingAssessors: [],
    approvedAtHeight: step.height,
  };
}

function applyDeclare(step: Step, declaration: TransferDeclareBody): Result {
  const duplicate = getSeen(step.state, step.objectId) !== undefined;
  const { verdict, patient } = evaluateNow(step, declaration, duplicate);
  if (duplicate) return fromVerdict(verdict); // never overwrite the transfer this id already names
  putSeen(step.state, step.objectId, step.txId);
  const declared: TransferRecord = {
    status: verdict.status,
    patient,
    reasons: verdict.reasons,
    receipt: null,
    transferId: step.objectId,
    assessments: [],
    declaration,
    declareTxId: step.txId,
    policyVersion: step.policy.version,
    approvedAtHeight: null,
    declaredAtHeight: step.height,
    pendingAssessors: verdict.assessors,
    requiredAssessors: verdict.assessors,
  };
  putTransfer(step.state, verdict.status === 'approved' ? approve(step, declared) : declared);
  indexForPatient(step, patient, 'transfer.declare');
  return fromVerdict(verdict);
}

// --- transfer.assess ------------------------------------------------------------------------

/**
 * The last required approval re-runs the policy against this block: a consent revoked or expired
 * while the transfer waited, a policy update that now prohibits an item, or a threshold reached
 * meanwhile rejects it here. The assessments themselves were asked for under the declaration's
 * policy, so a later change of assessors does not ask for new ones.
 */
function applyAssess(step: Step, assessment: TransferAssessBody): Result {
  const transfer = getTransfer(step.state, assessment.transferId);
  if (transfer === undefined) return refused('TRANSFER_NOT_FOUND');
  if (transfer.status !== 'awaiting-assessment') return refused('TRANSFER_NOT_AWAITING_ASSESSMENT');
  if (!transfer.requiredAssessors.includes(assessment.assessor)) return refused('ASSESSOR_NOT_REQUIRED');
  if (!transfer.pendingAssessors.includes(assessment.assessor)) return refused('ALREADY_ASSESSED');
  indexForPatient(step, transfer.patient, 'transfer.assess');
  const assessed: TransferRecord = {
    ...transfer,
    pendingAssessors: transfer.pendingAssessors.filter((assessor) => assessor !== assessment.assessor),
    assessments: [
      ...transfer.assessments,
      {
        assessor: assessment.assessor,
        decision: assessment.decision,
        reason: assessment.reason,
        height: step.height,
        txId: step.txId,
      },
    ],
  };
  if (assessment.decision === 'reject') {
    putTransfer(step.state, {
      ...assessed,
      status: 'rejected',
      reasons: ['ASSESSMENT_REJECTED'],
      pendingAssessors: [],
    });
    return { accepted: true, reasons: ['ASSESSMENT_REJECTED'] };
  }
  if (assessed.pendingAssessors.length > 0) {
    putTransfer(step.state, assessed);
    return { accepted: true, reasons: ['ASSESSMENT_REQUIRED'] };
  }
  const { verdict: recheck } = evaluateNow(step, transfer.declaration, false);
  if (recheck.status === 'rejected') {
    putTransfer(step.state, { ...assessed, status: 'rejected', reasons: recheck.reasons });
    return { accepted: true, reasons: recheck.reasons };
  }
  putTransfer(step.state, approve(step, assessed));
  return { accepted: true, reasons: [] };
}

// --- transfer.receipt -----------------------------------------------------------------------

function applyReceipt(step: Step, receipt: TransferReceiptBody): Result {
  const transfer = getTransfer(step.state, receipt.transferId);
  if (transfer === undefined) return refused('TRANSFER_NOT_FOUND');
  if (receipt.recipient !== transfer.declaration.recipient) return refused('RECEIPT_RECIPIENT_MISMATCH');
  if (transfer.status !== 'approved') return refused('TRANSFER_NOT_APPROVED');
  const reasons: ReasonCode[] = [];
  if (!receipt.accepted) reasons.push('RECEIPT_REJECTED');
  if (!bytesEqual(receipt.payloadRoot, transfer.declaration.payload.root))
    reasons.push('PAYLOAD_ROOT_MISMATCH');
  putTransfer(step.state, {
    ...transfer,
    status: reasons.length === 0 ? 'delivered' : 'receipt-mismatch',
    reasons,
    receipt: {
      accepted: receipt.accepted,
      payloadRoot: receipt.payloadRoot,
      reason: receipt.reason,
      height: step.height,
      txId: step.txId,
    },
  });
  indexForPatient(step, transfer.patient, 'transfer.receipt');
  return { accepted: true, reasons };
}

// --- policy.update --------------------------------------------------------------------------

function applyPolicyUpdate(step: Step, update: PolicyUpdateBody): Result {
  if (update.version !== step.policy.version + 1) return refused('POLICY_VERSION_INVALID');
  if (policyProblems(update.policy, step.genesis.organisations).length > 0) return refused('POLICY_INVALID');
  putPolicy(step.state, update.policy);
  return { accepted: true, reasons: [] };
}

// --- entry point ----------------------------------------------------------------------------

/**
 * Applies one transaction to `state`. Throws (and writes nothing) when the transaction is
 * malformed, badly signed, or already committed: a block holding one is invalid. `txId` must be
 * txIdOf(the canonical envelope bytes); the block applier has those bytes, so it is not recomputed.
 */
export function applyTx(
  state: StateOverlay,
  envelope: TxEnvelope,
  txId: Uint8Array,
  context: TxApplyContext,
): TxOutcome {
  const bodyBytes = bodyBytesOf(envelope);
  const check = checkTxForApply(envelope, context.genesis, bodyBytes, context.signaturesVerified !== true);
  if (!check.ok) {
    const code = check.code === 'SIGNATURE_INVALID' ? 'SIGNATURE_INVALID' : 'RECORD_INVALID';
    fail(code, `${check.code}: ${check.reason}`, `tx ${toHex(txId)}`);
  }
  // The replay guard of this path; the block path's callers run theirs before applying.
  if (getOutcome(state, txId) !== undefined) {
    fail('RECORD_INVALID', 'transaction already committed', `tx ${toHex(txId)}`);
  }
  return applyCheckedTx(state, { txId, tx: check.tx, bodyBytes }, context);
}

/** A transaction whose schemas, signers and signatures were checked (checkBlockTx). */
export interface CheckedTxInput {
  readonly txId: Uint8Array;
  readonly tx: TypedTx;
  /** Canonical body bytes: the object id is their SHA-256. */
  readonly bodyBytes: Uint8Array;
}

/**
 * applyTx for the block path, where checkBlockTx already decoded and checked the transaction once
 * (the envelope is not parsed nor its body encoded again), and the caller has already refused a
 * replay: verifyBlock's checkTransactions and buildBlock check every id against the committed log
 * (hasTx) and against the block's earlier transactions before applying (applyCheckedBlock has no
 * other caller). Reading the transaction's own verdict here again cost every node a LevelDB miss
 * per transaction (docs/ARCHITECTURE.md decision 53).
 */
export function applyCheckedTx(
  state: StateOverlay,
  checked: CheckedTxInput,
  context: TxApplyContext,
): TxOutcome {
  const { txId, tx, bodyBytes } = checked;
  const step: Step = {
    state,
    genesis: context.genesis,
    policy: readPolicy(state, context.genesis),
    txId,
    objectId: sha256(bodyBytes),
    height: context.height,
    blockTimeSeconds: Math.floor(context.blockTimeMs / 1000),
  };
  let result: Result;
  switch (tx.kind) {
    case 'consent.grant':
      result = applyGrant(step, tx.body);
      break;
    case 'consent.revoke':
      result = applyRevoke(step, tx.body);
      break;
    case 'transfer.declare':
      result = applyDeclare(step, tx.body);
      break;
    case 'transfer.assess':
      result = applyAssess(step, tx.body);
      break;
    case 'transfer.receipt':
      result = applyReceipt(step, tx.body);
      break;
    case 'policy.update':
      result = applyPolicyUpdate(step, tx.body);
      break;
  }
  putOutcome(state, txId, {
    kind: tx.kind,
    height: step.height,
    reasons: result.reasons,
    accepted: result.accepted,
    objectId: step.objectId,
  });
  return { accepted: result.accepted, reasons: result.reasons, objectId: step.objectId };
}
