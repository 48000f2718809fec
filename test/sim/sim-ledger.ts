// The simulator's ledger: synthetic transactions and block rules that mirror the real ledger's
// header checks (src/core/ledger/verify-block.ts: chain, height, previousHash, strictly later
// time, known proposer, validatorsHash, txCount, sizes, no duplicate or replayed transaction,
// RFC 9162 txRoot and logRoot), without records or policy, so thousands of blocks a second can be
// built and checked. Each node keeps one; it survives crashes (it is the node's committed store).
import { bytesEqual, toHex } from '../../src/core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { bytes, literal, object, uint } from '../../src/core/codec/schema.js';
import type { ConsensusParams, Validator } from '../../src/core/config/genesis.js';
import { validatorsHash } from '../../src/core/config/index.js';
import { proposalTimeMs } from '../../src/core/consensus/block-time.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import type { Block, BlockHeader } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { leafHash, merkleRoot } from '../../src/core/merkle/index.js';

const SIM_TX = object({ sim: literal('tx'), serial: uint(), payload: bytes(undefined, 64) });

/** A synthetic transaction: canonical CBOR of { sim: 'tx', serial, payload }. */
export function makeTx(serial: number, payload: Uint8Array): Uint8Array {
  return encodeCanonical({ sim: 'tx', serial, payload });
}

export function txIdOf(tx: Uint8Array): string {
  return toHex(sha256(tx));
}

function isWellFormedTx(tx: Uint8Array): boolean {
  try {
    SIM_TX.parse(decodeCanonical(tx), 'tx');
    return true;
  } catch {
    return false;
  }
}

export interface ChainConfig {
  readonly chainId: string;
  readonly genesisHash: Uint8Array;
  readonly genesisTimeMs: number;
  readonly validators: readonly Validator[];
  readonly validatorsHash: Uint8Array;
  readonly params: ConsensusParams;
}

export function chainConfig(
  chainId: string,
  genesisTimeMs: number,
  validators: readonly Validator[],
  params: ConsensusParams,
): ChainConfig {
  const genesisHash = sha256(encodeCanonical({ sim: 'genesis', chainId, genesisTimeMs }));
  return {
    chainId,
    genesisHash,
    genesisTimeMs,
    validators,
    validatorsHash: validatorsHash(validators),
    params,
  };
}

export interface CommittedEntry {
  readonly block: Block;
  readonly blockHash: Uint8Array;
  readonly certificate: CommitCertificate;
}

export interface Tip {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly timeMs: number;
  readonly logSize: number;
  readonly stateHash: Uint8Array;
}

/**
 * Verdicts are a pure function of (chain so far, block); the tip hash names the chain so far (the
 * headers are hash-chained), so one cache serves every node of a scenario.
 */
export type VerdictCache = Map<string, string | null>;

/** A node's committed chain, as its shell uses it: the sim ledger or the real one (real-ledger.ts). */
export interface NodeLedger {
  readonly entries: readonly CommittedEntry[];
  readonly tip: Tip;
  hasTx(txId: string): boolean;
  /** Proposer side: a block of mempool candidates within the limits, stamped max(previous + 1, now). */
  build(proposer: string, nowMs: number, candidates: readonly Uint8Array[]): Block;
  /** A block over exactly these transactions (adversaries build alternatives with it). */
  blockWith(proposer: string, timeMs: number, txs: readonly Uint8Array[]): Block;
  /** Why this block cannot follow our tip, or null when it is valid. */
  validate(block: Block): string | null;
  /** Commits a checked block; returns ids of transactions that were already committed. */
  commit(block: Block, hash: Uint8Array, certificate: CommitCertificate): string[];
}

export class SimLedger implements NodeLedger {
  readonly entries: CommittedEntry[] = [];
  readonly #config: ChainConfig;
  readonly #committedTxs = new Set<string>();
  readonly #leaves: Uint8Array[] = [];
  readonly #verdicts: VerdictCache;
  #tip: Tip;

  constructor(config: ChainConfig, verdicts: VerdictCache) {
    this.#config = config;
    this.#verdicts = verdicts;
    this.#tip = {
      height: 0,
      hash: config.genesisHash,
      timeMs: config.genesisTimeMs,
      logSize: 0,
      stateHash: new Uint8Array(32),
    };
  }

  get tip(): Tip {
    return this.#tip;
  }

  hasTx(txId: string): boolean {
    return this.#committedTxs.has(txId);
  }

  /** Proposer side: takes candidates in order, skipping committed or repeated ones, within limits. */
  build(proposer: string, nowMs: number, candidates: readonly Uint8Array[]): Block {
    const { params } = this.#config;
    const txs: Uint8Array[] = [];
    const seen = new Set<string>();
    let totalBytes = 0;
    for (const tx of candidates) {
      if (txs.length >= params.maxBlockTxs) break;
      const id = txIdOf(tx);
      if (seen.has(id) || this.#committedTxs.has(id)) continue;
      if (totalBytes + tx.byteLength > params.maxBlockBytes) continue;
      seen.add(id);
      totalBytes += tx.byteLength;
      txs.push(tx);
    }
    return this.blockWith(proposer, proposalTimeMs(this.#tip.timeMs, nowMs), txs);
  }

  /** A block over these exact transactions with every header field filled honestly. */
  blockWith(proposer: string, timeMs: number, txs: readonly Uint8Array[]): Block {
    const tip = this.#tip;
    const leaves = txs.map(leafHash);
    const txRoot = merkleRoot(leaves);
    const header: BlockHeader = {
      chainId: this.#config.chainId,
      height: tip.height + 1,
      timeMs,
      proposer,
      previousHash: tip.hash,
      txRoot,
      txCount: txs.length,
      logSize: tip.logSize + txs.length,
      logRoot: merkleRoot([...this.#leaves, ...leaves]),
      stateHash: sha256(tip.stateHash, txRoot),
      validatorsHash: this.#config.validatorsHash,
    };
    return { header, txs: [...txs] };
  }

  /** Why this block cannot follow our tip, or null when it is valid. */
  validate(block: Block): string | null {
    const cacheKey = `${toHex(this.#tip.hash)}/${toHex(blockHash(block.header))}`;
    const cached = this.#verdicts.get(cacheKey);
    if (cached !== undefined) return cached;
    const verdict = this.#check(block);
    this.#verdicts.set(cacheKey, verdict);
    return verdict;
  }

  #check(block: Block): string | null {
    const { header, txs } = block;
    const tip = this.#tip;
    const config = this.#config;
    if (header.chainId !== config.chainId) return 'wrong chain';
    if (header.height !== tip.height + 1) return `height ${header.height} does not follow ${tip.height}`;
    if (!bytesEqual(header.previousHash, tip.hash)) return 'wrong previousHash';
    if (header.timeMs <= tip.timeMs) return 'time not later than the previous block';
    if (!config.validators.some((validator) => validator.id === header.proposer)) return 'unknown proposer';
    if (!bytesEqual(header.validatorsHash, config.validatorsHash)) return 'wrong validatorsHash';
    if (header.txCount !== txs.length) return 'txCount mismatch';
    if (txs.length > config.params.maxBlockTxs) return 'too many transactions';
    let totalBytes = 0;
    const seen = new Set<string>();
    for (const tx of txs) {
      totalBytes += tx.byteLength;
      const id = txIdOf(tx);
      if (seen.has(id)) return `transaction ${id} repeated in the block`;
      if (this.#committedTxs.has(id)) return `transaction ${id} already committed`;
      if (!isWellFormedTx(tx)) return 'malformed transaction';
      seen.add(id);
    }
    if (totalBytes > config.params.maxBlockBytes) return 'block too large';
    const expected = this.blockWith(header.proposer, header.timeMs, txs).header;
    if (!bytesEqual(header.txRoot, expected.txRoot)) return 'txRoot mismatch';
    if (header.logSize !== expected.logSize) return 'logSize mismatch';
    if (!bytesEqual(header.logRoot, expected.logRoot)) return 'logRoot mismatch';
    if (!bytesEqual(header.stateHash, expected.stateHash)) return 'stateHash mismatch';
    return null;
  }

  /** Commits a block (the caller checked it). Returns ids of transactions committed before, if any. */
  commit(block: Block, hash: Uint8Array, certificate: CommitCertificate): string[] {
    const repeated: string[] = [];
    for (const tx of block.txs) {
      const id = txIdOf(tx);
      if (this.#committedTxs.has(id)) repeated.push(id);
      this.#committedTxs.add(id);
      this.#leaves.push(leafHash(tx));
    }
    this.entries.push({ block, blockHash: hash, certificate });
    this.#tip = {
      height: block.header.height,
      hash,
      timeMs: block.header.timeMs,
      logSize: block.header.logSize,
      stateHash: block.header.stateHash,
    };
    return repeated;
  }
}
