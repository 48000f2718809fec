// The JSON form of a genesis file: the typed Genesis with every key written as lowercase hex.
// It is what `genesis.json` holds and what genesisHash hashes, so the hash does not depend on
// whitespace, key order or anything else JSON.parse forgets.
import { toHex } from '../bytes.js';
import type { Policy } from '../policy/types.js';
import type { ConsensusParams, Genesis, Organisation, OrganisationRole } from './genesis.js';

export interface OrganisationJson {
  readonly id: string;
  readonly name: string;
  readonly role: OrganisationRole;
  readonly jurisdiction: string;
  /** Ed25519 public key, 64 lowercase hex digits. */
  readonly nodeKey: string;
  /** X25519 public key, 64 lowercase hex digits. */
  readonly encryptionKey: string;
  readonly p2pAddress: string;
}

export interface GenesisJson {
  readonly chainId: string;
  readonly genesisTimeMs: number;
  readonly domain: string;
  readonly organisations: readonly OrganisationJson[];
  readonly consensus: ConsensusParams;
  readonly policy: Policy;
}

export function organisationToJson(organisation: Organisation): OrganisationJson {
  return {
    id: organisation.id,
    name: organisation.name,
    role: organisation.role,
    jurisdiction: organisation.jurisdiction,
    nodeKey: toHex(organisation.nodeKey),
    encryptionKey: toHex(organisation.encryptionKey),
    p2pAddress: organisation.p2pAddress,
  };
}

/** The inverse of parseGenesis: parseGenesis(genesisToJson(g)) deep-equals g. */
export function genesisToJson(genesis: Genesis): GenesisJson {
  return {
    chainId: genesis.chainId,
    genesisTimeMs: genesis.genesisTimeMs,
    domain: genesis.domain,
    organisations: genesis.organisations.map(organisationToJson),
    consensus: { ...genesis.consensus },
    policy: genesis.policy,
  };
}
