// Why Tendermint locks (arXiv:1807.04938, lines 23 and 29), as a schedule written out by hand:
// the shape of the counterexample the simulator finds when locks are ignored. Four correct
// validators A=v0, B=v1, C=v2, D=v3 at height 1; proposer(1, r) = v[(1 + r) mod 4].
//  Round 0: B proposes X. A, B, C prevote X; D misses the proposal and prevotes nil. A, B, C lock
//           X and precommit it; D precommits nil. A hears B and C: A decides X. B and C hear each
//           other and D's nil but not A, so they time out into round 1, locked on X.
//  Round 1: C re-proposes X (validRound 0). D lacks round 0's prevote quorum for X, so it prevotes
//           nil; only B and C prevote X, and everyone moves on to round 2.
//  Round 2: D, which never saw X win, proposes Y. With locks, B and C prevote nil and Y fails.
//           Without locks, B, C and D commit Y: A committed X at the same height.
import assert from 'node:assert/strict';
import { toHex } from '../../src/core/bytes.js';
import { Cluster } from '../sim/cluster.js';
import { makeBlock, makeFixture } from '../sim/fixtures.js';

function playSchedule(ignoreLocks: boolean): string[][] {
  const fx = makeFixture(4);
  const cluster = new Cluster(fx, { bugs: { ignoreLockWhenPrevoting: ignoreLocks } });
  const deliverAll = (from: readonly number[], to: readonly number[], type: 'prevote' | 'precommit') => {
    for (const sender of from) {
      const vote = cluster.lastVote(sender, type)!;
      for (const receiver of to) if (receiver !== sender) cluster.deliverVote(receiver, vote);
    }
  };
  cluster.startAll();
  // Round 0.
  cluster.answerProposalRequest(1, makeBlock(fx, 1, 1));
  const x = cluster.lastProposal(1)!;
  for (const node of [0, 2]) cluster.deliverProposal(node, x);
  cluster.fire(3, 'propose');
  deliverAll([0, 1, 2], [0, 1, 2], 'prevote');
  deliverAll([0, 1], [3], 'prevote');
  deliverAll([3], [0, 1, 2], 'prevote');
  cluster.fire(3, 'prevote');
  deliverAll([1, 2], [0], 'precommit');
  deliverAll([1, 2, 3], [1, 2], 'precommit');
  deliverAll([0, 1], [3], 'precommit');
  for (const node of [1, 2, 3]) cluster.fire(node, 'precommit');
  // Round 1.
  const again = cluster.lastProposal(2)!;
  assert.equal(again.validRound, 0, 'C re-proposes its valid value');
  for (const node of [1, 3]) cluster.deliverProposal(node, again);
  cluster.fire(3, 'propose');
  deliverAll([1, 2, 3], [1, 2, 3], 'prevote');
  for (const node of [1, 2, 3]) cluster.fire(node, 'prevote');
  deliverAll([1, 2, 3], [1, 2, 3], 'precommit');
  for (const node of [1, 2, 3]) cluster.fire(node, 'precommit');
  // Round 2.
  cluster.answerProposalRequest(3, makeBlock(fx, 3, 2));
  for (const node of [1, 2]) cluster.deliverProposal(node, cluster.lastProposal(3)!);
  deliverAll([1, 2, 3], [1, 2, 3], 'prevote');
  deliverAll([1, 2, 3], [1, 2, 3], 'precommit');
  return [0, 1, 2, 3].map((node) => cluster.decisions(node).map((decision) => toHex(decision.blockHash)));
}

describe('consensus: locks keep agreement', () => {
  it('with locks, the late proposal fails and only X is ever decided', () => {
    const decisions = playSchedule(false);
    assert.equal(decisions[0]?.length, 1, 'A decided in round 0');
    assert.deepEqual(decisions.slice(1), [[], [], []], 'B, C and D wait (block sync brings them X)');
  });

  it('without locks (the planted bug), B, C and D decide another block at the same height', () => {
    const decisions = playSchedule(true);
    const decidedX = decisions[0]![0]!;
    for (const node of [1, 2, 3]) {
      assert.equal(decisions[node]?.length, 1);
      assert.notEqual(decisions[node]![0], decidedX);
    }
  });
});
