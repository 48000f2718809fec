// The body type and closed schema of every transaction kind, and the typed view of an envelope.
import type { CborMap } from '../codec/canonical.js';
import { parseInPlace, type Schema } from '../codec/schema.js';
import { fail } from '../errors.js';
import { type ConsentGrantBody, consentGrantBodySchema } from './consent-grant.js';
import { type ConsentRevokeBody, consentRevokeBodySchema } from './consent-revoke.js';
import type { TxEnvelope, TxKind, TxSignature } from './envelope.js';
import { type PolicyUpdateBody, policyUpdateBodySchema } from './policy-update.js';
import { type TransferAssessBody, transferAssessBodySchema } from './transfer-assess.js';
import { type TransferDeclareBody, transferDeclareBodySchema } from './transfer-declare.js';
import { type TransferReceiptBody, transferReceiptBodySchema } from './transfer-receipt.js';

export interface TxBodies {
  'consent.grant': ConsentGrantBody;
  'consent.revoke': ConsentRevokeBody;
  'transfer.declare': TransferDeclareBody;
  'transfer.assess': TransferAssessBody;
  'transfer.receipt': TransferReceiptBody;
  'policy.update': PolicyUpdateBody;
}

export const BODY_SCHEMAS: { readonly [K in TxKind]: Schema<TxBodies[K]> } = {
  'consent.grant': consentGrantBodySchema,
  'consent.revoke': consentRevokeBodySchema,
  'transfer.declare': transferDeclareBodySchema,
  'transfer.assess': transferAssessBodySchema,
  'transfer.receipt': transferReceiptBodySchema,
  'policy.update': policyUpdateBodySchema,
};

/** An envelope whose body has been checked against its kind's schema: switch on `kind`. */
export type TypedTx = {
  [K in TxKind]: { readonly kind: K; readonly body: TxBodies[K]; readonly sigs: readonly TxSignature[] };
}[TxKind];

/**
 * Checks the body against its kind's closed schema; throws SCHEMA_INVALID naming the field.
 * `bodyOwned`: the caller decoded the body itself and keeps no other use of it, so the typed body
 * may be that same object (parseInPlace) instead of a copy.
 */
export function parseTxBody(envelope: TxEnvelope, bodyOwned = false): TypedTx {
  if (!Object.hasOwn(BODY_SCHEMAS, envelope.kind))
    fail('SCHEMA_INVALID', `unknown kind ${envelope.kind}`, '$.kind');
  const schema = BODY_SCHEMAS[envelope.kind] as Schema<TxBodies[TxKind]>;
  const body = bodyOwned
    ? parseInPlace(schema, envelope.body, '$.body')
    : schema.parse(envelope.body, '$.body');
  return { kind: envelope.kind, body, sigs: envelope.sigs } as TypedTx;
}

/**
 * A body as a CBOR map. Policy's contract types use readonly arrays, which TypeScript will not
 * treat as CborValue; the values are plain data either way (the schemas guarantee it).
 */
export function bodyAsCbor<K extends TxKind>(body: TxBodies[K]): CborMap {
  return body as unknown as CborMap;
}
