// The closed schema of a Policy (design section 5: policy is data). It is used by the genesis
// loader and by policy.update records, so a policy on the ledger always has this exact shape and
// is internally consistent: ids are unique, the negative list names only catalogued categories,
// an 'assessment' entry names at least one regulator and a 'prohibited' one names none, and the
// threshold routes exist. Whether the named assessors are validators depends on the network, so
// `policyProblems` checks that against the organisations.
import { array, bool, literal, object, type Schema, uint } from '../codec/schema.js';
import type { Organisation } from '../config/genesis.js';
import { jurisdictionSchema } from '../config/json-fields.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import { distinct, idSchema, MAX_TIME_SECONDS, refine } from '../records/fields.js';
import type { CategoryDefinition, NegativeListEntry, Policy, RouteDefinition } from './types.js';

const categorySchema: Schema<CategoryDefinition> = object({ id: idSchema, sensitive: bool });

const negativeListEntrySchema: Schema<NegativeListEntry> = refine(
  object({
    category: idSchema,
    rule: literal('prohibited', 'assessment'),
    assessors: distinct(array(idSchema, LIMITS.maxAssessorsPerCategory)),
  }),
  (entry, path) => {
    if (entry.rule === 'assessment' && entry.assessors.length === 0) {
      fail('SCHEMA_INVALID', 'an assessment entry names at least one assessor', `${path}.assessors`);
    }
    if (entry.rule === 'prohibited' && entry.assessors.length > 0) {
      fail('SCHEMA_INVALID', 'a prohibited entry names no assessors', `${path}.assessors`);
    }
  },
);

const routeSchema: Schema<RouteDefinition> = object({
  id: idSchema,
  fromJurisdictions: distinct(array(jurisdictionSchema, LIMITS.maxJurisdictionsPerRoute, 1)),
  toJurisdictions: distinct(array(jurisdictionSchema, LIMITS.maxJurisdictionsPerRoute, 1)),
  requiresFilingReference: bool,
});

function requireUnique(ids: readonly string[], path: string): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) fail('SCHEMA_INVALID', `repeated id ${id}`, `${path}[${index}]`);
    seen.add(id);
  });
}

function checkConsistency(policy: Policy, path: string): void {
  requireUnique(
    policy.categories.map((category) => category.id),
    `${path}.categories`,
  );
  requireUnique(
    policy.routes.map((route) => route.id),
    `${path}.routes`,
  );
  requireUnique(
    policy.negativeList.map((entry) => entry.category),
    `${path}.negativeList`,
  );
  const categories = new Set(policy.categories.map((category) => category.id));
  policy.negativeList.forEach((entry, index) => {
    if (!categories.has(entry.category)) {
      fail(
        'SCHEMA_INVALID',
        `category ${entry.category} is not in the catalogue`,
        `${path}.negativeList[${index}]`,
      );
    }
  });
  const routes = new Set(policy.routes.map((route) => route.id));
  policy.thresholds.thresholdRoutes.forEach((route, index) => {
    if (!routes.has(route)) {
      fail('SCHEMA_INVALID', `route ${route} is not defined`, `${path}.thresholds.thresholdRoutes[${index}]`);
    }
  });
}

export const policySchema: Schema<Policy> = refine(
  object({
    version: uint(),
    categories: array(categorySchema, LIMITS.maxPolicyCategories, 1),
    purposes: distinct(array(idSchema, LIMITS.maxPolicyPurposes, 1)),
    negativeList: array(negativeListEntrySchema, LIMITS.maxPolicyCategories),
    routes: array(routeSchema, LIMITS.maxPolicyRoutes, 1),
    thresholds: object({
      maxDistinctPatientsPerSenderPerYear: uint(),
      thresholdRoutes: distinct(array(idSchema, LIMITS.maxPolicyRoutes)),
    }),
    limits: object({
      maxItemsPerTransfer: uint(LIMITS.maxItemsPerTransfer, 1),
      maxPayloadBytes: uint(LIMITS.maxPayloadBytes, 1),
      maxConsentValiditySeconds: uint(MAX_TIME_SECONDS, 1),
    }),
  }),
  checkConsistency,
);

/**
 * Problems of a (schema-valid) policy in a given network: every assessor on the negative list
 * must be a validator (a regulator). Empty when the policy fits the network.
 */
export function policyProblems(policy: Policy, organisations: readonly Organisation[]): string[] {
  const validators = new Set(organisations.filter((org) => org.role === 'validator').map((org) => org.id));
  const problems: string[] = [];
  for (const entry of policy.negativeList) {
    for (const assessor of entry.assessors) {
      if (!validators.has(assessor)) {
        problems.push(`negative list entry ${entry.category}: assessor ${assessor} is not a validator`);
      }
    }
  }
  return problems;
}
