// Chain verify (issue 3 item 5): re-derives everything from the genesis file alone and reports
// OK or the first bad height. For each block, in order: it reads (the store re-derives hashes on
// read), verifyCommittedBlock passes against the re-derived tip (links, time, sizes, every
// transaction decoded and signature-checked, txRoot, logRoot and logSize per RFC 9162, stateHash
// from the re-applied state, and a > 2/3 certificate for the header hash). With a data directory
// it also compares every tree node the re-derived log completes with the stored nodes (one key
// range per level and block), the stored head with the last block, and, once every block verified,
// the transaction id index (stored-index-check.ts) and every stored state entry with the
// re-derived state (stored-state-check.ts; attributed to the height that last wrote the entry).
//
// Memory: the re-derived log keeps only its frontier (O(log n) nodes); the re-derived state is an
// off-heap table about the size of the stored state (derived-state.ts); the index check keeps 36
// bytes per transaction.
//
// With a verifier (the verify pool), signatures are checked on every core: prepared-blocks.ts
// checks each block's transactions without state and sends all its signatures to the pool a few
// blocks ahead, and the loop below applies blocks in order as their signatures come back. Faults
// are reported exactly as without the pool (a block whose checks did not all pass is verified
// again here, sequentially, to name its fault).
import { bytesEqual, toHex } from '../../core/bytes.js';
import { isBayledgerError } from '../../core/errors.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import { genesisTip } from '../../core/ledger/chain-params.js';
import { tipOf } from '../../core/ledger/chain-tip.js';
import { FrontierLog } from '../../core/ledger/frontier-log.js';
import { verifyCommittedBlock } from '../../core/ledger/verify-block.js';
import type { MerkleNode } from '../../core/merkle/index.js';
import type { CommittedBlock, CommittedBlockSource } from './block-source.js';
import { DerivedState } from './derived-state.js';
import { type PreparedBlock, preparedBlocks, type SignatureVerifier } from './prepared-blocks.js';
import type { StoredChainData } from './stored-chain-data.js';
import { TxIndexCheck } from './stored-index-check.js';
import { compareStoredState } from './stored-state-check.js';

export type { StoredChainData } from './stored-chain-data.js';

/** Blocks prepared ahead of the one being applied: enough to keep every worker busy, bounded memory. */
export const DEFAULT_LOOK_AHEAD_BLOCKS = 6;

export interface ChainVerifyOptions {
  readonly params: ChainParams;
  readonly source: CommittedBlockSource;
  readonly stored?: StoredChainData;
  readonly onProgress?: (height: number, total: number) => void;
  /** Verifies signatures on other threads (a VerifyPool); without one, all on this thread. */
  readonly verifier?: SignatureVerifier;
  /** Blocks prepared ahead when a verifier is given (default DEFAULT_LOOK_AHEAD_BLOCKS). */
  readonly lookAheadBlocks?: number;
}

/** The blocks of the source, prepared ahead for the verifier or as they come. */
async function* blocksToVerify(options: ChainVerifyOptions): AsyncGenerator<CommittedBlock | PreparedBlock> {
  if (options.verifier === undefined) {
    yield* options.source.blocks();
    return;
  }
  const lookAhead = options.lookAheadBlocks ?? DEFAULT_LOOK_AHEAD_BLOCKS;
  yield* preparedBlocks(options.source, options.params, options.verifier, lookAhead);
}

export type ChainVerifyReport =
  | {
      ok: true;
      height: number;
      blockHash: string;
      txCount: number;
      logRoot: string;
      stateHash: string;
      /** Stored state entries and tree nodes compared (0 for an export). */
      stateEntries: number;
      treeNodes: number;
    }
  | { ok: false; height: number; code: string; reason: string };

/**
 * The first tree node of `nodes` (a block's new nodes) that the store lacks or holds differently.
 * A block's new nodes on one level have consecutive indexes, so each level is one key range.
 */
async function firstStoredNodeMismatch(
  stored: StoredChainData,
  nodes: readonly MerkleNode[],
): Promise<string | undefined> {
  const byLevel = new Map<number, MerkleNode[]>();
  for (const node of nodes) {
    const level = byLevel.get(node.level);
    if (level === undefined) byLevel.set(node.level, [node]);
    else level.push(node);
  }
  for (const [level, derived] of byLevel) {
    derived.sort((a, b) => a.index - b.index);
    const first = derived[0]!.index;
    const found = await stored.storedNodes(level, first, derived.at(-1)!.index + 1);
    const byIndex = new Map(found.map((node) => [node.index, node.hash]));
    for (const node of derived) {
      const hash = byIndex.get(node.index);
      if (hash === undefined) return `tree node ${level}/${node.index} is missing`;
      if (!bytesEqual(hash, node.hash))
        return `tree node ${level}/${node.index} differs from the re-derived one`;
    }
  }
  return undefined;
}

export async function verifyChain(options: ChainVerifyOptions): Promise<ChainVerifyReport> {
  const { params, source, stored } = options;
  const derived = new DerivedState();
  const log = new FrontierLog();
  const index = stored ? new TxIndexCheck() : undefined;
  const context = {
    params,
    state: derived,
    logNodes: log,
    // A committed transaction always has a verdict in bucket 'outcome' (apply-tx.ts).
    hasTx: (txId: Uint8Array) => derived.has('outcome', toHex(txId)),
  };
  let tip = genesisTip(params);
  let txCount = 0;
  let treeNodes = 0;
  const fail = (code: string, reason: string, height = tip.height + 1): ChainVerifyReport => ({
    ok: false,
    height,
    code,
    reason,
  });
  try {
    for await (const item of blocksToVerify(options)) {
      const { block, certificate } = item;
      const { header } = block;
      const checked = 'verified' in item ? await item.verified : undefined;
      const verdict =
        checked === undefined
          ? verifyCommittedBlock(block, certificate, { ...context, previous: tip })
          : verifyCommittedBlock(
              block,
              certificate,
              // Every signature of this block, its certificate's included, passed in the pool.
              { ...context, previous: tip, isCertificateVerified: (verified) => verified === certificate },
              checked,
            );
      if (!verdict.ok) return fail(verdict.code, verdict.reason);
      const { applied } = verdict;
      if (stored) {
        const mismatch = await firstStoredNodeMismatch(stored, applied.merkleNodes);
        if (mismatch) return fail('TREE_NODE_MISMATCH', mismatch);
        treeNodes += applied.merkleNodes.length;
        index?.addBlock(header.height, applied.txIds);
      }
      derived.apply(applied.writes, header.height, applied.encodedWrites);
      log.advance(applied.merkleNodes, applied.logSize);
      tip = tipOf(header, verdict.blockHash);
      txCount += header.txCount;
      options.onProgress?.(header.height, source.height);
    }
  } catch (error) {
    if (!isBayledgerError(error)) throw error;
    return fail(error.code, error.message);
  }
  if (tip.height !== source.height)
    return fail('CHAIN_SHORT', `the source claims ${source.height} blocks but holds ${tip.height}`);
  let stateEntries = 0;
  if (stored) {
    if (stored.tip !== undefined && !bytesEqual(stored.tip.blockHash, tip.blockHash)) {
      return fail('HEAD_MISMATCH', 'the stored head is not the last block', tip.height);
    }
    // Independent scans of different buckets: run together, so LevelDB iterates on the thread
    // pool while this thread compares.
    const [indexFault, { fault, compared }] = await Promise.all([
      index?.check(stored, tip.height),
      compareStoredState(stored, derived, tip.height),
    ]);
    // The lower height is the first bad block; the index is reported first at the same height.
    const first = indexFault && (!fault || indexFault.height <= fault.height) ? indexFault : fault;
    if (first) return { ok: false, ...first };
    stateEntries = compared;
  }
  return {
    ok: true,
    height: tip.height,
    blockHash: toHex(tip.blockHash),
    txCount,
    logRoot: toHex(tip.logRoot),
    stateHash: toHex(tip.stateHash),
    stateEntries,
    treeNodes,
  };
}
