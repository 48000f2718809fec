// What every block of one network is checked against, derived once from the genesis file: the
// chain id, the genesis hash (block 1's previousHash), the validator set in proposer order and
// its hash (every header's validatorsHash). Deriving it once keeps hashing out of the block loop.

import type { Genesis, Validator } from '../config/genesis.js';
import { genesisHash, validatorsHash, validatorsOf } from '../config/index.js';
import { EMPTY_ROOT } from '../merkle/index.js';
import type { ChainTip } from './chain-tip.js';

/** stateHash before any block: 32 zero bytes (the running hash of state-kv.ts starts here). */
export const GENESIS_STATE_HASH: Uint8Array = new Uint8Array(32);

export interface ChainParams {
  readonly genesis: Genesis;
  readonly chainId: string;
  readonly genesisHash: Uint8Array;
  readonly validators: readonly Validator[];
  readonly validatorsHash: Uint8Array;
}

export function chainParamsOf(genesis: Genesis): ChainParams {
  const validators = validatorsOf(genesis);
  return {
    genesis,
    chainId: genesis.chainId,
    genesisHash: genesisHash(genesis),
    validators,
    validatorsHash: validatorsHash(validators),
  };
}

/** The tip before block 1: height 0, the genesis hash and time, the empty log (RFC 9162 2.1.1). */
export function genesisTip(params: ChainParams): ChainTip {
  return {
    height: 0,
    blockHash: params.genesisHash,
    timeMs: params.genesis.genesisTimeMs,
    logSize: 0,
    logRoot: EMPTY_ROOT,
    stateHash: GENESIS_STATE_HASH,
  };
}
