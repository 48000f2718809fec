// The look-ahead stage of chain verify (issue 7 item 4): while the main thread verifies and
// applies block k in order, blocks k+1 .. k+lookAhead-1 are already read (a window of lookAhead
// blocks, k's included, refilled when k+1 is asked for), their transactions decoded
// and checked without state (schemas, roles, signers), and all their signatures (transactions and
// certificate) handed to the verify pool's worker threads. Applying a block then waits only for
// its own signatures, which were verified while earlier blocks were applied, so every core works.
//
// The stage never decides a fault. When a block fails a stateless check, or the pool finds a bad
// signature (or fails), its `verified` is undefined and chain verify checks that block the ordinary
// sequential way, which names the fault exactly as it would without the pool. A read error is
// kept in its place and thrown when the blocks before it have been verified, so it is reported at
// its own height.

import { certificateSignatureChecks, txSignatureChecks } from '../../core/ledger/block-signatures.js';
import { type CheckedTx, checkBlockTx } from '../../core/ledger/block-tx.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import type { SignatureCheck } from '../../core/records/verify.js';
import { allVerified } from '../verify-pool/bitmap.js';
import type { CommittedBlock, CommittedBlockSource } from './block-source.js';

/** What the stage needs of the verify pool (VerifyPool has it). */
export interface SignatureVerifier {
  /** Worker threads: each block's checks are split into this many batches. */
  readonly size: number;
  verifyMany(checks: readonly SignatureCheck[], batchItems?: number): Promise<Uint8Array>;
}

export interface PreparedBlock extends CommittedBlock {
  /**
   * The block's transactions checked without state, once every signature of the block (its
   * certificate's included) verified; undefined when anything failed or could not be checked.
   */
  readonly verified: Promise<readonly CheckedTx[] | undefined>;
}

type WindowItem = PreparedBlock | { readonly readError: unknown };

function prepare(committed: CommittedBlock, params: ChainParams, verifier: SignatureVerifier): PreparedBlock {
  const { block, certificate, txIds } = committed;
  const checked: CheckedTx[] = [];
  for (const [index, bytes] of block.txs.entries()) {
    // Signatures are not verified here (the answer `true` skips that step): the pool does it below.
    const check = checkBlockTx(bytes, params.genesis, () => true, txIds?.[index]);
    if (!check.ok) return { block, certificate, verified: Promise.resolve(undefined) };
    checked.push(check.checked);
  }
  const checks = [
    ...txSignatureChecks(checked, params.chainId),
    ...certificateSignatureChecks(certificate, params.validators, params.chainId),
  ];
  const batchItems = Math.max(1, Math.ceil(checks.length / verifier.size));
  const verified = verifier.verifyMany(checks, batchItems).then(
    (bitmap) => (allVerified(bitmap, checks.length) ? checked : undefined),
    // A pool that failed or closed verifies nothing: the block is then verified on this thread.
    () => undefined,
  );
  return { block, certificate, verified };
}

/**
 * The source's blocks in order, each prepared `lookAhead` blocks before it is yielded. Stops
 * reading when the consumer stops (return) and closes the source's iterator.
 */
export async function* preparedBlocks(
  source: CommittedBlockSource,
  params: ChainParams,
  verifier: SignatureVerifier,
  lookAhead: number,
): AsyncGenerator<PreparedBlock> {
  const iterator = source.blocks()[Symbol.asyncIterator]();
  const window: WindowItem[] = [];
  let sourceDone = false;
  try {
    for (;;) {
      while (!sourceDone && window.length < lookAhead) {
        let next: IteratorResult<CommittedBlock>;
        try {
          next = await iterator.next();
        } catch (readError) {
          window.push({ readError });
          sourceDone = true;
          break;
        }
        if (next.done) sourceDone = true;
        else window.push(prepare(next.value, params, verifier));
      }
      const item = window.shift();
      if (item === undefined) return;
      if ('readError' in item) throw item.readError;
      yield item;
    }
  } finally {
    if (!sourceDone) await iterator.return?.(undefined);
  }
}
