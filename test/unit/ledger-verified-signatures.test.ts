// Signatures are checked once per node (issue 7): verifyBlock and buildBlock skip the signature
// step for transactions the context vouches for (`isVerified`, keyed by the id of the exact
// bytes), and verifyCommittedBlock the certificate's (`isCertificateVerified`), but never the
// schema, role, signer, order or quorum checks. Also the pieces the block path now shares: one
// decode per transaction with the body bytes taken from the envelope, values encoded once for the
// state hash and the store, and the item-end walker those rely on.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { bytesEqual, toHex } from '../../src/core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { canonicalItemEnd } from '../../src/core/codec/item-end.js';
import { signingMessage } from '../../src/core/crypto/domain.js';
import { verifySignature } from '../../src/core/crypto/ed25519.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { certificateSignatureChecks, txSignatureChecks } from '../../src/core/ledger/block-signatures.js';
import { checkBlockTx } from '../../src/core/ledger/block-tx.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import { genesisTip } from '../../src/core/ledger/chain-params.js';
import {
  encodeWriteValues,
  MemoryState,
  nextStateHash,
  nextStateHashOfEncoded,
  STATE_BUCKETS,
  type StateWrite,
} from '../../src/core/ledger/state-kv.js';
import { type VerifyContext, verifyBlock, verifyCommittedBlock } from '../../src/core/ledger/verify-block.js';
import { MemoryMerkleLog } from '../../src/core/merkle/index.js';
import { bodyBytesOf, decodeTxEnvelope } from '../../src/core/records/index.js';
import { buildChain, certify } from '../helpers/chain.js';
import { declareTransfer, grantConsent, testGenesis, testKey } from '../helpers/fixtures.js';

const net = testGenesis();

const { value: canonicalValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

/** The same envelope with one bit of its first signature flipped: well formed, signature invalid. */
function withBrokenSignature(bytes: Uint8Array): Uint8Array {
  const tx = decodeCanonical(Uint8Array.from(bytes)) as { sigs: { sig: Uint8Array }[] };
  tx.sigs[0]!.sig = Uint8Array.from(tx.sigs[0]!.sig);
  tx.sigs[0]!.sig[5]! ^= 0x01;
  return encodeCanonical(tx);
}

function emptyContext(extra: Partial<VerifyContext> = {}): VerifyContext {
  const chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: [] });
  return {
    params: chain.params,
    previous: genesisTip(chain.params),
    state: new MemoryState(),
    logNodes: new MemoryMerkleLog(),
    hasTx: () => false,
    ...extra,
  };
}

/** Ids of transactions whose signatures "were verified": what the mempool's wasVerified answers. */
function vouchingFor(...txs: Uint8Array[]): (txId: Uint8Array) => boolean {
  const ids = new Set(txs.map((tx) => toHex(decodeTxIdOf(tx))));
  return (txId) => ids.has(toHex(txId));
}

function decodeTxIdOf(bytes: Uint8Array): Uint8Array {
  const check = checkBlockTx(bytes, net.genesis, () => true);
  if (!check.ok) throw new Error(check.reason);
  return check.checked.txId;
}

function blockOf(txs: Uint8Array[], context: VerifyContext): Block {
  const built = buildBlock(
    { timeMs: net.genesis.genesisTimeMs + 1000, proposer: 'sz-cac', candidates: txs },
    { ...context, isVerified: () => true },
  );
  assert.equal(built.rejected.length, 0, JSON.stringify(built.rejected));
  return built.block;
}

describe('ledger: signatures verified once (isVerified)', () => {
  const grant = grantConsent(net, { patient: 'vera' });
  const declaration = declareTransfer(net, { consentId: grant.objectId });
  const forged = withBrokenSignature(grant.bytes);

  it('verifyBlock checks every signature when nothing is vouched for', () => {
    const context = emptyContext();
    const block = blockOf([forged, declaration.bytes], context);
    const verdict = verifyBlock(block, context);
    assert.equal(verdict.ok, false);
    if (!verdict.ok) {
      assert.equal(verdict.code, 'TX_INVALID');
      assert.match(verdict.reason, /SIGNATURE_INVALID/);
    }
  });

  it('verifyBlock skips the signature step only for the exact bytes vouched for', () => {
    const context = emptyContext();
    const block = blockOf([forged, declaration.bytes], context);
    // The forged bytes are vouched for (as a cache would after a bug): their signature is not re-checked.
    assert.ok(verifyBlock(block, { ...context, isVerified: vouchingFor(forged) }).ok);
    // Vouching for the original bytes says nothing about the forged ones, whose id differs.
    const verdict = verifyBlock(block, {
      ...context,
      isVerified: vouchingFor(grant.bytes, declaration.bytes),
    });
    assert.equal(verdict.ok, false);
  });

  it('still checks schemas, roles and required signers of vouched-for transactions', () => {
    const context = emptyContext();
    const signedByOutsider = grantConsent(net, {
      patient: 'walt',
      signers: [testKey('patient/walt'), testKey('x')],
    });
    const built = buildBlock(
      { timeMs: net.genesis.genesisTimeMs + 1000, proposer: 'sz-cac', candidates: [signedByOutsider.bytes] },
      { ...context, isVerified: () => true },
    );
    assert.equal(built.block.txs.length, 0);
    assert.equal(built.rejected[0]?.code, 'TX_INVALID');
    assert.match(built.rejected[0]!.reason, /SIGNER_UNKNOWN/);
    const check = checkBlockTx(signedByOutsider.bytes, net.genesis, () => true);
    assert.equal(check.ok, false);
  });

  it('buildBlock rejects a bad signature unless the candidate is vouched for', () => {
    const context = emptyContext();
    const input = { timeMs: net.genesis.genesisTimeMs + 1000, proposer: 'sz-cac', candidates: [forged] };
    const plain = buildBlock(input, context);
    assert.deepEqual(
      plain.rejected.map((r) => r.code),
      ['TX_INVALID'],
    );
    const vouched = buildBlock(input, { ...context, isVerified: vouchingFor(forged) });
    assert.equal(vouched.block.txs.length, 1);
  });

  it('builds and verifies the same block whether or not signatures are vouched for', () => {
    const context = emptyContext();
    const input = {
      timeMs: net.genesis.genesisTimeMs + 1000,
      proposer: 'sz-cac',
      candidates: [grant.bytes, declaration.bytes],
    };
    const plain = buildBlock(input, context);
    const vouched = buildBlock(input, { ...context, isVerified: () => true });
    assert.deepEqual(vouched.blockHash, plain.blockHash);
    assert.deepEqual(vouched.applied, plain.applied);
    const verdict = verifyBlock(plain.block, { ...context, isVerified: () => true });
    assert.ok(verdict.ok);
    if (verdict.ok) assert.deepEqual(verdict.applied, plain.applied);
  });
});

describe('ledger: certificate signatures verified once (isCertificateVerified)', () => {
  const chain = buildChain({
    genesis: net.genesis,
    signers: net.signers,
    blocks: [[grantConsent(net, { patient: 'cert' })]],
  });
  const { block, certificate } = chain.blocks[0]!;

  it('skips the signature check of a vouched-for certificate, and only that', () => {
    const context = emptyContext();
    const forged = structuredClone(certificate);
    (forged.signatures[0]!.signature as Uint8Array)[0]! ^= 1;
    assert.equal(verifyCommittedBlock(block, forged, context).ok, false);
    assert.ok(
      verifyCommittedBlock(block, forged, { ...context, isCertificateVerified: (c) => c === forged }).ok,
    );
    assert.equal(
      verifyCommittedBlock(block, forged, { ...context, isCertificateVerified: (c) => c === certificate }).ok,
      false,
    );
  });

  it('still requires a quorum, the right height and hash, and validator order', () => {
    const context = { ...emptyContext(), isCertificateVerified: () => true };
    const hash = blockHash(block.header);
    const twoOfFour = certify(chain.params, net.signers, hash, block.header, {
      validators: ['sz-cac', 'qianhai'],
    });
    assert.equal(verifyCommittedBlock(block, twoOfFour, context).ok, false);
    assert.equal(verifyCommittedBlock(block, { ...certificate, height: 2 }, context).ok, false);
    const reversed = { ...certificate, signatures: [...certificate.signatures].reverse() };
    assert.equal(verifyCommittedBlock(block, reversed, context).ok, false);
  });
});

describe('ledger: one decode per transaction', () => {
  it('takes the body bytes from the envelope, equal to encoding the body', () => {
    for (const tx of [
      grantConsent(net, { patient: 'body' }),
      declareTransfer(net, { consentId: new Uint8Array(32) }),
    ]) {
      const check = checkBlockTx(tx.bytes, net.genesis);
      assert.ok(check.ok);
      if (!check.ok) continue;
      assert.ok(bytesEqual(check.checked.bodyBytes, bodyBytesOf(decodeTxEnvelope(tx.bytes))));
      assert.deepEqual(check.checked.txId, tx.txId);
    }
  });

  it('reports malformed bytes and schema failures as TX_MALFORMED, bad signers as TX_INVALID', () => {
    const bad = checkBlockTx(Uint8Array.from([0x01]), net.genesis);
    assert.equal(bad.ok ? 'ok' : bad.code, 'TX_MALFORMED');
    const noKind = encodeCanonical({ body: {}, sigs: [] });
    const noKindCheck = checkBlockTx(noKind, net.genesis);
    assert.equal(noKindCheck.ok ? 'ok' : noKindCheck.code, 'TX_MALFORMED');
  });

  it('finds the end of any canonical item', () => {
    fc.assert(
      fc.property(canonicalValue, fc.uint8Array({ maxLength: 300 }), (value, tail) => {
        const encoded = encodeCanonical([value, tail, value]);
        assert.equal(canonicalItemEnd(encoded, 0), encoded.byteLength);
        const first = encodeCanonical(value);
        assert.equal(canonicalItemEnd(encoded, 1), 1 + first.byteLength);
      }),
      { numRuns: 200 },
    );
  });

  it('reads every head size: lengths and counts at the 1-, 2-, 4-byte boundaries', () => {
    const lengths = [23, 24, 255, 256, 300, 65_535, 65_536, 70_000];
    const values: unknown[] = [
      ...lengths.map((length) => new Uint8Array(length).fill(1)),
      ...lengths.map((length) => 'x'.repeat(length)),
      ...[24, 300, 70_000].map((count) => new Array(count).fill(0)),
      Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])),
      [2 ** 32 + 5, 70_000, 300, -300],
    ];
    for (const value of values) {
      const encoded = encodeCanonical([value, 7]);
      assert.equal(canonicalItemEnd(encoded, 0), encoded.byteLength);
      assert.equal(canonicalItemEnd(encoded, 1), encoded.byteLength - 1);
    }
  });
});

describe('ledger: signature checks as data (block-signatures.ts)', () => {
  it('lists every signer of every transaction, over the domain-separated body, and the precommits', () => {
    const grant = grantConsent(net, { patient: 'sigs' });
    const declaration = declareTransfer(net, { consentId: grant.objectId });
    const checked = [grant, declaration].map((tx) => {
      const check = checkBlockTx(tx.bytes, net.genesis);
      assert.ok(check.ok);
      return check.checked;
    });
    const checks = txSignatureChecks(checked, net.genesis.chainId);
    assert.equal(checks.length, 3);
    for (const [i, tx] of [grant, grant, declaration].entries()) {
      const expected = signingMessage(tx.kind, net.genesis.chainId, bodyBytesOf(tx.envelope));
      assert.deepEqual(checks[i]!.message, expected);
      assert.ok(verifySignature(checks[i]!.publicKey, checks[i]!.message, checks[i]!.signature));
    }
    const chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: [[grant]] });
    const { certificate } = chain.blocks[0]!;
    const precommits = certificateSignatureChecks(certificate, chain.params.validators, net.genesis.chainId);
    assert.equal(precommits.length, certificate.signatures.length);
    assert.ok(precommits.every((check) => verifySignature(check.publicKey, check.message, check.signature)));
  });
});

describe('ledger: state values encoded once', () => {
  const writeArbitrary = fc.record({
    bucket: fc.constantFrom(...STATE_BUCKETS),
    key: fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef/'), maxLength: 140 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    value: fc.oneof(
      fc.constant(null),
      fc.record(
        { accepted: fc.boolean(), reasons: fc.array(fc.constantFrom('A', 'B')), n: fc.nat() },
        { noNullPrototype: true },
      ),
      fc.uint8Array({ maxLength: 40 }),
    ),
  });

  it('nextStateHashOfEncoded hashes exactly what nextStateHash hashes', () => {
    fc.assert(
      fc.property(
        fc.array(writeArbitrary, { maxLength: 30 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (writes, previous) => {
          const typed = writes as StateWrite[];
          assert.deepEqual(
            nextStateHashOfEncoded(previous, typed, encodeWriteValues(typed)),
            nextStateHash(previous, typed),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
