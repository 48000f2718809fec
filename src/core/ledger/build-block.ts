// Proposer side (design section 6): takes candidate transactions in mempool order, keeps those
// that are valid and fit the block limits, executes them once over a StateOverlay and fills the
// header's txRoot, logSize, logRoot (RFC 9162 via the Merkle node source), stateHash and
// validatorsHash. A block built here passes verifyBlock with the same context by construction;
// the tests hold it to that.
import { toHex } from '../bytes.js';
import { isBayledgerError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { TxEnvelope } from '../records/envelope.js';
import { decodeTxEnvelope, txIdOf, verifyTx } from '../records/index.js';
import type { AppliedBlock } from './applied-block.js';
import { applyDecodedBlock } from './apply-block.js';
import type { Block, BlockHeader } from './block.js';
import type { BlockFaultCode } from './block-fault.js';
import { blockHash } from './block-hash.js';
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
  readonly txs: Uint8Array[];
  readonly envelopes: TxEnvelope[];
  readonly rejected: RejectedCandidate[];
}

function selectCandidates(candidates: readonly Uint8Array[], context: VerifyContext): Selection {
  const consensus = context.params.genesis.consensus;
  const maxTxs = Math.min(LIMITS.maxTxsPerBlock, consensus.maxBlockTxs);
  const maxBytes = Math.min(LIMITS.maxBlockTxBytes, consensus.maxBlockBytes);
  const selection: Selection = { txs: [], envelopes: [], rejected: [] };
  const seen = new Set<string>();
  let totalBytes = 0;
  for (const [index, bytes] of candidates.entries()) {
    if (selection.txs.length >= maxTxs) break;
    // A candidate that does not fit waits for the next block; smaller later ones may still fit.
    if (totalBytes + bytes.byteLength > maxBytes) continue;
    const reject = (code: BlockFaultCode, reason: string) => selection.rejected.push({ index, code, reason });
    let envelope: TxEnvelope;
    try {
      envelope = decodeTxEnvelope(bytes);
    } catch (error) {
      if (!isBayledgerError(error)) throw error;
      reject('TX_MALFORMED', error.message);
      continue;
    }
    const check = verifyTx(envelope, context.params.genesis);
    if (!check.ok) {
      reject('TX_INVALID', `${check.code}: ${check.reason}`);
      continue;
    }
    const txId = txIdOf(bytes);
    const txIdHex = toHex(txId);
    if (seen.has(txIdHex) || context.hasTx(txId)) {
      reject(seen.has(txIdHex) ? 'TX_DUPLICATE' : 'TX_ALREADY_COMMITTED', `transaction ${txIdHex}`);
      continue;
    }
    seen.add(txIdHex);
    totalBytes += bytes.byteLength;
    selection.txs.push(bytes);
    selection.envelopes.push(envelope);
  }
  return selection;
}

export function buildBlock(input: BuildInput, context: VerifyContext): BuiltBlock {
  const { params, previous } = context;
  const { txs, envelopes, rejected } = selectCandidates(input.candidates, context);
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
  const applied = applyDecodedBlock(context.state, { header: provisional, txs }, envelopes, context, {
    signaturesVerified: true,
  });
  const header: BlockHeader = {
    ...provisional,
    txRoot: applied.txRoot,
    logRoot: applied.logRoot,
    stateHash: applied.stateHash,
  };
  return { block: { header, txs }, blockHash: blockHash(header), applied, rejected };
}
