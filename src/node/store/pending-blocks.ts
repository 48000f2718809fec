// Consecutive blocks verified on top of the store before any of them is written, so that block
// sync can commit a whole fetched range in one atomic batch with one fsync
// (LedgerStore.commitBlocks) instead of one per block.
//
// Each block is verified against `context()`: the store as committed plus every block added so
// far (their tip, state writes, tree nodes and transaction ids), which is exactly what the store
// would hold had they been committed one by one. Nothing here is durable until `commit()`; after a
// crash the range is simply fetched again. The overlay holds at most one sync range (bounded by
// LIMITS.maxBlocksPerSyncResponse and the sync response's byte bound).
import { toHex } from '../../core/bytes.js';
import { type CborValue, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { BayledgerError, fail } from '../../core/errors.js';
import type { AppliedBlock } from '../../core/ledger/applied-block.js';
import type { Block } from '../../core/ledger/block.js';
import { blockHash } from '../../core/ledger/block-hash.js';
import type { CommitCertificate } from '../../core/ledger/certificate.js';
import { type ChainParams, genesisTip } from '../../core/ledger/chain-params.js';
import { type ChainTip, tipOf } from '../../core/ledger/chain-tip.js';
import type { StateBucket, StateReader } from '../../core/ledger/state-kv.js';
import type { VerifyContext } from '../../core/ledger/verify-block.js';
import type { MerkleNodeSource } from '../../core/merkle/index.js';
import type { CommitItem, LedgerStore } from './ledger-store.js';

/** State reads through the pending blocks' writes (encoded, so no reader can alter them). */
class PendingState implements StateReader {
  readonly #base: StateReader;
  readonly #writes = new Map<string, Uint8Array | null>();

  constructor(base: StateReader) {
    this.#base = base;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const pending = this.#writes.get(`${bucket}\u0000${key}`);
    if (pending === undefined) return this.#base.get(bucket, key);
    if (pending === null) return undefined;
    try {
      return decodeCanonical(pending);
    } catch (error) {
      // Our own encoding of a value the ledger wrote: failing to read it back is a bug.
      if (error instanceof BayledgerError) fail('INTERNAL', error.message, `pending state ${bucket}/${key}`);
      throw error;
    }
  }

  add(applied: AppliedBlock): void {
    applied.writes.forEach((write, i) => {
      const encoded =
        applied.encodedWrites?.[i] ?? (write.value === null ? null : encodeCanonical(write.value));
      this.#writes.set(`${write.bucket}\u0000${write.key}`, encoded);
    });
  }
}

/** Tree nodes of the pending blocks over the store's. */
class PendingNodes implements MerkleNodeSource {
  readonly #base: MerkleNodeSource;
  readonly #nodes = new Map<string, Uint8Array>();

  constructor(base: MerkleNodeSource) {
    this.#base = base;
  }

  getNode(level: number, index: number): Uint8Array {
    return this.#nodes.get(`${level}/${index}`) ?? this.#base.getNode(level, index);
  }

  add(applied: AppliedBlock): void {
    for (const node of applied.merkleNodes) this.#nodes.set(`${node.level}/${node.index}`, node.hash);
  }
}

export class PendingBlocks {
  readonly #store: LedgerStore;
  readonly #params: ChainParams;
  readonly #state: PendingState;
  readonly #nodes: PendingNodes;
  readonly #txIds = new Set<string>();
  #items: CommitItem[] = [];
  #tip: ChainTip;

  constructor(store: LedgerStore, params: ChainParams) {
    this.#store = store;
    this.#params = params;
    this.#state = new PendingState(store.state);
    this.#nodes = new PendingNodes(store.merkle);
    this.#tip = store.tip ?? genesisTip(params);
  }

  /** The tip the next block must follow: the last pending block, else the store's. */
  get tip(): ChainTip {
    return this.#tip;
  }

  /** Blocks added and not yet committed. */
  get size(): number {
    return this.#items.length;
  }

  /** What verifyCommittedBlock needs for the next block (`extra` adds isVerified and the like). */
  context(extra: Pick<VerifyContext, 'isVerified' | 'isCertificateVerified'> = {}): VerifyContext {
    const store = this.#store;
    const txIds = this.#txIds;
    return {
      ...extra,
      params: this.#params,
      previous: this.#tip,
      state: this.#state,
      logNodes: this.#nodes,
      hasTx: (txId) => txIds.has(toHex(txId)) || store.hasTx(txId),
    };
  }

  /** Adds a block verified against `context()` (its applied result from that verification). */
  add(block: Block, certificate: CommitCertificate, applied: AppliedBlock): void {
    if (block.header.height !== this.#tip.height + 1 || applied.height !== block.header.height) {
      fail('BLOCK_INVALID', `height ${block.header.height} does not follow ${this.#tip.height}`);
    }
    this.#state.add(applied);
    this.#nodes.add(applied);
    for (const txId of applied.txIds) this.#txIds.add(toHex(txId));
    this.#items.push({ block, certificate, applied });
    this.#tip = tipOf(block.header, blockHash(block.header));
  }

  /**
   * Writes every pending block in one atomic batch (LedgerStore.commitBlocks) and returns them.
   * The overlay is spent afterwards: verify the next range on a new PendingBlocks.
   */
  async commit(): Promise<readonly CommitItem[]> {
    const items = this.#items;
    this.#items = [];
    await this.#store.commitBlocks(items);
    return items;
  }
}
