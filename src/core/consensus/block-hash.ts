// The id of a value in Algorithm 1: a block's hash, SHA-256 of its canonical header (design
// section 6), exactly the ledger's definition in src/core/ledger/block-hash.ts.
import type { Block } from '../ledger/block.js';
import { blockHash } from '../ledger/block-hash.js';

export function blockHashOf(block: Block): Uint8Array {
  return blockHash(block.header);
}
