// Where committed blocks come from when a whole chain is read in order: a data directory, an
// export file, or later a node's API. Chain verify and export work on this, so each gets every
// source for free.
import type { Block } from '../../core/ledger/block.js';
import type { CommitCertificate } from '../../core/ledger/certificate.js';

export interface CommittedBlock {
  readonly block: Block;
  readonly certificate: CommitCertificate;
  /** SHA-256 of each transaction, when the source already computed and checked them (a store). */
  readonly txIds?: readonly Uint8Array[];
}

export interface CommittedBlockSource {
  /** Blocks the source claims to hold: heights 1..height. */
  readonly height: number;
  /**
   * The blocks in height order from 1. A source that cannot read a block throws a
   * BayledgerError (DATABASE_CORRUPT, CBOR_*, SCHEMA_INVALID); the caller names that height.
   */
  blocks(): AsyncIterable<CommittedBlock>;
}
