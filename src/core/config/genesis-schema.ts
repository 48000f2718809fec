// The closed schema of genesis.json (design sections 1, 5, 7, 8). It reads the JSON form (keys
// as lowercase hex) into a typed Genesis, then cross-checks the organisations, their keys and the
// policy. parseGenesis names the file and field of the first problem.
import { array, literal, object, type Schema, uint } from '../codec/schema.js';
import { LIMITS } from '../limits.js';
import { withConfigSource } from './config-error.js';
import { consensusParamsSchema } from './consensus-schema.js';
import type { Genesis, Organisation } from './genesis.js';
import {
  configIdSchema,
  displayNameSchema,
  hexBytes,
  jurisdictionSchema,
  p2pAddressSchema,
} from './json-fields.js';
import { checkOrganisationKeys, checkOrganisations } from './network-checks.js';
import { policySchema } from './policy-schema.js';

export const organisationRoleSchema = literal('validator', 'submitter', 'recipient');

const organisationSchema: Schema<Organisation> = object({
  id: configIdSchema,
  name: displayNameSchema,
  role: organisationRoleSchema,
  jurisdiction: jurisdictionSchema,
  nodeKey: hexBytes(32),
  encryptionKey: hexBytes(32),
  p2pAddress: p2pAddressSchema,
});

const genesisFieldsSchema: Schema<Genesis> = object({
  chainId: configIdSchema,
  genesisTimeMs: uint(),
  domain: configIdSchema,
  organisations: array(organisationSchema, LIMITS.maxOrganisations, 1),
  consensus: consensusParamsSchema,
  policy: policySchema,
});

/** Reads the JSON form of a genesis file; paths in errors are rooted at the given path. */
export const genesisSchema: Schema<Genesis> = {
  description: 'genesis file',
  parse(value, path) {
    const genesis = genesisFieldsSchema.parse(value, path);
    checkOrganisations(genesis.organisations, genesis.policy);
    checkOrganisationKeys(genesis.organisations);
    return genesis;
  },
};

/**
 * Parses the JSON value of a genesis file (JSON.parse output). `source` names the file in
 * errors: 'genesis.json: organisations[3].nodeKey: expected 32 bytes hex (...)'.
 */
export function parseGenesis(json: unknown, source: string): Genesis {
  return withConfigSource(source, () => genesisSchema.parse(json, '$'));
}
