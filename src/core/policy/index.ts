export { utcYearOfSeconds } from './calendar.js';
export {
  type ConsentFacts,
  consentWindowReason,
  type DeclarationContext,
  evaluateDeclaration,
  routeIsThresholded,
  sortedIds,
} from './evaluate-declaration.js';
export { evaluateConsentGrant, type GrantContext } from './evaluate-grant.js';
export { canonicalReasons, REASON_CODES, type ReasonCode } from './reasons.js';
export { policyProblems, policySchema } from './schema.js';
export * from './types.js';
