// Typed reads and writes over the state key-value space (state-kv.ts). Every value is a
// canonical-CBOR-friendly object (no undefined, no floats, bytes as Uint8Array, absent = null)
// with a closed schema, checked on every read: a value that does not parse is reported as
// DATABASE_CORRUPT naming its bucket and key, never used.
import { toHex } from '../bytes.js';
import type { CborValue } from '../codec/canonical.js';
import { array, bool, literal, nullable, object, type Schema, uint } from '../codec/schema.js';
import type { Genesis } from '../config/genesis.js';
import { BayledgerError, fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import { REASON_CODES } from '../policy/reasons.js';
import { policySchema } from '../policy/schema.js';
import type { Policy } from '../policy/types.js';
import { type ConsentGrantBody, consentGrantBodySchema } from '../records/consent-grant.js';
import { TX_KINDS, type TxKind } from '../records/envelope.js';
import { digestSchema, idSchema, reasonCodeSchema } from '../records/fields.js';
import { type TransferDeclareBody, transferDeclareBodySchema } from '../records/transfer-declare.js';
import { type StateBucket, StateOverlay, type StateReader, type StateWrite } from './state-kv.js';

const heightSchema = uint();
// Committed verdicts only ever hold REASON_CODES, each at most once.
const reasonsSchema = array(literal(...REASON_CODES), REASON_CODES.length);
// A transfer awaits at most every validator, and each assesses it at most once.
const assessorsSchema = array(idSchema, LIMITS.maxValidators);

function read<T>(state: StateReader, bucket: StateBucket, key: string, schema: Schema<T>): T | undefined {
  // A value the overlay of this block wrote itself came from `write` below, through the typed put
  // functions of this module, so it is a T already: only what comes from the base (the store,
  // the re-derived state) is read untrusted and checked. A declaration reads the consent its
  // grant recorded earlier in the same block, and parsing that record again (the grant body
  // included) was most of its read.
  if (state instanceof StateOverlay) {
    const own = state.written(bucket, key);
    if (own !== undefined) return own === null ? undefined : (own as T);
  }
  const value = state.get(bucket, key);
  return value === undefined ? undefined : parseStored(bucket, key, value, schema);
}

/** A value from the store (or the re-derived state) checked against its schema; DATABASE_CORRUPT if not. */
function parseStored<T>(bucket: StateBucket, key: string, value: CborValue, schema: Schema<T>): T {
  try {
    return schema.parse(value, `${bucket}/${key}`);
  } catch (error) {
    if (error instanceof BayledgerError) fail('DATABASE_CORRUPT', error.message, `state ${bucket}/${key}`);
    throw error;
  }
}

function write(state: StateOverlay, bucket: StateBucket, key: string, value: unknown): void {
  // The record types are plain data by construction (their schemas say so); CborValue is the
  // wire view of the same objects.
  state.set(bucket, key, value as CborValue);
}

// The getters below return the object they hold when there is one, not a copy: the block
// overlay's own write (which the block goes on to encode and hash), and for the active policy the
// parse remembered for every later transaction. A caller changing one would change ledger state
// behind the block's back. No caller does (apply-tx.ts derives each new record by spreading), so
// rather than copy on every read of the block-apply path, the record types are read-only (their
// fields and the lists they own) and the compiler refuses such a change. The types do not reach
// the transaction bodies a record embeds (grant, declaration) or the policy, whose shared types
// live in core/records and core/policy, nor byte strings, which TypeScript cannot make read-only.

// --- consents -------------------------------------------------------------------------------

/** A recorded consent. 'expired' and 'not-yet-valid' are derived from block time when read. */
export type ConsentRecord = {
  readonly consentId: Uint8Array;
  readonly grant: ConsentGrantBody;
  readonly status: 'active' | 'revoked';
  readonly grantedAtHeight: number;
  readonly grantTxId: Uint8Array;
  /** Revocation takes effect from this height's block; null while not revoked. */
  readonly revokedAtHeight: number | null;
  readonly revokeTxId: Uint8Array | null;
};

export type ConsentStatus = 'active' | 'revoked' | 'expired' | 'not-yet-valid';

const consentRecordSchema: Schema<ConsentRecord> = object({
  consentId: digestSchema,
  grant: consentGrantBodySchema,
  status: literal('active', 'revoked'),
  grantedAtHeight: heightSchema,
  grantTxId: digestSchema,
  revokedAtHeight: nullable(heightSchema),
  revokeTxId: nullable(digestSchema),
});

export function getConsent(state: StateReader, consentId: Uint8Array): ConsentRecord | undefined {
  return read(state, 'consent', toHex(consentId), consentRecordSchema);
}

export function putConsent(state: StateOverlay, record: ConsentRecord): void {
  write(state, 'consent', toHex(record.consentId), record);
}

/** Status at a time: revoked wins; otherwise the half-open window validFrom <= t < validUntil. */
export function consentStatusAt(record: ConsentRecord, timeSeconds: number): ConsentStatus {
  if (record.status === 'revoked') return 'revoked';
  if (timeSeconds < record.grant.validFrom) return 'not-yet-valid';
  if (timeSeconds >= record.grant.validUntil) return 'expired';
  return 'active';
}

// --- transfers ------------------------------------------------------------------------------

export const TRANSFER_STATUSES = [
  'rejected',
  'awaiting-assessment',
  'approved',
  'delivered',
  'receipt-mismatch',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export type AssessmentRecord = {
  readonly assessor: string;
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  readonly height: number;
  readonly txId: Uint8Array;
};

export type ReceiptRecord = {
  readonly accepted: boolean;
  readonly payloadRoot: Uint8Array;
  readonly reason: string;
  readonly height: number;
  readonly txId: Uint8Array;
};

export type TransferRecord = {
  readonly transferId: Uint8Array;
  readonly declaration: TransferDeclareBody;
  /** The consent's patient, or null when the consent was not found. */
  readonly patient: Uint8Array | null;
  readonly status: TransferStatus;
  /** Why it is not plainly approved/delivered (REASON_CODES order); empty otherwise. */
  readonly reasons: readonly string[];
  /** Policy version the declaration was evaluated under. */
  readonly policyVersion: number;
  /** Regulators whose approval the declaration needed, and those still awaited. */
  readonly requiredAssessors: readonly string[];
  readonly pendingAssessors: readonly string[];
  readonly assessments: readonly AssessmentRecord[];
  readonly declaredAtHeight: number;
  readonly declareTxId: Uint8Array;
  /** The payload may be released once the block at this height is final; null until approved. */
  readonly approvedAtHeight: number | null;
  readonly receipt: ReceiptRecord | null;
};

const assessmentRecordSchema: Schema<AssessmentRecord> = object({
  assessor: idSchema,
  decision: literal('approve', 'reject'),
  reason: reasonCodeSchema,
  height: heightSchema,
  txId: digestSchema,
});

const receiptRecordSchema: Schema<ReceiptRecord> = object({
  accepted: bool,
  payloadRoot: digestSchema,
  reason: reasonCodeSchema,
  height: heightSchema,
  txId: digestSchema,
});

const transferRecordSchema: Schema<TransferRecord> = object({
  transferId: digestSchema,
  declaration: transferDeclareBodySchema,
  patient: nullable(digestSchema),
  status: literal(...TRANSFER_STATUSES),
  reasons: reasonsSchema,
  policyVersion: uint(),
  requiredAssessors: assessorsSchema,
  pendingAssessors: assessorsSchema,
  assessments: array(assessmentRecordSchema, LIMITS.maxValidators),
  declaredAtHeight: heightSchema,
  declareTxId: digestSchema,
  approvedAtHeight: nullable(heightSchema),
  receipt: nullable(receiptRecordSchema),
});

export function getTransfer(state: StateReader, transferId: Uint8Array): TransferRecord | undefined {
  return read(state, 'transfer', toHex(transferId), transferRecordSchema);
}

export function putTransfer(state: StateOverlay, record: TransferRecord): void {
  write(state, 'transfer', toHex(record.transferId), record);
}

/**
 * A transfer record from the value stored under `key` (its transferId in hex), for a scan of the
 * bucket, which has the value in hand: checked exactly as getTransfer checks what it reads.
 */
export function storedTransfer(key: string, value: CborValue): TransferRecord {
  return parseStored('transfer', key, value, transferRecordSchema);
}

// --- a block's writes -----------------------------------------------------------------------

// A block's writes (AppliedBlock.writes, which a committed block hands to its listeners) carry the
// very objects the put functions of this module wrote: applyTx writes consents and transfers only
// through putConsent and putTransfer, the invariant `read` already relies on for the block's own
// writes. So a write to these buckets is typed here, in the one module that writes them, and not
// parsed again: reading every record a block wrote back from the store and parsing it, on every
// node, was about a tenth of a follower's CPU under load (commit 4f90511). Checking the invariant
// instead, by remembering each record a put function wrote, tripled the cost of a put:
// putTransfer of a fresh record took 0.26 us, 0.80 to 0.82 us with a WeakMap entry and 0.56 to
// 0.64 us with a WeakSet entry (fastest of 250 runs of 2,000 puts alternating in one process, two
// processes, load average 8.6 to 13). That is a few per cent of applying a grant or a declaration
// (16 to 19 us with its signatures already verified), on every node, for an invariant that holds
// by construction, so it is not checked.
function writtenRecord<T>(write: StateWrite, bucket: 'consent' | 'transfer'): T | undefined {
  if (write.bucket !== bucket || write.value === null) return undefined;
  return write.value as unknown as T;
}

/** The consent record a block's state write sets; undefined for another bucket or a delete. */
export function consentOfWrite(write: StateWrite): ConsentRecord | undefined {
  return writtenRecord<ConsentRecord>(write, 'consent');
}

/** The transfer record a block's state write sets; undefined for another bucket or a delete. */
export function transferOfWrite(write: StateWrite): TransferRecord | undefined {
  return writtenRecord<TransferRecord>(write, 'transfer');
}

// --- outcomes -------------------------------------------------------------------------------

/** The committed verdict of one transaction (bucket 'outcome', key = txId hex). */
export type OutcomeRecord = {
  readonly accepted: boolean;
  // Not a read-only list only because the API's TxStatusView (node.ts) takes it as string[].
  readonly reasons: string[];
  readonly kind: TxKind;
  /** objectIdOf the envelope: the consentId / transferId for grants and declarations. */
  readonly objectId: Uint8Array;
  readonly height: number;
};

const outcomeRecordSchema: Schema<OutcomeRecord> = object({
  accepted: bool,
  reasons: reasonsSchema,
  kind: literal(...TX_KINDS),
  objectId: digestSchema,
  height: heightSchema,
});

export function getOutcome(state: StateReader, txId: Uint8Array): OutcomeRecord | undefined {
  return read(state, 'outcome', toHex(txId), outcomeRecordSchema);
}

export function putOutcome(state: StateOverlay, txId: Uint8Array, record: OutcomeRecord): void {
  write(state, 'outcome', toHex(txId), record);
}

// --- replay guard ---------------------------------------------------------------------------

/** The txId that first recorded this body (grants and declarations), or undefined. */
export function getSeen(state: StateReader, objectId: Uint8Array): Uint8Array | undefined {
  return read(state, 'seen', toHex(objectId), digestSchema);
}

export function putSeen(state: StateOverlay, objectId: Uint8Array, txId: Uint8Array): void {
  write(state, 'seen', toHex(objectId), txId);
}

// --- per-patient index ----------------------------------------------------------------------

export type PatientIndexEntry = { readonly txId: Uint8Array; readonly height: number };

const patientIndexEntrySchema: Schema<PatientIndexEntry> = object({
  txId: digestSchema,
  height: heightSchema,
});

/** `<patientHex>/<kind>/<objectIdHex>`: a prefix scan on the patient lists their whole history. */
export function patientIndexKey(patient: Uint8Array, kind: TxKind, objectId: Uint8Array): string {
  return `${toHex(patient)}/${kind}/${toHex(objectId)}`;
}

export function getPatientIndexEntry(
  state: StateReader,
  patient: Uint8Array,
  kind: TxKind,
  objectId: Uint8Array,
): PatientIndexEntry | undefined {
  return read(state, 'patient', patientIndexKey(patient, kind, objectId), patientIndexEntrySchema);
}

export function putPatientIndexEntry(
  state: StateOverlay,
  patient: Uint8Array,
  kind: TxKind,
  objectId: Uint8Array,
  entry: PatientIndexEntry,
): void {
  write(state, 'patient', patientIndexKey(patient, kind, objectId), entry);
}

// --- yearly distinct-patient counters -------------------------------------------------------

export function counterKey(sender: string, year: number): string {
  return `${sender}/${year}`;
}

export function countedKey(sender: string, year: number, patient: Uint8Array): string {
  return `${sender}/${year}/${toHex(patient)}`;
}

/** Distinct patients counted for this sender in this UTC year. */
export function getDistinctPatients(state: StateReader, sender: string, year: number): number {
  return read(state, 'counter', counterKey(sender, year), uint()) ?? 0;
}

export function isPatientCounted(
  state: StateReader,
  sender: string,
  year: number,
  patient: Uint8Array,
): boolean {
  return read(state, 'counted', countedKey(sender, year, patient), bool) === true;
}

/** Counts the patient once per sender and year; a second call for the same patient changes nothing. */
export function countPatient(state: StateOverlay, sender: string, year: number, patient: Uint8Array): void {
  if (isPatientCounted(state, sender, year, patient)) return;
  write(state, 'counted', countedKey(sender, year, patient), true);
  write(state, 'counter', counterKey(sender, year), getDistinctPatients(state, sender, year) + 1);
}

// --- policy ---------------------------------------------------------------------------------

const CURRENT_POLICY_KEY = 'current';

// Every transaction reads the active policy; parsing is a pure function of the stored value, so
// it is remembered per value object (a store that decodes afresh each time simply misses).
const parsedPolicies = new WeakMap<object, Policy>();

/** The active policy: the last accepted policy.update, else the genesis policy. */
export function readPolicy(state: StateReader, genesis: Genesis): Policy {
  const stored = state.get('policy', CURRENT_POLICY_KEY);
  if (stored === undefined) return genesis.policy;
  if (typeof stored === 'object' && stored !== null) {
    const cached = parsedPolicies.get(stored);
    if (cached !== undefined) return cached;
  }
  const policy = read(state, 'policy', CURRENT_POLICY_KEY, policySchema)!;
  if (typeof stored === 'object' && stored !== null) parsedPolicies.set(stored, policy);
  return policy;
}

export function putPolicy(state: StateOverlay, policy: Policy): void {
  write(state, 'policy', CURRENT_POLICY_KEY, policy);
}
