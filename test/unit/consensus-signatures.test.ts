// Consensus signatures checked on receipt (src/node/consensus-signatures.ts): a validly signed
// message passes, a forged or unknown signer is the peer's fault (a typed error), and a verdict
// is bound to every signed field, so a message cannot borrow another's.
import assert from 'node:assert/strict';
import { voteSigningBytes } from '../../src/core/consensus/signing.js';
import { verifyInDomain } from '../../src/core/crypto/domain.js';
import { BayledgerError } from '../../src/core/errors.js';
import { ConsensusSignatures } from '../../src/node/consensus-signatures.js';
import { makeProposal, makeTableFixture, makeVote } from '../sim/fixtures.js';

const { fx, A, B } = makeTableFixture();

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof BayledgerError);
    return error.code;
  }
}

describe('consensus signatures checked on receipt', () => {
  it('accepts validly signed votes and proposals', () => {
    const signatures = new ConsensusSignatures(fx.chain.chainId, fx.validators);
    assert.equal(
      codeOf(() => signatures.check({ type: 'vote', vote: makeVote(fx, 2, 'prevote', 0, A) })),
      undefined,
    );
    assert.equal(
      codeOf(() => signatures.check({ type: 'proposal', proposal: makeProposal(fx, 1, 0, A) })),
      undefined,
    );
  });

  it('signs each vote type in the signing domain named after it (design section 3)', () => {
    for (const type of ['prevote', 'precommit'] as const) {
      const vote = makeVote(fx, 2, type, 3, A);
      const bytes = voteSigningBytes(vote.height, vote.round, vote.blockHash);
      const key = fx.validators[2]!.publicKey;
      assert.ok(verifyInDomain(key, `consensus.${type}`, fx.chain.chainId, bytes, vote.signature), type);
      const other = type === 'prevote' ? 'consensus.precommit' : 'consensus.prevote';
      assert.ok(!verifyInDomain(key, other, fx.chain.chainId, bytes, vote.signature), type);
    }
  });

  it('refuses a forged signature, a borrowed one, and an unknown signer', () => {
    const signatures = new ConsensusSignatures(fx.chain.chainId, fx.validators);
    const vote = makeVote(fx, 2, 'prevote', 0, A);
    signatures.check({ type: 'vote', vote }); // its verdict is now remembered
    const borrowed = { ...makeVote(fx, 2, 'prevote', 0, B), signature: vote.signature };
    assert.equal(
      codeOf(() => signatures.check({ type: 'vote', vote: borrowed })),
      'SIGNATURE_INVALID',
    );
    const forged = { ...vote, signature: new Uint8Array(64).fill(3) };
    assert.equal(
      codeOf(() => signatures.check({ type: 'vote', vote: forged })),
      'SIGNATURE_INVALID',
    );
    const stranger = { ...vote, validator: 'mallory' };
    assert.equal(
      codeOf(() => signatures.check({ type: 'vote', vote: stranger })),
      'SIGNER_UNKNOWN',
    );
    const otherChain = new ConsensusSignatures('another-chain', fx.validators);
    assert.equal(
      codeOf(() => otherChain.check({ type: 'vote', vote })),
      'SIGNATURE_INVALID',
    );
  });
});
