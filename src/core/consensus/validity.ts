// valid(v) of Algorithm 1. The shell decides it with the ledger's verifyBlock and the policy
// checks of every transaction (validate-block effect, block-validated input); the machine first
// rejects, without asking, blocks that cannot belong to this height at all, and remembers one
// verdict per block hash so a block is validated once however often it is proposed.
import { bytesEqual } from '../bytes.js';
import type { Block } from '../ledger/block.js';
import { leafHash, merkleRoot } from '../merkle/index.js';
import { isAfterPrevious } from './block-time.js';
import { emit, type StepContext } from './context.js';
import type { ConsensusState, ValueRef } from './state.js';

/**
 * Whether the transactions are the ones the header commits to (txCount and the RFC 9162 txRoot,
 * section 2.1.1). A block is named by its header hash, so a body that does not match its header
 * must be refused before it is stored under that name: otherwise a proposer (or anyone relaying)
 * could pair an honest header with garbage transactions and poison the honest block's slot.
 */
export function bodyMatchesHeader(block: Block): boolean {
  if (block.header.txCount !== block.txs.length) return false;
  return bytesEqual(merkleRoot(block.txs.map((tx) => leafHash(tx))), block.header.txRoot);
}

/** Why this block cannot be the next block of our chain, or null if it might be. */
export function structuralFault(state: ConsensusState, block: Block): string | null {
  const header = block.header;
  if (header.chainId !== state.setup.chainId) return 'another chain';
  if (header.height !== state.height) return `height ${header.height}, expected ${state.height}`;
  if (!bytesEqual(header.previousHash, state.lastBlock.hash)) return 'previousHash is not our last block';
  if (!isAfterPrevious(header.timeMs, state.lastBlock.timeMs)) return 'time not after the previous block';
  if (!state.setup.validatorIndex.has(header.proposer)) return 'proposer is not a validator';
  if (header.txCount !== block.txs.length) return 'txCount does not match the transactions';
  return null;
}

/** Records the block and asks the shell for valid(v) unless a verdict is already known. */
export function requestValidation(ctx: StepContext, round: number, value: ValueRef): void {
  const state = ctx.state;
  if (!state.blocks.has(value.key)) {
    const blocks = new Map(state.blocks);
    blocks.set(value.key, value.block);
    ctx.state = { ...ctx.state, blocks };
  }
  if (state.validity.has(value.key)) return;
  const fault = structuralFault(state, value.block);
  setValidity(ctx, value.key, fault === null ? 'pending' : 'invalid');
  if (fault === null) {
    emit(ctx, {
      type: 'validate-block',
      height: state.height,
      round,
      blockHash: value.hash,
      block: value.block,
    });
  }
}

export function setValidity(ctx: StepContext, key: string, verdict: 'pending' | 'valid' | 'invalid'): void {
  const validity = new Map(ctx.state.validity);
  validity.set(key, verdict);
  ctx.state = { ...ctx.state, validity };
}

export function isValid(state: ConsensusState, key: string): boolean {
  return state.validity.get(key) === 'valid';
}
