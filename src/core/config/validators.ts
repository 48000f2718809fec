// Lookups over a parsed genesis. File order is meaningful: the validators, in the order they
// appear in `organisations`, are the round-robin proposer order of consensus (design section 7).
import { bytesEqual } from '../bytes.js';
import type { Genesis, Organisation, Validator } from './genesis.js';

/** The validators in file order, which is the proposer order. */
export function validatorsOf(genesis: Genesis): Validator[] {
  return genesis.organisations
    .filter((organisation) => organisation.role === 'validator')
    .map((organisation) => ({ id: organisation.id, publicKey: organisation.nodeKey }));
}

/** The organisation with this id, or undefined if the network has none. */
export function organisationById(genesis: Genesis, id: string): Organisation | undefined {
  return genesis.organisations.find((organisation) => organisation.id === id);
}

/** The organisation whose node key this is, or undefined (keys are unique in a valid genesis). */
export function organisationByNodeKey(genesis: Genesis, nodeKey: Uint8Array): Organisation | undefined {
  return genesis.organisations.find((organisation) => bytesEqual(organisation.nodeKey, nodeKey));
}
