// Salted item commitments (design section 4): a declaration names each item by
// SHA-256(salt || document UID), never by the UID itself. A DICOM UID is guessable (it is built
// from an organisation root and counters or timestamps), so an unsalted hash of it could be
// reversed by trying candidates; a fresh 32-byte salt per item makes that hopeless. The hospital
// keeps salt and UID in its private record, so it can later open the commitment to an auditor.
import { randomBytes } from 'node:crypto';
import { utf8 } from '../../core/bytes.js';
import { sha256 } from '../../core/crypto/hash.js';
import { fail } from '../../core/errors.js';

export const ITEM_SALT_BYTES = 32;

/** DICOM PS3.5 section 9.1: digits and dots, at most 64 characters, no leading zeros in a component. */
const DICOM_UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const MAX_UID_CHARS = 64;

export function checkDocumentUid(uid: string, where: string): string {
  if (uid.length > MAX_UID_CHARS || !DICOM_UID_PATTERN.test(uid)) {
    fail('REQUEST_MALFORMED', 'a document UID is a DICOM UID: digits and dots, at most 64 characters', where);
  }
  return uid;
}

/**
 * A new UID for a document that has none: "2.25." followed by a random 128-bit number in decimal,
 * the UUID-derived form of DICOM PS3.5 section B.2 (ISO/IEC 9834-8), which needs no registered root.
 */
export function newDocumentUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

export function newItemSalt(): Uint8Array {
  return new Uint8Array(randomBytes(ITEM_SALT_BYTES));
}

/** SHA-256(salt || UTF-8 UID): the item commitment a declaration carries. */
export function itemCommitment(salt: Uint8Array, uid: string): Uint8Array {
  return sha256(salt, utf8(uid));
}
