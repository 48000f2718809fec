// How the consensus machine takes in messages and keeps its own (issue 4, item 2): signatures
// checked before counting, duplicates and stale messages dropped before any signature work,
// bounded buffers, equivocation evidence, persist-before-send, restart from the WAL without ever
// signing a second value, observers, block sync, regossip and the round limit.
import assert from 'node:assert/strict';
import { defaultVerifier } from '../../src/core/consensus/machine.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type { ConsensusEffect, SignatureVerifier, WalRecord } from '../../src/core/consensus/types.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  feed,
  labelsOf,
  makeBlock,
  makeNode,
  makeProposal,
  makeTableFixture,
  makeVote,
  proposalInput,
  proposalInputs,
  START_INPUTS,
  summarize,
  timeoutInput,
  voteInputs,
} from '../sim/fixtures.js';

const { fx, A, B, labels } = makeTableFixture();

function countingVerifier(): SignatureVerifier & { readonly calls: () => number } {
  let calls = 0;
  return {
    verifyVote: (key, chainId, vote) => {
      calls++;
      return defaultVerifier.verifyVote(key, chainId, vote);
    },
    verifyProposal: (key, chainId, proposal) => {
      calls++;
      return defaultVerifier.verifyProposal(key, chainId, proposal);
    },
    calls: () => calls,
  };
}

function prevoters(state: ConsensusState, round: number): number {
  return state.rounds.get(round)?.prevotes.byValidator.size ?? 0;
}

describe('consensus: message intake', () => {
  it('drops a duplicate vote before checking its signature again', () => {
    const verifier = countingVerifier();
    const vote = makeVote(fx, 1, 'prevote', 0, A);
    const { state } = feed(
      makeNode(fx, 0, { verifier }),
      ...START_INPUTS,
      { type: 'vote', vote },
      { type: 'vote', vote },
    );
    assert.equal(verifier.calls(), 1);
    assert.equal(prevoters(state, 0), 1);
  });

  it('drops votes of decided heights without any signature work', () => {
    const verifier = countingVerifier();
    const stale = { ...makeVote(fx, 1, 'prevote', 0, A), height: 0 };
    const { state, effects } = feed(makeNode(fx, 0, { verifier }), ...START_INPUTS, {
      type: 'vote',
      vote: stale,
    });
    assert.equal(verifier.calls(), 0);
    assert.equal(prevoters(state, 0), 0);
    assert.deepEqual(summarize(effects, labels), ['wait-for-txs h1', 'schedule-timeout propose r0 300ms']);
  });

  it('does not count a vote with a bad signature, or from an unknown validator', () => {
    const forged = { ...makeVote(fx, 1, 'prevote', 0, A), signature: new Uint8Array(64).fill(7) };
    const stranger = { ...makeVote(fx, 1, 'prevote', 0, A), validator: 'mallory' };
    const { state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      { type: 'vote', vote: forged },
      { type: 'vote', vote: stranger },
    );
    assert.equal(prevoters(state, 0), 0);
  });

  it('buffers the next heights (at most LIMITS.maxFutureHeights ahead) and replays them', () => {
    const next = makeVote(fx, 1, 'prevote', 0, null, 2);
    const farthest = makeVote(fx, 3, 'prevote', 0, null, 1 + LIMITS.maxFutureHeights);
    const tooFar = makeVote(fx, 2, 'prevote', 0, null, 2 + LIMITS.maxFutureHeights);
    let { state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      { type: 'vote', vote: next },
      { type: 'vote', vote: next },
      { type: 'vote', vote: farthest },
      { type: 'vote', vote: tooFar },
    );
    assert.deepEqual(
      state.future.map((message) => message.type === 'vote' && message.vote.height),
      [2, 1 + LIMITS.maxFutureHeights],
      'the repeated vote is buffered once, the farthest height kept, the one beyond dropped',
    );
    assert.equal(state.futureBySender.get('v1'), 1);
    ({ state } = feed(
      state,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'prevote', 0, A, [1, 2]),
      ...voteInputs(fx, 'precommit', 0, A, [1, 2]),
    ));
    assert.equal(state.height, 2);
    assert.equal(prevoters(state, 0), 1, 'the buffered vote of height 2 now counts');
    assert.equal(state.future.length, LIMITS.maxFutureHeights - 1, 'later heights stay buffered');
  });

  it('buffers only authentic messages of later heights, and a bounded share per validator', () => {
    const forged = { ...makeVote(fx, 1, 'prevote', 0, null, 2), signature: new Uint8Array(64).fill(1) };
    const flood = Array.from({ length: 200 }, (_, round) => makeVote(fx, 3, 'prevote', round, null, 2));
    const honest = makeVote(fx, 2, 'prevote', 0, null, 2);
    const { state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      { type: 'vote', vote: forged },
      ...flood.map((vote) => ({ type: 'vote' as const, vote })),
      { type: 'vote', vote: honest },
    );
    const share = Math.floor(LIMITS.maxMessagesPerRound / LIMITS.maxValidators / LIMITS.maxFutureHeights);
    assert.equal(state.futureBySender.get('v1'), undefined, 'the forgery was not buffered');
    assert.equal(state.futureBySender.get('v3'), share);
    assert.equal(state.futureBySender.get('v2'), 1, 'the flood did not crowd out an honest validator');
  });

  it('turns two signed values of one validator into one evidence record and counts both', () => {
    const first = makeVote(fx, 3, 'prevote', 0, A);
    const second = makeVote(fx, 3, 'prevote', 0, B);
    const third = makeVote(fx, 3, 'prevote', 0, null);
    const { state, effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      { type: 'vote', vote: first },
      { type: 'vote', vote: second },
      { type: 'vote', vote: third },
    );
    const evidence = effects.filter((effect) => effect.type === 'evidence');
    assert.equal(evidence.length, 1);
    assert.ok(evidence[0]?.type === 'evidence' && evidence[0].evidence.kind === 'vote');
    assert.equal(evidence[0].evidence.validator, 'v3');
    assert.deepEqual(evidence[0].evidence.voteA, first);
    assert.deepEqual(evidence[0].evidence.voteB, second);
    assert.equal(state.evidence.length, 1);
    const tally = state.rounds.get(0)!.prevotes;
    assert.deepEqual(tally.byValidator.get('v3')?.length, 3, 'each value is counted once for its own tally');
  });

  it('convicts a validator once per slot: a double prevote and a double precommit are two records', () => {
    const { state, effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...[A, B].map((block) => ({ type: 'vote' as const, vote: makeVote(fx, 3, 'prevote', 0, block) })),
      ...[A, B].map((block) => ({ type: 'vote' as const, vote: makeVote(fx, 3, 'precommit', 0, block) })),
    );
    assert.deepEqual(
      summarize(effects, labels).filter((line) => line.startsWith('evidence')),
      ['evidence v3 prevote r0', 'evidence v3 precommit r0'],
    );
    assert.equal(state.evidence.length, 2);
  });

  it('ignores proposals from anyone but proposer(h, r), with a wrong hash, a bad signature or vr >= r', () => {
    const good = makeProposal(fx, 1, 0, A);
    const notProposer = makeProposal(fx, 2, 0, A);
    const wrongHash = { ...good, blockHash: blockHash(B.header) };
    const badSignature = { ...good, signature: new Uint8Array(64) };
    const futureValidRound = makeProposal(fx, 1, 0, A, 0);
    // The proposal signature covers height, round, validRound and the hash, so proposer(h, r)
    // itself can sign a proposal that names someone else or carries a block of another hash.
    const mislabelled = { ...good, proposer: fx.validators[2]!.id };
    const blockOfAnotherHash = { ...makeProposal(fx, 1, 0, B), block: A };
    // A header counting a transaction its body lacks (the txRoot still matches the body).
    const countThatLies = makeProposal(fx, 1, 0, {
      ...A,
      header: { ...A.header, txCount: A.txs.length + 1 },
    });
    const validRoundBelowNil = makeProposal(fx, 1, 0, A, -2);
    for (const proposal of [
      notProposer,
      wrongHash,
      badSignature,
      futureValidRound,
      mislabelled,
      blockOfAnotherHash,
      countThatLies,
      validRoundBelowNil,
    ]) {
      const { state, effects } = feed(makeNode(fx, 0), ...START_INPUTS, proposalInput(proposal));
      assert.equal(state.rounds.get(0)?.proposals.length ?? 0, 0);
      assert.ok(!effects.some((effect) => effect.type === 'validate-block'));
    }
    const { state } = feed(makeNode(fx, 0), ...START_INPUTS, proposalInput(good));
    assert.equal(state.rounds.get(0)?.proposals.length, 1, 'the same node takes the good one');
  });

  it('refuses without asking the shell a block that cannot follow our last block, and prevotes nil', () => {
    const header = A.header;
    const unfit: [string, Partial<typeof header>][] = [
      ['another chain', { chainId: 'other-chain' }],
      ['height 2, expected 1', { height: 2 }],
      ['previousHash', { previousHash: blockHash(B.header) }],
      ['time', { timeMs: fx.chain.genesisTimeMs }],
      ['proposer', { proposer: 'stranger' }],
    ];
    const started = feed(makeNode(fx, 0), ...START_INPUTS).state;
    for (const [what, changes] of unfit) {
      const block = { ...A, header: { ...header, ...changes } };
      const { effects } = feed(started, proposalInput(makeProposal(fx, 1, 0, block)));
      assert.deepEqual(
        summarize(effects, labels),
        ['persist prevote nil r0', 'broadcast-vote prevote nil r0'],
        what,
      );
    }
  });

  it("checks a proposal's validRound before its signature, and buffers proposals only near heights", () => {
    const verifier = countingVerifier();
    const fractional = { ...makeProposal(fx, 1, 0, A), validRound: 0.5 };
    // proposer(h, 0) = v[h mod 4]
    const next = makeProposal(fx, 2, 0, makeBlock(fx, 2, 3), -1, 2);
    const tooFarHeight = 2 + LIMITS.maxFutureHeights;
    const tooFar = makeProposal(fx, tooFarHeight % 4, 0, makeBlock(fx, 1, 4), -1, tooFarHeight);
    const { state } = feed(
      makeNode(fx, 0, { verifier }),
      ...START_INPUTS,
      proposalInput(fractional),
      proposalInput(next),
      proposalInput(tooFar),
    );
    assert.deepEqual(
      state.future.map((message) => message.type === 'proposal' && message.proposal.height),
      [2],
    );
    assert.equal(verifier.calls(), 1, 'only the buffered proposal had its signature checked');
  });

  it('ignores messages of a round below 0, above LIMITS.maxRoundsPerHeight or not an integer', () => {
    const verifier = countingVerifier();
    // Signed as round 0 and relabelled: the round is checked before the signature.
    const rounds = [-1, LIMITS.maxRoundsPerHeight + 1, 0.5];
    const { state } = feed(
      makeNode(fx, 0, { verifier }),
      ...START_INPUTS,
      ...rounds.map((round) => ({
        type: 'vote' as const,
        vote: { ...makeVote(fx, 2, 'prevote', 0, A), round },
      })),
      ...rounds.map((round) => proposalInput({ ...makeProposal(fx, 1, 0, A), round })),
    );
    for (const round of rounds) assert.ok(!state.rounds.has(round), `round ${round} was taken in`);
    assert.equal(verifier.calls(), 0, 'no signature work either');
  });

  it('counts one validator for at most a value per kept proposal and nil, with no signature work beyond', () => {
    const verifier = countingVerifier();
    const blocks = Array.from({ length: LIMITS.maxProposalsPerRound + 2 }, (_, i) =>
      makeBlock(fx, 1, 10 + i),
    );
    const votes = [...blocks, null].map((block) => makeVote(fx, 3, 'prevote', 0, block));
    const { state } = feed(
      makeNode(fx, 0, { verifier }),
      ...START_INPUTS,
      ...votes.map((vote) => ({ type: 'vote' as const, vote })),
    );
    const counted = LIMITS.maxProposalsPerRound + 1;
    assert.equal(state.rounds.get(0)!.prevotes.byValidator.get('v3')?.length, counted);
    assert.equal(verifier.calls(), counted);
  });

  it('refuses an honest header with other transactions, so the honest block still gets through', () => {
    const honest = makeProposal(fx, 1, 0, A);
    const poisoned = { ...honest, block: { ...A, txs: [...B.txs] } };
    const { state, effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      proposalInput(poisoned),
      proposalInput(honest),
    );
    const stored = state.rounds.get(0)?.proposals ?? [];
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0]?.proposal.block.txs, A.txs);
    assert.deepEqual(summarize(effects, labels).slice(-1), ['validate-block A']);
  });

  it('keeps at most LIMITS.maxProposalsPerRound proposals of an equivocating proposer', () => {
    const proposals = Array.from({ length: LIMITS.maxProposalsPerRound + 2 }, (_, i) =>
      makeProposal(fx, 1, 0, makeBlock(fx, 1, 10 + i)),
    );
    const { state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...proposals.map((proposal) => proposalInput(proposal)),
    );
    assert.equal(state.rounds.get(0)?.proposals.length, LIMITS.maxProposalsPerRound);
  });
});

/** Every own message broadcast has been persisted earlier in the effect sequence. */
function assertPersistBeforeSend(effects: readonly ConsensusEffect[]): number {
  const persisted = new Set<Uint8Array>();
  let checked = 0;
  for (const effect of effects) {
    if (effect.type === 'persist') {
      persisted.add(
        effect.record.type === 'vote' ? effect.record.vote.signature : effect.record.proposal.signature,
      );
    }
    if (effect.type === 'broadcast-vote' && effect.vote.validator === 'v1') {
      assert.ok(persisted.has(effect.vote.signature), 'vote sent before it was persisted');
      checked++;
    }
    if (effect.type === 'broadcast-proposal') {
      assert.ok(persisted.has(effect.proposal.signature), 'proposal sent before it was persisted');
      checked++;
    }
  }
  return checked;
}

function walOf(effects: readonly ConsensusEffect[]): WalRecord[] {
  return effects.flatMap((effect) => (effect.type === 'persist' ? [effect.record] : []));
}

describe('consensus: own messages, WAL and restart', () => {
  it('persists every own signed message before broadcasting it', () => {
    const { effects } = feed(
      makeNode(fx, 1),
      ...START_INPUTS,
      { type: 'proposal-value', height: 1, round: 0, block: A },
      ...voteInputs(fx, 'prevote', 0, A, [0, 2]),
      { type: 'regossip' },
    );
    assert.ok(assertPersistBeforeSend(effects) >= 4);
  });

  it('after a restart re-sends the signed prevote instead of signing nil at the timeout', () => {
    const before = feed(makeNode(fx, 0), ...START_INPUTS, ...proposalInputs(fx, 0, A));
    const wal = walOf(before.effects);
    assert.equal(wal.length, 1);
    const restarted = makeNode(fx, 0, { wal });
    const resumed = feed(restarted, ...START_INPUTS);
    assert.equal(resumed.state.step, 'prevote', 'back in the step the WAL shows');
    assert.deepEqual(
      summarize(resumed.effects, labels).filter((line) => line.startsWith('broadcast')),
      ['broadcast-vote prevote A r0'],
      'the prevote is sent again at once, before any timeout',
    );
    const { effects } = feed(restarted, ...START_INPUTS, timeoutInput('propose', 0));
    const sent = effects.flatMap((effect) => (effect.type === 'broadcast-vote' ? [effect.vote] : []));
    assert.ok(sent.length >= 1);
    for (const vote of sent) assert.deepEqual(vote, wal[0]?.type === 'vote' ? wal[0].vote : undefined);
    assert.ok(!effects.some((effect) => effect.type === 'persist'), 'nothing new was signed');
  });

  it('resumes in the latest round and step the WAL shows, not in round 0 or an earlier step', () => {
    // Round 0 times out with nil votes; in round 1 the node prevotes B and precommits it.
    const before = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      timeoutInput('propose', 0),
      ...voteInputs(fx, 'prevote', 0, null, [1, 2]),
      ...voteInputs(fx, 'precommit', 0, null, [1, 2]),
      timeoutInput('precommit', 0),
      ...proposalInputs(fx, 1, B),
      ...voteInputs(fx, 'prevote', 1, B, [1, 2]),
    );
    const wal = walOf(before.effects);
    assert.deepEqual(
      wal.map((record) =>
        record.type === 'vote' ? `${record.vote.type} r${record.vote.round}` : 'proposal',
      ),
      ['prevote r0', 'precommit r0', 'prevote r1', 'precommit r1'],
    );
    const { state } = feed(makeNode(fx, 0, { wal }), ...START_INPUTS);
    assert.equal(state.round, 1);
    assert.equal(state.step, 'precommit');
  });

  it('restores the lock from the WAL and keeps it in later rounds', () => {
    const before = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'prevote', 0, A, [1, 2]),
    );
    const restarted = makeNode(fx, 0, { wal: walOf(before.effects) });
    assert.equal(restarted.lockedRound, 0);
    assert.equal(restarted.lockedValue?.key, labelsOf({ A }).keys().next().value);
    assert.equal(restarted.round, 0);
    const { state, effects } = feed(
      restarted,
      ...START_INPUTS,
      ...voteInputs(fx, 'precommit', 1, null, [1, 2]),
      ...proposalInputs(fx, 1, B),
    );
    assert.equal(state.round, 1);
    assert.deepEqual(
      summarize(effects, labels).filter((line) => line.startsWith('broadcast-vote') && line.endsWith('r1')),
      ['broadcast-vote prevote nil r1'],
    );
  });

  it('an observer follows and decides but never signs or sends', () => {
    const { state, effects } = feed(
      makeNode(fx, 0, { observer: true }),
      ...START_INPUTS,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'precommit', 0, A, [0, 1, 2]),
    );
    assert.equal(state.height, 2);
    const kinds = new Set(effects.map((effect) => effect.type));
    assert.deepEqual([...kinds].sort(), ['decide', 'validate-block']);
  });

  it('regossip re-sends own votes and the prevotes that prove the valid value', () => {
    const { state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'prevote', 0, A, [1, 2]),
    );
    const { effects } = feed(state, { type: 'regossip' });
    assert.deepEqual(summarize(effects, labels), [
      'broadcast-vote precommit A r0',
      'broadcast-vote prevote A r0',
      'broadcast-vote prevote A r0',
      'broadcast-vote prevote A r0',
    ]);
    const relayed = effects.flatMap((effect) =>
      effect.type === 'broadcast-vote' ? [effect.vote.validator] : [],
    );
    assert.deepEqual(relayed, ['v0', 'v0', 'v1', 'v2']);
  });

  it('decides a synced block with a valid certificate and ignores a forged one', () => {
    const decided = feed(
      makeNode(fx, 1),
      ...START_INPUTS,
      { type: 'proposal-value', height: 1, round: 0, block: A },
      ...voteInputs(fx, 'prevote', 0, A, [0, 2]),
      ...voteInputs(fx, 'precommit', 0, A, [0, 2]),
    ).effects.find((effect) => effect.type === 'decide');
    assert.ok(decided?.type === 'decide');
    const lagging = feed(makeNode(fx, 3), ...START_INPUTS).state;
    const forged = {
      ...decided.certificate,
      signatures: decided.certificate.signatures.map((entry) => ({
        ...entry,
        signature: new Uint8Array(64),
      })),
    };
    const ignored = feed(lagging, { type: 'committed-block', block: A, certificate: forged });
    assert.equal(ignored.state.height, 1);
    const synced = feed(lagging, { type: 'committed-block', block: A, certificate: decided.certificate });
    assert.equal(synced.state.height, 2);
    assert.deepEqual(summarize(synced.effects, labels), ['decide h1 A r0', 'wait-for-txs h2']);
  });

  it('stops advancing at LIMITS.maxRoundsPerHeight and says so', () => {
    const last = LIMITS.maxRoundsPerHeight;
    const { state, effects } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...voteInputs(fx, 'precommit', last, null, [1, 2]),
      timeoutInput('precommit', last),
    );
    assert.equal(state.halted, true);
    assert.equal(state.round, last);
    assert.ok(effects.some((effect) => effect.type === 'halted' && effect.round === last + 1));
    // Halted, it takes nothing in: no vote is counted, no timeout starts a round or reports again.
    const after = feed(state, ...voteInputs(fx, 'prevote', last, null, [3]), timeoutInput('precommit', last));
    assert.deepEqual(after.effects, []);
    assert.equal(after.state, state);
  });
});
