// Nodes that never vote (submitters, the recipient) take the transaction signatures of a certified
// block as checked (NodeChain.trustQuorumForTxSignatures, docs/ARCHITECTURE.md decision 13), while
// validators check every one. The certificate itself, the schema, signer roles and the state are
// checked either way: only the per-transaction signature step is skipped.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeCanonical, encodeCanonical } from '../../src/core/codec/canonical.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import { chainParamsOf, genesisTip } from '../../src/core/ledger/chain-params.js';
import { NodeChain } from '../../src/node/node-chain.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { certify, genesisRecordOf, proposerOf } from '../helpers/chain.js';
import { grantConsent, testGenesis } from '../helpers/fixtures.js';

const net = testGenesis();
const params = chainParamsOf(net.genesis);

/** The same envelope with one bit of its first signature flipped: well formed, signature invalid. */
function withBrokenSignature(bytes: Uint8Array): Uint8Array {
  const tx = decodeCanonical(Uint8Array.from(bytes)) as { sigs: { sig: Uint8Array }[] };
  tx.sigs[0]!.sig = Uint8Array.from(tx.sigs[0]!.sig);
  tx.sigs[0]!.sig[5]! ^= 0x01;
  return encodeCanonical(tx);
}

describe('node chain: followers trust the quorum for transaction signatures', () => {
  let dir: string;
  let store: LedgerStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-trust-'));
    store = await LedgerStore.open(path.join(dir, 'data'), { createIfMissing: true });
    await store.initGenesis(genesisRecordOf(net.genesis));
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A certified block at height 1 whose only transaction carries a forged signature. */
  function forgedBlock() {
    const forged = withBrokenSignature(grantConsent(net, { patient: 'trust' }).bytes);
    const built = buildBlock(
      { timeMs: genesisTip(params).timeMs + 1000, proposer: proposerOf(params, 1), candidates: [forged] },
      { ...store.contextFor(params), isVerified: () => true },
    );
    assert.equal(built.rejected.length, 0);
    const certificate = certify(params, net.signers, built.blockHash, built.block.header);
    return { block: built.block, certificate };
  }

  it('a validator refuses a certified block with a forged transaction signature', async () => {
    const chain = new NodeChain(store, params);
    const { block, certificate } = forgedBlock();
    await assert.rejects(chain.commit(block, certificate, 'sync'), /SIGNATURE_INVALID/);
    assert.equal(chain.height, 0);
  });

  it('a follower commits it on the strength of the certificate', async () => {
    const chain = new NodeChain(store, params);
    chain.trustQuorumForTxSignatures();
    const { block, certificate } = forgedBlock();
    assert.equal(await chain.commit(block, certificate, 'sync'), true);
    assert.equal(chain.height, 1);
  });

  it('a follower still refuses a forged certificate or a short quorum', async () => {
    const chain = new NodeChain(store, params);
    chain.trustQuorumForTxSignatures();
    const { block, certificate } = forgedBlock();
    const forgedCertificate = structuredClone(certificate);
    (forgedCertificate.signatures[0]!.signature as Uint8Array)[3]! ^= 1;
    await assert.rejects(chain.commit(block, forgedCertificate, 'sync'), /CERTIFICATE_INVALID/);
    const twoOfFour = certify(params, net.signers, certificate.blockHash, block.header, {
      validators: params.validators.slice(0, 2).map((validator) => validator.id),
    });
    await assert.rejects(chain.commit(block, twoOfFour, 'sync'), /CERTIFICATE_INVALID/);
    assert.equal(chain.height, 0);
  });

  it('a follower still refuses a block whose state hash is wrong', async () => {
    const chain = new NodeChain(store, params);
    chain.trustQuorumForTxSignatures();
    const { block } = forgedBlock();
    const header = { ...block.header, stateHash: new Uint8Array(32) };
    const tampered = { ...block, header };
    const certificate = certify(params, net.signers, blockHash(header), header);
    await assert.rejects(chain.commit(tampered, certificate, 'sync'), /STATE_HASH_MISMATCH/);
  });
});
