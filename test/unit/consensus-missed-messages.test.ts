// Repairing missed consensus messages (src/core/consensus/missed-messages.ts, ARCHITECTURE
// decision 61): a node that lacks the proposal of a round asks the proposer and the validators
// that voted for a value in that round; a node asked sends the proposal it holds, once per asking
// peer and round; a node re-sends its own proposal and votes to a peer that (re)connects. Four validators v0..v3, height 1; proposer(1, r) = v[(1 + r) mod 4],
// so v2 proposes round 1 (block B, built by v2) and v3 round 2.
import assert from 'node:assert/strict';
import { bytesEqual } from '../../src/core/bytes.js';
import type { Proposal } from '../../src/core/consensus/messages.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type { ConsensusEffect, ConsensusInput } from '../../src/core/consensus/types.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  feed,
  makeNode,
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

function request(from: string, round: number, height = 1): ConsensusInput {
  return { type: 'proposal-request', from, request: { height, round } };
}

function sentProposals(effects: readonly ConsensusEffect[]): Array<{ to: string; proposal: Proposal }> {
  return effects.flatMap((effect) =>
    effect.type === 'send-proposal' ? [{ to: effect.to, proposal: effect.proposal }] : [],
  );
}

function requestsOf(effects: readonly ConsensusEffect[]): string[] {
  return summarize(effects, labels).filter((line) => line.startsWith('send-proposal-request'));
}

/** v2 in round 1 with its own proposal of B: it skipped there on v0's and v3's nil prevotes. */
function proposerInRoundOne(): { state: ConsensusState; proposal: Proposal } {
  const skipped = feed(makeNode(fx, 2), ...START_INPUTS, ...voteInputs(fx, 'prevote', 1, null, [0, 3]));
  assert.deepEqual(
    summarize(skipped.effects, labels).filter((line) => line.startsWith('request-proposal-block')),
    ['request-proposal-block h1 r1'],
  );
  const proposed = feed(skipped.state, { type: 'proposal-value', height: 1, round: 1, block: B });
  const proposal = proposed.state.ownProposals.get(1);
  assert.ok(proposal !== undefined, 'v2 proposed in round 1');
  return { state: proposed.state, proposal };
}

describe('consensus: asking for a missed proposal', () => {
  it('asks the proposer, then the validators that voted for a value, after a skip into a round without its proposal', () => {
    // v0 is still in round 0; v3's prevote for B and v1's nil prevote of round 1 make f + 1.
    const { effects, state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...voteInputs(fx, 'prevote', 1, B, [3]),
      ...voteInputs(fx, 'prevote', 1, null, [1]),
    );
    assert.equal(state.round, 1);
    // v1 voted nil, so it may not hold the proposal; v3 voted B, so it does.
    assert.deepEqual(requestsOf(effects), ['send-proposal-request r1 to v2,v3']);
  });

  it('asks as soon as the proposer of a round votes for a value it has no proposal of, once per round', () => {
    // v1 proposes round 0 (A): its prevote for A means its proposal, sent before it, was lost to v0.
    const { effects, state } = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...voteInputs(fx, 'prevote', 0, A, [1]),
    );
    assert.deepEqual(requestsOf(effects), ['send-proposal-request r0 to v1']);
    // Its precommit and v3's prevote add nothing: round 0 was asked for.
    const later = feed(
      state,
      ...voteInputs(fx, 'precommit', 0, A, [1]),
      ...voteInputs(fx, 'prevote', 0, A, [3]),
    );
    assert.deepEqual(requestsOf(later.effects), []);
    // A vote of the proposer's in a later round of the height counts for that round.
    const ahead = feed(later.state, ...voteInputs(fx, 'precommit', 1, B, [2]));
    assert.deepEqual(requestsOf(ahead.effects), ['send-proposal-request r1 to v2']);
  });

  it('does not ask on a nil vote of the proposer, a vote of another validator alone, or a vote of another height', () => {
    const nil = feed(makeNode(fx, 0), ...START_INPUTS, ...voteInputs(fx, 'prevote', 0, null, [1]));
    assert.deepEqual(requestsOf(nil.effects), []);
    const other = feed(makeNode(fx, 0), ...START_INPUTS, ...voteInputs(fx, 'prevote', 0, A, [3]));
    assert.deepEqual(requestsOf(other.effects), []);
    // proposer(2, 0) = v2: its prevote of height 2 is kept for later, not asked about now.
    const nextHeight = { type: 'vote', vote: makeVote(fx, 2, 'prevote', 0, B, 2) } as const;
    assert.deepEqual(requestsOf(feed(makeNode(fx, 0), ...START_INPUTS, nextHeight).effects), []);
  });

  it('does not ask when the proposal of that round already arrived, nor for a round of its own', () => {
    const held = feed(
      makeNode(fx, 0),
      ...START_INPUTS,
      ...proposalInputs(fx, 1, B),
      ...voteInputs(fx, 'prevote', 1, B, [2, 3]),
    );
    assert.equal(held.state.round, 1);
    assert.deepEqual(requestsOf(held.effects), []);
    // v3 proposes round 2: skipping there it proposes instead of asking.
    const own = feed(makeNode(fx, 3), ...START_INPUTS, ...voteInputs(fx, 'prevote', 2, null, [0, 1]));
    assert.equal(own.state.round, 2);
    assert.deepEqual(requestsOf(own.effects), []);
    assert.ok(summarize(own.effects, labels).includes('request-proposal-block h1 r2'));
  });

  it('never asks itself: restarted, it holds its own prevote for the value but not the proposal', () => {
    // v0 prevoted B in round 1 and restarted: its WAL gives back its prevote, not v2's proposal.
    const wal = [{ type: 'vote', vote: makeVote(fx, 0, 'prevote', 1, B), block: null }] as const;
    const restarted = feed(makeNode(fx, 0, { wal }), { type: 'start-height' });
    assert.equal(restarted.state.round, 1);
    const { effects } = feed(restarted.state, ...voteInputs(fx, 'prevote', 1, B, [2]));
    assert.deepEqual(requestsOf(effects), ['send-proposal-request r1 to v2']);
  });

  it('an observer that skips rounds asks too: it decides on the proposal and the precommits', () => {
    const { effects } = feed(
      makeNode(fx, 0, { observer: true }),
      { type: 'start-height' },
      ...voteInputs(fx, 'precommit', 1, B, [1, 3]),
    );
    assert.deepEqual(requestsOf(effects), ['send-proposal-request r1 to v2,v1,v3']);
  });

  it('asks again at the next height: what was asked is per height', () => {
    const asked = feed(makeNode(fx, 0), ...START_INPUTS, ...voteInputs(fx, 'prevote', 0, A, [1]));
    assert.deepEqual([...asked.state.proposalsAsked], [0]);
    // Block sync brings height 1 decided; height 2 begins with nothing asked.
    const decided = feed(
      asked.state,
      ...proposalInputs(fx, 0, A),
      ...voteInputs(fx, 'precommit', 0, A, [1, 2, 3]),
    );
    assert.equal(decided.state.height, 2);
    assert.equal(decided.state.proposalsAsked.size, 0);
  });
});

describe('consensus: answering a proposal request', () => {
  it('sends its own proposal of the asked round, unchanged, to the peer that asked', () => {
    const { state, proposal } = proposerInRoundOne();
    const { effects } = feed(state, request('v0', 1));
    const sent = sentProposals(effects);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, 'v0');
    assert.deepEqual(sent[0]!.proposal, proposal);
    assert.deepEqual(summarize(effects, labels), ['send-proposal B r1 to v0']);
  });

  it('relays the proposal it received from the proposer, signature and all', () => {
    const received = feed(makeNode(fx, 1), ...START_INPUTS, ...proposalInputs(fx, 1, B));
    const { effects } = feed(received.state, request('v0', 1));
    const sent = sentProposals(effects);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.proposal.proposer, 'v2');
    const kept = received.state.rounds.get(1)!.proposals[0]!.proposal;
    assert.ok(bytesEqual(sent[0]!.proposal.signature, kept.signature));
  });

  it('answers each peer once per round: a repeated request gets nothing', () => {
    const { state } = proposerInRoundOne();
    const first = feed(state, request('v0', 1));
    assert.equal(sentProposals(first.effects).length, 1);
    const again = feed(first.state, request('v0', 1));
    assert.deepEqual(again.effects, []);
    // Another peer is answered on its own account.
    assert.deepEqual(
      sentProposals(feed(again.state, request('v1', 1)).effects).map((sent) => sent.to),
      ['v1'],
    );
  });

  it('sends nothing for a round it holds no proposal of, another height, or a request in its own name', () => {
    const { state } = proposerInRoundOne();
    const { effects, state: after } = feed(
      state,
      request('v0', 3),
      request('v0', 1, 2),
      request('v0', 0),
      request('v2', 1),
    );
    assert.deepEqual(effects, []);
    // Nothing was sent, so nothing counts as answered: the proper request still gets its answer.
    assert.equal(sentProposals(feed(after, request('v0', 1)).effects).length, 1);
  });

  it('answers at most LIMITS.maxOrganisations peers a height; one already answered still gets a later round', () => {
    let { state } = proposerInRoundOne();
    const askers = Array.from({ length: LIMITS.maxOrganisations }, (_, i) => `org-${i}`);
    for (const asker of askers) state = feed(state, request(asker, 1)).state;
    assert.equal(state.proposalRequestsAnswered.size, LIMITS.maxOrganisations);
    assert.deepEqual(feed(state, request('one-too-many', 1)).effects, []);
    // org-0 moves on to round 2, whose proposal (A from v3) this node received.
    const withRoundTwo = feed(state, ...proposalInputs(fx, 2, A)).state;
    assert.equal(withRoundTwo.rounds.get(2)?.proposals[0]?.proposal.proposer, 'v3');
    assert.deepEqual(
      sentProposals(feed(withRoundTwo, request('org-0', 2)).effects).map((sent) => sent.to),
      ['org-0'],
    );
  });
});

describe('consensus: a validator back part-way through a round', () => {
  it('prevotes the round value it asked for instead of nil, so the round can decide with it', () => {
    // v1 is down; v2 proposed B in round 1 and v2 and v3 prevoted it: one prevote short of 2f + 1.
    const { state: v2, proposal } = proposerInRoundOne();
    // v0 comes back in round 0 and hears v2's and v3's prevotes for B (the votes re-sent in a stall).
    const rejoined = feed(makeNode(fx, 0), ...START_INPUTS, ...voteInputs(fx, 'prevote', 1, B, [2, 3]));
    assert.equal(rejoined.state.round, 1);
    const asked = rejoined.effects.find((effect) => effect.type === 'send-proposal-request');
    assert.ok(asked?.type === 'send-proposal-request' && asked.to.includes('v2'), 'v0 asked v2');
    const answered = sentProposals(feed(v2, request('v0', asked.request.round)).effects);
    assert.equal(answered.length, 1);
    // The answer arrives; the shell validates B; v0 prevotes B in round 1: the third prevote.
    const delivered = feed(rejoined.state, proposalInput(answered[0]!.proposal), {
      type: 'block-validated',
      height: 1,
      round: 1,
      blockHash: proposal.blockHash,
      valid: true,
    });
    const prevote = delivered.state.ownVotes.get('prevote/1');
    assert.ok(prevote?.blockHash !== null && prevote !== undefined);
    assert.ok(bytesEqual(prevote.blockHash!, proposal.blockHash));
    // v0 locks on B too: it holds 2f + 1 prevotes for it (v2, v3 and its own) and precommits B.
    assert.ok(summarize(delivered.effects, labels).includes('broadcast-vote precommit B r1'));
  });
});

describe('consensus: re-sending to a peer that connects', () => {
  /**
   * v2 in round 1 with its proposal of B, its prevote for B and a nil precommit: v1's prevote made
   * four in the round, no polka, and v2's prevote timeout ran out.
   */
  function proposerPrecommittedNil(): ConsensusState {
    const { state } = proposerInRoundOne();
    return feed(state, ...voteInputs(fx, 'prevote', 1, B, [1]), timeoutInput('prevote', 1)).state;
  }

  it('sends a validator its proposal of the current round and its votes of the height, newest first', () => {
    const { effects } = feed(proposerPrecommittedNil(), { type: 'peer-connected', peer: 'v1' });
    assert.deepEqual(summarize(effects, labels), [
      'send-proposal B r1 to v1',
      'send-vote precommit nil r1 to v1',
      'send-vote prevote B r1 to v1',
    ]);
  });

  it('sends a follower no prevotes (only validators use them) and itself nothing', () => {
    const state = proposerPrecommittedNil();
    assert.deepEqual(summarize(feed(state, { type: 'peer-connected', peer: 'hospital' }).effects, labels), [
      'send-proposal B r1 to hospital',
      'send-vote precommit nil r1 to hospital',
    ]);
    assert.deepEqual(feed(state, { type: 'peer-connected', peer: 'v2' }).effects, []);
  });

  it('a re-send on connect is not an answer, and a new connection starts a new count of answers', () => {
    const connected = feed(proposerInRoundOne().state, { type: 'peer-connected', peer: 'v1' });
    assert.equal(sentProposals(connected.effects).length, 1);
    // The batch may have been lost with a connection that closed: a request is still answered.
    const asked = feed(connected.state, request('v1', 1));
    assert.equal(sentProposals(asked.effects).length, 1);
    assert.deepEqual(feed(asked.state, request('v1', 1)).effects, [], 'once per connection');
    const reconnected = feed(asked.state, { type: 'peer-connected', peer: 'v1' });
    assert.equal(sentProposals(feed(reconnected.state, request('v1', 1)).effects).length, 1);
  });

  it('repairs LIMITS.maxConnectRepairsPerHeight connections of a peer a height, then no more until the next', () => {
    let state = proposerInRoundOne().state;
    const copiesPerConnect: number[] = [];
    for (let connect = 0; connect < LIMITS.maxConnectRepairsPerHeight + 2; connect++) {
      const connected = feed(state, { type: 'peer-connected', peer: 'v1' });
      // Each connection asks too: a repaired one gets a fresh answer, the others none.
      const asked = feed(connected.state, request('v1', 1));
      copiesPerConnect.push(sentProposals([...connected.effects, ...asked.effects]).length);
      state = asked.state;
    }
    assert.deepEqual(copiesPerConnect, [
      ...Array(LIMITS.maxConnectRepairsPerHeight).fill(2),
      ...Array(2).fill(0),
    ]);
    // Another peer has its own count.
    assert.equal(sentProposals(feed(state, { type: 'peer-connected', peer: 'v3' }).effects).length, 1);
    // The next height starts a new count.
    const decided = feed(state, ...voteInputs(fx, 'precommit', 1, B, [0, 1, 3]));
    assert.equal(decided.state.height, 2);
    assert.equal(decided.state.connectRepairs.size, 0);
  });

  it('repairs at most LIMITS.maxOrganisations peers a height', () => {
    let state = proposerInRoundOne().state;
    for (let peer = 0; peer < LIMITS.maxOrganisations; peer++)
      state = feed(state, { type: 'peer-connected', peer: `peer-${peer}` }).state;
    assert.deepEqual(feed(state, { type: 'peer-connected', peer: 'one-more' }).effects, []);
    assert.equal(sentProposals(feed(state, { type: 'peer-connected', peer: 'peer-0' }).effects).length, 1);
  });

  it('an observer has nothing of its own to send', () => {
    const observer = feed(
      makeNode(fx, 0, { observer: true }),
      { type: 'start-height' },
      ...proposalInputs(fx, 0, A),
    );
    assert.deepEqual(feed(observer.state, { type: 'peer-connected', peer: 'v1' }).effects, []);
  });
});
