// Stable, machine-readable reason codes (design section 5). A verdict's reasons are part of the
// committed state, so every node reports the same answer with the same codes; they are API: add
// new codes at the end, never rename or reuse one. Reasons in a verdict are listed in the order
// of this list, so the order is canonical too.
export const REASON_CODES = [
  // --- transfer.declare: registration and route ---
  'SENDER_NOT_REGISTERED',
  'RECIPIENT_NOT_REGISTERED',
  'ROUTE_INVALID',
  'FILING_REFERENCE_MISSING',
  // --- transfer.declare: consent ---
  'CONSENT_NOT_FOUND',
  'CONSENT_REVOKED',
  'CONSENT_NOT_YET_VALID',
  'CONSENT_EXPIRED',
  'CONSENT_SENDER_MISMATCH',
  'CONSENT_RECIPIENT_MISMATCH',
  'PURPOSE_NOT_ALLOWED',
  'CATEGORY_NOT_CONSENTED',
  'CATEGORY_UNKNOWN',
  'SEPARATE_CONSENT_MISSING',
  // --- transfer.declare: negative list, thresholds, limits, replay ---
  'NEGATIVE_LIST_PROHIBITED',
  'ASSESSMENT_REQUIRED',
  'ASSESSMENT_REJECTED',
  'VOLUME_THRESHOLD',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_ITEMS',
  'DUPLICATE',
  // --- consent.grant and consent.revoke ---
  'CONSENT_VALIDITY_TOO_LONG',
  'CONSENT_PATIENT_MISMATCH',
  // --- transfer.assess ---
  'TRANSFER_NOT_FOUND',
  'TRANSFER_NOT_AWAITING_ASSESSMENT',
  'ASSESSOR_NOT_REQUIRED',
  'ALREADY_ASSESSED',
  // --- transfer.receipt ---
  'TRANSFER_NOT_APPROVED',
  'RECEIPT_RECIPIENT_MISMATCH',
  'RECEIPT_REJECTED',
  'PAYLOAD_ROOT_MISMATCH',
  // --- policy.update ---
  'POLICY_VERSION_INVALID',
  'POLICY_INVALID',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

const ORDER = new Map<string, number>(REASON_CODES.map((code, index) => [code, index]));

/** The codes without repeats, in REASON_CODES order: one verdict, one encoding. */
export function canonicalReasons(reasons: Iterable<ReasonCode>): ReasonCode[] {
  return [...new Set(reasons)].sort((a, b) => ORDER.get(a)! - ORDER.get(b)!);
}
