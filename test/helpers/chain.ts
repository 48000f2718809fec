// Certified chains for tests, built the way a node builds them (buildBlock over a state and a
// Merkle log) and certified by signing precommits with the validators' test keys, until the
// consensus engine produces real certificates:
//
//   const net = testGenesis();
//   const chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: [[grant], [], [declaration]] });
//   chain.blocks[0].certificate; chain.tip.logRoot; chain.log.getNode(0, 0);
//   await commitChain(store, chain);                          // the same blocks in a LedgerStore
//   await commitNextBlock(store, { params, signers }, [tx]);  // one more block on top of a store
//   const files = await writeStoppedNode(net, 7, 'bayledger-x-');  // genesis.json + data dir on disk
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import type { Genesis } from '../../src/core/config/genesis.js';
import { proposerOf as consensusProposerOf } from '../../src/core/consensus/proposer.js';
import { signVote } from '../../src/core/consensus/signing.js';
import type { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import type { AppliedBlock } from '../../src/core/ledger/applied-block.js';
import type { BlockHeader } from '../../src/core/ledger/block.js';
import { type BuiltBlock, buildBlock } from '../../src/core/ledger/build-block.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { quorumSize } from '../../src/core/ledger/certificate-verify.js';
import { type ChainParams, chainParamsOf, genesisTip } from '../../src/core/ledger/chain-params.js';
import { type ChainTip, tipOf } from '../../src/core/ledger/chain-tip.js';
import { MemoryState, type StateReader } from '../../src/core/ledger/state-kv.js';
import type { VerifyContext } from '../../src/core/ledger/verify-block.js';
import { MemoryMerkleLog, type MerkleNodeSource } from '../../src/core/merkle/index.js';
import type { CommittedBlock } from '../../src/node/chain/block-source.js';
import { genesisRecordOf, LedgerStore } from '../../src/node/store/ledger-store.js';
import {
  type BuiltTx,
  declareTransfer,
  grantConsent,
  receiptFor,
  type TestNetwork,
  type TestNetworkOptions,
  testGenesis,
  testKey,
  testNonce,
} from './fixtures.js';

/** A transaction as a block carries it: envelope bytes, or a fixture's BuiltTx. */
export type TxInput = Uint8Array | { readonly bytes: Uint8Array };

function bytesOf(tx: TxInput): Uint8Array {
  return tx instanceof Uint8Array ? tx : tx.bytes;
}

export const BLOCK_INTERVAL_MS = 1000;

export interface CertifyOptions {
  readonly round?: number;
  /** Validators that sign (default: all of them, in validator order). */
  readonly validators?: readonly string[];
}

/** A commit certificate for `header`: precommits of the chosen validators, in validator order. */
export function certify(
  params: ChainParams,
  signers: Record<string, Ed25519Signer>,
  blockHash: Uint8Array,
  header: Pick<BlockHeader, 'height'>,
  options: CertifyOptions = {},
): CommitCertificate {
  const round = options.round ?? 0;
  const chosen = options.validators ?? params.validators.map((validator) => validator.id);
  const signatures = params.validators
    .filter((validator) => chosen.includes(validator.id))
    .map((validator) => {
      const signer = signers[validator.id];
      if (signer === undefined) throw new Error(`no test key for validator ${validator.id}`);
      return {
        validator: validator.id,
        signature: signVote(signer, params.chainId, 'precommit', header.height, round, blockHash),
      };
    });
  return { height: header.height, round, blockHash, signatures };
}

/** A height's round-0 proposer under consensus's schedule, the validator the test chains name as its builder. */
export function proposerOf(params: ChainParams, height: number): string {
  return consensusProposerOf(params.validators, height, 0).id;
}

/** What a LedgerStore records about its network (LedgerStore.initGenesis). */
export { genesisRecordOf };

function contextOver(
  params: ChainParams,
  previous: ChainTip,
  state: StateReader,
  logNodes: MerkleNodeSource,
): VerifyContext {
  return {
    params,
    previous,
    state,
    logNodes,
    // A committed transaction always has a verdict in bucket 'outcome' (apply-tx.ts).
    hasTx: (txId) => state.get('outcome', toHex(txId)) !== undefined,
  };
}

function buildStrict(input: Parameters<typeof buildBlock>[0], context: VerifyContext): BuiltBlock {
  const built = buildBlock(input, context);
  if (built.rejected.length > 0) {
    const first = built.rejected[0]!;
    throw new Error(
      `test block ${context.previous.height + 1}: candidate ${first.index} rejected: ${first.code} ${first.reason}`,
    );
  }
  if (built.block.txs.length !== input.candidates.length) {
    throw new Error(
      `test block ${context.previous.height + 1}: only ${built.block.txs.length} of ${input.candidates.length} fit`,
    );
  }
  return built;
}

export interface TestChain {
  readonly params: ChainParams;
  readonly blocks: CommittedBlock[];
  readonly applied: AppliedBlock[];
  readonly tip: ChainTip;
  /** The state after the last block. */
  readonly state: MemoryState;
  /** The whole log, every complete subtree: a reference MerkleNodeSource. */
  readonly log: MemoryMerkleLog;
}

export interface BuildChainOptions {
  readonly genesis: Genesis;
  readonly signers: Record<string, Ed25519Signer>;
  /** One list of transactions per block; every one must be valid (else this throws). */
  readonly blocks: readonly (readonly TxInput[])[];
  readonly blockIntervalMs?: number;
}

/** Builds and certifies a chain in memory: heights 1..blocks.length on top of genesis. */
export function buildChain(options: BuildChainOptions): TestChain {
  const params = chainParamsOf(options.genesis);
  const state = new MemoryState();
  const log = new MemoryMerkleLog();
  const blocks: CommittedBlock[] = [];
  const applied: AppliedBlock[] = [];
  let tip = genesisTip(params);
  for (const txs of options.blocks) {
    const height = tip.height + 1;
    const built = buildStrict(
      {
        timeMs: tip.timeMs + (options.blockIntervalMs ?? BLOCK_INTERVAL_MS),
        proposer: proposerOf(params, height),
        candidates: txs.map(bytesOf),
      },
      contextOver(params, tip, state, log),
    );
    blocks.push({
      block: built.block,
      certificate: certify(params, options.signers, built.blockHash, built.block.header),
    });
    applied.push(built.applied);
    state.apply(built.applied.writes);
    for (const leaf of built.applied.logLeaves) log.append(leaf);
    tip = tipOf(built.block.header, built.blockHash);
  }
  return { params, blocks, applied, tip, state, log };
}

/** Writes a built chain into an empty store, block by block, each in its own atomic commit. */
export async function commitChain(store: LedgerStore, chain: TestChain): Promise<void> {
  await store.initGenesis(genesisRecordOf(chain.params.genesis));
  if (store.height !== 0) throw new Error('commitChain needs an empty store');
  for (const [i, committed] of chain.blocks.entries()) {
    await store.commitBlock(committed.block, committed.certificate, chain.applied[i]!);
  }
}

/** What a stopped node leaves on disk, in a temporary folder of its own. */
export interface StoppedNodeFiles {
  /** The chain in memory, as the data directory holds it. */
  readonly chain: TestChain;
  /** The temporary folder holding genesis.json and data/. */
  readonly directory: string;
  readonly genesisFile: string;
  readonly dataDir: string;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

/**
 * For the CLI tests that read a stopped node's files: `net`'s genesis written as genesis.json
 * and `blockCount` certified workload blocks committed to a data directory beside it. `net` must
 * be fileable (fileableTestGenesis) so the genesis file parses back.
 */
export async function writeStoppedNode(
  net: TestNetwork,
  blockCount: number,
  folderPrefix: string,
): Promise<StoppedNodeFiles> {
  const directory = await mkdtemp(join(tmpdir(), folderPrefix));
  const genesisFile = join(directory, 'genesis.json');
  const dataDir = join(directory, 'data');
  await writeFile(genesisFile, genesisRecordOf(net.genesis).json);
  const chain = buildChain({
    genesis: net.genesis,
    signers: net.signers,
    blocks: workloadBlocks(net, blockCount),
  });
  const store = await LedgerStore.open(dataDir);
  try {
    await commitChain(store, chain);
  } finally {
    await store.close();
  }
  const remove = () => rm(directory, { recursive: true, force: true });
  return { chain, directory, genesisFile, dataDir, remove };
}

/**
 * writeStoppedNode for the tests of one describe block: registers its hooks, writing the files
 * before its tests and removing them after (as useTempDir does for a bare folder).
 */
export function useStoppedNode(
  net: TestNetwork,
  blockCount: number,
  folderPrefix: string,
): { readonly files: StoppedNodeFiles } {
  let current: StoppedNodeFiles | undefined;
  before(async () => {
    current = await writeStoppedNode(net, blockCount, folderPrefix);
  });
  after(async () => {
    await current?.remove();
    current = undefined;
  });
  return {
    get files(): StoppedNodeFiles {
      if (current === undefined)
        throw new Error(`${folderPrefix}: the stopped node's files exist only while tests run`);
      return current;
    },
  };
}

/** Builds, certifies and commits one block on top of whatever `store` holds. */
export async function commitNextBlock(
  store: LedgerStore,
  network: { readonly params: ChainParams; readonly signers: Record<string, Ed25519Signer> },
  txs: readonly TxInput[],
  timeMs?: number,
): Promise<CommittedBlock & { applied: AppliedBlock; blockHash: Uint8Array }> {
  const { params, signers } = network;
  await store.initGenesis(genesisRecordOf(params.genesis));
  const previous = store.tip ?? genesisTip(params);
  const height = previous.height + 1;
  const built = buildStrict(
    {
      timeMs: timeMs ?? previous.timeMs + BLOCK_INTERVAL_MS,
      proposer: proposerOf(params, height),
      candidates: txs.map(bytesOf),
    },
    store.contextFor(params),
  );
  const certificate = certify(params, signers, built.blockHash, built.block.header);
  await store.commitBlock(built.block, certificate, built.applied);
  return { block: built.block, certificate, applied: built.applied, blockHash: built.blockHash };
}

/** A quorum of validator ids (the first q in validator order). */
export function quorumOf(params: ChainParams): string[] {
  return params.validators.slice(0, quorumSize(params.validators.length)).map((validator) => validator.id);
}

/**
 * A deterministic workload, a pure function of the height so a restarted writer continues it:
 * block k carries the consent of patient k, the declaration under patient k-1's consent and the
 * receipt for patient k-2's transfer, so every kind of state (consents, transfers, patient index,
 * counters, outcomes) is written and rewritten over the chain.
 */
export function workloadBlock(net: TestNetwork, height: number, tag = 'w'): BuiltTx[] {
  const built = workloadCache.get(net) ?? new Map<string, BuiltTx>();
  workloadCache.set(net, built);
  const once = (key: string, make: () => BuiltTx) => {
    let tx = built.get(key);
    if (tx === undefined) {
      tx = make();
      built.set(key, tx);
    }
    return tx;
  };
  const grantOf = (k: number) =>
    once(`${tag}/grant/${k}`, () =>
      grantConsent(net, { patient: `${tag}-${k}`, nonce: testNonce(`${tag}/grant/${k}`) }),
    );
  const declarationOf = (k: number) =>
    once(`${tag}/declare/${k}`, () =>
      declareTransfer(net, { consentId: grantOf(k).objectId, nonce: testNonce(`${tag}/declare/${k}`) }),
    );
  const txs: BuiltTx[] = [grantOf(height)];
  if (height >= 2) txs.push(declarationOf(height - 1));
  if (height >= 3) txs.push(receiptFor(net, { transferId: declarationOf(height - 2).objectId }));
  // Built transactions are needed again for at most two more heights.
  for (const key of [...built.keys()]) if (Number(key.split('/')[2]) < height - 2) built.delete(key);
  return txs;
}

const workloadCache = new WeakMap<TestNetwork, Map<string, BuiltTx>>();

/** workloadBlock for heights 1..count. */
export function workloadBlocks(net: TestNetwork, count: number, tag = 'w'): BuiltTx[][] {
  return Array.from({ length: count }, (_, i) => workloadBlock(net, i + 1, tag));
}

/**
 * testGenesis with a distinct real port per organisation, so its genesis can be written to a file
 * and parsed back (the genesis schema refuses port 0 and repeated addresses). Ports are
 * `basePort`, `basePort + 1`, ... in organisation order, or the i-th of `ports` (e.g. free ones
 * from the OS, for nodes that will listen on them).
 */
export function fileableTestGenesis(
  basePort: number | readonly number[] = 7100,
  options: TestNetworkOptions = {},
): TestNetwork {
  const ports = new Map<string, number>();
  const portAt = (index: number) => (typeof basePort === 'number' ? basePort + index : basePort[index]!);
  return testGenesis({
    ...options,
    p2pAddress: (id) => {
      if (!ports.has(id)) ports.set(id, portAt(ports.size));
      return `/ip4/127.0.0.1/tcp/${ports.get(id)}`;
    },
  });
}

/**
 * The TestNetwork of a genesis whose organisations use the test keys (testKey(id)), e.g. one
 * read back from a file in a child process. It derives no X25519 key pairs (pure JS, the slow
 * part of testGenesis), so `encryptionKeys` is empty: use testEncryptionKey(id) where needed.
 */
export function networkOfGenesis(genesis: Genesis): TestNetwork {
  const signers: Record<string, Ed25519Signer> = {};
  for (const organisation of genesis.organisations) signers[organisation.id] = testKey(organisation.id);
  let nonces = 0;
  return {
    genesis,
    signers,
    encryptionKeys: {},
    patient: (name) => testKey(`patient/${name}`),
    nextNonce: () => testNonce(`${genesis.chainId}/${++nonces}`),
  };
}
