// policy.update (design section 5): the full next policy, signed by at least a quorum of the
// genesis validators (quorumSize in ledger/certificate-verify.ts). Carrying the whole policy, not
// a diff, means any node can check the active policy from one record.
import { object, type Schema, uint } from '../codec/schema.js';
import { fail } from '../errors.js';
import { policySchema } from '../policy/schema.js';
import type { Policy } from '../policy/types.js';
import { refine } from './fields.js';

export type PolicyUpdateBody = {
  /** The active version plus one; applying checks that against the state. */
  version: number;
  /** The complete new policy; its own version equals `version`. */
  policy: Policy;
};

export const policyUpdateBodySchema: Schema<PolicyUpdateBody> = refine(
  object({ version: uint(Number.MAX_SAFE_INTEGER, 1), policy: policySchema }),
  (body, path) => {
    if (body.policy.version !== body.version) {
      fail('SCHEMA_INVALID', `policy.version must equal version ${body.version}`, `${path}.policy.version`);
    }
  },
);
