// The state transition of one block (design section 6): every transaction, in order, through
// applyTx over one StateOverlay; every envelope appended to the log as an RFC 9162 leaf. The
// result carries what the header commits to (txRoot, logSize, logRoot, stateHash) and what the
// store writes (tree nodes, state writes), so proposer, verifier and chain verify share one path.

import { leafHash, type MerkleNodeSource, merkleRoot } from '../merkle/index.js';
import type { TxEnvelope } from '../records/envelope.js';
import { decodeTxEnvelope, txIdOf } from '../records/index.js';
import type { AppliedBlock, AppliedTxOutcome } from './applied-block.js';
import { applyTx } from './apply-tx.js';
import type { Block } from './block.js';
import type { ChainParams } from './chain-params.js';
import type { ChainTip } from './chain-tip.js';
import { MerkleNodeOverlay } from './merkle-overlay.js';
import type { StateReader } from './state-kv.js';
import { nextStateHash, StateOverlay } from './state-kv.js';

export interface ApplyContext {
  readonly params: ChainParams;
  /** The block this one follows. */
  readonly previous: ChainTip;
  /** The committed log's tree nodes (the store, or a memory log). */
  readonly logNodes: MerkleNodeSource;
}

/**
 * Applies a block. Throws (BayledgerError) when a transaction is malformed, badly signed or
 * already committed, as applyTx does: such a block is invalid. verifyBlock reports the same
 * problems as typed faults instead.
 */
export function applyBlock(base: StateReader, block: Block, context: ApplyContext): AppliedBlock {
  const envelopes = block.txs.map((tx) => decodeTxEnvelope(tx));
  return applyDecodedBlock(base, block, envelopes, context, { signaturesVerified: false });
}

/**
 * As applyBlock, with the envelopes already decoded, and, when `signaturesVerified`, their
 * signatures already checked by verifyTx (verifyBlock and buildBlock do both once).
 */
export function applyDecodedBlock(
  base: StateReader,
  block: Block,
  envelopes: readonly TxEnvelope[],
  context: ApplyContext,
  options: { readonly signaturesVerified: boolean },
): AppliedBlock {
  const { header } = block;
  const state = new StateOverlay(base);
  const log = new MerkleNodeOverlay(context.logNodes, context.previous.logSize);
  const txIds: Uint8Array[] = [];
  const logLeaves: Uint8Array[] = [];
  const outcomes: AppliedTxOutcome[] = [];
  block.txs.forEach((bytes, index) => {
    const txId = txIdOf(bytes);
    const verdict = applyTx(state, envelopes[index]!, txId, {
      genesis: context.params.genesis,
      blockTimeMs: header.timeMs,
      height: header.height,
      signaturesVerified: options.signaturesVerified,
    });
    outcomes.push({ txId, accepted: verdict.accepted, reasons: verdict.reasons, objectId: verdict.objectId });
    const leaf = leafHash(bytes);
    log.append(leaf);
    txIds.push(txId);
    logLeaves.push(leaf);
  });
  const writes = state.writes();
  return {
    height: header.height,
    txIds,
    logLeaves,
    merkleNodes: log.addedNodes(),
    writes,
    outcomes,
    txRoot: merkleRoot(logLeaves),
    logSize: log.size,
    logRoot: log.root(),
    stateHash: nextStateHash(context.previous.stateHash, writes),
  };
}
