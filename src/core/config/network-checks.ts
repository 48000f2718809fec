// Cross-field checks of a network's organisations against each other and against its policy,
// shared by templates and genesis files. Failures name the field ('$.organisations[3].id') like
// schema errors do; withConfigSource then prefixes the file name.
import { bytesEqual } from '../bytes.js';
import { fail } from '../errors.js';
import { faultTolerance } from '../ledger/certificate-verify.js';
import { LIMITS } from '../limits.js';
import type { Policy } from '../policy/types.js';
import type { Organisation, OrganisationRole } from './genesis.js';

/** What templates and genesis files have in common. */
export interface OrganisationSummary {
  readonly id: string;
  readonly role: OrganisationRole;
}

/**
 * Tendermint tolerates f Byzantine validators out of n when n >= 3f + 1 (arXiv:1807.04938
 * section 2), so 4 is the smallest set that tolerates one fault.
 */
export const RECOMMENDED_MIN_VALIDATORS = 4;

export function checkOrganisations(organisations: readonly OrganisationSummary[], policy: Policy): void {
  const firstIndexById = new Map<string, number>();
  organisations.forEach((organisation, index) => {
    const first = firstIndexById.get(organisation.id);
    if (first !== undefined) {
      fail(
        'SCHEMA_INVALID',
        `id ${organisation.id} is already used by organisations[${first}]`,
        `$.organisations[${index}].id`,
      );
    }
    firstIndexById.set(organisation.id, index);
  });
  const validators = new Set(organisations.filter((org) => org.role === 'validator').map((org) => org.id));
  if (validators.size === 0)
    fail('SCHEMA_INVALID', 'at least one organisation must have role validator', '$.organisations');
  if (validators.size > LIMITS.maxValidators) {
    fail(
      'SCHEMA_INVALID',
      `${validators.size} validators, more than the limit of ${LIMITS.maxValidators}`,
      '$.organisations',
    );
  }
  // Design section 5: items on the negative list need an assessment by a named regulator, and
  // regulators are the validators.
  policy.negativeList.forEach((entry, entryIndex) => {
    entry.assessors.forEach((assessor, assessorIndex) => {
      if (validators.has(assessor)) return;
      const what = firstIndexById.has(assessor)
        ? 'is not a validator'
        : 'is not an organisation of this network';
      fail(
        'SCHEMA_INVALID',
        `assessor ${assessor} ${what}`,
        `$.policy.negativeList[${entryIndex}].assessors[${assessorIndex}]`,
      );
    });
  });
}

/** Keys and addresses are per organisation: two organisations sharing one would be one node. */
export function checkOrganisationKeys(organisations: readonly Organisation[]): void {
  const fields = ['nodeKey', 'encryptionKey'] as const;
  organisations.forEach((organisation, index) => {
    for (let earlier = 0; earlier < index; earlier++) {
      const other = organisations[earlier]!;
      for (const field of fields) {
        if (bytesEqual(organisation[field], other[field])) {
          fail(
            'SCHEMA_INVALID',
            `same key as organisations[${earlier}].${field}`,
            `$.organisations[${index}].${field}`,
          );
        }
      }
      if (
        bytesEqual(organisation.nodeKey, other.encryptionKey) ||
        bytesEqual(organisation.encryptionKey, other.nodeKey)
      ) {
        fail('SCHEMA_INVALID', `key reused from organisations[${earlier}]`, `$.organisations[${index}]`);
      }
      if (organisation.p2pAddress === other.p2pAddress) {
        fail(
          'SCHEMA_INVALID',
          `same address as organisations[${earlier}]`,
          `$.organisations[${index}].p2pAddress`,
        );
      }
    }
  });
}

/** Things that are allowed but probably a mistake; `network check` prints them. */
export function networkWarnings(organisations: readonly OrganisationSummary[]): string[] {
  const warnings: string[] = [];
  const count = (role: OrganisationRole): number => organisations.filter((org) => org.role === role).length;
  const validators = count('validator');
  if (validators < RECOMMENDED_MIN_VALIDATORS) {
    const tolerated = faultTolerance(validators);
    warnings.push(
      `only ${validators} validator(s): tolerates ${tolerated} faulty validator(s); at least ${RECOMMENDED_MIN_VALIDATORS} are recommended`,
    );
  }
  if (count('submitter') === 0)
    warnings.push('no organisation has role submitter: nobody can declare transfers');
  if (count('recipient') === 0)
    warnings.push('no organisation has role recipient: no transfer can be delivered');
  return warnings;
}
