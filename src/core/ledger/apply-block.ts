// The state transition of one block (design section 6): every transaction, in order, through
// applyTx over one StateOverlay; every envelope appended to the log as an RFC 9162 leaf. The
// result carries what the header commits to (txRoot, logSize, logRoot, stateHash) and what the
// store writes (tree nodes, state writes and their encodings), so proposer, verifier and chain
// verify share one path.

import { leafHash, type MerkleNodeSource } from '../merkle/index.js';
import type { TxEnvelope } from '../records/envelope.js';
import { decodeTxEnvelope, txIdOf } from '../records/index.js';
import type { AppliedBlock, AppliedTxOutcome } from './applied-block.js';
import { applyCheckedTx, applyTx, type TxApplyContext, type TxOutcome } from './apply-tx.js';
import type { Block, BlockHeader } from './block.js';
import type { CheckedTx } from './block-tx.js';
import type { ChainParams } from './chain-params.js';
import type { ChainTip } from './chain-tip.js';
import { MerkleNodeOverlay } from './merkle-overlay.js';
import type { StateReader } from './state-kv.js';
import { encodeWriteValues, nextStateHashOfEncoded, StateOverlay } from './state-kv.js';

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
 * signatures already checked by verifyTx.
 */
export function applyDecodedBlock(
  base: StateReader,
  block: Block,
  envelopes: readonly TxEnvelope[],
  context: ApplyContext,
  options: { readonly signaturesVerified: boolean },
): AppliedBlock {
  const txIds = block.txs.map((bytes) => txIdOf(bytes));
  return applyInOrder(base, block.header, block.txs, txIds, context, (state, index, txContext) =>
    applyTx(state, envelopes[index]!, txIds[index]!, {
      ...txContext,
      signaturesVerified: options.signaturesVerified,
    }),
  );
}

/**
 * Applies transactions that checkBlockTx decoded and checked (verifyBlock, buildBlock): each is
 * applied from its checked form, without decoding, parsing or encoding it again. The caller has
 * refused replays and repeats already (applyCheckedTx does not check again).
 */
export function applyCheckedBlock(
  base: StateReader,
  header: BlockHeader,
  checked: readonly CheckedTx[],
  context: ApplyContext,
): AppliedBlock {
  const txs = checked.map((tx) => tx.bytes);
  const txIds = checked.map((tx) => tx.txId);
  // Records that embed a body (a consent's grant, a transfer's declaration) hold the very object
  // checkBlockTx parsed, which nothing changes: its bytes are the body bytes already in hand.
  const knownBodies = new Map<object, Uint8Array>(checked.map((tx) => [tx.tx.body, tx.bodyBytes]));
  return applyInOrder(
    base,
    header,
    txs,
    txIds,
    context,
    (state, index, txContext) => applyCheckedTx(state, checked[index]!, txContext),
    knownBodies,
  );
}

type ApplyOne = (state: StateOverlay, index: number, context: TxApplyContext) => TxOutcome;

function applyInOrder(
  base: StateReader,
  header: BlockHeader,
  txs: readonly Uint8Array[],
  txIds: readonly Uint8Array[],
  context: ApplyContext,
  applyOne: ApplyOne,
  knownEncodings?: ReadonlyMap<object, Uint8Array>,
): AppliedBlock {
  const state = new StateOverlay(base);
  const log = new MerkleNodeOverlay(context.logNodes, context.previous.logSize);
  const logLeaves: Uint8Array[] = [];
  const outcomes: AppliedTxOutcome[] = [];
  const txContext: TxApplyContext = {
    genesis: context.params.genesis,
    blockTimeMs: header.timeMs,
    height: header.height,
  };
  for (let index = 0; index < txs.length; index++) {
    const verdict = applyOne(state, index, txContext);
    outcomes.push({
      txId: txIds[index]!,
      accepted: verdict.accepted,
      reasons: verdict.reasons,
      objectId: verdict.objectId,
    });
    const leaf = leafHash(txs[index]!);
    log.append(leaf);
    logLeaves.push(leaf);
  }
  const writes = state.writes();
  // Each value is encoded once: for the state hash here, and for the store's batch and cache.
  const encodedWrites = encodeWriteValues(writes, knownEncodings);
  return {
    height: header.height,
    txIds: [...txIds],
    logLeaves,
    merkleNodes: log.addedNodes(),
    writes,
    encodedWrites,
    outcomes,
    // The block's own RFC 9162 tree shares its aligned perfect subtrees with the log's new nodes.
    txRoot: log.appendedRoot(),
    logSize: log.size,
    logRoot: log.root(),
    stateHash: nextStateHashOfEncoded(context.previous.stateHash, writes, encodedWrites),
  };
}
