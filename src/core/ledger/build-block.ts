// Proposer side (design section 6): takes candidate transactions in mempool order, keeps those
// that are valid and fit the block limits, executes them once over a StateOverlay and fills the
// header's txRoot, logSize, logRoot (RFC 9162 via the Merkle node source), stateHash and
// validatorsHash. A block built here passes verifyBlock with the same context by construction;
// the tests hold it to that.
import { toHex } from '../bytes.js';
import { LIMITS } from '../limits.js';
import type { AppliedBlock } from './applied-block.js';
import { applyCheckedBlock } from './apply-block.js';
import type { Block, BlockHeader } from './block.js';
import type { BlockFaultCode } from './block-fault.js';
import { blockHash } from './block-hash.js';
import { type CheckedTx, checkBlockTxOnce } from './block-tx.js';
import type { VerifyContext } from './verify-block.js';

export interface BuildInput {
  /** Block time, integer milliseconds, strictly after the previous block (caller's clock). */
  readonly timeMs: number;
  /** Organisation id of the proposing validator. */
  readonly proposer: string;
  /** Canonical envelope bytes in the order they should enter the log. */
  readonly candidates: readonly Uint8Array[];
}

export interface RejectedCandidate {
  readonly index: number;
  readonly code: BlockFaultCode;
  readonly reason: string;
}

export interface BuiltBlock {
  readonly block: Block;
  readonly blockHash: Uint8Array;
  readonly applied: AppliedBlock;
  /** Candidates that can never enter a block (malformed, invalid, replayed); drop them. */
  readonly rejected: readonly RejectedCandidate[];
}

interface Selection {
  readonly checked: CheckedTx[];
  readonly rejected: RejectedCandidate[];
}

function selectCandidates(candidates: readonly Uint8Array[], context: VerifyContext): Selection {
  const consensus = context.params.genesis.consensus;
  const maxTxs = Math.min(LIMITS.maxTxsPerBlock, consensus.maxBlockTxs);
  const maxBytes = Math.min(LIMITS.maxBlockTxBytes, consensus.maxBlockBytes);
  // Candidates come from the mempool, which verified their signatures on admission: `isVerified`
  // (when the node passes it) lets them skip that step here.
  const isVerified = context.isVerified?.bind(context);
  const checkedTx = context.checkedTx?.bind(context);
  const selection: Selection = { checked: [], rejected: [] };
  const seen = new Set<string>();
  let totalBytes = 0;
  for (const [index, bytes] of candidates.entries()) {
    if (selection.checked.length >= maxTxs) break;
    // A candidate that does not fit waits for the next block; smaller later ones may still fit.
    if (totalBytes + bytes.byteLength > maxBytes) continue;
    const check = checkBlockTxOnce(bytes, context.params.genesis, isVerified, checkedTx);
    if (!check.ok) {
      selection.rejected.push({ index, code: check.code, reason: check.reason });
      continue;
    }
    const txIdHex = toHex(check.checked.txId);
    if (seen.has(txIdHex) || context.hasTx(check.checked.txId)) {
      selection.rejected.push({
        index,
        code: seen.has(txIdHex) ? 'TX_DUPLICATE' : 'TX_ALREADY_COMMITTED',
        reason: `transaction ${txIdHex}`,
      });
      continue;
    }
    seen.add(txIdHex);
    totalBytes += bytes.byteLength;
    selection.checked.push(check.checked);
  }
  return selection;
}

export function buildBlock(input: BuildInput, context: VerifyContext): BuiltBlock {
  const { params, previous } = context;
  const { checked, rejected } = selectCandidates(input.candidates, context);
  const txs = checked.map((tx) => tx.bytes);
  // The roots are not known until the transactions ran; apply with a provisional header whose
  // height and time are final (applyTx reads only those), then fill in the rest.
  const provisional: BlockHeader = {
    chainId: params.chainId,
    height: previous.height + 1,
    timeMs: input.timeMs,
    proposer: input.proposer,
    previousHash: previous.blockHash,
    txRoot: previous.logRoot,
    txCount: txs.length,
    logSize: previous.logSize + txs.length,
    logRoot: previous.logRoot,
    stateHash: previous.stateHash,
    validatorsHash: params.validatorsHash,
  };
  const applied = applyCheckedBlock(context.state, provisional, checked, context);
  const header: BlockHeader = {
    ...provisional,
    txRoot: applied.txRoot,
    logRoot: applied.logRoot,
    stateHash: applied.stateHash,
  };
  return { block: { header, txs }, blockHash: blockHash(header), applied, rejected };
}
