// Pure ledger: block and certificate codecs, block hash, buildBlock/applyBlock/verifyBlock
// (every fault code a peer can cause), the frontier log and offline proof bundles.
import { strict as assert } from 'node:assert';
import { utf8 } from '../../src/core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { applyBlock } from '../../src/core/ledger/apply-block.js';
import type { Block, BlockHeader } from '../../src/core/ledger/block.js';
import { decodeBlock, decodeHeader, encodeBlock, encodeHeader } from '../../src/core/ledger/block-codec.js';
import type { BlockFaultCode } from '../../src/core/ledger/block-fault.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { decodeCertificate, encodeCertificate } from '../../src/core/ledger/certificate-codec.js';
import { chainParamsOf, genesisTip } from '../../src/core/ledger/chain-params.js';
import { type ChainTip, tipOf } from '../../src/core/ledger/chain-tip.js';
import { FrontierLog } from '../../src/core/ledger/frontier-log.js';
import { MerkleNodeOverlay } from '../../src/core/ledger/merkle-overlay.js';
import {
  decodeProofBundle,
  encodeProofBundle,
  type ProofBundle,
  verifyProofBundle,
} from '../../src/core/ledger/proof-bundle.js';
import { MemoryState } from '../../src/core/ledger/state-kv.js';
import { type VerifyContext, verifyBlock, verifyCommittedBlock } from '../../src/core/ledger/verify-block.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  inclusionProof,
  leafHash,
  MemoryMerkleLog,
  merkleRoot,
  rootAt,
} from '../../src/core/merkle/index.js';
import { encodeTxEnvelope } from '../../src/core/records/index.js';
import { buildChain, certify, proposerOf, quorumOf, type TestChain } from '../helpers/chain.js';
import {
  assessTransfer,
  declareTransfer,
  grantConsent,
  receiptFor,
  revokeConsent,
  type TestNetwork,
  testGenesis,
} from '../helpers/fixtures.js';

/** A chain that exercises every record kind: grant, declare (needs assessment), assess, receipt, revoke. */
function lifecycleChain(net: TestNetwork): TestChain {
  const grant = grantConsent(net, { patient: 'alice' });
  const other = grantConsent(net, { patient: 'bob' });
  const declaration = declareTransfer(net, {
    consentId: grant.objectId,
    categories: ['imaging-study', 'genetic-test-result'],
  });
  const assessA = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-cac' });
  const assessB = assessTransfer(net, { transferId: declaration.objectId, assessor: 'sz-health' });
  const receipt = receiptFor(net, { transferId: declaration.objectId });
  const revoke = revokeConsent(net, { consentId: other.objectId, patient: 'bob' });
  return buildChain({
    genesis: net.genesis,
    signers: net.signers,
    blocks: [[grant, other], [declaration], [], [assessA, assessB], [receipt, revoke]],
  });
}

/** The context block `index` (0-based) of `chain` is verified in, re-derived from scratch. */
function replayContext(chain: TestChain, index: number): VerifyContext {
  const state = new MemoryState();
  const log = new MemoryMerkleLog();
  let previous: ChainTip = genesisTip(chain.params);
  for (let i = 0; i < index; i++) {
    const { block } = chain.blocks[i]!;
    const applied = applyBlock(state, block, { params: chain.params, previous, logNodes: log });
    state.apply(applied.writes);
    for (const leaf of applied.logLeaves) log.append(leaf);
    previous = tipOf(block.header, blockHash(block.header));
  }
  return {
    params: chain.params,
    previous,
    state,
    logNodes: log,
    hasTx: (txId) =>
      chain.blocks
        .slice(0, index)
        .some(({ block }) => block.txs.some((tx) => sha256(tx).every((b, j) => b === txId[j]))),
  };
}

/**
 * Copies every byte string into a fresh Uint8Array. cbor-x leaves a cached `dataView` property on
 * buffers it decodes, which deepStrictEqual would count as a difference.
 */
function plain<T>(value: T): T {
  if (value instanceof Uint8Array) return Uint8Array.from(value) as T;
  if (Array.isArray(value)) return value.map(plain) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T;
  }
  return value;
}

function withHeader(block: Block, changes: Partial<BlockHeader>): Block {
  return { ...block, header: { ...block.header, ...changes } };
}

function expectFault(verdict: ReturnType<typeof verifyBlock>, code: BlockFaultCode, reason?: RegExp): void {
  assert.equal(verdict.ok, false, `expected ${code}, the block verified`);
  if (verdict.ok) return;
  assert.equal(verdict.code, code, verdict.reason);
  if (reason !== undefined) assert.match(verdict.reason, reason);
}

/**
 * A context at `base`'s genesis with the consensus limits of `limits` (the genesis tip is a hash of
 * the whole genesis, so a block built under one is checked under the other's limits at the same tip).
 */
function limitedContext(limits: TestNetwork, base: TestNetwork): VerifyContext {
  return {
    params: chainParamsOf(limits.genesis),
    previous: genesisTip(chainParamsOf(base.genesis)),
    state: new MemoryState(),
    logNodes: new MemoryMerkleLog(),
    hasTx: () => false,
  };
}

describe('ledger: codecs and hash', () => {
  const net = testGenesis();
  const chain = lifecycleChain(net);

  it('encodes blocks, headers and certificates canonically and decodes them back', () => {
    for (const { block, certificate } of chain.blocks) {
      assert.deepEqual(plain(decodeBlock(encodeBlock(block))), plain(block));
      assert.deepEqual(decodeHeader(encodeHeader(block.header)), block.header);
      assert.deepEqual(decodeCertificate(encodeCertificate(certificate)), certificate);
      assert.deepEqual(blockHash(block.header), sha256(encodeHeader(block.header)));
    }
  });

  it('ignores properties outside the header contract when hashing', () => {
    const header = chain.blocks[0]!.block.header;
    const decorated = { ...header, note: 'not part of the header' } as BlockHeader;
    assert.deepEqual(blockHash(decorated), blockHash(header));
  });

  it('refuses unknown fields, missing fields, oversized and non-canonical blocks', () => {
    const block = chain.blocks[0]!.block;
    const value = decodeCanonical(encodeBlock(block)) as {
      header: Record<string, unknown>;
      txs: Uint8Array[];
    };
    const extra = encodeCanonical({ ...value, extra: 1 });
    assert.throws(
      () => decodeBlock(extra),
      (e: unknown) => isBayledgerError(e, 'SCHEMA_INVALID'),
    );
    const { stateHash: _dropped, ...headerWithout } = value.header;
    assert.throws(
      () => decodeBlock(encodeCanonical({ ...value, header: headerWithout })),
      /stateHash: missing field/,
    );
    const nonCanonical = new Uint8Array([...encodeBlock(block), 0x00]);
    assert.throws(
      () => decodeBlock(nonCanonical),
      (e: unknown) => isBayledgerError(e) && e.code.startsWith('CBOR_'),
    );
    const tooMany = { header: block.header, txs: Array.from({ length: 5001 }, () => utf8('x')) };
    assert.throws(
      () => encodeBlock(tooMany),
      (e: unknown) => isBayledgerError(e),
    );
  });

  it('encodes a block at the transaction count and byte limits, and refuses one past either', () => {
    const { header } = chain.blocks[0]!.block;
    const most = Array.from({ length: LIMITS.maxTxsPerBlock }, () => utf8('x'));
    assert.ok(decodeBlock(encodeBlock({ header, txs: most })).txs.length === LIMITS.maxTxsPerBlock);
    assert.throws(
      () => encodeBlock({ header, txs: [...most, utf8('x')] }),
      /5001 transactions, the limit is 5000/,
    );
    const fullTxs = LIMITS.maxBlockTxBytes / LIMITS.maxTxBytes;
    const heaviest = Array.from({ length: fullTxs }, () => new Uint8Array(LIMITS.maxTxBytes));
    assert.equal(decodeBlock(encodeBlock({ header, txs: heaviest })).txs.length, fullTxs);
    assert.throws(
      () => encodeBlock({ header, txs: [...heaviest, utf8('x')] }),
      new RegExp(`${LIMITS.maxBlockTxBytes + 1} transaction bytes, the limit is ${LIMITS.maxBlockTxBytes}`),
    );
  });
});

describe('ledger: build, apply, verify', () => {
  const net = testGenesis();
  const chain = lifecycleChain(net);

  it('builds blocks that verify against state re-derived from genesis, with the same result', () => {
    chain.blocks.forEach(({ block, certificate }, i) => {
      const context = replayContext(chain, i);
      const verdict = verifyCommittedBlock(block, certificate, context);
      assert.ok(verdict.ok, verdict.ok ? '' : `block ${i + 1}: ${verdict.code} ${verdict.reason}`);
      assert.deepEqual(verdict.applied, chain.applied[i]);
      assert.deepEqual(applyBlock(context.state, block, context), chain.applied[i]);
    });
    const accepted = chain.applied.flatMap((applied) => applied.outcomes.map((outcome) => outcome.accepted));
    assert.deepEqual(accepted, [true, true, true, true, true, true, true]);
    assert.equal(chain.tip.logSize, 7);
    assert.deepEqual(
      chain.tip.logRoot,
      merkleRoot(chain.blocks.flatMap(({ block }) => block.txs.map(leafHash))),
    );
  });

  it('chains the state hash over every block, an empty one included', () => {
    const hashes = chain.blocks.map(({ block }) => block.header.stateHash);
    // stateHash(h) = SHA-256(stateHash(h-1) || SHA-256(canonical writes)); block 3 writes nothing.
    assert.deepEqual(hashes[2], sha256(hashes[1]!, sha256(encodeCanonical([]))));
    assert.equal(chain.applied[2]!.writes.length, 0);
    assert.equal(new Set(hashes.map((hash) => Buffer.from(hash!).toString('hex'))).size, 5);
  });

  const faults: [string, BlockFaultCode, (block: Block, context: VerifyContext) => Block][] = [
    ['another chain id', 'WRONG_CHAIN', (b) => withHeader(b, { chainId: 'other-chain' })],
    ['a skipped height', 'WRONG_HEIGHT', (b) => withHeader(b, { height: b.header.height + 1 })],
    [
      'a wrong previous hash',
      'WRONG_PREVIOUS_HASH',
      (b) => withHeader(b, { previousHash: sha256(utf8('x')) }),
    ],
    ['the previous block time', 'TIME_NOT_LATER', (b, c) => withHeader(b, { timeMs: c.previous.timeMs })],
    ['a non-validator proposer', 'UNKNOWN_PROPOSER', (b) => withHeader(b, { proposer: 'hku-szh' })],
    [
      'another validator set',
      'WRONG_VALIDATORS_HASH',
      (b) => withHeader(b, { validatorsHash: sha256(utf8('v')) }),
    ],
    ['a txCount that lies', 'TX_COUNT_MISMATCH', (b) => withHeader(b, { txCount: b.header.txCount + 1 })],
    ['a logSize that lies', 'LOG_SIZE_MISMATCH', (b) => withHeader(b, { logSize: b.header.logSize + 1 })],
    ['a txRoot that lies', 'TX_ROOT_MISMATCH', (b) => withHeader(b, { txRoot: sha256(utf8('r')) })],
    ['a logRoot that lies', 'LOG_ROOT_MISMATCH', (b) => withHeader(b, { logRoot: sha256(utf8('r')) })],
    ['a stateHash that lies', 'STATE_HASH_MISMATCH', (b) => withHeader(b, { stateHash: sha256(utf8('s')) })],
    [
      'bytes that are not a transaction',
      'TX_MALFORMED',
      (b) => ({ ...b, txs: [utf8('garbage'), ...b.txs.slice(1)] }),
    ],
    ['a repeated transaction', 'TX_DUPLICATE', (b) => ({ ...b, txs: [b.txs[0]!, b.txs[0]!] })],
  ];
  for (const [name, code, mutate] of faults) {
    it(`refuses a block with ${name} (${code})`, () => {
      const context = replayContext(chain, 1);
      const block = chain.blocks[1]!.block;
      const twoTxBlock = code === 'TX_DUPLICATE' ? chain.blocks[0]!.block : block;
      const base = code === 'TX_DUPLICATE' ? replayContext(chain, 0) : context;
      const mutated = mutate(twoTxBlock, base);
      expectFault(verifyBlock(mutated, base), code);
      // A certificate proves the validators signed this header, not that it fits this chain: a
      // committed block (block sync, chain verify) gets every check a proposal gets.
      const certificate = certify(chain.params, net.signers, blockHash(mutated.header), mutated.header);
      expectFault(verifyCommittedBlock(mutated, certificate, base), code);
    });
  }

  it('refuses a transaction with a broken signature (TX_INVALID)', () => {
    const context = replayContext(chain, 0);
    const block = chain.blocks[0]!.block;
    const tx = decodeCanonical(Uint8Array.from(block.txs[0]!)) as { sigs: { sig: Uint8Array }[] };
    tx.sigs[0]!.sig[5]! ^= 0x01;
    const forged = encodeCanonical(tx);
    const verdict = verifyBlock({ ...block, txs: [forged, block.txs[1]!] }, context);
    expectFault(verdict, 'TX_INVALID');
    if (!verdict.ok) assert.equal(verdict.txIndex, 0);
  });

  it('refuses a map that is shaped like an envelope but is not a transaction (TX_MALFORMED)', () => {
    const context = replayContext(chain, 1);
    const block = chain.blocks[1]!.block;
    const grant = decodeCanonical(Uint8Array.from(chain.blocks[0]!.block.txs[0]!)) as Record<string, unknown>;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['a body that is a list', { ...grant, body: [] }, /\$\.body: expected a map/],
      ['a body that is bytes', { ...grant, body: utf8('x') }, /\$\.body: expected a map/],
      ['a body that is text', { ...grant, body: 'x' }, /\$\.body: expected a map/],
      ['an unknown kind', { ...grant, kind: 'consent.forge' }, /\$\.kind/],
      ['no signatures field', { body: grant.body, kind: grant.kind }, /\$\.sigs/],
    ];
    for (const [name, envelope, reason] of cases) {
      const verdict = verifyBlock({ ...block, txs: [encodeCanonical(envelope)] }, context);
      expectFault(verdict, 'TX_MALFORMED', reason);
      if (!verdict.ok) assert.equal(verdict.txIndex, 0, name);
    }
  });

  it('refuses a transaction already in the log (TX_ALREADY_COMMITTED)', () => {
    const context = replayContext(chain, 1);
    const replay = chain.blocks[0]!.block.txs[0]!;
    const block = chain.blocks[1]!.block;
    expectFault(verifyBlock({ ...block, txs: [replay] }, context), 'TX_ALREADY_COMMITTED');
  });

  it('holds blocks to the transaction count of the genesis, the limit itself allowed (BLOCK_TOO_LARGE)', () => {
    const txs = ['a', 'b', 'c'].map((patient) => grantConsent(net, { patient }).bytes);
    const atMost = (maxBlockTxs: number) => limitedContext(testGenesis({ consensus: { maxBlockTxs } }), net);
    const built = buildBlock(
      { timeMs: net.genesis.genesisTimeMs + 1, proposer: 'sz-cac', candidates: txs },
      atMost(2),
    );
    assert.equal(built.block.txs.length, 2, 'the proposer fills only up to the limit');
    const verdict = verifyBlock(built.block, atMost(2));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    expectFault(verifyBlock(built.block, atMost(1)), 'BLOCK_TOO_LARGE', /2 transactions, the limit is 1/);
  });

  it('holds blocks to the transaction bytes of the genesis, the limit itself allowed (BLOCK_TOO_LARGE)', () => {
    const txs = ['a', 'b', 'c'].map((patient) => grantConsent(net, { patient }).bytes);
    const twoTxBytes = txs[0]!.byteLength + txs[1]!.byteLength;
    const atMost = (maxBlockBytes: number) =>
      limitedContext(testGenesis({ consensus: { maxBlockBytes } }), net);
    const built = buildBlock(
      { timeMs: net.genesis.genesisTimeMs + 1, proposer: 'sz-cac', candidates: txs },
      atMost(twoTxBytes),
    );
    assert.deepEqual(built.block.txs, txs.slice(0, 2), 'the proposer fills only up to the limit');
    const verdict = verifyBlock(built.block, atMost(twoTxBytes));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    expectFault(
      verifyBlock(built.block, atMost(twoTxBytes - 1)),
      'BLOCK_TOO_LARGE',
      new RegExp(`${twoTxBytes} transaction bytes, the limit is ${twoTxBytes - 1}`),
    );
  });

  it('refuses certificates without a quorum, for another height, or with a forged signature', () => {
    const { block, certificate } = chain.blocks[1]!;
    const context = replayContext(chain, 1);
    const hash = blockHash(block.header);
    const twoOfFour = certify(chain.params, net.signers, hash, block.header, {
      validators: ['sz-cac', 'qianhai'],
    });
    expectFault(verifyCommittedBlock(block, twoOfFour, context), 'CERTIFICATE_INVALID');
    const quorum = certify(chain.params, net.signers, hash, block.header, {
      validators: quorumOf(chain.params),
    });
    assert.ok(verifyCommittedBlock(block, quorum, context).ok, 'three of four is a quorum');
    const otherHeight: CommitCertificate = { ...certificate, height: 1 };
    expectFault(verifyCommittedBlock(block, otherHeight, context), 'CERTIFICATE_INVALID');
    const forged = structuredClone(certificate);
    (forged.signatures[0]!.signature as Uint8Array)[0]! ^= 1;
    expectFault(verifyCommittedBlock(block, forged, context), 'CERTIFICATE_INVALID');
  });

  it('refuses certificates that count a validator twice, list signers out of order or name a stranger', () => {
    const { block } = chain.blocks[1]!;
    const context = replayContext(chain, 1);
    const twoOfFour = certify(chain.params, net.signers, blockHash(block.header), block.header, {
      validators: ['sz-cac', 'qianhai'],
    });
    const [first, second] = twoOfFour.signatures;
    // Three signatures from two validators must not pass for the quorum of three.
    const repeated = { ...twoOfFour, signatures: [first!, first!, second!] };
    expectFault(verifyCommittedBlock(block, repeated, context), 'CERTIFICATE_INVALID', /repeated/);
    const reversed = { ...twoOfFour, signatures: [second!, first!] };
    expectFault(verifyCommittedBlock(block, reversed, context), 'CERTIFICATE_INVALID', /order/);
    const stranger = { ...twoOfFour, signatures: [{ ...first!, validator: 'hku-szh' }, second!] };
    expectFault(
      verifyCommittedBlock(block, stranger, context),
      'CERTIFICATE_INVALID',
      /signer hku-szh is not a validator/,
    );
  });

  it('drops invalid candidates when building and reports why', () => {
    const context = replayContext(chain, 5);
    const fresh = grantConsent(net, { patient: 'carol' });
    const already = chain.blocks[0]!.block.txs[0]!;
    const built = buildBlock(
      {
        timeMs: chain.tip.timeMs + 1,
        proposer: proposerOf(chain.params, 6),
        candidates: [utf8('junk'), already, fresh.bytes, fresh.bytes],
      },
      context,
    );
    assert.deepEqual(built.block.txs, [fresh.bytes]);
    assert.deepEqual(
      built.rejected.map((r) => [r.index, r.code]),
      [
        [0, 'TX_MALFORMED'],
        [1, 'TX_ALREADY_COMMITTED'],
        [3, 'TX_DUPLICATE'],
      ],
    );
    assert.ok(verifyBlock(built.block, context).ok);
  });
});

describe("ledger: a block's Merkle overlay", () => {
  it("gives the log root and the block's own txRoot of a full log, for every start and length", () => {
    const leaves = Array.from({ length: 48 }, (_, i) => leafHash(utf8(`tx ${i}`)));
    for (let start = 0; start <= 33; start++) {
      const base = new MemoryMerkleLog();
      for (const leaf of leaves.slice(0, start)) base.append(leaf);
      for (let count = 1; start + count <= 48 && count <= 15; count++) {
        const overlay = new MerkleNodeOverlay(base, start);
        const appended = leaves.slice(start, start + count);
        for (const leaf of appended) overlay.append(leaf);
        assert.deepEqual(overlay.root(), merkleRoot(leaves.slice(0, start + count)), `${start} + ${count}`);
        assert.deepEqual(overlay.appendedRoot(), merkleRoot(appended), `${start} + ${count}`);
      }
    }
  });
});

describe('ledger: frontier log', () => {
  it('gives the same roots and nodes as the full in-memory log, for every size', () => {
    const frontier = new FrontierLog();
    const full = new MemoryMerkleLog();
    for (let size = 1; size <= 70; size++) {
      const leaf = leafHash(utf8(`leaf ${size}`));
      frontier.appendLeaves([leaf]);
      full.append(leaf);
      assert.deepEqual(rootAt(frontier, size), full.root(), `size ${size}`);
    }
    assert.throws(
      () => frontier.getNode(0, 0),
      (e: unknown) => isBayledgerError(e, 'NOT_FOUND'),
    );
  });
});

describe('ledger: offline proof bundles', () => {
  const net = testGenesis();
  const chain = lifecycleChain(net);

  function bundleFor(blockIndex: number, txIndex: number): ProofBundle {
    const { block, certificate } = chain.blocks[blockIndex]!;
    const leafIndex = block.header.logSize - block.header.txCount + txIndex;
    // The proof is against the log as of that block: a log holding only blocks up to it.
    const log = new MemoryMerkleLog();
    for (const { block: earlier } of chain.blocks.slice(0, blockIndex + 1))
      for (const tx of earlier.txs) log.append(leafHash(tx));
    return {
      tx: block.txs[txIndex]!,
      leafIndex,
      treeSize: block.header.logSize,
      path: inclusionProof(log, leafIndex, block.header.logSize),
      header: block.header,
      certificate,
    };
  }

  it('proves which transaction, kind, height and signing validators, through its encoding', () => {
    const bundle = decodeProofBundle(encodeProofBundle(bundleFor(3, 1)));
    const verdict = verifyProofBundle(bundle, chainParamsOf(net.genesis));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    assert.equal(verdict.kind, 'transfer.assess');
    assert.equal(verdict.height, 4);
    assert.deepEqual(verdict.signers, ['sz-cac', 'sz-health', 'qianhai', 'hk-health']);
    assert.deepEqual(verdict.txId, sha256(bundle.tx));
  });

  it('rejects a bundle whose transaction, path, header or certificate was changed', () => {
    const params = chainParamsOf(net.genesis);
    const good = bundleFor(4, 0);
    const otherTx = chain.blocks[4]!.block.txs[1]!;
    const flippedPath = good.path.map((hash, i) => (i === 0 ? sha256(hash) : hash));
    const cases: [string, ProofBundle, RegExp][] = [
      ['another transaction', { ...good, tx: otherTx }, /inclusion proof/],
      ['a changed path', { ...good, path: flippedPath }, /inclusion proof/],
      [
        'a changed header',
        { ...good, header: { ...good.header, timeMs: good.header.timeMs + 1 } },
        /certificate/,
      ],
      [
        'a sub-quorum certificate',
        {
          ...good,
          certificate: { ...good.certificate, signatures: good.certificate.signatures.slice(0, 2) },
        },
        /quorum/,
      ],
      [
        'a leaf outside the block',
        { ...bundleFor(4, 0), leafIndex: 0, path: bundleFor(0, 0).path },
        /not in block 5/,
      ],
      ['a leaf just past the log', { ...good, leafIndex: good.header.logSize }, /not in block 5/],
      ['a proof for another tree size', { ...good, treeSize: good.treeSize + 1 }, /tree size/],
      [
        'a header that names another validator set',
        { ...good, header: { ...good.header, validatorsHash: sha256(utf8('v')) } },
        /another validator set/,
      ],
      ['a certified transaction that does not verify', forgedTxBundle(), /^transaction: /],
    ];
    for (const [name, bundle, reason] of cases) {
      const verdict = verifyProofBundle(bundle, params);
      assert.equal(verdict.ok, false, name);
      if (!verdict.ok) assert.match(verdict.reason, reason, name);
    }
    const otherNetwork = testGenesis({ chainId: 'other-network' });
    const foreign = verifyProofBundle(good, chainParamsOf(otherNetwork.genesis));
    assert.equal(foreign.ok, false);
    if (!foreign.ok) assert.match(foreign.reason, /chain gba-health-test, not other-network/);
  });

  /**
   * A transaction with a broken signature in a block the validators certified anyway: the
   * auditor's check of the transaction itself must still refuse it.
   */
  function forgedTxBundle(): ProofBundle {
    const grant = decodeCanonical(grantConsent(net, { patient: 'erin' }).bytes) as {
      sigs: { sig: Uint8Array }[];
    };
    grant.sigs[0]!.sig[5]! ^= 0x01;
    const tx = encodeCanonical(grant);
    const first = chain.blocks[0]!.block.header;
    const header: BlockHeader = { ...first, txCount: 1, logSize: 1, logRoot: leafHash(tx) };
    const certificate = certify(chain.params, net.signers, blockHash(header), header);
    return { tx, leafIndex: 0, treeSize: 1, path: [], header, certificate };
  }

  it('re-encodes transactions byte for byte (leaf bytes are the canonical envelope)', () => {
    const grant = grantConsent(net, { patient: 'dave' });
    assert.deepEqual(encodeTxEnvelope(grant.envelope), grant.bytes);
  });
});
