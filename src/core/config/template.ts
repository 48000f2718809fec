// Network templates (network-config/*.json): a genesis without keys, addresses or time. A
// template is public and reusable; `network init` fills in fresh keys, local addresses and the
// genesis time to make a genesis file. JSON Schema: network-config/template.schema.json.
import { array, object, optional, type Schema, text } from '../codec/schema.js';
import { assert } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Policy } from '../policy/types.js';
import { withConfigSource } from './config-error.js';
import { consensusParamsSchema } from './consensus-schema.js';
import type { ConsensusParams, Genesis, OrganisationRole } from './genesis.js';
import { genesisToJson } from './genesis-json.js';
import { organisationRoleSchema, parseGenesis } from './genesis-schema.js';
import {
  configIdSchema,
  DISPLAY_NAME_PATTERN,
  displayNameSchema,
  jurisdictionSchema,
} from './json-fields.js';
import { checkOrganisations } from './network-checks.js';
import { policySchema } from './policy-schema.js';

export interface TemplateOrganisation {
  readonly id: string;
  readonly name: string;
  readonly role: OrganisationRole;
  readonly jurisdiction: string;
}

export interface NetworkTemplate {
  /** Where editors find the JSON Schema of this file; ignored by bayledger. */
  readonly $schema?: string;
  /** One or two sentences on what the network is for (public text, never about a person). */
  readonly description?: string;
  /** Default chain id of networks made from this template (`network init --chain-id` overrides). */
  readonly chainId: string;
  readonly domain: string;
  readonly organisations: readonly TemplateOrganisation[];
  readonly consensus: ConsensusParams;
  readonly policy: Policy;
}

const MAX_DESCRIPTION_CHARS = 1024;
const MAX_SCHEMA_REFERENCE_CHARS = 256;

const templateOrganisationSchema: Schema<TemplateOrganisation> = object({
  id: configIdSchema,
  name: displayNameSchema,
  role: organisationRoleSchema,
  jurisdiction: jurisdictionSchema,
});

const templateFieldsSchema: Schema<NetworkTemplate> = object({
  $schema: optional(text(MAX_SCHEMA_REFERENCE_CHARS)),
  description: optional(text(MAX_DESCRIPTION_CHARS, DISPLAY_NAME_PATTERN, 'printable text')),
  chainId: configIdSchema,
  domain: configIdSchema,
  organisations: array(templateOrganisationSchema, LIMITS.maxOrganisations, 1),
  consensus: consensusParamsSchema,
  policy: policySchema,
});

export const templateSchema: Schema<NetworkTemplate> = {
  description: 'network template',
  parse(value, path) {
    const template = templateFieldsSchema.parse(value, path);
    checkOrganisations(template.organisations, template.policy);
    return template;
  },
};

/** Parses a template's JSON value; errors name `source` and the field, as parseGenesis does. */
export function parseTemplate(json: unknown, source: string): NetworkTemplate {
  return withConfigSource(source, () => templateSchema.parse(json, '$'));
}

/** What `network init` generates for one organisation (public parts only). */
export interface OrganisationEndpoint {
  readonly nodeKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
  readonly p2pAddress: string;
}

export interface GenesisFromTemplateOptions {
  readonly chainId?: string;
  readonly genesisTimeMs: number;
  /** By organisation id; every organisation of the template needs one. */
  readonly endpoints: ReadonlyMap<string, OrganisationEndpoint>;
}

/**
 * Fills a template with keys, addresses and time, then validates the result as a genesis file
 * (so a template plus fresh keys can never produce a genesis that `network check` would refuse).
 */
export function genesisFromTemplate(template: NetworkTemplate, options: GenesisFromTemplateOptions): Genesis {
  const genesis: Genesis = {
    chainId: options.chainId ?? template.chainId,
    genesisTimeMs: options.genesisTimeMs,
    domain: template.domain,
    organisations: template.organisations.map((organisation) => {
      const endpoint = options.endpoints.get(organisation.id);
      assert(endpoint !== undefined, `no endpoint for organisation ${organisation.id}`);
      return { ...organisation, ...endpoint };
    }),
    consensus: template.consensus,
    policy: template.policy,
  };
  return parseGenesis(genesisToJson(genesis), 'generated genesis');
}
