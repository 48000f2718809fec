// The release gate at both ends of the payload channel (design section 1 step 4, section 9),
// decided from the node's OWN committed state only. That state holds nothing but blocks that
// NodeChain.commit accepted with a valid certificate of > 2/3 of the validators, so "approved in
// our state" means "approved in a final block" on this node's verified chain.
//
// Consent revoked after approval: revocation takes effect from the block that records it (design
// section 1 step 1), so once it is committed neither end moves another payload byte for the
// transfers under that consent, even approved ones not yet delivered.

import type { StateReader } from '../../core/ledger/state-kv.js';
import { getConsent, getTransfer, type TransferRecord } from '../../core/ledger/views.js';
import type { PayloadExpectation } from '../transfer/receiver.js';
import type { SendDecision } from '../transfer/sender.js';

export type Refusal = Extract<SendDecision, { ok: false }>['code'];

function consentRevoked(state: StateReader, transfer: TransferRecord): boolean {
  // Expiry plays no part: the consent was valid in the block that approved the transfer. An
  // approved transfer always has its consent recorded; a missing one is treated as revoked.
  const consent = getConsent(state, transfer.declaration.consentId);
  return consent === undefined || consent.status === 'revoked';
}

/**
 * Sender side: may `peer` have the payload of `transferId` from this node (`self`)? Only the
 * declared recipient, only for this node's own declaration, only while it is approved.
 */
export function releaseDecision(
  state: StateReader,
  self: string,
  peer: string,
  transferId: Uint8Array,
): SendDecision {
  const transfer = getTransfer(state, transferId);
  if (transfer === undefined || transfer.declaration.sender !== self)
    return { ok: false, code: 'UNKNOWN_TRANSFER' };
  if (transfer.declaration.recipient !== peer) return { ok: false, code: 'NOT_RECIPIENT' };
  if (transfer.status !== 'approved' || consentRevoked(state, transfer))
    return { ok: false, code: 'NOT_APPROVED' };
  return { ok: true, payloadRoot: transfer.declaration.payload.root };
}

export type AcceptDecision =
  | { ok: true; sender: string; consentId: Uint8Array; expected: PayloadExpectation }
  | { ok: false; reason: 'UNKNOWN_TRANSFER' | 'NOT_RECIPIENT' | 'NOT_APPROVED' | 'ALREADY_RECEIPTED' };

type AcceptRefusal = Extract<AcceptDecision, { ok: false }>['reason'];

// What the transfer record alone decides for the recipient, but for its patient (checked where
// the type needs it narrowed); the consent lives in its own record.
function refusalOfRecord(transfer: TransferRecord, self: string): AcceptRefusal | undefined {
  if (transfer.declaration.recipient !== self) return 'NOT_RECIPIENT';
  if (transfer.receipt !== null) return 'ALREADY_RECEIPTED';
  if (transfer.status !== 'approved') return 'NOT_APPROVED';
  return undefined;
}

/**
 * Whether acceptDecision could say yes for this transfer record, decided from the record alone (no
 * state read): a pre-filter for the records a committed block writes, most of which are
 * declarations still awaiting approval or transfers to other recipients. acceptDecision decides.
 */
export function couldAccept(transfer: TransferRecord, self: string): boolean {
  return refusalOfRecord(transfer, self) === undefined && transfer.patient !== null;
}

/**
 * Recipient side: should this node (`self`) fetch and accept the payload of `transferId`? Only a
 * transfer addressed to it, approved on its own chain and not yet receipted.
 */
export function acceptDecision(state: StateReader, self: string, transferId: Uint8Array): AcceptDecision {
  const transfer = getTransfer(state, transferId);
  if (transfer === undefined) return { ok: false, reason: 'UNKNOWN_TRANSFER' };
  const refusal = refusalOfRecord(transfer, self);
  if (refusal !== undefined) return { ok: false, reason: refusal };
  const { declaration, patient } = transfer;
  if (patient === null || consentRevoked(state, transfer)) return { ok: false, reason: 'NOT_APPROVED' };
  return {
    ok: true,
    sender: declaration.sender,
    consentId: declaration.consentId,
    expected: {
      transferId: transfer.transferId,
      patient,
      payload: declaration.payload,
      items: declaration.items.map((item) => ({
        category: item.category,
        documentType: item.documentType,
        sizeBytes: item.sizeBytes,
        digest: item.digest,
      })),
    },
  };
}
