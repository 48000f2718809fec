// The JSON form of kept evidence (src/node/evidence/evidence-view.ts), shared by GET /evidence and
// `bayledger evidence list`: the summary comes from the decoded messages (a vote's type, or
// 'proposal'; each message's block hash, null for nil) and the verdict from verifyEvidence.
import { strict as assert } from 'node:assert';
import { toHex } from '../../src/core/bytes.js';
import {
  type EquivocationEvidence,
  proposalEvidence,
  voteEvidence,
} from '../../src/core/consensus/evidence.js';
import { encodeEvidence } from '../../src/core/consensus/evidence-codec.js';
import { evidenceJson, evidenceSummary } from '../../src/node/evidence/evidence-view.js';
import type { StoredEvidence } from '../../src/node/store/evidence-store.js';
import { makeBlock, makeProposal, makeTableFixture, makeVote } from '../sim/fixtures.js';

const { fx, A, B } = makeTableFixture();

function stored(evidence: EquivocationEvidence): StoredEvidence {
  return { cursor: 'c0ffee', evidence, encoded: encodeEvidence(evidence), receivedAtSeconds: 1_800_000_000 };
}

describe('evidence: JSON views', () => {
  it('summarises a double vote by its vote type, with null for a nil vote', () => {
    const voteA = makeVote(fx, 3, 'precommit', 2, A, 5);
    const voteB = makeVote(fx, 3, 'precommit', 2, null, 5);
    const record = stored(voteEvidence(voteA, voteB));
    assert.deepEqual(evidenceSummary(record), {
      cursor: 'c0ffee',
      kind: 'vote',
      validator: 'v3',
      height: 5,
      round: 2,
      message: 'precommit',
      blockA: toHex(voteA.blockHash!),
      blockB: null,
      receivedAt: '2027-01-15T08:00:00.000Z',
      evidence: toHex(record.encoded),
    });
  });

  it("summarises a double proposal as 'proposal', with both block hashes", () => {
    const proposalA = makeProposal(fx, 1, 0, A);
    const proposalB = makeProposal(fx, 1, 0, makeBlock(fx, 1, 7));
    const summary = evidenceSummary(stored(proposalEvidence(proposalA, proposalB)));
    assert.deepEqual(
      [summary.kind, summary.validator, summary.message, summary.blockA, summary.blockB],
      ['proposal', 'v1', 'proposal', toHex(proposalA.blockHash), toHex(proposalB.blockHash)],
    );
  });

  it('adds the verdict against the genesis validators', () => {
    const record = stored(voteEvidence(makeVote(fx, 2, 'prevote', 0, A), makeVote(fx, 2, 'prevote', 0, B)));
    const verified = evidenceJson(record, fx.validators, fx.chain.chainId);
    assert.deepEqual([verified.verifies, verified.reason, verified.message], [true, null, 'prevote']);
    const elsewhere = evidenceJson(record, fx.validators, 'another-chain');
    assert.equal(elsewhere.verifies, false);
    assert.equal(typeof elsewhere.reason, 'string');
  });
});
