export { BODY_SCHEMAS, bodyAsCbor, parseTxBody, type TxBodies, type TypedTx } from './bodies.js';
export {
  bodyBytesOf,
  decodeTxEnvelope,
  encodeTxEnvelope,
  envelopeSchema,
  objectIdOf,
  txIdOf,
} from './codec.js';
export { type ConsentGrantBody, consentCategoriesSchema, consentGrantBodySchema } from './consent-grant.js';
export { type ConsentRevokeBody, consentRevokeBodySchema } from './consent-revoke.js';
export { TX_KINDS, type TxEnvelope, type TxKind, type TxSignature } from './envelope.js';
export * from './fields.js';
export { type PolicyUpdateBody, policyUpdateBodySchema } from './policy-update.js';
export { addSignature, signTx } from './sign.js';
export {
  type AssessmentDecision,
  type TransferAssessBody,
  transferAssessBodySchema,
} from './transfer-assess.js';
export {
  type TransferDeclareBody,
  type TransferItem,
  type TransferPayload,
  transferDeclareBodySchema,
} from './transfer-declare.js';
export { RECEIPT_OK, type TransferReceiptBody, transferReceiptBodySchema } from './transfer-receipt.js';
export {
  checkTxSigners,
  organisationIndex,
  type SignatureCheck,
  signatureChecksOf,
  TX_CHECK_CODES,
  type TxCheck,
  type TxCheckCode,
  verifyTx,
} from './verify.js';
