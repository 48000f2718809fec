// Chain verify (issue 3 item 5): re-derives everything from the genesis file alone and reports
// OK or the first bad height. For each block, in order: it reads (the store re-derives hashes on
// read), verifyCommittedBlock passes against the re-derived tip (links, time, sizes, every
// transaction decoded and signature-checked, txRoot, logRoot and logSize per RFC 9162, stateHash
// from the re-applied state, and a > 2/3 certificate for the header hash). With a data directory
// it also compares every tree node the re-derived log completes with the stored node, the stored
// head with the last block, and, once every block verified, every stored state entry with the
// re-derived state (attributed to the height that last wrote the entry).
//
// Memory: the re-derived log keeps only its frontier (O(log n) nodes); the re-derived state is
// held in memory, about the size of the stored state.
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
import { type ChainTip, tipOf } from '../../core/ledger/chain-tip.js';
import { FrontierLog } from '../../core/ledger/frontier-log.js';
import type { StateBucket } from '../../core/ledger/state-kv.js';
import { verifyCommittedBlock } from '../../core/ledger/verify-block.js';
import type { MerkleNode } from '../../core/merkle/index.js';
import type { CommittedBlock, CommittedBlockSource } from './block-source.js';
import { DerivedState } from './derived-state.js';
import { type PreparedBlock, preparedBlocks, type SignatureVerifier } from './prepared-blocks.js';

/** Blocks prepared ahead of the one being applied: enough to keep every worker busy, bounded memory. */
export const DEFAULT_LOOK_AHEAD_BLOCKS = 6;

/** What a data directory adds to the check: its tree nodes, state and head. */
export interface StoredChainData {
  readStoredNode(level: number, index: number): Uint8Array | undefined;
  stateEntries(): AsyncIterable<{ bucket: StateBucket; key: string; encoded: Uint8Array }>;
  readonly tip: ChainTip | undefined;
}

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

interface Fault {
  height: number;
  code: string;
  reason: string;
}

function firstStoredNodeMismatch(stored: StoredChainData, nodes: readonly MerkleNode[]): string | undefined {
  for (const node of nodes) {
    const found = stored.readStoredNode(node.level, node.index);
    if (found === undefined) return `tree node ${node.level}/${node.index} is missing`;
    if (!bytesEqual(found, node.hash))
      return `tree node ${node.level}/${node.index} differs from the re-derived one`;
  }
  return undefined;
}

/**
 * Compares the stored state with the re-derived one; the mismatch with the lowest height. Matches
 * are only counted: when as many stored entries matched as were derived, none is missing, and the
 * names of the matched ones are collected (second scan) only to report which one is.
 */
async function compareState(
  stored: StoredChainData,
  derived: DerivedState,
  tipHeight: number,
): Promise<{ fault?: Fault; compared: number }> {
  let fault: Fault | undefined;
  const note = (height: number, reason: string) => {
    if (fault === undefined || height < fault.height) fault = { height, code: 'STATE_MISMATCH', reason };
  };
  let matched = 0;
  let compared = 0;
  for await (const entry of stored.stateEntries()) {
    compared++;
    const found = derived.compare(entry.bucket, entry.key, entry.encoded);
    if (found === 'missing') {
      note(tipHeight, `state entry ${entry.bucket}/${entry.key} exists but no block wrote it`);
      continue;
    }
    matched++;
    if (!found.same) {
      note(
        found.height,
        `state entry ${entry.bucket}/${entry.key} differs from the value block ${found.height} wrote`,
      );
    }
  }
  if (matched < derived.size) {
    const present = new Set<string>();
    for await (const entry of stored.stateEntries()) present.add(`${entry.bucket}/${entry.key}`);
    for (const entry of derived.entries()) {
      const name = `${entry.bucket}/${entry.key}`;
      if (!present.has(name))
        note(entry.height, `state entry ${name} written by block ${entry.height} is missing`);
    }
  }
  return { fault, compared };
}

export async function verifyChain(options: ChainVerifyOptions): Promise<ChainVerifyReport> {
  const { params, source, stored } = options;
  const derived = new DerivedState();
  const log = new FrontierLog();
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
        const mismatch = firstStoredNodeMismatch(stored, applied.merkleNodes);
        if (mismatch) return fail('TREE_NODE_MISMATCH', mismatch);
        treeNodes += applied.merkleNodes.length;
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
    const { fault, compared } = await compareState(stored, derived, tip.height);
    if (fault) return { ok: false, ...fault };
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
