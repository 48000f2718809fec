// Checks one consent grant against the policy and the network when it is recorded (design
// section 5). The declaration re-checks what can change later (revocation, validity, policy
// version), so this only refuses grants that could never be used as written.
import type { Organisation } from '../config/genesis.js';
import type { ConsentGrantBody } from '../records/consent-grant.js';
import { canonicalReasons, type ReasonCode } from './reasons.js';
import type { Policy, Verdict } from './types.js';

export interface GrantContext {
  readonly policy: Policy;
  readonly organisations: readonly Organisation[];
  readonly blockTimeSeconds: number;
  /** A grant with exactly this body (hence this consentId) was already recorded. */
  readonly duplicate: boolean;
}

function hasRole(organisations: readonly Organisation[], id: string, role: Organisation['role']): boolean {
  return organisations.some((org) => org.id === id && org.role === role);
}

export function evaluateConsentGrant(grant: ConsentGrantBody, context: GrantContext): Verdict {
  if (context.duplicate) return { status: 'rejected', reasons: ['DUPLICATE'], assessors: [] };
  const reasons: ReasonCode[] = [];
  for (const sender of grant.allowedSenders) {
    if (!hasRole(context.organisations, sender, 'submitter')) reasons.push('SENDER_NOT_REGISTERED');
  }
  if (!hasRole(context.organisations, grant.recipient, 'recipient')) reasons.push('RECIPIENT_NOT_REGISTERED');
  if (!context.policy.purposes.includes(grant.purpose)) reasons.push('PURPOSE_NOT_ALLOWED');
  for (const category of grant.categories) {
    if (!context.policy.categories.some((definition) => definition.id === category)) {
      reasons.push('CATEGORY_UNKNOWN');
    }
  }
  if (grant.validUntil - grant.validFrom > context.policy.limits.maxConsentValiditySeconds) {
    reasons.push('CONSENT_VALIDITY_TOO_LONG');
  }
  // Recording a consent that is already over would only add a record no transfer can use.
  if (context.blockTimeSeconds >= grant.validUntil) reasons.push('CONSENT_EXPIRED');
  if (reasons.length > 0) return { status: 'rejected', reasons: canonicalReasons(reasons), assessors: [] };
  return { status: 'approved', reasons: [], assessors: [] };
}
