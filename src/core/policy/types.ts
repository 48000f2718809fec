// Policy as data ("negative list + compliance guidelines", design section 5). Versioned, carried
// in the genesis file and replaced only by a quorum-signed policy.update record.
import type { ReasonCode } from './reasons.js';

export type NegativeListRule = 'prohibited' | 'assessment';

export interface CategoryDefinition {
  /** Catalogue id, e.g. 'imaging-study'. */
  readonly id: string;
  /** Sensitive personal information (PIPL art. 28): needs the separate-consent flag for it. */
  readonly sensitive: boolean;
}

export interface NegativeListEntry {
  readonly category: string;
  readonly rule: NegativeListRule;
  /** For 'assessment': the regulators (organisation ids) each of whom must approve. */
  readonly assessors: readonly string[];
}

export interface RouteDefinition {
  /** e.g. 'gba-standard-contract', 'security-assessment', 'certification', 'exemption'. */
  readonly id: string;
  /** Jurisdictions this legal route may be used from and to. */
  readonly fromJurisdictions: readonly string[];
  readonly toJurisdictions: readonly string[];
  /** Whether a declaration must carry a filing reference for this route. */
  readonly requiresFilingReference: boolean;
}

export interface PolicyThresholds {
  /** Distinct patients one sender may transfer for in one calendar year (UTC) on the given routes. */
  readonly maxDistinctPatientsPerSenderPerYear: number;
  /** Routes whose transfers count toward, and are limited by, the threshold above. */
  readonly thresholdRoutes: readonly string[];
}

export interface PolicyLimits {
  readonly maxItemsPerTransfer: number;
  readonly maxPayloadBytes: number;
  readonly maxConsentValiditySeconds: number;
}

export interface Policy {
  readonly version: number;
  readonly categories: readonly CategoryDefinition[];
  readonly purposes: readonly string[];
  readonly negativeList: readonly NegativeListEntry[];
  readonly routes: readonly RouteDefinition[];
  readonly thresholds: PolicyThresholds;
  readonly limits: PolicyLimits;
}

export type VerdictStatus = 'approved' | 'awaiting-assessment' | 'rejected';

/**
 * The outcome of evaluating a record against the policy and the ledger state. `reasons` is in
 * REASON_CODES order without repeats; it is empty for 'approved', holds ASSESSMENT_REQUIRED while
 * 'awaiting-assessment', and names every failed rule when 'rejected'. `assessors` lists, sorted,
 * the regulators whose approval is awaited (empty unless awaiting).
 */
export interface Verdict {
  readonly status: VerdictStatus;
  readonly reasons: ReasonCode[];
  readonly assessors: string[];
}
