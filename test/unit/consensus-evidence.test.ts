// Equivocation evidence (design section 7, session 3): the machine reports two validly signed
// proposals of proposer(h, r) for one height and round with different blocks, once per slot, and
// otherwise treats the second proposal exactly as before; evidence encodes as canonical CBOR and
// verifyEvidence re-checks both signatures and the conflict with the genesis keys alone.
import assert from 'node:assert/strict';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import type {
  EquivocationEvidence,
  ProposalEquivocation,
  VoteEquivocation,
} from '../../src/core/consensus/evidence.js';
import { signedProposalOf } from '../../src/core/consensus/evidence.js';
import { decodeEvidence, encodeEvidence } from '../../src/core/consensus/evidence-codec.js';
import { verifyEvidence } from '../../src/core/consensus/evidence-verify.js';
import type { ConsensusEffect } from '../../src/core/consensus/types.js';
import { BayledgerError } from '../../src/core/errors.js';
import {
  feed,
  makeBlock,
  makeNode,
  makeProposal,
  makeTableFixture,
  makeVote,
  proposalInput,
  proposalInputs,
  START_INPUTS,
  voteInputs,
} from '../sim/fixtures.js';

const { fx, A, B } = makeTableFixture();
const C = makeBlock(fx, 1, 3);
/** proposer(1, 0) = validators[(1 + 0) mod 4]. */
const PROPOSER = 1;

function evidenceOf(effects: readonly ConsensusEffect[]): EquivocationEvidence[] {
  return effects.flatMap((effect) => (effect.type === 'evidence' ? [effect.evidence] : []));
}

/** proposer(1, 0)'s proposal of A, then of B for the same slot: a double proposal. */
const DOUBLE_PROPOSAL = [
  proposalInput(makeProposal(fx, PROPOSER, 0, A)),
  proposalInput(makeProposal(fx, PROPOSER, 0, B)),
] as const;

function doubleProposal(): ProposalEquivocation {
  const { effects } = feed(makeNode(fx, 0), ...START_INPUTS, ...DOUBLE_PROPOSAL);
  const [evidence] = evidenceOf(effects);
  assert.ok(evidence?.kind === 'proposal');
  return evidence;
}

function doubleVote(): VoteEquivocation {
  const { effects } = feed(
    makeNode(fx, 0),
    ...START_INPUTS,
    { type: 'vote', vote: makeVote(fx, 3, 'precommit', 2, A) },
    { type: 'vote', vote: makeVote(fx, 3, 'precommit', 2, null) },
  );
  const [evidence] = evidenceOf(effects);
  assert.ok(evidence?.kind === 'vote');
  return evidence;
}

describe('consensus: double proposals become evidence', () => {
  it('reports two signed proposals of proposer(h, r) for different blocks once, and keeps both as before', () => {
    const first = makeProposal(fx, PROPOSER, 0, A);
    const second = makeProposal(fx, PROPOSER, 0, B);
    const third = makeProposal(fx, PROPOSER, 0, C);
    const { state, effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      proposalInput(first),
      proposalInput(second),
      proposalInput(third),
    );
    const evidence = evidenceOf(effects);
    assert.equal(evidence.length, 1, 'one report per (proposer, height, round)');
    assert.deepEqual(evidence[0], {
      kind: 'proposal',
      validator: 'v1',
      height: 1,
      round: 0,
      proposalA: signedProposalOf(first),
      proposalB: signedProposalOf(second),
    });
    assert.equal(state.evidence.length, 1);
    // Unchanged intake: every proposal is kept and its block sent for validation.
    assert.equal(state.rounds.get(0)!.proposals.length, 3);
    assert.equal(effects.filter((effect) => effect.type === 'validate-block').length, 3);
  });

  const quiet: ReadonlyArray<[string, ReturnType<typeof proposalInput>[]]> = [
    [
      'the same proposal twice',
      [proposalInput(makeProposal(fx, PROPOSER, 0, A)), proposalInput(makeProposal(fx, PROPOSER, 0, A))],
    ],
    [
      'one proposer in two rounds of its own (0 and 4)',
      [proposalInput(makeProposal(fx, PROPOSER, 0, A)), proposalInput(makeProposal(fx, PROPOSER, 4, B))],
    ],
    [
      'a second block signed by a validator that is not proposer(h, r)',
      [proposalInput(makeProposal(fx, PROPOSER, 0, A)), proposalInput(makeProposal(fx, 2, 0, B))],
    ],
    [
      'a second block with a forged signature',
      [
        proposalInput(makeProposal(fx, PROPOSER, 0, A)),
        proposalInput({ ...makeProposal(fx, PROPOSER, 0, B), signature: new Uint8Array(64).fill(9) }),
      ],
    ],
    [
      'two proposals of one proposer for the same block with different validRounds',
      [
        proposalInput(makeProposal(fx, PROPOSER, 0, A)),
        proposalInput(makeProposal(fx, PROPOSER, 0, A, -1, 1)),
      ],
    ],
  ];
  for (const [name, inputs] of quiet) {
    it(`reports nothing for ${name}`, () => {
      const { effects } = feed(makeNode(fx, 0), ...START_INPUTS, ...inputs);
      assert.deepEqual(evidenceOf(effects), []);
    });
  }

  it('reports a double proposal buffered for the next height once that height begins', () => {
    const first = makeProposal(fx, 2, 0, makeBlock(fx, 2, 4), -1, 2);
    const second = makeProposal(fx, 2, 0, makeBlock(fx, 2, 5), -1, 2);
    const buffered = feed(makeNode(fx, 0), ...START_INPUTS, proposalInput(first), proposalInput(second));
    assert.deepEqual(evidenceOf(buffered.effects), [], 'not at the height being decided yet');
    assert.equal(buffered.state.future.length, 2);
    const decided = feed(
      buffered.state,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'precommit', 0, A, [1, 2, 3]),
    );
    assert.ok(decided.effects.some((effect) => effect.type === 'decide'));
    assert.deepEqual(
      evidenceOf(decided.effects).map((evidence) => [evidence.kind, evidence.validator, evidence.height]),
      [['proposal', 'v2', 2]],
    );
  });

  it('is reported by an observer too', () => {
    const { effects } = feed(makeNode(fx, 0, { observer: true }), ...START_INPUTS, ...DOUBLE_PROPOSAL);
    assert.deepEqual(
      evidenceOf(effects).map((evidence) => [evidence.kind, evidence.validator]),
      [['proposal', 'v1']],
    );
  });

  it('reports a double vote and a double proposal of one validator as two pieces of evidence', () => {
    const { effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...DOUBLE_PROPOSAL,
      { type: 'vote', vote: makeVote(fx, PROPOSER, 'prevote', 0, A) },
      { type: 'vote', vote: makeVote(fx, PROPOSER, 'prevote', 0, B) },
    );
    assert.deepEqual(
      evidenceOf(effects).map((evidence) => [evidence.kind, evidence.validator, evidence.round]),
      [
        ['proposal', 'v1', 0],
        ['vote', 'v1', 0],
      ],
    );
  });
});

describe('consensus: evidence is checked with the genesis keys alone', () => {
  const chainId = fx.chain.chainId;

  it('verifies real vote and proposal evidence', () => {
    assert.deepEqual(verifyEvidence(doubleVote(), fx.validators, chainId), { ok: true });
    assert.deepEqual(verifyEvidence(doubleProposal(), fx.validators, chainId), { ok: true });
  });

  const vote = doubleVote();
  const proposal = doubleProposal();
  const forged: ReadonlyArray<[string, EquivocationEvidence, RegExp, string?]> = [
    ['another network', vote, /signature does not verify/, 'another-chain'],
    ['a tampered second vote', { ...vote, voteB: { ...vote.voteB, round: 3 } }, /not for one slot/],
    [
      'a second vote re-signed as nobody',
      { ...vote, voteB: { ...vote.voteB, signature: new Uint8Array(64) } },
      /second vote's signature/,
    ],
    ['two copies of one vote', { ...vote, voteB: vote.voteA }, /two values/],
    ['a summary naming someone else', { ...vote, validator: 'v2' }, /summary/],
    ['an unknown validator', { ...vote, validator: 'mallory' }, /not a validator/],
    ['two copies of one proposal', { ...proposal, proposalB: proposal.proposalA }, /two blocks/],
    [
      'a first proposal with a bad signature',
      { ...proposal, proposalA: { ...proposal.proposalA, signature: proposal.proposalB.signature } },
      /first proposal's signature/,
    ],
    ['a proposal summary of another round', { ...proposal, round: 1 }, /summary/],
  ];
  for (const [name, evidence, reason, otherChain] of forged) {
    it(`refuses ${name}`, () => {
      const verdict = verifyEvidence(evidence, fx.validators, otherChain ?? chainId);
      assert.equal(verdict.ok, false);
      assert.match(verdict.ok ? '' : verdict.reason, reason);
    });
  }

  it('refuses proposals signed by a validator that is not proposer(h, r)', () => {
    // The same two signatures, judged against a validator list in another order.
    const reordered = [fx.validators[1]!, fx.validators[0]!, ...fx.validators.slice(2)];
    const verdict = verifyEvidence(proposal, reordered, chainId);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, /not the proposer/);
  });

  it('round-trips both kinds through canonical CBOR', () => {
    for (const evidence of [vote, proposal]) {
      const encoded = encodeEvidence(evidence);
      assert.deepEqual(decodeEvidence(encoded), evidence);
      assert.deepEqual(encodeEvidence(decodeEvidence(encoded)), encoded);
    }
  });

  it('refuses an unknown kind, an unknown field and trailing bytes', () => {
    const encoded = encodeEvidence(vote);
    const cases = [
      encodeCanonical({ kind: 'timing', voteA: null, voteB: null }),
      encodeCanonical({ kind: 'vote', voteA: null, voteB: null, extra: 1 }),
      Uint8Array.from([...encoded, 0]),
    ];
    for (const bytes of cases) assert.throws(() => decodeEvidence(bytes), BayledgerError);
  });
});
