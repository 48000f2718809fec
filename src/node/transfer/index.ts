// The payload channel (design section 9): sealing into the outbox, the stream protocol, and
// verified, resumable receiving into the inbox.
export { type ChunkVerdict, ChunkVerifier } from './chunk-verifier.js';
export { type PayloadCommitment, payloadCommitmentSchema } from './commitment.js';
export { type ExpectedItem, type FiledItem, INBOX_MANIFEST_FILE } from './filing.js';
export { layoutForContainer, layoutForDeclared, type PayloadLayout } from './layout.js';
export {
  OutboxPayload,
  outboxPayloadDirectory,
  removeAbandonedSealings,
  removeOutboxPayload,
} from './outbox.js';
export { PARTIAL_FOLDER, removePartial } from './partial.js';
export { PAYLOAD_CIPHER, type PayloadKeyContext } from './payload-crypto.js';
export {
  decodePayloadRequest,
  decodePayloadResponse,
  encodePayloadRequest,
  encodePayloadResponse,
  PAYLOAD_END_CODES,
  PAYLOAD_PROTOCOL,
  type PayloadEndCode,
  type PayloadRequest,
  type PayloadResponse,
} from './protocol.js';
export { isPermanentFailure, type PayloadFailure } from './reasons.js';
export {
  inboxDirectory,
  type PayloadExpectation,
  type PayloadProgress,
  PayloadReceiver,
  type PayloadReceiverOptions,
  type ReceiveOutcome,
} from './receiver.js';
export { type SealedPayload, type SealOptions, sealPayload } from './seal.js';
export { PayloadSender, type PayloadSenderOptions, type SendDecision } from './sender.js';
