// The policy part of a genesis file or template. There is ONE closed policy schema, in
// src/core/policy/schema.ts, shared with policy.update records, so a policy is accepted in a
// genesis file exactly when it would be accepted on the ledger. It already checks ids are unique,
// the negative list names only catalogued categories, assessment entries name assessors and
// threshold routes exist; network-checks.ts adds what depends on the organisations (assessors
// must be validators).
export { policySchema } from '../policy/schema.js';
