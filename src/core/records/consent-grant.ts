// consent.grant (design section 1 step 1, section 4): a patient authorises named categories of
// their records to go from Shenzhen hospitals to one recipient, for one purpose and period. Signed
// by the patient's key (their pseudonym) AND the submitting hospital's node key, which attests
// that it verified the patient's identity off-ledger (PIPL art. 29/39 separate consent).
import { array, bool, object, type Schema } from '../codec/schema.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import {
  digestSchema,
  distinct,
  idSchema,
  nonceSchema,
  publicKeySchema,
  refine,
  secondsSchema,
  trueSchema,
} from './fields.js';

export type ConsentGrantBody = {
  /** The patient's Ed25519 public key: their only identity on the ledger. */
  patient: Uint8Array;
  /** Organisation id of the submitting (countersigning) hospital. */
  sender: string;
  /** Hospitals allowed to declare transfers under this consent. */
  allowedSenders: string[];
  /** Organisation id of the one recipient. */
  recipient: string;
  /** Purpose id from the policy catalogue. */
  purpose: string;
  /** Category ids from the policy catalogue. */
  categories: string[];
  /** Validity window in integer seconds: valid iff validFrom <= t < validUntil. */
  validFrom: number;
  validUntil: number;
  /** The patient's separate consents (PIPL art. 39 cross-border, art. 29 sensitive information). */
  separateConsent: { crossBorder: boolean; sensitive: boolean };
  /** SHA-256 of the notice the patient was shown; the notice itself stays off-ledger. */
  noticeDigest: Uint8Array;
  hospitalVerifiedIdentity: true;
  /** 16 random bytes, so a patient can grant the same thing twice and get two consent ids. */
  nonce: Uint8Array;
};

/** A grant's category ids: one at least, at most LIMITS.maxCategoriesPerConsent, none repeated. */
export const consentCategoriesSchema: Schema<string[]> = distinct(
  array(idSchema, LIMITS.maxCategoriesPerConsent, 1),
);

export const consentGrantBodySchema: Schema<ConsentGrantBody> = refine(
  object({
    patient: publicKeySchema,
    sender: idSchema,
    allowedSenders: distinct(array(idSchema, LIMITS.maxSendersPerConsent, 1)),
    recipient: idSchema,
    purpose: idSchema,
    categories: consentCategoriesSchema,
    validFrom: secondsSchema,
    validUntil: secondsSchema,
    separateConsent: object({ crossBorder: bool, sensitive: bool }),
    noticeDigest: digestSchema,
    hospitalVerifiedIdentity: trueSchema,
    nonce: nonceSchema,
  }),
  (body, path) => {
    // An empty or inverted window could never be valid; it is malformed, not merely rejected.
    if (body.validUntil <= body.validFrom) {
      fail('SCHEMA_INVALID', 'validUntil must be later than validFrom', `${path}.validUntil`);
    }
  },
);
