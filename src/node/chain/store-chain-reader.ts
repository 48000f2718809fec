// ChainReader over a stopped node's data directory: every view from O(1) records plus, for
// proofs, O(log n) tree-node reads through the store's MerkleNodeSource (RFC 9162 2.1.3, 2.1.4).
import { parseHex, toHex } from '../../core/bytes.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { fail } from '../../core/errors.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import { genesisTip } from '../../core/ledger/chain-params.js';
import { encodeProofBundle } from '../../core/ledger/proof-bundle.js';
import { consistencyProof, inclusionProof, leafHash, rootAt } from '../../core/merkle/index.js';
import { decodeTxEnvelope } from '../../core/records/index.js';
import type { LedgerStore } from '../store/ledger-store.js';
import type { TxRecord } from '../store/stored-records.js';
import type {
  BlockView,
  ChainReader,
  ChainStatusView,
  CheckpointView,
  ConsistencyProofView,
  InclusionProofView,
  TxView,
} from './chain-reader.js';
import { cborToJson, certificateJson, headerJson } from './json-views.js';

/** Parses a transaction id argument: 64 lowercase hex digits. */
export function parseTxId(text: string): Uint8Array {
  const txId = parseHex(text);
  if (txId === undefined || txId.byteLength !== HASH_BYTES) {
    fail('USAGE', `a transaction id is ${HASH_BYTES * 2} lowercase hex digits, got '${text}'`);
  }
  return txId;
}

function requireTreeSize(size: number, logSize: number, name: string): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > logSize) {
    fail('NOT_FOUND', `${name} ${size} is not between 1 and the log size ${logSize}`);
  }
}

export class StoreChainReader implements ChainReader {
  readonly #store: LedgerStore;
  readonly #params: ChainParams;

  constructor(store: LedgerStore, params: ChainParams) {
    this.#store = store;
    this.#params = params;
  }

  #tip() {
    return this.#store.tip ?? genesisTip(this.#params);
  }

  async status(): Promise<ChainStatusView> {
    const tip = this.#tip();
    return {
      chainId: this.#params.chainId,
      height: tip.height,
      blockHash: toHex(tip.blockHash),
      logSize: tip.logSize,
      logRoot: toHex(tip.logRoot),
    };
  }

  async block(height: number): Promise<BlockView> {
    const record = await this.#recordAt(height);
    const certificate = await this.#store.readCertificate(height);
    return {
      height,
      blockHash: toHex(record.blockHash),
      header: headerJson(record.header),
      txIds: record.txIds.map((txId) => toHex(txId)),
      certificate: certificateJson(certificate),
    };
  }

  async #recordAt(height: number) {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.#store.height) {
      fail('NOT_FOUND', `no block at height ${height} (the chain is at height ${this.#store.height})`);
    }
    return this.#store.readBlockRecord(height);
  }

  async #txRecord(txIdHex: string): Promise<{ txId: Uint8Array; record: TxRecord }> {
    const txId = parseTxId(txIdHex);
    const record = await this.#store.readTx(txId);
    if (record === undefined) fail('NOT_FOUND', `no transaction ${txIdHex} in this chain`);
    return { txId, record };
  }

  async tx(txIdHex: string): Promise<TxView> {
    const { record } = await this.#txRecord(txIdHex);
    const envelope = decodeTxEnvelope(record.envelope);
    const outcome = this.#store.state.get('outcome', txIdHex);
    return {
      txId: txIdHex,
      kind: envelope.kind,
      height: record.height,
      index: record.index,
      leafIndex: record.leafIndex,
      leaf: toHex(record.envelope),
      body: cborToJson(envelope.body),
      ...(outcome === undefined ? {} : { outcome: cborToJson(outcome) }),
    };
  }

  async inclusionProof(txIdHex: string, treeSize?: number): Promise<InclusionProofView> {
    const { record } = await this.#txRecord(txIdHex);
    const logSize = this.#tip().logSize;
    const size = treeSize ?? logSize;
    requireTreeSize(size, logSize, 'tree size');
    if (record.leafIndex >= size) {
      fail('NOT_FOUND', `transaction ${txIdHex} is leaf ${record.leafIndex}, not in a tree of size ${size}`);
    }
    return {
      txId: txIdHex,
      leafIndex: record.leafIndex,
      treeSize: size,
      leafHash: toHex(leafHash(record.envelope)),
      path: inclusionProof(this.#store.merkle, record.leafIndex, size).map((hash) => toHex(hash)),
      root: toHex(rootAt(this.#store.merkle, size)),
    };
  }

  async consistencyProof(oldSize: number, newSize: number): Promise<ConsistencyProofView> {
    const logSize = this.#tip().logSize;
    requireTreeSize(oldSize, logSize, 'old size');
    requireTreeSize(newSize, logSize, 'new size');
    if (oldSize > newSize) fail('USAGE', `old size ${oldSize} is larger than new size ${newSize}`);
    const merkle = this.#store.merkle;
    return {
      oldSize,
      newSize,
      oldRoot: toHex(rootAt(merkle, oldSize)),
      newRoot: toHex(rootAt(merkle, newSize)),
      path: consistencyProof(merkle, oldSize, newSize).map((hash) => toHex(hash)),
    };
  }

  async checkpoint(height?: number): Promise<CheckpointView> {
    const at = height ?? this.#store.height;
    if (at === 0 && height === undefined) fail('NOT_FOUND', 'the chain has no block yet, so no checkpoint');
    const record = await this.#recordAt(at);
    const certificate = await this.#store.readCertificate(at);
    return {
      height: at,
      blockHash: toHex(record.blockHash),
      logSize: record.header.logSize,
      logRoot: toHex(record.header.logRoot),
      certificate: certificateJson(certificate),
    };
  }

  async proofBundle(txIdHex: string): Promise<Uint8Array> {
    const { record } = await this.#txRecord(txIdHex);
    const { header } = await this.#recordAt(record.height);
    const certificate = await this.#store.readCertificate(record.height);
    return encodeProofBundle({
      tx: record.envelope,
      leafIndex: record.leafIndex,
      treeSize: header.logSize,
      path: inclusionProof(this.#store.merkle, record.leafIndex, header.logSize),
      header,
      certificate,
    });
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
