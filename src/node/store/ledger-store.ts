// The node's ledger store (design section 6, issue 3 item 3): one LevelDB holding blocks,
// certificates, transactions in log order with an index by id, the log's tree nodes, the derived
// state and the consensus WAL, each in its own bucket (buckets.ts).
//
// Transactions are keyed by their leaf index (store format 2), so a block's transactions are one
// contiguous key range: reading a block is one sequential scan instead of one random lookup per
// transaction (at a million transactions, random reads by id were a sixth of chain verify's main
// thread). The id index (txId -> position) serves lookups by id and the replay check.
//
// Durability: a block, its certificate, its transactions, the tree nodes it completes, its state
// changes and the new head are ONE batch written with `sync: true`, so after a crash the store is
// at exactly the last committed block or the one before, never in between. Data is checked before
// it is written (links, hashes and roots agree with the header) and after it is read (hashes
// re-derived), so a bad disk or a bug is reported as DATABASE_CORRUPT at a height, never served.
// Nothing here holds the chain in memory: the tip, bounded caches and the WAL sequence only.
//
// Point reads use getSync: on this machine an async get costs 0.4 to 1.8 ms (a thread-pool round
// trip, worse under load) against 2 to 5 microseconds for getSync, and a read that hits the OS
// page cache blocks the event loop for less than the round trip would. The read methods stay
// async so a store on another medium could implement them.
import { bytesEqual, toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import type { Genesis } from '../../core/config/genesis.js';
import { genesisToJson } from '../../core/config/genesis-json.js';
import { sha256 } from '../../core/crypto/hash.js';
import { assert, type BayledgerError, errorMessage, fail } from '../../core/errors.js';
import type { AppliedBlock } from '../../core/ledger/applied-block.js';
import type { Block, BlockHeader } from '../../core/ledger/block.js';
import { blockHash } from '../../core/ledger/block-hash.js';
import type { CommitCertificate } from '../../core/ledger/certificate.js';
import { decodeCertificate, encodeCertificate } from '../../core/ledger/certificate-codec.js';
import { type ChainParams, chainParamsOf, genesisTip } from '../../core/ledger/chain-params.js';
import { type ChainTip, tipOf } from '../../core/ledger/chain-tip.js';
import type { StateBucket, StateWrite } from '../../core/ledger/state-kv.js';
import type { VerifyContext } from '../../core/ledger/verify-block.js';
import { LIMITS } from '../../core/limits.js';
import {
  Bucket,
  blockKey,
  bucketRange,
  certificateKey,
  merkleNodeKey,
  metaKey,
  readUint64,
  STORE_FORMAT,
  stateBucketPrefix,
  stateKey,
  stateRange,
  txIndexKey,
  txLogKey,
  txLogRange,
} from './buckets.js';
import { EvidenceStore } from './evidence-store.js';
import { StoreMerkleSource } from './merkle-source.js';
import { type ByteDb, DEFAULT_LEVEL_TUNING, type LevelTuning, openByteDb } from './open-db.js';
import { StoreStateReader } from './state-reader.js';
import {
  type BlockRecord,
  decodeBlockRecord,
  decodeGenesisRecord,
  decodeStoreFormat,
  decodeTip,
  decodeTxPosition,
  encodeBlockRecord,
  encodeGenesisRecord,
  encodeStoreFormat,
  encodeTip,
  encodeTxPosition,
  type GenesisRecord,
  type TxRecord,
} from './stored-records.js';
import { TxIdFilter } from './tx-id-filter.js';
import { ConsensusWal, type WalRecord } from './wal.js';
import { writeBatch } from './write-batch.js';
import { WriteFaultLatch } from './write-fault.js';

export interface StoredStateEntry {
  readonly bucket: StateBucket;
  readonly key: string;
  readonly encoded: Uint8Array;
}

/** A stored state entry as the scan reads it: its key still bytes (UTF-8, without the prefix). */
export interface RawStateEntry {
  readonly bucket: StateBucket;
  readonly key: Uint8Array;
  readonly encoded: Uint8Array;
}

/** One entry of the transaction id index as stored: the id and its encoded TxPosition. */
export interface RawTxIndexEntry {
  readonly txId: Uint8Array;
  readonly position: Uint8Array;
}

/** Entries fetched per call when scanning a bucket: one native round trip per batch. */
const SCAN_BATCH_ENTRIES = 1024;
/** Block records fetched per call by the committed-id scan (up to maxBlockTxs ids each). */
const TX_ID_SCAN_BATCH_BLOCKS = 16;

export interface StoredMerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

type BatchOperation = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** The genesis record of a network: its hash and its JSON form, as `genesis.json` holds it. */
export function genesisRecordOf(genesis: Genesis): GenesisRecord {
  return { hash: chainParamsOf(genesis).genesisHash, json: JSON.stringify(genesisToJson(genesis), null, 2) };
}

/** LevelDB hands out Buffers; callers get plain Uint8Array views of the same bytes. */
function plainBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function corrupt(message: string, where: string): never {
  return fail('DATABASE_CORRUPT', message, where);
}

export class LedgerStore {
  readonly directory: string;
  /** Synchronous state reads for block application (the pure core's StateReader). */
  readonly state: StoreStateReader;
  /** Synchronous tree-node reads for proofs and appends (the pure core's MerkleNodeSource). */
  readonly merkle: StoreMerkleSource;
  /** Node-local equivocation evidence (not replicated, not in the state hash). */
  readonly evidence: EvidenceStore;
  readonly #db: ByteDb;
  readonly #wal: ConsensusWal;
  /** Latches the first failed block or WAL write and refuses every write after it (write-fault.ts). */
  readonly #writes: WriteFaultLatch;
  #tip: ChainTip | undefined;
  #genesis: GenesisRecord | undefined;
  #committing = false;
  /**
   * Committed ids (tx-id-filter.ts): answers most replay checks without a LevelDB read. Created by
   * open once the tip is known (it is sized for the log), before anyone can commit.
   */
  #txIds!: TxIdFilter;
  /** The scan that adds the ids committed before this store opened (fillTxIdFilter); close waits for it. */
  #txIdScan: Promise<void> = Promise.resolve();
  #txIdScanStarted = false;
  #txIdScanError: string | undefined;
  #closing = false;
  /** The LevelDB memtable size this store was opened with, bytes (memtable-spread.ts). */
  readonly memtableBytes: number;

  private constructor(
    directory: string,
    db: ByteDb,
    wal: ConsensusWal,
    evidence: EvidenceStore,
    tuning: LevelTuning,
  ) {
    this.directory = directory;
    this.memtableBytes = tuning.writeBufferSize;
    this.evidence = evidence;
    this.#db = db;
    this.#wal = wal;
    this.#writes = new WriteFaultLatch(directory);
    this.state = new StoreStateReader(db);
    this.merkle = new StoreMerkleSource(db);
  }

  /**
   * Opens (or creates) the store in `directory`. Fails with DATABASE_LOCKED when another process
   * holds it, and with DATABASE_CORRUPT when the head does not match the last block.
   */
  static async open(
    directory: string,
    options: {
      createIfMissing?: boolean;
      tuning?: Partial<LevelTuning>;
      /** The committed-id filter's memory bound, bytes (tests lower it; default and most LIMITS.txIdFilterMaxBytes). */
      txIdFilterMaxBytes?: number;
    } = {},
  ): Promise<LedgerStore> {
    const txIdFilterMaxBytes = options.txIdFilterMaxBytes ?? LIMITS.txIdFilterMaxBytes;
    assert(
      Number.isSafeInteger(txIdFilterMaxBytes) &&
        txIdFilterMaxBytes >= 0 &&
        txIdFilterMaxBytes <= LIMITS.txIdFilterMaxBytes,
      'txIdFilterMaxBytes must be 0..LIMITS.txIdFilterMaxBytes',
    );
    const tuning: LevelTuning = { ...DEFAULT_LEVEL_TUNING, ...options.tuning };
    const db = await openByteDb(directory, { createIfMissing: options.createIfMissing ?? true, tuning });
    let wal: ConsensusWal | undefined;
    try {
      wal = await ConsensusWal.open(directory, db);
      const store = new LedgerStore(directory, db, wal, await EvidenceStore.open(db), tuning);
      await store.#loadMeta();
      store.#createTxIdFilter(txIdFilterMaxBytes);
      return store;
    } catch (error) {
      wal?.close();
      await db.close();
      throw error;
    }
  }

  async #loadMeta(): Promise<void> {
    const genesis = await this.#db.get(metaKey('genesis'));
    this.#genesis = genesis === undefined ? undefined : decodeGenesisRecord(genesis, 'meta genesis');
    const head = await this.#db.get(metaKey('head'));
    if (head === undefined) return;
    // The first block's batch records the format, so a store with blocks and no format is format 1.
    const stored = await this.#db.get(metaKey('format'));
    const format = stored === undefined ? 1 : decodeStoreFormat(stored, 'meta format');
    if (format !== STORE_FORMAT) {
      fail(
        'CONFIG_INVALID',
        `the data directory is in store format ${format}; this build reads format ${STORE_FORMAT} (sync the chain again from peers, or import an export of it)`,
        this.directory,
      );
    }
    const tip = decodeTip(head, 'meta head');
    const record = await this.readBlockRecord(tip.height);
    if (!bytesEqual(record.blockHash, tip.blockHash))
      corrupt('head does not match the last block', 'meta head');
    this.#tip = tip;
    this.merkle.leafCount = tip.logSize;
  }

  /**
   * Creates the committed-id filter at open, before any commit can happen, so commitBlock adds
   * every id it writes from then on (tx-id-filter.ts says why that keeps the filter exact). The
   * ids stored before the open are added later by fillTxIdFilter; until then hasTx reads LevelDB.
   */
  #createTxIdFilter(maxBytes: number): void {
    this.#txIds = new TxIdFilter({
      expectedIds: Math.max(LIMITS.txIdFilterMinimumIds, this.#tip?.logSize ?? 0),
      maxBytes,
    });
  }

  /**
   * Starts the background scan that adds the ids stored before the open; once it is done, the
   * filter answers hasTx's misses. A node calls it once it is serving (the scan, 0.4 s of CPU at a
   * million transactions, would otherwise lengthen its start); short-lived users of the store
   * (the CLI's chain commands) never need it. Resolves when the scan has ended.
   */
  fillTxIdFilter(): Promise<void> {
    if (!this.#txIdScanStarted && !this.#closing) {
      this.#txIdScanStarted = true;
      // The scan's iterator is created in this call, after the filter: nothing committed between
      // the two is missed (it is in the iterator's snapshot or was added by commitBlock).
      this.#txIdScan = this.#scanTxIds(this.#txIds);
    }
    return this.#txIdScan;
  }

  /**
   * Reads the ids from the block records rather than the TxIndex keys: the same ids (one batch
   * writes both), but a block's ids are one value, so at a million transactions the scan took
   * 0.42 s (0.6 s of CPU) instead of 2.9 s (3.3 s), and mapped 59 MB of tables into the process
   * instead of 79 (mapped pages count in the node's RSS).
   */
  async #scanTxIds(filter: TxIdFilter): Promise<void> {
    const iterator = this.#db.iterator({ ...bucketRange(Bucket.Block), fillCache: false });
    try {
      for (;;) {
        if (this.#closing) return;
        const entries = await iterator.nextv(TX_ID_SCAN_BATCH_BLOCKS);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          const record = decodeBlockRecord(value, `height ${readUint64(key, 1)}`);
          for (const txId of record.txIds) filter.add(txId);
        }
      }
      filter.markComplete();
    } catch (error) {
      // A store that cannot be read fails its next read loudly; the filter just never answers.
      if (!this.#closing) this.#txIdScanError = errorMessage(error);
    } finally {
      await iterator.close();
    }
  }

  /**
   * The committed-id filter's state, for metrics and tests: 'unfilled' until fillTxIdFilter is
   * called, 'scanning' while the stored ids go in, 'answering' after, 'off' past its memory bound,
   * or 'failed' (with why) when its scan could not read the store.
   */
  get txIdFilterState(): {
    state: 'unfilled' | 'scanning' | 'answering' | 'off' | 'failed';
    bytes: number;
    detail?: string;
  } {
    const filter = this.#txIds;
    if (this.#txIdScanError !== undefined) return { state: 'failed', bytes: 0, detail: this.#txIdScanError };
    if (filter.bytes === 0) return { state: 'off', bytes: 0 };
    if (!this.#txIdScanStarted) return { state: 'unfilled', bytes: filter.bytes };
    return { state: filter.answering ? 'answering' : 'scanning', bytes: filter.bytes };
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#txIdScan;
    this.#wal.close();
    await this.#db.close();
  }

  /**
   * Calls `listener` once when a block or WAL write first fails (STORE_FAILED): from then on the
   * store refuses every such write, and the node must stop (write-fault.ts says why).
   */
  onWriteFault(listener: (fault: BayledgerError) => void): void {
    this.#writes.onFault(listener);
  }

  /** The last committed block, or undefined before the first block. */
  get tip(): ChainTip | undefined {
    return this.#tip;
  }

  get height(): number {
    return this.#tip?.height ?? 0;
  }

  get genesis(): GenesisRecord | undefined {
    return this.#genesis;
  }

  /** Opens the store of `genesis`'s network: records the genesis on first use, refuses another. */
  static async openForGenesis(directory: string, genesis: Genesis): Promise<LedgerStore> {
    const store = await LedgerStore.open(directory);
    try {
      await store.initGenesis(genesisRecordOf(genesis));
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * What verifyBlock, verifyCommittedBlock and buildBlock need to work on top of this store: the
   * tip (or the genesis tip), the committed state, the log's tree nodes and the replay check.
   */
  contextFor(params: ChainParams): VerifyContext {
    return {
      params,
      previous: this.#tip ?? genesisTip(params),
      state: this.state,
      logNodes: this.merkle,
      hasTx: (txId) => this.hasTx(txId),
    };
  }

  /** Records which network this store belongs to; a store never changes networks. */
  async initGenesis(record: GenesisRecord): Promise<void> {
    if (this.#genesis !== undefined) {
      if (!bytesEqual(this.#genesis.hash, record.hash)) {
        fail(
          'CONFIG_INVALID',
          `store belongs to genesis ${toHex(this.#genesis.hash)}, not ${toHex(record.hash)}`,
          this.directory,
        );
      }
      return;
    }
    await this.#db.put(metaKey('genesis'), encodeGenesisRecord(record), { sync: true });
    this.#genesis = record;
  }

  /** Whether a transaction is already in the log (the pure core's replay check). */
  hasTx(txId: Uint8Array): boolean {
    if (this.#txIds.definitelyAbsent(txId)) return false;
    return this.#db.getSync(txIndexKey(txId)) !== undefined;
  }

  // --- reads, each checked ---

  #requireHeight(height: number): void {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.height) {
      fail('NOT_FOUND', `no block at height ${height} (the chain is at height ${this.height})`);
    }
  }

  /** Header, hash and transaction ids of one block, its hash re-derived from the header. */
  async readBlockRecord(height: number): Promise<BlockRecord> {
    const where = `height ${height}`;
    const stored = this.#db.getSync(blockKey(height));
    if (stored === undefined) {
      if (this.#tip !== undefined) this.#requireHeight(height);
      corrupt('block missing', where);
    }
    const record = decodeBlockRecord(stored, where);
    if (record.header.height !== height) corrupt(`block record holds height ${record.header.height}`, where);
    if (!bytesEqual(blockHash(record.header), record.blockHash))
      corrupt('block hash does not match its header', where);
    if (record.txIds.length !== record.header.txCount) {
      corrupt(`${record.txIds.length} transaction ids for txCount ${record.header.txCount}`, where);
    }
    return record;
  }

  async readHeader(height: number): Promise<{ header: BlockHeader; blockHash: Uint8Array }> {
    this.#requireHeight(height);
    const record = await this.readBlockRecord(height);
    return { header: record.header, blockHash: record.blockHash };
  }

  async readCertificate(height: number): Promise<CommitCertificate> {
    this.#requireHeight(height);
    const where = `height ${height}`;
    const stored = this.#db.getSync(certificateKey(height));
    if (stored === undefined) corrupt('certificate missing', where);
    try {
      return decodeCertificate(stored, 'certificate');
    } catch (error) {
      return corrupt(`certificate unreadable: ${errorMessage(error)}`, where);
    }
  }

  /** One transaction with its position, its id re-derived from its bytes; undefined if unknown. */
  async readTx(txId: Uint8Array): Promise<TxRecord | undefined> {
    if (this.#txIds.definitelyAbsent(txId)) return undefined;
    const indexed = this.#db.getSync(txIndexKey(txId));
    if (indexed === undefined) return undefined;
    const position = decodeTxPosition(indexed, `tx ${toHex(txId)}`);
    const where = `height ${position.height}`;
    if (position.leafIndex >= (this.#tip?.logSize ?? 0))
      corrupt(`transaction ${toHex(txId)} indexed beyond the log`, where);
    const stored = this.#db.getSync(txLogKey(position.leafIndex));
    if (stored === undefined) corrupt(`transaction ${toHex(txId)} missing`, where);
    const envelope = plainBytes(stored);
    if (!bytesEqual(sha256(envelope), txId))
      corrupt(`transaction ${toHex(txId)} does not hash to its id`, where);
    return { ...position, envelope };
  }

  /** A whole block: header and every transaction, each checked against the header. */
  async readBlock(height: number): Promise<Block> {
    return (await this.readBlockWithIds(height)).block;
  }

  /**
   * readBlock, with each transaction's id: SHA-256 of its bytes, checked on read (chain verify
   * uses them instead of hashing every transaction again).
   */
  async readBlockWithIds(height: number): Promise<{ block: Block; txIds: readonly Uint8Array[] }> {
    this.#requireHeight(height);
    const record = await this.readBlockRecord(height);
    return { block: { header: record.header, txs: await this.#readBlockTxs(record) }, txIds: record.txIds };
  }

  /**
   * The block's transactions: its leaves' key range in TxLog, in one scan. Each must sit at its
   * own leaf index and hash to the id the block record lists there.
   */
  async #readBlockTxs(record: BlockRecord): Promise<Uint8Array[]> {
    const { header } = record;
    const where = `height ${header.height}`;
    const firstLeaf = header.logSize - header.txCount;
    if (header.txCount === 0) return [];
    const entries = await this.#db
      .iterator({ ...txLogRange(firstLeaf, header.logSize), limit: header.txCount })
      .all();
    const txs: Uint8Array[] = [];
    for (const [index, txId] of record.txIds.entries()) {
      const entry = entries[index];
      if (entry === undefined || readUint64(entry[0], 1) !== firstLeaf + index) {
        corrupt(`transaction ${index} (${toHex(txId)}) missing`, where);
      }
      const envelope = plainBytes(entry[1]);
      if (!bytesEqual(sha256(envelope), txId)) corrupt(`transaction ${index} does not hash to its id`, where);
      txs.push(envelope);
    }
    return txs;
  }

  // --- the one atomic commit ---

  /**
   * Commits one verified block: everything in one batch, written with fsync (`sync: true`). The
   * caller has verified the block and certificate (verifyBlock, verifyCertificate); this checks
   * that block, certificate and applied result agree with each other and with the tip, and writes
   * nothing when they do not.
   */
  async commitBlock(block: Block, certificate: CommitCertificate, applied: AppliedBlock): Promise<void> {
    assert(!this.#committing, 'commitBlock called while another commit is in flight');
    this.#committing = true;
    try {
      const hash = this.#checkCommit(block, certificate, applied);
      const { operations, stateValues } = this.#commitOperations(block, hash, certificate, applied);
      // Before the write, so no moment exists where an id is stored but the filter says absent. A
      // failed write leaves ids in the filter that are not stored; the store then takes no more
      // writes and the node stops (write-fault.ts), so nothing reads that filter again.
      for (const txId of applied.txIds) this.#txIds.add(txId);
      await this.#writes.write(`write block ${block.header.height}`, () =>
        writeBatch(this.#db, operations, { sync: true }),
      );
      this.#tip = tipOf(block.header, hash);
      this.state.committed(applied.writes, stateValues);
      this.merkle.committed(applied.merkleNodes, block.header.logSize);
    } finally {
      this.#committing = false;
    }
  }

  #checkCommit(block: Block, certificate: CommitCertificate, applied: AppliedBlock): Uint8Array {
    const { header } = block;
    const where = `commit of height ${header.height}`;
    const tip = this.#tip;
    assert(this.#genesis !== undefined, 'initGenesis must run before the first commit');
    const tipHeight = tip?.height ?? 0;
    const expectedPrevious = tip?.blockHash ?? this.#genesis.hash;
    const expectedLogSize = (tip?.logSize ?? 0) + block.txs.length;
    const hash = blockHash(header);
    const checks: [boolean, string][] = [
      [header.height === tipHeight + 1, `height ${header.height} does not follow ${tipHeight}`],
      [bytesEqual(header.previousHash, expectedPrevious), 'previousHash does not link to the tip'],
      [
        certificate.height === header.height && bytesEqual(certificate.blockHash, hash),
        'certificate is for another block',
      ],
      [applied.height === header.height, 'applied result is for another height'],
      [
        header.txCount === block.txs.length && applied.txIds.length === block.txs.length,
        'transaction count mismatch',
      ],
      [header.logSize === expectedLogSize && applied.logSize === expectedLogSize, 'logSize mismatch'],
      [bytesEqual(header.logRoot, applied.logRoot), 'logRoot does not match the applied log'],
      [bytesEqual(header.txRoot, applied.txRoot), 'txRoot does not match the applied transactions'],
      [bytesEqual(header.stateHash, applied.stateHash), 'stateHash does not match the applied state'],
      [block.txs.every((tx, i) => bytesEqual(sha256(tx), applied.txIds[i]!)), 'transaction ids do not match'],
    ];
    for (const [ok, message] of checks) if (!ok) fail('BLOCK_INVALID', message, where);
    return hash;
  }

  #commitOperations(
    block: Block,
    hash: Uint8Array,
    certificate: CommitCertificate,
    applied: AppliedBlock,
  ): { operations: BatchOperation[]; stateValues: readonly (Uint8Array | null)[] } {
    const { header } = block;
    const firstLeaf = header.logSize - header.txCount;
    const operations: BatchOperation[] = [
      {
        type: 'put',
        key: blockKey(header.height),
        value: encodeBlockRecord({ header, blockHash: hash, txIds: applied.txIds }),
      },
      { type: 'put', key: certificateKey(header.height), value: encodeCertificate(certificate) },
    ];
    if (header.height === 1) {
      operations.push({ type: 'put', key: metaKey('format'), value: encodeStoreFormat(STORE_FORMAT) });
    }
    block.txs.forEach((envelope, index) => {
      const leafIndex = firstLeaf + index;
      operations.push({ type: 'put', key: txLogKey(leafIndex), value: envelope });
      const position = encodeTxPosition({ height: header.height, index, leafIndex });
      operations.push({ type: 'put', key: txIndexKey(applied.txIds[index]!), value: position });
    });
    for (const node of applied.merkleNodes) {
      operations.push({ type: 'put', key: merkleNodeKey(node.level, node.index), value: node.hash });
    }
    // The pure core encoded each value once for the stateHash; those are the bytes to store.
    const stateValues =
      applied.encodedWrites?.length === applied.writes.length
        ? applied.encodedWrites
        : applied.writes.map((write: StateWrite) =>
            write.value === null ? null : encodeCanonical(write.value),
          );
    applied.writes.forEach((write, i) => {
      const key = stateKey(write.bucket, write.key);
      const value = stateValues[i];
      operations.push(value ? { type: 'put', key, value } : { type: 'del', key });
    });
    operations.push({ type: 'put', key: metaKey('head'), value: encodeTip(tipOf(header, hash)) });
    return { operations, stateValues };
  }

  // --- scans (streamed, never collected) ---

  /**
   * The entries of one state bucket whose keys start with `keyPrefix` (the whole bucket when it
   * is empty), in key byte order: one key range, so a scan reads only what it yields.
   */
  async *stateEntriesIn(bucket: StateBucket, keyPrefix = ''): AsyncGenerator<StoredStateEntry> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const [key, encoded] of this.#db.iterator(stateRange(bucket, keyPrefix))) {
      let text: string;
      try {
        text = decoder.decode(key.subarray(1));
      } catch {
        corrupt('state key is not UTF-8', `state ${bucket}`);
      }
      yield { bucket, key: text, encoded };
    }
  }

  /**
   * Stored tree nodes of one level with indexes in [fromIndex, toIndex), in index order, as they
   * are on disk (no cache): one key range, so chain verify compares a block's nodes level by level.
   */
  async storedNodes(level: number, fromIndex: number, toIndex: number): Promise<StoredMerkleNode[]> {
    if (toIndex <= fromIndex) return [];
    const range = { gte: merkleNodeKey(level, fromIndex), lt: merkleNodeKey(level, toIndex) };
    const entries = await this.#db.iterator({ ...range, limit: toIndex - fromIndex }).all();
    return entries.map(([key, hash]) => ({ level, index: readUint64(key, 2), hash: plainBytes(hash) }));
  }

  /**
   * The stored entries of one state bucket, in batches, keys as raw bytes (without the bucket
   * prefix): chain verify compares millions of them and needs no key text unless one differs.
   */
  async *stateEntryBatches(bucket: StateBucket): AsyncGenerator<RawStateEntry[]> {
    for await (const batch of this.#batches(bucketRange(stateBucketPrefix(bucket)))) {
      yield batch.map(([key, encoded]) => ({ bucket, key: key.subarray(1), encoded }));
    }
  }

  /**
   * stateEntryBatches with each key decoded as UTF-8 text by LevelDB's binding: about 40% less
   * CPU per entry than a key Buffer here. Decoding is lossy only for bytes that are not UTF-8,
   * which then read as U+FFFD; the caller treats such a key as a reason to scan the bucket again
   * with raw keys (stateEntryBatches), since no key the ledger writes contains U+FFFD.
   */
  async *stateEntryTextBatches(bucket: StateBucket): AsyncGenerator<[string, Uint8Array][]> {
    const prefix = stateBucketPrefix(bucket);
    const iterator = this.#db.iterator<string, Uint8Array>({
      gte: String.fromCharCode(prefix),
      lt: String.fromCharCode(prefix + 1),
      keyEncoding: 'utf8',
      valueEncoding: 'view',
      fillCache: false,
    });
    try {
      for (;;) {
        const batch = await iterator.nextv(SCAN_BATCH_ENTRIES);
        if (batch.length === 0) return;
        for (const entry of batch) entry[0] = entry[0].slice(1);
        yield batch;
      }
    } finally {
      await iterator.close();
    }
  }

  /** Every entry of the transaction id index (txId -> encoded position), in batches. */
  async *txIndexBatches(): AsyncGenerator<RawTxIndexEntry[]> {
    for await (const batch of this.#batches(bucketRange(Bucket.TxIndex))) {
      yield batch.map(([key, position]) => ({ txId: key.subarray(1), position }));
    }
  }

  /** Whether TxLog holds any transaction at leaf index `leafIndex` or beyond (past the log). */
  async hasTxLogEntryFrom(leafIndex: number): Promise<boolean> {
    const range = { gte: txLogKey(leafIndex), lt: bucketRange(Bucket.TxLog).lt, limit: 1 };
    return (await this.#db.keys(range).all()).length > 0;
  }

  async *#batches(range: { gte: Uint8Array; lt: Uint8Array }): AsyncGenerator<[Uint8Array, Uint8Array][]> {
    // A whole-bucket scan reads each block once: caching them would only evict the hot ones.
    const iterator = this.#db.iterator({ ...range, fillCache: false });
    try {
      for (;;) {
        const batch = await iterator.nextv(SCAN_BATCH_ENTRIES);
        if (batch.length === 0) return;
        yield batch;
      }
    } finally {
      await iterator.close();
    }
  }

  // --- consensus WAL ---

  /** Appends one consensus record for `height`, durably, before the caller sends it. */
  walAppend(height: number, record: Uint8Array): Promise<void> {
    return this.#writes.write(`append a consensus WAL record for height ${height}`, () =>
      this.#wal.append(height, record),
    );
  }

  walRead(): Promise<WalRecord[]> {
    return this.#wal.read();
  }

  /** Drops the WAL records of every height up to and including `height`. */
  walClear(height: number): Promise<void> {
    return this.#writes.write(`clear the consensus WAL up to height ${height}`, () =>
      this.#wal.clear(height),
    );
  }
}
