// What the next block must link to: the last committed header's identity, time, log and state.
// For height 0 (no block yet) it comes from the genesis file (see genesisTip in chain-params.ts).
import type { BlockHeader } from './block.js';

export interface ChainTip {
  readonly height: number;
  /** Hash of the last header; for height 0 the genesis hash. */
  readonly blockHash: Uint8Array;
  readonly timeMs: number;
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  readonly stateHash: Uint8Array;
}

export function tipOf(header: BlockHeader, blockHash: Uint8Array): ChainTip {
  return {
    height: header.height,
    blockHash,
    timeMs: header.timeMs,
    logSize: header.logSize,
    logRoot: header.logRoot,
    stateHash: header.stateHash,
  };
}
