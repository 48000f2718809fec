// A transaction is decoded and checked once per node (issue 7): the mempool's admission result is
// handed to buildBlock and verifyBlock through VerifyContext.checkedTx, keyed by the id of the
// exact bytes, and reused there instead of decoding the bytes again.
import { strict as assert } from 'node:assert';
import { toHex } from '../../src/core/bytes.js';
import { type CheckedTx, checkBlockTx, checkBlockTxOnce } from '../../src/core/ledger/block-tx.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import { chainParamsOf, genesisTip } from '../../src/core/ledger/chain-params.js';
import { MemoryState } from '../../src/core/ledger/state-kv.js';
import { type VerifyContext, verifyBlock } from '../../src/core/ledger/verify-block.js';
import { MemoryMerkleLog } from '../../src/core/merkle/index.js';
import { declareTransfer, grantConsent, testGenesis } from '../helpers/fixtures.js';

const net = testGenesis();
const params = chainParamsOf(net.genesis);

function checked(bytes: Uint8Array): CheckedTx {
  const check = checkBlockTx(bytes, net.genesis);
  if (!check.ok) throw new Error(check.reason);
  return check.checked;
}

/** A lookup over `known` that counts how often it answered. */
function lookupOver(known: CheckedTx[]): {
  lookup: (txId: Uint8Array) => CheckedTx | undefined;
  hits: () => number;
} {
  const byId = new Map(known.map((tx) => [toHex(tx.txId), tx]));
  let hits = 0;
  return {
    lookup: (txId) => {
      const found = byId.get(toHex(txId));
      if (found !== undefined) hits++;
      return found;
    },
    hits: () => hits,
  };
}

function context(extra: Partial<VerifyContext>): VerifyContext {
  return {
    params,
    previous: genesisTip(params),
    state: new MemoryState(),
    logNodes: new MemoryMerkleLog(),
    hasTx: () => false,
    ...extra,
  };
}

describe('ledger: transactions checked once (checkedTx)', () => {
  const grant = grantConsent(net, { patient: 'once' });
  const declaration = declareTransfer(net, { consentId: grant.objectId });

  it('reuses the known result, the very object, and checks unknown bytes as before', () => {
    const known = checked(grant.bytes);
    const { lookup, hits } = lookupOver([known]);
    const reused = checkBlockTxOnce(grant.bytes, net.genesis, undefined, lookup);
    assert.ok(reused.ok && reused.checked === known);
    const fresh = checkBlockTxOnce(declaration.bytes, net.genesis, undefined, lookup);
    assert.ok(fresh.ok);
    assert.deepEqual(fresh.ok && fresh.checked.txId, declaration.txId);
    assert.equal(hits(), 1);
    const malformed = checkBlockTxOnce(Uint8Array.from([0x01]), net.genesis, undefined, lookup);
    assert.equal(malformed.ok ? 'ok' : malformed.code, 'TX_MALFORMED');
  });

  it('crashes on a lookup that answers for other bytes (a broken cache), never accepts them', () => {
    const wrong = () => checked(declaration.bytes);
    assert.throws(() => checkBlockTxOnce(grant.bytes, net.genesis, undefined, wrong), /another id/);
  });

  it('buildBlock and verifyBlock give the same block and state with or without the lookup', () => {
    const txs = [grant.bytes, declaration.bytes];
    const input = { timeMs: net.genesis.genesisTimeMs + 1000, proposer: 'sz-cac', candidates: txs };
    const plain = buildBlock(input, context({}));
    const { lookup, hits } = lookupOver(txs.map(checked));
    const reusing = buildBlock(input, context({ checkedTx: lookup }));
    assert.deepEqual(reusing.block, plain.block);
    assert.deepEqual(reusing.applied.stateHash, plain.applied.stateHash);
    assert.equal(hits(), 2);
    const verdict = verifyBlock(plain.block, context({ checkedTx: lookup }));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    assert.equal(hits(), 4);
  });
});
