// Security verification of one transfer declaration (design section 1 step 3 and section 5). Pure
// and deterministic: it sees only the policy, the genesis organisations, the block time and the
// ledger facts the caller looked up, so every validator reaches the same verdict with the same
// reasons. It collects every failed rule instead of stopping at the first, so a hospital learns
// everything wrong with a declaration from one verdict.
import type { Organisation } from '../config/genesis.js';
import type { ConsentGrantBody } from '../records/consent-grant.js';
import type { TransferDeclareBody } from '../records/transfer-declare.js';
import { canonicalReasons, type ReasonCode } from './reasons.js';
import type { Policy, Verdict } from './types.js';

/** The consent a declaration names, as the ledger holds it. */
export interface ConsentFacts {
  readonly grant: ConsentGrantBody;
  /** Revoked in an earlier block, or earlier in this one (revocation is effective from its block). */
  readonly revoked: boolean;
}

export interface DeclarationContext {
  readonly policy: Policy;
  readonly organisations: readonly Organisation[];
  /** floor(block timeMs / 1000): policy is judged against block time only, never a local clock. */
  readonly blockTimeSeconds: number;
  /** The consent named by declaration.consentId, or undefined if the ledger has none. */
  readonly consent: ConsentFacts | undefined;
  /** A declaration with exactly this body (hence this transferId) was already recorded. */
  readonly duplicate: boolean;
  /** Distinct patients already counted for this sender in the UTC year of blockTimeSeconds. */
  readonly senderDistinctPatientsThisYear: number;
  /** Whether the consent's patient is already among them (then this transfer adds nobody). */
  readonly patientCountedThisYear: boolean;
}

/**
 * Validity window, inclusive at the start and exclusive at the end: a consent is valid at second
 * t iff validFrom <= t < validUntil. Half-open windows tile without overlap, so a renewal starting
 * at the old validUntil never leaves a second covered twice or not at all.
 */
export function consentWindowReason(grant: ConsentGrantBody, timeSeconds: number): ReasonCode | undefined {
  if (timeSeconds < grant.validFrom) return 'CONSENT_NOT_YET_VALID';
  if (timeSeconds >= grant.validUntil) return 'CONSENT_EXPIRED';
  return undefined;
}

/** Whether transfers on this route count toward, and are limited by, the yearly threshold. */
export function routeIsThresholded(policy: Policy, routeId: string): boolean {
  return policy.thresholds.thresholdRoutes.includes(routeId);
}

function findOrganisation(organisations: readonly Organisation[], id: string): Organisation | undefined {
  return organisations.find((org) => org.id === id);
}

function checkParties(
  declaration: TransferDeclareBody,
  context: DeclarationContext,
  reasons: ReasonCode[],
): { sender: Organisation | undefined; recipient: Organisation | undefined } {
  const sender = findOrganisation(context.organisations, declaration.sender);
  const recipient = findOrganisation(context.organisations, declaration.recipient);
  if (sender?.role !== 'submitter') reasons.push('SENDER_NOT_REGISTERED');
  if (recipient?.role !== 'recipient') reasons.push('RECIPIENT_NOT_REGISTERED');
  return {
    sender: sender?.role === 'submitter' ? sender : undefined,
    recipient: recipient?.role === 'recipient' ? recipient : undefined,
  };
}

/** The route must exist and be valid from the sender's to the recipient's jurisdiction. */
function checkRoute(
  declaration: TransferDeclareBody,
  context: DeclarationContext,
  parties: { sender: Organisation | undefined; recipient: Organisation | undefined },
  reasons: ReasonCode[],
): void {
  const route = context.policy.routes.find((candidate) => candidate.id === declaration.route.id);
  if (route === undefined) {
    reasons.push('ROUTE_INVALID');
    return;
  }
  if (parties.sender && !route.fromJurisdictions.includes(parties.sender.jurisdiction)) {
    reasons.push('ROUTE_INVALID');
  }
  if (parties.recipient && !route.toJurisdictions.includes(parties.recipient.jurisdiction)) {
    reasons.push('ROUTE_INVALID');
  }
  if (route.requiresFilingReference && declaration.route.filingReference === undefined) {
    reasons.push('FILING_REFERENCE_MISSING');
  }
}

/** The consent exists, is live at block time, and covers this sender, recipient and every item. */
function checkConsent(
  declaration: TransferDeclareBody,
  context: DeclarationContext,
  parties: { sender: Organisation | undefined; recipient: Organisation | undefined },
  reasons: ReasonCode[],
): void {
  const consent = context.consent;
  if (consent === undefined) {
    reasons.push('CONSENT_NOT_FOUND');
    return;
  }
  const grant = consent.grant;
  if (consent.revoked) reasons.push('CONSENT_REVOKED');
  const window = consentWindowReason(grant, context.blockTimeSeconds);
  if (window) reasons.push(window);
  if (!grant.allowedSenders.includes(declaration.sender)) reasons.push('CONSENT_SENDER_MISMATCH');
  if (grant.recipient !== declaration.recipient) reasons.push('CONSENT_RECIPIENT_MISMATCH');
  if (!context.policy.purposes.includes(grant.purpose)) reasons.push('PURPOSE_NOT_ALLOWED');
  for (const item of declaration.items) {
    if (!grant.categories.includes(item.category)) reasons.push('CATEGORY_NOT_CONSENTED');
  }
  // PIPL art. 39: a cross-border provision needs the separate cross-border consent; art. 29:
  // sensitive personal information needs its own separate consent.
  const crossBorder =
    parties.sender === undefined ||
    parties.recipient === undefined ||
    parties.sender.jurisdiction !== parties.recipient.jurisdiction;
  if (crossBorder && !grant.separateConsent.crossBorder) reasons.push('SEPARATE_CONSENT_MISSING');
  const sensitive = declaration.items.some(
    (item) => context.policy.categories.find((category) => category.id === item.category)?.sensitive === true,
  );
  if (sensitive && !grant.separateConsent.sensitive) reasons.push('SEPARATE_CONSENT_MISSING');
}

/** Catalogue and negative list; returns the regulators whose assessment the items need. */
function checkCategories(
  declaration: TransferDeclareBody,
  policy: Policy,
  reasons: ReasonCode[],
): Set<string> {
  const assessors = new Set<string>();
  for (const item of declaration.items) {
    if (!policy.categories.some((category) => category.id === item.category))
      reasons.push('CATEGORY_UNKNOWN');
    const entry = policy.negativeList.find((candidate) => candidate.category === item.category);
    if (entry?.rule === 'prohibited') reasons.push('NEGATIVE_LIST_PROHIBITED');
    if (entry?.rule === 'assessment') for (const assessor of entry.assessors) assessors.add(assessor);
  }
  return assessors;
}

/**
 * Yearly threshold: distinct patients per sender per UTC calendar year, on thresholded routes.
 * The transfer that would take the count above the maximum is rejected; a patient already counted
 * this year adds nobody, so their further transfers always pass this rule.
 */
function checkThreshold(
  declaration: TransferDeclareBody,
  context: DeclarationContext,
  reasons: ReasonCode[],
): void {
  if (context.consent === undefined || !routeIsThresholded(context.policy, declaration.route.id)) return;
  if (context.patientCountedThisYear) return;
  if (
    context.senderDistinctPatientsThisYear + 1 >
    context.policy.thresholds.maxDistinctPatientsPerSenderPerYear
  ) {
    reasons.push('VOLUME_THRESHOLD');
  }
}

function checkLimits(declaration: TransferDeclareBody, policy: Policy, reasons: ReasonCode[]): void {
  if (declaration.items.length > policy.limits.maxItemsPerTransfer) reasons.push('TOO_MANY_ITEMS');
  if (declaration.payload.bytes > policy.limits.maxPayloadBytes) reasons.push('PAYLOAD_TOO_LARGE');
}

/** Evaluates one declaration; see DeclarationContext for what the caller must look up. */
export function evaluateDeclaration(declaration: TransferDeclareBody, context: DeclarationContext): Verdict {
  // A replayed body would re-use an existing transferId: nothing else about it matters.
  if (context.duplicate) return { status: 'rejected', reasons: ['DUPLICATE'], assessors: [] };
  const reasons: ReasonCode[] = [];
  const parties = checkParties(declaration, context, reasons);
  checkRoute(declaration, context, parties, reasons);
  checkConsent(declaration, context, parties, reasons);
  const assessors = checkCategories(declaration, context.policy, reasons);
  checkThreshold(declaration, context, reasons);
  checkLimits(declaration, context.policy, reasons);
  if (reasons.length > 0) return { status: 'rejected', reasons: canonicalReasons(reasons), assessors: [] };
  if (assessors.size > 0) {
    return {
      status: 'awaiting-assessment',
      reasons: ['ASSESSMENT_REQUIRED'],
      assessors: sortedIds(assessors),
    };
  }
  return { status: 'approved', reasons: [], assessors: [] };
}

/** Code-unit order, independent of locale (localeCompare is not the same on every node). */
export function sortedIds(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
