// The node's view of its own chain: the store, the network's parameters and the one path by which
// blocks are committed. Consensus decisions and block sync both commit through `commit`, which
// runs one block at a time and only for the next height, so the two can never race each other
// into a fork or a gap. Listeners hear about every committed block (API waiters, the transfer
// release gate, status announcements).
import { toHex } from '../core/bytes.js';
import { fail } from '../core/errors.js';
import type { AppliedBlock } from '../core/ledger/applied-block.js';
import type { Block } from '../core/ledger/block.js';
import { blockHash } from '../core/ledger/block-hash.js';
import type { CheckedTx } from '../core/ledger/block-tx.js';
import type { CommitCertificate } from '../core/ledger/certificate.js';
import { type ChainParams, genesisTip } from '../core/ledger/chain-params.js';
import type { ChainTip } from '../core/ledger/chain-tip.js';
import { type BlockVerdict, type VerifyContext, verifyCommittedBlock } from '../core/ledger/verify-block.js';
import type { LedgerStore } from './store/ledger-store.js';

export interface CommittedEvent {
  readonly block: Block;
  readonly blockHash: Uint8Array;
  readonly certificate: CommitCertificate;
  readonly applied: AppliedBlock;
  /** How the block arrived: decided by our consensus instance, or fetched by block sync. */
  readonly source: 'consensus' | 'sync';
}

/** Applied results kept between validating a proposal and committing it (a few rounds' worth). */
const MAX_CACHED_APPLIED_BLOCKS = 16;

export class NodeChain {
  readonly store: LedgerStore;
  readonly params: ChainParams;
  readonly #listeners: Array<(event: CommittedEvent) => void> = [];
  readonly #applied = new Map<string, AppliedBlock>();
  #commitQueue: Promise<unknown> = Promise.resolve();
  /** Set on nodes that never vote: block transaction signatures are taken from the quorum. */
  #trustQuorumForTxSignatures = false;
  #checkedTx: ((txId: Uint8Array) => CheckedTx | undefined) | undefined;

  constructor(store: LedgerStore, params: ChainParams) {
    this.store = store;
    this.params = params;
  }

  tip(): ChainTip {
    return this.store.tip ?? genesisTip(this.params);
  }

  get height(): number {
    return this.tip().height;
  }

  /** What the pure ledger needs to verify or build the next block. */
  verifyContext(): VerifyContext {
    const store = this.store;
    return {
      params: this.params,
      previous: this.tip(),
      logNodes: store.merkle,
      state: store.state,
      hasTx: (txId) => store.hasTx(txId),
      isVerified: this.#trustQuorumForTxSignatures ? () => true : undefined,
      // Transactions still in the mempool were decoded and checked on admission: reuse that.
      checkedTx: this.#checkedTx,
    };
  }

  /** Lets the node hand over transactions it already decoded and checked (mempool admission). */
  setCheckedTxLookup(checkedTx: (txId: Uint8Array) => CheckedTx | undefined): void {
    this.#checkedTx = checkedTx;
  }

  /**
   * For a node that never votes (submitters, the recipient): transaction signatures in blocks are
   * taken as checked, everything else is still verified. Such a node commits a block only with a
   * commit certificate, whose signatures it always verifies: more than 2/3 of the validators
   * precommitted the block, so at least f + 1 honest validators prevoted it, and an honest
   * validator prevotes only a block whose every signature it verified (Tendermint, arXiv:1807.04938
   * Algorithm 1 lines 22-27; the BFT assumption of at most f faulty validators). A proposal such a
   * node validates without signatures is never committed without that certificate either. The
   * schema, signer-role, replay and state checks still run, and `chain verify` re-checks every
   * signature offline (docs/ARCHITECTURE.md decision 13).
   */
  trustQuorumForTxSignatures(): void {
    this.#trustQuorumForTxSignatures = true;
  }

  /** Remembers a block's applied result (from building or validating it) for its commit. */
  rememberApplied(hash: Uint8Array, applied: AppliedBlock): void {
    if (this.#applied.size >= MAX_CACHED_APPLIED_BLOCKS) {
      const oldest = this.#applied.keys().next().value;
      if (oldest !== undefined) this.#applied.delete(oldest);
    }
    this.#applied.set(toHex(hash), applied);
  }

  onCommitted(listener: (event: CommittedEvent) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Commits the next block with its certificate. Returns false, committing nothing, when the
   * block is not for the next height (already committed by the other path, or not yet due).
   * Throws BLOCK_INVALID on a block that fails verification (callers that got it from a peer verify
   * first), and STORE_FAILED when the store could not write it (the node must then stop).
   */
  commit(block: Block, certificate: CommitCertificate, source: CommittedEvent['source']): Promise<boolean> {
    const run = this.#commitQueue.then(() => this.#commitNow(block, certificate, source));
    this.#commitQueue = run.catch(() => undefined);
    return run;
  }

  async #commitNow(
    block: Block,
    certificate: CommitCertificate,
    source: CommittedEvent['source'],
  ): Promise<boolean> {
    if (block.header.height !== this.height + 1) return false;
    const hash = blockHash(block.header);
    const hashHex = toHex(hash);
    let applied = this.#applied.get(hashHex);
    if (applied === undefined || source === 'sync') {
      const verdict: BlockVerdict = verifyCommittedBlock(block, certificate, this.verifyContext());
      // Typed, so that block sync can tell a block a peer got wrong (it penalises the peer) from
      // a store that failed (STORE_FAILED: our disk, not the peer's doing).
      if (!verdict.ok)
        fail(
          'BLOCK_INVALID',
          `block ${block.header.height} failed verification: ${verdict.code}: ${verdict.reason}`,
        );
      applied = verdict.applied;
    }
    await this.store.commitBlock(block, certificate, applied);
    this.#applied.clear();
    const event: CommittedEvent = { block, blockHash: hash, certificate, applied, source };
    for (const listener of this.#listeners) listener(event);
    return true;
  }

  /** Waits for every queued commit to finish (shutdown). */
  async drain(): Promise<void> {
    await this.#commitQueue;
  }

  /**
   * Runs `read` between commits: after every commit queued before it and before any queued after
   * it, so that it sees the store at one committed tip. Consensus reads the store only this way
   * (validating a proposal, building one). A commit's writes are visible to the store's reads
   * before its tip moves (the committed-id filter takes the block's ids before the write, LevelDB
   * answers with the new values while the write is in flight), so waiting for drain() and then
   * reading was not enough: a commit queued in the meantime could start in between. A validator
   * catching up by block sync judged honest proposals invalid that way (TX_ALREADY_COMMITTED,
   * STATE_HASH_MISMATCH; found by the chaos soak, test/chaos).
   */
  betweenCommits<T>(read: () => T): Promise<T> {
    const run = this.#commitQueue.then(read);
    this.#commitQueue = run.catch(() => undefined);
    return run;
  }
}
