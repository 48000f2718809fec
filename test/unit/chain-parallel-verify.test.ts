// Chain verify with signatures checked ahead on other threads (prepared-blocks.ts): the same
// report as the sequential check for a good chain, for a transaction or certificate signature
// that does not verify, for a transaction that fails its stateless checks, for a block that cannot be read (at its own height, not where the
// look-ahead was), and when the verifier fails; it reads no further ahead than asked; the source is closed when verification stops
// early; and a real verify pool over a data directory, closed afterwards.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { verifySignature } from '../../src/core/crypto/ed25519.js';
import { BayledgerError } from '../../src/core/errors.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { type ChainTip, tipOf } from '../../src/core/ledger/chain-tip.js';
import { MemoryState } from '../../src/core/ledger/state-kv.js';
import { MemoryMerkleLog } from '../../src/core/merkle/index.js';
import type { SignatureCheck } from '../../src/core/records/verify.js';
import type { CommittedBlock, CommittedBlockSource } from '../../src/node/chain/block-source.js';
import { preparedBlocks, type SignatureVerifier } from '../../src/node/chain/prepared-blocks.js';
import { type ChainVerifyReport, verifyChain } from '../../src/node/chain/verify-chain.js';
import { verifyDataDir } from '../../src/node/chain/verify-sources.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { createBitmap, setVerified } from '../../src/node/verify-pool/bitmap.js';
import {
  BLOCK_INTERVAL_MS,
  buildChain,
  certify,
  commitChain,
  fileableTestGenesis,
  proposerOf,
  type TestChain,
  workloadBlocks,
} from '../helpers/chain.js';
import { grantConsent } from '../helpers/fixtures.js';

const net = fileableTestGenesis(7300);
const BLOCKS = 8;

/** Verifies on this thread, counting what it was asked; `broken` makes every call fail. */
class CountingVerifier implements SignatureVerifier {
  readonly size = 2;
  checks = 0;
  constructor(readonly broken = false) {}
  async verifyMany(checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    if (this.broken) throw new BayledgerError('INTERNAL', 'the verifier broke');
    this.checks += checks.length;
    const bitmap = createBitmap(checks.length);
    checks.forEach((check, i) => {
      if (verifySignature(check.publicKey, check.message, check.signature)) setVerified(bitmap, i);
    });
    return bitmap;
  }
}

function sourceOf(
  blocks: readonly CommittedBlock[],
  options: { failAt?: number; onReturn?: () => void } = {},
) {
  const source: CommittedBlockSource = {
    height: blocks.length,
    async *blocks() {
      try {
        for (const [i, committed] of blocks.entries()) {
          if (options.failAt === i + 1) throw new BayledgerError('DATABASE_CORRUPT', 'block unreadable');
          yield committed;
        }
      } finally {
        options.onReturn?.();
      }
    },
  };
  return source;
}

async function both(chain: TestChain, blocks: readonly CommittedBlock[] = chain.blocks) {
  const sequential = await verifyChain({ params: chain.params, source: sourceOf(blocks) });
  const verifier = new CountingVerifier();
  const parallel = await verifyChain({
    params: chain.params,
    source: sourceOf(blocks),
    verifier,
    lookAheadBlocks: 3,
  });
  return { sequential, parallel, verifier };
}

/**
 * A chain whose block `badHeight` carries a transaction with a broken signature, certified all the
 * same (built with its signature vouched for), so only the signature check can catch it.
 */
function chainWithForgedTx(badHeight: number): { chain: TestChain; blocks: CommittedBlock[] } {
  const base = buildChain({
    genesis: net.genesis,
    signers: net.signers,
    blocks: workloadBlocks(net, badHeight - 1, 'f'),
  });
  const grant = grantConsent(net, { patient: 'forged' });
  const value = decodeCanonical(Uint8Array.from(grant.bytes)) as { sigs: { sig: Uint8Array }[] };
  value.sigs[1]!.sig = Uint8Array.from(value.sigs[1]!.sig);
  value.sigs[1]!.sig[0]! ^= 1;
  const forged = encodeCanonical(value);
  const state = new MemoryState();
  const log = new MemoryMerkleLog();
  for (const applied of base.applied) {
    state.apply(applied.writes);
    for (const leaf of applied.logLeaves) log.append(leaf);
  }
  const previous: ChainTip = base.tip;
  const built = buildBlock(
    {
      timeMs: previous.timeMs + BLOCK_INTERVAL_MS,
      proposer: proposerOf(base.params, badHeight),
      candidates: [forged],
    },
    { params: base.params, previous, state, logNodes: log, hasTx: () => false, isVerified: () => true },
  );
  assert.equal(built.block.txs.length, 1);
  const certificate = certify(base.params, net.signers, built.blockHash, built.block.header);
  const blocks = [...base.blocks, { block: built.block, certificate }];
  return { chain: base, blocks };
}

describe('chain verify with signatures verified ahead', function () {
  this.timeout(60_000);
  const chain = buildChain({
    genesis: net.genesis,
    signers: net.signers,
    blocks: workloadBlocks(net, BLOCKS, 'p'),
  });
  const signatureCount =
    chain.blocks.reduce(
      (total, { block, certificate }) => total + certificate.signatures.length + block.txs.length,
      0,
    ) +
    // A grant carries two signatures (patient and hospital), every other record one.
    chain.blocks.length;

  it('gives the sequential report for a good chain, with every signature checked by the verifier', async () => {
    const { sequential, parallel, verifier } = await both(chain);
    assert.ok(sequential.ok);
    assert.deepEqual(parallel, sequential);
    assert.equal(verifier.checks, signatureCount);
  });

  it('names a forged transaction signature at its height, as the sequential check does', async () => {
    const { chain: base, blocks } = chainWithForgedTx(5);
    const { sequential, parallel } = await both(base, blocks);
    assert.equal(sequential.ok, false);
    assert.deepEqual(parallel, sequential);
    assert.equal((parallel as Extract<ChainVerifyReport, { ok: false }>).height, 5);
    assert.equal((parallel as Extract<ChainVerifyReport, { ok: false }>).code, 'TX_INVALID');
  });

  it('names a forged certificate signature at its height', async () => {
    const blocks = chain.blocks.map((committed, i) => {
      if (i !== 3) return committed;
      const certificate = structuredClone(committed.certificate) as CommitCertificate;
      (certificate.signatures[2]!.signature as Uint8Array)[7]! ^= 1;
      return { block: committed.block, certificate };
    });
    const { sequential, parallel } = await both(chain, blocks);
    assert.deepEqual(parallel, sequential);
    assert.deepEqual(parallel.ok ? undefined : [parallel.height, parallel.code], [4, 'CERTIFICATE_INVALID']);
  });

  it('names a transaction that fails its stateless checks at its height, as the sequential check does', async () => {
    // Stored bytes that are no transaction: the look-ahead leaves the block to the sequential path.
    const blocks = chain.blocks.map((committed, i) =>
      i !== 2
        ? committed
        : {
            block: { ...committed.block, txs: [Uint8Array.of(0xa0), ...committed.block.txs.slice(1)] },
            certificate: committed.certificate,
          },
    );
    const { sequential, parallel } = await both(chain, blocks);
    assert.equal(sequential.ok, false);
    assert.deepEqual(parallel, sequential);
    assert.equal((parallel as Extract<ChainVerifyReport, { ok: false }>).height, 3);
  });

  it('reads no further ahead than its look-ahead', async () => {
    let pulled = 0;
    const counting: CommittedBlockSource = {
      height: chain.blocks.length,
      async *blocks() {
        for (const committed of chain.blocks) {
          pulled++;
          yield committed;
        }
      },
    };
    const prepared = preparedBlocks(counting, chain.params, new CountingVerifier(), 3);
    await prepared.next();
    assert.equal(pulled, 3);
    await prepared.next();
    assert.equal(pulled, 4);
    await prepared.return(undefined);
  });

  it('reports an unreadable block at its own height, after verifying the blocks before it', async () => {
    const failing = { failAt: 6 };
    const sequential = await verifyChain({ params: chain.params, source: sourceOf(chain.blocks, failing) });
    const parallel = await verifyChain({
      params: chain.params,
      source: sourceOf(chain.blocks, failing),
      verifier: new CountingVerifier(),
      lookAheadBlocks: 4,
    });
    assert.deepEqual(parallel, sequential);
    assert.deepEqual(parallel.ok ? undefined : [parallel.height, parallel.code], [6, 'DATABASE_CORRUPT']);
  });

  it('verifies everything on this thread when the verifier fails', async () => {
    const sequential = await verifyChain({ params: chain.params, source: sourceOf(chain.blocks) });
    const parallel = await verifyChain({
      params: chain.params,
      source: sourceOf(chain.blocks),
      verifier: new CountingVerifier(true),
    });
    assert.deepEqual(parallel, sequential);
  });

  it('closes the source when it stops at a fault, however far it read ahead', async () => {
    const { chain: base, blocks } = chainWithForgedTx(3);
    const more = [...blocks, ...chain.blocks.slice(0, 3)];
    let returned = 0;
    const report = await verifyChain({
      params: base.params,
      source: sourceOf(more, { onReturn: () => returned++ }),
      verifier: new CountingVerifier(),
      lookAheadBlocks: 5,
    });
    assert.equal(report.ok ? 0 : report.height, 3);
    assert.equal(returned, 1);
  });

  it('verifies a data directory with a real verify pool and closes it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'bayledger-parallel-'));
    try {
      const dataDir = join(directory, 'data');
      const store = await LedgerStore.open(dataDir);
      await commitChain(store, chain);
      await store.close();
      const pooled = await verifyDataDir(dataDir, undefined, undefined, { workers: 2 });
      const single = await verifyDataDir(dataDir, undefined, undefined, { workers: 0 });
      assert.ok(pooled.report.ok);
      assert.deepEqual(pooled.report, single.report);
      assert.equal(pooled.report.ok && pooled.report.txCount, chain.tip.logSize);
      const tip = tipOf(chain.blocks.at(-1)!.block.header, chain.tip.blockHash);
      assert.equal(pooled.report.ok && pooled.report.height, tip.height);
      // The pool is closed: no worker thread is left among the process's active resources.
      assert.ok(!process.getActiveResourcesInfo().includes('Worker'));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
