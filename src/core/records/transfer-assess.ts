// transfer.assess (design section 5): a regulator named by the negative list approves or rejects
// a transfer that awaits its assessment. Signed by that regulator's node key.
import { literal, object, optional, type Schema } from '../codec/schema.js';
import { digestSchema, idSchema, nonceSchema, reasonCodeSchema } from './fields.js';

export type AssessmentDecision = 'approve' | 'reject';

export type TransferAssessBody = {
  /** SHA-256 of the canonical transfer.declare body. */
  transferId: Uint8Array;
  /** Organisation id of the assessing regulator (a validator). */
  assessor: string;
  decision: AssessmentDecision;
  /** Reason code for the decision, e.g. 'OK' or 'PURPOSE_DISPROPORTIONATE'. */
  reason: string;
  /** Optional 16 bytes that make a retry a new transaction (see "Retries" in fields.ts). */
  nonce?: Uint8Array;
};

export const transferAssessBodySchema: Schema<TransferAssessBody> = object({
  transferId: digestSchema,
  assessor: idSchema,
  decision: literal('approve', 'reject'),
  reason: reasonCodeSchema,
  nonce: optional(nonceSchema),
});
