// Who the consensus driver sends what to (docs/ARCHITECTURE.md decision 25): the proposal and
// precommits go to every peer, prevotes only to the other validators, because nodes that never
// vote decide on a proposal and a quorum of precommits (Algorithm 1 line 49). A real validator's
// driver, store and mempool (test/helpers/driver-rig.ts); the network is a recorder.
import { strict as assert } from 'node:assert';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { type DriverRig, type SentMessage, startDriverRig } from '../helpers/driver-rig.js';
import { grantConsent } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const voteType = (s: SentMessage): string | undefined =>
  s.message.type === 'vote' ? s.message.vote.type : undefined;

describe('consensus driver: who gets what', function () {
  this.timeout(20_000);
  const rigs: DriverRig[] = [];

  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.close();
  });

  /** The proposer of height 1, round 0 (arXiv:1807.04938 line 14: it proposes at once). */
  async function proposerRig(regossipMs: number): Promise<DriverRig> {
    const rig = await startDriverRig({
      self: (params) => proposerOf(params.validators, 1, 0).id,
      regossipMs,
    });
    rigs.push(rig);
    return rig;
  }

  /** A transaction for the waiting proposer (no heartbeat in the rig's genesis): it proposes at once. */
  function proposeNow(rig: DriverRig): void {
    const added = rig.mempool.add(grantConsent(rig.network, { patient: 'gossip' }).bytes);
    assert.ok(added.ok, 'admitted');
    rig.driver.notifyTxsAvailable();
  }

  const othersOf = (rig: DriverRig): string[] =>
    rig.params.validators.map((validator) => validator.id).filter((id) => id !== rig.self);

  it('sends the proposal and precommits to every peer, prevotes to the other validators only', async () => {
    const rig = await proposerRig(60_000);
    const { sent } = rig;
    const validatorIds = rig.params.validators.map((validator) => validator.id);
    assert.ok(
      rig.network.genesis.organisations.some((organisation) => !validatorIds.includes(organisation.id)),
      'the test genesis has followers',
    );
    proposeNow(rig);

    const prevote = await waitFor('our prevote', () => sent.find((s) => voteType(s) === 'prevote'));
    const proposal = sent.find((s) => s.message.type === 'proposal');
    assert.ok(proposal !== undefined, 'a proposal was sent');
    assert.equal(proposal.to, '*', 'the proposal goes to every peer');
    const prevoteRecipients = sent.filter((s) => voteType(s) === 'prevote').map((s) => s.to);
    assert.deepEqual(
      prevoteRecipients.sort(),
      othersOf(rig).sort(),
      'prevotes go to the other validators, one each',
    );

    // Two more validators prevote the block: a quorum, so we precommit it (Algorithm 1 line 36).
    assert.ok(prevote.message.type === 'vote');
    const { height, round, blockHash } = prevote.message.vote;
    for (const validator of othersOf(rig).slice(0, 2))
      rig.vote(validator, 'prevote', height, round, blockHash);
    const precommit = await waitFor('our precommit', () => sent.find((s) => voteType(s) === 'precommit'));
    assert.equal(precommit.to, '*', 'precommits go to every peer (followers decide on them)');
  });

  it('sends its proposal and prevote again once the height has not moved for a regossip interval', async () => {
    const regossipMs = 100;
    const rig = await proposerRig(regossipMs);
    const { sent } = rig;
    // Taken before the input that moves the machine to its last step (prevote), so no later than
    // the moment the stall watch counts from. Not the prevote's send time: that follows the WAL's
    // fsync, which under load took more than 5 ms and made a correct driver fail the check below.
    const lastProgressNoLaterMs = Date.now();
    proposeNow(rig);
    await waitFor('our prevote', () => sent.find((s) => voteType(s) === 'prevote'));
    // Nobody answers, so the machine waits in the prevote step (no timeout runs before 2f + 1
    // prevotes, Algorithm 1 line 34): only the driver's stall watch can send anything more.
    await waitFor(
      'the proposal sent again',
      () => sent.filter((s) => s.message.type === 'proposal').length >= 2,
    );
    const proposals = sent.filter((s) => s.message.type === 'proposal');
    assert.ok(
      proposals[1]!.atMs - lastProgressNoLaterMs >= regossipMs - 5,
      'not before one interval without progress',
    );
    assert.ok(proposals.every((s) => s.to === '*'));
    assert.deepEqual(proposals[1]!.message, proposals[0]!.message, 'the same signed proposal');
    await waitFor(
      'the prevote sent again',
      () => sent.filter((s) => voteType(s) === 'prevote').length >= 2 * othersOf(rig).length,
    );
    const prevoteRecipients = new Set(sent.filter((s) => voteType(s) === 'prevote').map((s) => s.to));
    assert.deepEqual([...prevoteRecipients].sort(), othersOf(rig).sort());
  });

  it('sends its proposal to the one peer that asks for it (decision 61), not to everyone', async () => {
    const rig = await proposerRig(60_000);
    const { sent } = rig;
    proposeNow(rig);
    const broadcast = await waitFor('the proposal', () => sent.find((s) => s.message.type === 'proposal'));
    const asker = othersOf(rig)[1]!;
    rig.driver.input({ type: 'proposal-request', from: asker, request: { height: 1, round: 0 } });
    const answer = await waitFor('the answer', () =>
      sent.find((s) => s.message.type === 'proposal' && s.to !== '*'),
    );
    assert.equal(answer.to, asker);
    assert.deepEqual(answer.message, broadcast.message, 'the same signed proposal');
  });

  it('sends a peer that connects again its proposal and votes of the height (decision 61)', async () => {
    const rig = await proposerRig(60_000);
    const { sent } = rig;
    proposeNow(rig);
    await waitFor('our prevote', () => sent.find((s) => voteType(s) === 'prevote'));
    const peer = othersOf(rig)[2]!;
    const before = sent.length;
    rig.connectPeer(peer);
    const resent = await waitFor('the re-send', () => {
      const after = sent.slice(before);
      return after.length >= 2 ? after : undefined;
    });
    assert.deepEqual(
      resent.map((s) => [s.to, s.message.type === 'vote' ? s.message.vote.type : s.message.type]),
      [
        [peer, 'proposal'],
        [peer, 'prevote'],
      ],
    );
  });

  it('asks the proposer of a round it skipped into for the proposal of that round', async () => {
    const rig = await startDriverRig({
      self: (params) =>
        params.validators.find((validator) => validator.id !== proposerOf(params.validators, 1, 1).id)!.id,
      regossipMs: 60_000,
    });
    rigs.push(rig);
    const roundOneProposer = proposerOf(rig.params.validators, 1, 1).id;
    // f + 1 = 2 nil prevotes of round 1 from others (Algorithm 1 line 55): the rig skips there.
    for (const validator of othersOf(rig).slice(0, 2)) rig.vote(validator, 'prevote', 1, 1, null);
    const request = await waitFor('a proposal request', () =>
      rig.sent.find((s) => s.message.type === 'proposal-request'),
    );
    assert.equal(request.to, roundOneProposer);
    assert.deepEqual(request.message, { type: 'proposal-request', request: { height: 1, round: 1 } });
  });

  it('sends its votes again every interval of a stall, its proposal less and less often', async () => {
    const rig = await proposerRig(50);
    const { sent } = rig;
    proposeNow(rig);
    const peer = othersOf(rig)[0]!;
    const prevotesTo = () => sent.filter((s) => voteType(s) === 'prevote' && s.to === peer).length;
    await waitFor('the prevote sent five times', () => prevotesTo() >= 5);
    // Each full re-send carries both; the votes-only ones between them (the wait doubles for the
    // full ones) carry the prevote alone.
    const proposals = sent.filter((s) => s.message.type === 'proposal').length;
    assert.ok(proposals < prevotesTo(), `${proposals} proposals, ${prevotesTo()} prevotes to ${peer}`);
  });
});
