// The real ledger behind a simulated node: blocks are built by buildBlock and checked by
// verifyBlock (src/core/ledger), over an in-memory state and Merkle log, and the transactions are
// real signed consent grants of the test network (test/helpers/fixtures.ts). Slower than the sim
// ledger, so the scenario suite runs a share of its scenarios on it.
import { toHex } from '../../src/core/bytes.js';
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import { validatorsOf } from '../../src/core/config/index.js';
import { proposalTimeMs } from '../../src/core/consensus/block-time.js';
import { assert } from '../../src/core/errors.js';
import { applyBlock } from '../../src/core/ledger/apply-block.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { type ChainParams, chainParamsOf, genesisTip } from '../../src/core/ledger/chain-params.js';
import { type ChainTip, tipOf } from '../../src/core/ledger/chain-tip.js';
import { MemoryState } from '../../src/core/ledger/state-kv.js';
import { type VerifyContext, verifyBlock } from '../../src/core/ledger/verify-block.js';
import { MemoryMerkleLog } from '../../src/core/merkle/index.js';
import { grantConsent, type TestNetwork, testGenesis, testNonce } from '../helpers/fixtures.js';
import type { Prng } from './prng.js';
import type { ChainConfig, CommittedEntry, NodeLedger, Tip, VerdictCache } from './sim-ledger.js';

/** The test network with validatorCount validators (the four sample regulators, then val-5, ...). */
export function realNetwork(validatorCount: number, params: ConsensusParams): TestNetwork {
  const extra = Array.from({ length: Math.max(0, validatorCount - 4) }, (_, i) => ({
    id: `val-${i + 5}`,
    name: `Validator ${i + 5}`,
    role: 'validator' as const,
    jurisdiction: 'HK',
  }));
  const net = testGenesis({ chainId: 'sim-ledger-chain', consensus: params, extraOrganisations: extra });
  assert(validatorsOf(net.genesis).length === validatorCount, 'the real ledger needs at least 4 validators');
  return net;
}

export function realChainConfig(net: TestNetwork): ChainConfig {
  const params = chainParamsOf(net.genesis);
  return {
    chainId: params.chainId,
    genesisHash: params.genesisHash,
    genesisTimeMs: net.genesis.genesisTimeMs,
    validators: params.validators,
    validatorsHash: params.validatorsHash,
    params: net.genesis.consensus,
  };
}

/** A fresh consent grant: a new patient per transaction, so each is valid on its own. */
export function realTx(net: TestNetwork, serial: number, prng: Prng): Uint8Array {
  const tag = `${serial}-${prng.nextU32()}`;
  return grantConsent(net, { patient: `sim-${tag}`, nonce: testNonce(`sim/${tag}`) }).bytes;
}

export class RealLedger implements NodeLedger {
  readonly entries: CommittedEntry[] = [];
  readonly #params: ChainParams;
  readonly #state = new MemoryState();
  readonly #log = new MemoryMerkleLog();
  readonly #committed = new Set<string>();
  readonly #verdicts: VerdictCache;
  #previous: ChainTip;

  constructor(net: TestNetwork, verdicts: VerdictCache) {
    this.#params = chainParamsOf(net.genesis);
    this.#previous = genesisTip(this.#params);
    this.#verdicts = verdicts;
  }

  get tip(): Tip {
    const previous = this.#previous;
    return {
      height: previous.height,
      hash: previous.blockHash,
      timeMs: previous.timeMs,
      logSize: previous.logSize,
      stateHash: previous.stateHash,
    };
  }

  hasTx(txId: string): boolean {
    return this.#committed.has(txId);
  }

  #context(): VerifyContext {
    return {
      params: this.#params,
      previous: this.#previous,
      logNodes: this.#log,
      state: this.#state,
      hasTx: (txId) => this.#committed.has(toHex(txId)),
    };
  }

  build(proposer: string, nowMs: number, candidates: readonly Uint8Array[]): Block {
    return this.blockWith(proposer, proposalTimeMs(this.#previous.timeMs, nowMs), candidates);
  }

  blockWith(proposer: string, timeMs: number, txs: readonly Uint8Array[]): Block {
    return buildBlock({ timeMs, proposer, candidates: txs }, this.#context()).block;
  }

  validate(block: Block): string | null {
    const key = `${toHex(this.#previous.blockHash)}/${toHex(blockHash(block.header))}`;
    const cached = this.#verdicts.get(key);
    if (cached !== undefined) return cached;
    const verdict = verifyBlock(block, this.#context());
    const fault = verdict.ok ? null : `${verdict.code}: ${verdict.reason}`;
    this.#verdicts.set(key, fault);
    return fault;
  }

  commit(block: Block, hash: Uint8Array, certificate: CommitCertificate): string[] {
    const applied = applyBlock(this.#state, block, this.#context());
    this.#state.apply(applied.writes);
    for (const leaf of applied.logLeaves) this.#log.append(leaf);
    const repeated: string[] = [];
    for (const txId of applied.txIds) {
      const id = toHex(txId);
      if (this.#committed.has(id)) repeated.push(id);
      this.#committed.add(id);
    }
    this.entries.push({ block, blockHash: hash, certificate });
    this.#previous = tipOf(block.header, hash);
    return repeated;
  }
}
