// A block of opaque transactions with the applied result a real apply would give, committed
// straight to a LedgerStore: tests the store on its own (full chains with real transactions are
// in test/helpers/chain.ts), in a store useTestStore opens for each test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import type { AppliedBlock } from '../../src/core/ledger/applied-block.js';
import type { Block, BlockHeader } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import type { ChainTip } from '../../src/core/ledger/chain-tip.js';
import { MerkleNodeOverlay } from '../../src/core/ledger/merkle-overlay.js';
import { nextStateHash, type StateWrite } from '../../src/core/ledger/state-kv.js';
import { leafHash, merkleRoot } from '../../src/core/merkle/index.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';

export const GENESIS_HASH = sha256(utf8('test genesis'));
export const ZERO = new Uint8Array(32);

/** A block of opaque transactions on top of `tip`, with the applied result a real apply would give. */
export function fakeBlock(store: LedgerStore, txs: Uint8Array[], writes: StateWrite[]) {
  const tip: ChainTip = store.tip ?? {
    height: 0,
    blockHash: GENESIS_HASH,
    timeMs: 1000,
    logSize: 0,
    logRoot: merkleRoot([]),
    stateHash: ZERO,
  };
  const logLeaves = txs.map((tx) => leafHash(tx));
  const overlay = new MerkleNodeOverlay(store.merkle, tip.logSize);
  for (const leaf of logLeaves) overlay.append(leaf);
  const stateHash = nextStateHash(tip.stateHash, writes);
  const header: BlockHeader = {
    chainId: 'test-chain',
    height: tip.height + 1,
    timeMs: tip.timeMs + 1,
    proposer: 'v1',
    previousHash: tip.blockHash,
    txRoot: merkleRoot(logLeaves),
    txCount: txs.length,
    logSize: overlay.size,
    logRoot: overlay.root(),
    stateHash,
    validatorsHash: ZERO,
  };
  const block: Block = { header, txs };
  const certificate: CommitCertificate = {
    height: header.height,
    round: 0,
    blockHash: blockHash(header),
    signatures: [{ validator: 'v1', signature: new Uint8Array(64) }],
  };
  const applied: AppliedBlock = {
    height: header.height,
    txIds: txs.map((tx) => sha256(tx)),
    logLeaves,
    merkleNodes: overlay.addedNodes(),
    writes,
    outcomes: [],
    txRoot: header.txRoot,
    logSize: header.logSize,
    logRoot: header.logRoot,
    stateHash,
  };
  return { block, certificate, applied };
}

export function txBytes(height: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => utf8(`tx ${height}/${i}`));
}

/** A store of the test network GENESIS_HASH in its own folder (useTestStore). */
export interface TestStore {
  readonly directory: string;
  /** Replace it to reopen; whichever store is here when the test ends is closed. */
  store: LedgerStore;
}

/**
 * Registers the hooks of the calling describe block: before each test a fresh folder with a store
 * of GENESIS_HASH opened in it; after it, the store closed and the folder removed, in that order.
 */
export function useTestStore(prefix: string): TestStore {
  let directory: string | undefined;
  let store: LedgerStore | undefined;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
    store = await LedgerStore.open(directory);
    await store.initGenesis({ hash: GENESIS_HASH, json: '{}' });
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    store = undefined;
    directory = undefined;
  });
  const during = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${prefix}: the test store exists only while tests run`);
    return value;
  };
  return {
    get directory(): string {
      return during(directory);
    },
    get store(): LedgerStore {
      return during(store);
    },
    set store(reopened: LedgerStore) {
      store = reopened;
    },
  };
}
