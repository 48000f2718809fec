// Pure block verification (design section 6, issue 3 item 2): everything a node checks before it
// votes for, or commits, a block it did not build. Cheap checks come first (links, time, sizes),
// then each transaction (decodes, signatures valid, not a replay), then the block is applied and
// the roots and state hash it commits to are compared with the re-derived ones. Every failure is a
// typed BlockFault, never an exception, because every one of them can be caused by a peer.
//
// Signatures are the expensive part (about 60 microseconds each), so they are checked once per
// node: a transaction the mempool admitted, or a block whose signatures the verify pool checked,
// is vouched for through `isVerified` and only its cheap checks run again here.
import { bytesEqual, toHex } from '../bytes.js';
import { assert, isBayledgerError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { AppliedBlock } from './applied-block.js';
import { type ApplyContext, applyCheckedBlock } from './apply-block.js';
import type { Block } from './block.js';
import { blockTxBytes } from './block-codec.js';
import { type BlockFault, blockFault } from './block-fault.js';
import { blockHash } from './block-hash.js';
import { type CheckedTx, checkBlockTxOnce } from './block-tx.js';
import type { CommitCertificate } from './certificate.js';
import { verifyCertificate } from './certificate-verify.js';
import type { StateReader } from './state-kv.js';

export interface VerifyContext extends ApplyContext {
  /** The committed state the block applies to. */
  readonly state: StateReader;
  /** Whether a transaction is already in the committed log (replay guard across blocks). */
  hasTx(txId: Uint8Array): boolean;
  /**
   * Optional: true when the signatures of the transaction with this id were already verified by
   * this node (the mempool's admission check, the verify pool). The id is SHA-256 of the exact
   * envelope bytes, so the answer covers exactly the bytes being verified; the signature step is
   * then skipped, never the schema, role and required-signer checks. Absent: verify everything.
   */
  isVerified?(txId: Uint8Array): boolean;
  /**
   * Optional: the result of checkBlockTx (every signature included) that this node already
   * computed for the transaction with this id, on admission to its mempool; such a transaction is
   * not decoded or checked again. Absent, or undefined for an id: check it here.
   */
  checkedTx?(txId: Uint8Array): CheckedTx | undefined;
  /**
   * Optional: true when every signature of this certificate was already verified (chain verify
   * checks them in the verify pool). Its height, hash, signer set, order and quorum are checked
   * regardless.
   */
  isCertificateVerified?(certificate: CommitCertificate): boolean;
}

export type BlockVerdict = { ok: true; blockHash: Uint8Array; applied: AppliedBlock } | BlockFault;

/**
 * Verifies a block and its commit certificate (> 2/3 of the validators for this block hash).
 *
 * `prechecked`, from a pipeline that checks blocks ahead (chain verify): checkBlockTx's result for
 * exactly `block.txs`, in order, every signature of which was verified by this process. Only the
 * checks that depend on the chain so far (duplicates, replays, the state) then run here.
 */
export function verifyCommittedBlock(
  block: Block,
  certificate: CommitCertificate,
  context: VerifyContext,
  prechecked?: readonly CheckedTx[],
): BlockVerdict {
  const headerFault = checkHeader(block, context);
  if (headerFault) return headerFault;
  const hash = blockHash(block.header);
  const { validators, chainId } = context.params;
  const check = verifyCertificate(
    certificate,
    validators,
    chainId,
    { height: block.header.height, blockHash: hash },
    { signaturesVerified: context.isCertificateVerified?.(certificate) === true },
  );
  if (!check.ok) return blockFault('CERTIFICATE_INVALID', check.reason);
  return verifyBody(block, hash, context, prechecked);
}

/** Verifies a block on its own (a proposal: the certificate does not exist yet). */
export function verifyBlock(block: Block, context: VerifyContext): BlockVerdict {
  return checkHeader(block, context) ?? verifyBody(block, blockHash(block.header), context);
}

function checkHeader(block: Block, context: VerifyContext): BlockFault | undefined {
  const { header, txs } = block;
  const { params, previous } = context;
  const consensus = params.genesis.consensus;
  if (header.chainId !== params.chainId)
    return blockFault('WRONG_CHAIN', `chain ${header.chainId}, not ${params.chainId}`);
  if (header.height !== previous.height + 1) {
    return blockFault('WRONG_HEIGHT', `height ${header.height} does not follow ${previous.height}`);
  }
  if (!bytesEqual(header.previousHash, previous.blockHash)) {
    return blockFault(
      'WRONG_PREVIOUS_HASH',
      `previousHash ${toHex(header.previousHash)} is not ${toHex(previous.blockHash)}`,
    );
  }
  // Tendermint's BFT time: block time strictly increases, so every block has its own instant.
  if (header.timeMs <= previous.timeMs) {
    return blockFault('TIME_NOT_LATER', `time ${header.timeMs} is not after the previous ${previous.timeMs}`);
  }
  if (!params.validators.some((validator) => validator.id === header.proposer)) {
    return blockFault('UNKNOWN_PROPOSER', `proposer ${header.proposer} is not a validator`);
  }
  if (!bytesEqual(header.validatorsHash, params.validatorsHash)) {
    return blockFault('WRONG_VALIDATORS_HASH', 'validatorsHash is not the hash of the genesis validators');
  }
  if (header.txCount !== txs.length) {
    return blockFault('TX_COUNT_MISMATCH', `txCount ${header.txCount} but ${txs.length} transactions`);
  }
  const maxTxs = Math.min(LIMITS.maxTxsPerBlock, consensus.maxBlockTxs);
  if (txs.length > maxTxs)
    return blockFault('BLOCK_TOO_LARGE', `${txs.length} transactions, the limit is ${maxTxs}`);
  const maxBytes = Math.min(LIMITS.maxBlockTxBytes, consensus.maxBlockBytes);
  const txBytes = blockTxBytes(block);
  if (txBytes > maxBytes)
    return blockFault('BLOCK_TOO_LARGE', `${txBytes} transaction bytes, the limit is ${maxBytes}`);
  if (header.logSize !== previous.logSize + txs.length) {
    return blockFault(
      'LOG_SIZE_MISMATCH',
      `logSize ${header.logSize} is not ${previous.logSize} + ${txs.length}`,
    );
  }
  return undefined;
}

/**
 * Decodes and checks each transaction once (or takes the prechecked ones); the checked
 * transactions, or the first fault.
 */
function checkTransactions(
  block: Block,
  context: VerifyContext,
  prechecked: readonly CheckedTx[] | undefined,
): CheckedTx[] | BlockFault {
  const { genesis } = context.params;
  const isVerified = context.isVerified?.bind(context);
  const checkedTx = context.checkedTx?.bind(context);
  const seen = new Set<string>();
  const checked: CheckedTx[] = [];
  if (prechecked !== undefined) {
    assert(
      prechecked.length === block.txs.length && prechecked.every((tx, i) => tx.bytes === block.txs[i]),
      "prechecked transactions are not the block's",
    );
  }
  for (let index = 0; index < block.txs.length; index++) {
    let tx = prechecked?.[index];
    if (tx === undefined) {
      const check = checkBlockTxOnce(block.txs[index]!, genesis, isVerified, checkedTx);
      if (!check.ok) return blockFault(check.code, `transaction ${index}: ${check.reason}`, index);
      tx = check.checked;
    }
    const { txId } = tx;
    const txIdHex = toHex(txId);
    if (seen.has(txIdHex))
      return blockFault('TX_DUPLICATE', `transaction ${index} repeats ${txIdHex}`, index);
    seen.add(txIdHex);
    if (context.hasTx(txId)) {
      return blockFault(
        'TX_ALREADY_COMMITTED',
        `transaction ${index} (${txIdHex}) is already in the log`,
        index,
      );
    }
    checked.push(tx);
  }
  return checked;
}

function verifyBody(
  block: Block,
  hash: Uint8Array,
  context: VerifyContext,
  prechecked?: readonly CheckedTx[],
): BlockVerdict {
  const checked = checkTransactions(block, context, prechecked);
  if (!Array.isArray(checked)) return checked;
  let applied: AppliedBlock;
  try {
    applied = applyCheckedBlock(context.state, block.header, checked, context);
  } catch (error) {
    // applyTx throws for what makes a block invalid (for instance a replay that only the state
    // shows); the caller discards the block.
    if (!isBayledgerError(error)) throw error;
    return blockFault('TX_INVALID', error.message);
  }
  const { header } = block;
  if (!bytesEqual(header.txRoot, applied.txRoot)) {
    return blockFault('TX_ROOT_MISMATCH', 'txRoot is not the RFC 9162 root of the transactions');
  }
  if (!bytesEqual(header.logRoot, applied.logRoot)) {
    return blockFault(
      'LOG_ROOT_MISMATCH',
      `logRoot is not the RFC 9162 root of the ${applied.logSize} logged transactions`,
    );
  }
  if (!bytesEqual(header.stateHash, applied.stateHash)) {
    return blockFault('STATE_HASH_MISMATCH', 'stateHash differs from the re-derived state changes');
  }
  return { ok: true, blockHash: hash, applied };
}
