// Round-robin proposer (design section 7): proposer(h, r) = validators[(h + r) mod n], over the
// genesis validator list in its file order. Every node computes the same sequence.
import type { Validator } from '../config/genesis.js';
import { assert } from '../errors.js';

export function proposerIndex(height: number, round: number, validatorCount: number): number {
  assert(validatorCount > 0, 'proposer of an empty validator set');
  return (height + round) % validatorCount;
}

export function proposerOf(validators: readonly Validator[], height: number, round: number): Validator {
  return validators[proposerIndex(height, round, validators.length)]!;
}
