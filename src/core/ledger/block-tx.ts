// One transaction of a block, decoded and checked exactly once for everything that follows
// (verifyBlock, buildBlock, then applying it): canonical decode, the envelope and body schemas,
// signature order, roles and required signers, and, unless the caller already verified these
// exact bytes, every signature. The canonical body bytes that the signatures and the object id
// cover are taken from the envelope bytes themselves, not encoded again.
//
// Before this, a block transaction was decoded and schema-checked by decodeTxEnvelope, again by
// verifyTx and a third time by applyTx, and its body encoded twice (profile of a 2,000-transaction
// block: a fifth of verifyBlock outside the signatures).
import { bytesEqual } from '../bytes.js';
import { decodeCanonical } from '../codec/canonical.js';
import { canonicalItemEnd } from '../codec/item-end.js';
import type { Genesis } from '../config/genesis.js';
import { assert, isBayledgerError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { TypedTx } from '../records/bodies.js';
import { bodyBytesOf, txIdOf } from '../records/codec.js';
import type { TxEnvelope } from '../records/envelope.js';
import { checkTxForApply } from '../records/verify.js';

export interface CheckedTx {
  /** The canonical envelope bytes, as the block carries them. */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes` (design section 3). */
  readonly txId: Uint8Array;
  /** The envelope with its body checked against its kind's schema. */
  readonly tx: TypedTx;
  /** Canonical bytes of the body: what every signature covers, and what the object id hashes. */
  readonly bodyBytes: Uint8Array;
}

export type BlockTxCheck =
  | { readonly ok: true; readonly checked: CheckedTx }
  | { readonly ok: false; readonly code: 'TX_MALFORMED' | 'TX_INVALID'; readonly reason: string };

/** A map of three pairs, then the text key "body": how every canonical envelope starts. */
const BODY_KEY_PREFIX = Uint8Array.from([0xa3, 0x64, 0x62, 0x6f, 0x64, 0x79]);

/**
 * The body's canonical bytes. A decoded canonical envelope has exactly the keys body, kind and sigs
 * (4-letter keys sort bytewise, RFC 8949 section 4.2.1), so it starts with the map head and the key
 * "body", and the body item follows; its bytes are canonical because the whole input is.
 */
function bodyBytesIn(bytes: Uint8Array, envelope: TxEnvelope): Uint8Array {
  for (let i = 0; i < BODY_KEY_PREFIX.byteLength; i++) {
    if (bytes[i] !== BODY_KEY_PREFIX[i]) return bodyBytesOf(envelope);
  }
  return bytes.subarray(BODY_KEY_PREFIX.byteLength, canonicalItemEnd(bytes, BODY_KEY_PREFIX.byteLength));
}

/**
 * Decodes and checks one transaction of a block. `signaturesVerified(txId)` says whether these
 * exact bytes (by id) already had their signatures verified (the mempool, the verify pool); the
 * signature step is then skipped, never the schema, role and signer checks.
 */
export function checkBlockTx(
  bytes: Uint8Array,
  genesis: Genesis,
  signaturesVerified?: (txId: Uint8Array) => boolean,
  knownTxId?: Uint8Array,
): BlockTxCheck {
  let decoded: unknown;
  try {
    decoded = decodeCanonical(bytes, LIMITS.maxTxBytes);
  } catch (error) {
    if (!isBayledgerError(error)) throw error;
    return { ok: false, code: 'TX_MALFORMED', reason: error.message };
  }
  if (
    typeof decoded !== 'object' ||
    decoded === null ||
    Array.isArray(decoded) ||
    decoded instanceof Uint8Array
  ) {
    return { ok: false, code: 'TX_MALFORMED', reason: '$: expected an envelope map' };
  }
  const envelope = decoded as unknown as TxEnvelope;
  // A caller that read the bytes by their id and checked the hash passes it (`knownTxId`).
  const txId = knownTxId ?? txIdOf(bytes);
  const skipSignatures = signaturesVerified?.(txId) === true;
  const bodyBytes = bodyBytesIfShaped(bytes, envelope);
  // The envelope was decoded just above and goes nowhere else: its body is checked in place.
  const check = checkTxForApply(envelope, genesis, bodyBytes, !skipSignatures, true);
  if (!check.ok) {
    // A schema failure is a malformed transaction, as decodeTxEnvelope reports it.
    if (check.code === 'SCHEMA_INVALID') return { ok: false, code: 'TX_MALFORMED', reason: check.reason };
    return { ok: false, code: 'TX_INVALID', reason: `${check.code}: ${check.reason}` };
  }
  return { ok: true, checked: { bytes, txId, tx: check.tx, bodyBytes } };
}

/**
 * checkBlockTx, unless `alreadyChecked` (the mempool's admission, which ran checkBlockTx with every
 * signature on these same bytes against the same genesis) knows the transaction by its id: then
 * its result is reused and nothing is decoded again. The id is SHA-256 of the exact bytes.
 */
export function checkBlockTxOnce(
  bytes: Uint8Array,
  genesis: Genesis,
  signaturesVerified?: (txId: Uint8Array) => boolean,
  alreadyChecked?: (txId: Uint8Array) => CheckedTx | undefined,
): BlockTxCheck {
  if (alreadyChecked === undefined) return checkBlockTx(bytes, genesis, signaturesVerified);
  const txId = txIdOf(bytes);
  const known = alreadyChecked(txId);
  if (known === undefined) return checkBlockTx(bytes, genesis, signaturesVerified, txId);
  assert(bytesEqual(known.bytes, bytes), 'a checked transaction was found under another id');
  return { ok: true, checked: known };
}

/**
 * checkTxForApply takes the body bytes up front. On an envelope of the right shape they are the
 * slice above; on anything else they are never used (its schema check fails first), so nothing is
 * computed for it.
 */
function bodyBytesIfShaped(bytes: Uint8Array, envelope: TxEnvelope): Uint8Array {
  const keys = Object.keys(envelope);
  const shaped =
    keys.length === 3 &&
    'body' in envelope &&
    'kind' in envelope &&
    'sigs' in envelope &&
    isMap(envelope.body);
  return shaped ? bodyBytesIn(bytes, envelope) : new Uint8Array(0);
}

function isMap(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}
