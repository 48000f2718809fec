// The consensus driver between the pure machine and the world (src/node/consensus-driver.ts):
// the WAL rule (own messages durable before they are sent, and replayed after a restart instead of
// signing anew), following blocks that block sync commits, answering a proposal's validation,
// keeping equivocation evidence, dropping what can never be committed, and a closed driver doing
// nothing. One real validator's driver, store and mempool; the test speaks for the other validators.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import type { ConsensusParams } from '../../src/core/config/genesis.js';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { buildBlock } from '../../src/core/ledger/build-block.js';
import type { ChainParams } from '../../src/core/ledger/chain-params.js';
import { LIMITS } from '../../src/core/limits.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { certify, commitNextBlock, type TxInput } from '../helpers/chain.js';
import { type DriverRig, startDriverRig } from '../helpers/driver-rig.js';
import { grantConsent, testDigest } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The round-0 proposer of `height` as consensus chooses it (arXiv:1807.04938 line 14). Not
 * test/helpers/chain.ts's proposerOf, which names the builder of the blocks it makes (one height
 * off this schedule; a block's header names its builder, whoever proposes it in a later round).
 */
const proposerAt = (params: ChainParams, height: number): string =>
  proposerOf(params.validators, height, 0).id;

/** Validators other than these, in validator order. */
const othersThan = (params: ChainParams, ...excluded: Array<string | null>): string[] =>
  params.validators.map((validator) => validator.id).filter((id) => !excluded.includes(id));

const hex = (hash: Uint8Array | null): string => (hash === null ? 'nil' : toHex(hash));

describe('consensus driver: WAL, block sync, validation, evidence', function () {
  this.timeout(20_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function rig(
    self: (params: ChainParams) => string | null,
    consensus: Partial<ConsensusParams> = {},
  ): Promise<DriverRig> {
    const started = await startDriverRig({ self, consensus });
    cleanups.push(() => started.close());
    return started;
  }

  /** Blocks 1..count of the rig's chain, built and certified in a store of their own: empty, or of `txs`. */
  async function blocksAhead(on: DriverRig, count: number, txs: readonly TxInput[][] = []) {
    const directory = await mkdtemp(join(tmpdir(), 'bayledger-driver-ahead-'));
    const scratch = await LedgerStore.open(join(directory, 'data'), { createIfMissing: true });
    try {
      const blocks = [];
      for (let i = 0; i < count; i++) {
        blocks.push(
          await commitNextBlock(
            scratch,
            { params: on.params, signers: on.network.signers },
            txs[i] ?? [],
            Date.now() + i,
          ),
        );
      }
      return blocks;
    } finally {
      await scratch.close();
      await rm(directory, { recursive: true, force: true });
    }
  }

  /** A block for the next height of the rig's own chain, proposed by `proposer`. */
  function nextBlock(on: DriverRig, proposer: string) {
    return buildBlock({ timeMs: Date.now(), proposer, candidates: [] }, on.store.contextFor(on.params));
  }

  it('writes its own vote to the WAL before sending it, and a restarted validator keeps that vote instead of signing another', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    node.propose(proposer, built.block, built.blockHash);
    await node.voted('prevote', 1);
    assert.deepEqual(node.votesSent('prevote', 1, 0).map(hex), [hex(built.blockHash)]);
    const walAt = node.order.indexOf('wal/1');
    assert.ok(walAt >= 0 && walAt < node.order.indexOf('sent/prevote/1'), node.order.join(' '));

    await node.restart();
    const replayed = node.logged.find((line) => line.msg === 'consensus WAL replayed');
    assert.ok(replayed !== undefined, 'the restart says it replayed the WAL');
    assert.equal(replayed.height, 1);
    assert.equal(replayed.records, 1);
    // Round 0 ends without the proposal (the restarted node never saw it): two others prevote and
    // precommit nil. A node that had forgotten its prevote would prevote nil on its propose timeout.
    const [first, second] = othersThan(node.params, node.self, proposer);
    for (const validator of [first!, second!]) node.vote(validator, 'prevote', 1, 0, null);
    await node.voted('precommit', 1);
    for (const validator of [first!, second!]) node.vote(validator, 'precommit', 1, 0, null);
    await waitFor('round 1', () => node.driver.round === 1 || undefined);
    assert.deepEqual(
      node.votesSent('prevote', 1, 0).map(hex),
      [hex(built.blockHash)],
      'one prevote at round 0',
    );
    assert.equal(node.driver.height, 1);
  });

  it('after a restart, decides and commits the block it had precommitted, without having validated it in this process', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    const quorum = [proposer, othersThan(node.params, node.self, proposer)[0]!];
    node.propose(proposer, built.block, built.blockHash);
    for (const validator of quorum) node.vote(validator, 'prevote', 1, 0, built.blockHash);
    await node.voted('precommit', 1);
    // The WAL's precommit carries the block it locked on; the restarted process knows it only from there.
    await node.restart();
    for (const validator of quorum) node.vote(validator, 'precommit', 1, 0, built.blockHash);
    await waitFor('height 1 committed', () => node.chain.height === 1 || undefined);
    assert.equal(toHex(node.chain.tip().blockHash), toHex(built.blockHash));
    assert.deepEqual(
      node.logged.filter((line) => line.level === 'error'),
      [],
    );
  });

  it('a follower writes no WAL and votes nothing', async () => {
    const node = await rig(() => null);
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    node.propose(proposer, built.block, built.blockHash);
    const quorum = othersThan(node.params, proposer).slice(0, 2).concat(proposer);
    for (const validator of quorum) node.vote(validator, 'precommit', 1, 0, built.blockHash);
    await waitFor('the decision', () => node.chain.height === 1 || undefined);
    await waitFor('height 2', () => node.driver.height === 2 || undefined);
    assert.deepEqual(node.order, []);
    assert.deepEqual(node.sent, []);
  });

  it('takes a block that block sync commits at its own height without losing what it holds for the next one', async () => {
    // Neither height 1's nor height 2's proposer: it only votes.
    const node = await rig((params) => proposerAt(params, 3));
    const [one, two] = await blocksAhead(node, 2);
    // Height 2's proposal arrives before height 1 is decided here: the machine keeps it for later.
    node.propose(proposerAt(node.params, 2), two!.block, two!.blockHash);
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
    await node.voted('prevote', 2);
    // Restarting the machine instead would have dropped the proposal and prevoted nil on its timeout.
    assert.deepEqual(node.votesSent('prevote', 2, 0).map(hex), [hex(two!.blockHash)]);
    assert.equal(node.driver.height, 2);
  });

  it('checks the certificate of a block from block sync even when it validated that block as a proposal', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const [one] = await blocksAhead(node, 1);
    node.propose(proposerAt(node.params, 1), one!.block, one!.blockHash);
    await node.voted('prevote', 1);
    // Precommits of too few validators: not a commit certificate, whatever the block.
    const [signer] = othersThan(node.params, node.self);
    const forged = certify(node.params, node.network.signers, one!.blockHash, one!.block.header, {
      validators: [signer!],
    });
    await assert.rejects(node.chain.commit(one!.block, forged, 'sync'), /failed verification/);
    assert.equal(node.chain.height, 0);
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
  });

  it('after several blocks from block sync it restarts at the tip and votes there', async () => {
    const node = await rig((params) => proposerAt(params, 4));
    const [one, two, three] = await blocksAhead(node, 3);
    const committed = [
      node.chain.commit(one!.block, one!.certificate, 'sync'),
      node.chain.commit(two!.block, two!.certificate, 'sync'),
    ];
    assert.deepEqual(await Promise.all(committed), [true, true]);
    await waitFor('height 3', () => node.driver.height === 3 || undefined);
    node.propose(proposerAt(node.params, 3), three!.block, three!.blockHash);
    await node.voted('prevote', 3);
    assert.deepEqual(node.votesSent('prevote', 3, 0).map(hex), [hex(three!.blockHash)]);
    // Nothing was signed for the heights block sync decided.
    assert.deepEqual(node.votesSent('prevote', 1, 0), []);
    assert.deepEqual(node.votesSent('prevote', 2, 0), []);
  });

  it('a validator halted at the round limit comes back when block sync commits its height', async () => {
    // Short timeouts that do not grow, so round 1000 times out at once.
    const node = await rig((params) => proposerAt(params, 3), {
      timeoutPrevoteMs: 1,
      timeoutPrecommitMs: 1,
      timeoutDeltaMs: 0,
    });
    const [one, two] = await blocksAhead(node, 2);
    // f + 1 votes of the last round make the machine skip to it (Algorithm 1 line 55); a quorum of
    // precommits ends it (lines 47 and 65), and starting the next round halts the machine.
    const lastRound = LIMITS.maxRoundsPerHeight;
    const others = othersThan(node.params, node.self);
    for (const validator of others.slice(0, 2)) node.vote(validator, 'prevote', 1, lastRound, null);
    for (const validator of others) node.vote(validator, 'precommit', 1, lastRound, null);
    await waitFor('the halt', () =>
      node.logged.find((line) => line.msg === 'consensus halted: round limit reached'),
    );
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
    await waitFor('height 2', () => node.driver.height === 2 || undefined);
    node.propose(proposerAt(node.params, 2), two!.block, two!.blockHash);
    await node.voted('prevote', 2);
    assert.deepEqual(node.votesSent('prevote', 2, 0).map(hex), [hex(two!.blockHash)]);
  });

  it('times the commits it makes itself, and not a decision block sync committed first', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const [one, two] = await blocksAhead(node, 2);
    const decide = async (height: number, block: typeof one, beforeLastVotes: () => void = () => {}) => {
      const proposer = proposerAt(node.params, height);
      const quorum = [proposer, othersThan(node.params, node.self, proposer)[0]!];
      node.propose(proposer, block!.block, block!.blockHash);
      for (const validator of quorum) node.vote(validator, 'prevote', height, 0, block!.blockHash);
      await node.voted('precommit', height);
      beforeLastVotes();
      for (const validator of quorum) node.vote(validator, 'precommit', height, 0, block!.blockHash);
      await waitFor(`height ${height + 1}`, () => node.driver.height === height + 1 || undefined);
      await node.chain.drain();
    };
    // Height 1: block sync's commit is queued before the decision's, which then finds it done.
    let synced: Promise<boolean> | undefined;
    await decide(1, one, () => {
      synced = node.chain.commit(one!.block, one!.certificate, 'sync');
    });
    assert.equal(await synced, true);
    assert.equal(node.metrics.commitLatencySeconds.count(), 0);
    assert.deepEqual(
      node.logged.filter((line) => line.level === 'error'),
      [],
      'the decision finds its block committed: not an error',
    );
    await decide(2, two);
    assert.equal(node.chain.height, 2);
    assert.equal(node.metrics.commitLatencySeconds.count(), 1);
  });

  it('times the wait of each proposal check for the commits queued before it', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    assert.equal(node.metrics.commitQueueWaitSeconds.count(), 0);
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    node.propose(proposer, built.block, built.blockHash);
    await node.voted('prevote', 1);
    assert.equal(node.metrics.commitQueueWaitSeconds.count(), 1);
  });

  it('prevotes nil for an invalid proposal and says why', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    // A well-signed proposal whose header claims a state other than its transactions give.
    const header = { ...built.block.header, stateHash: testDigest('another state') };
    const forged = { ...built.block, header };
    node.propose(proposer, forged, blockHash(header));
    await node.voted('prevote', 1);
    assert.deepEqual(node.votesSent('prevote', 1, 0), [null]);
    const warning = node.logged.find((line) => line.msg === 'proposal invalid');
    assert.ok(warning !== undefined, 'the invalid proposal is logged');
    assert.equal(warning.height, 1);
    assert.equal(warning.code, 'STATE_HASH_MISMATCH');
    assert.match(String(warning.reason), /stateHash/);
  });

  it('keeps equivocation evidence once, durably, and reports it once', async () => {
    // No propose timeout during the test: the only prevote of round 0 is the one asked for below.
    const node = await rig((params) => proposerAt(params, 3), { timeoutProposeMs: 30_000 });
    const [liar] = othersThan(node.params, node.self);
    const equivocate = () => {
      node.vote(liar!, 'prevote', 1, 0, testDigest('one block'));
      node.vote(liar!, 'prevote', 1, 0, testDigest('another block'));
    };
    equivocate();
    await waitFor('the evidence kept', () => node.store.evidence.count === 1 || undefined);
    await waitFor(
      'the warning',
      () => node.logged.some((line) => line.msg === 'equivocation evidence') || undefined,
    );
    const warning = node.logged.find((line) => line.msg === 'equivocation evidence')!;
    assert.equal(warning.validator, liar);
    assert.equal(warning.kind, 'vote');
    assert.equal(node.metrics.evidence.value(), 1);
    // After a restart the machine has forgotten the pair and finds it again; the store has it.
    await node.restart();
    equivocate();
    // Inputs are handled in order: once our prevote for a proposal sent after them is out, what
    // the votes raised has been handled.
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    node.propose(proposer, built.block, built.blockHash);
    await node.voted('prevote', 1);
    assert.equal(node.store.evidence.count, 1);
    assert.equal(node.logged.filter((line) => line.msg === 'equivocation evidence').length, 1);
    assert.equal(node.metrics.evidence.value(), 1);
  });

  it('leaves out of its proposal a transaction already committed, and drops it from the mempool', async () => {
    const node = await rig((params) => proposerAt(params, 2));
    const grant = grantConsent(node.network, { patient: 'committed-meanwhile' });
    const [one] = await blocksAhead(node, 1, [[grant]]);
    // Admitted while block sync was committing it (this mempool does not ask the chain).
    const added = node.mempool.add(grant.bytes);
    assert.ok(added.ok && !added.duplicate, 'admitted');
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
    await waitFor('our proposal of height 2', () =>
      node.sent.find((sent) => sent.message.type === 'proposal' && sent.message.proposal.height === 2),
    );
    const proposal = node.sent.find((sent) => sent.message.type === 'proposal')!.message;
    assert.ok(proposal.type === 'proposal');
    assert.equal(proposal.proposal.block.txs.length, 0);
    assert.equal(node.mempool.size, 0);
    const warning = node.logged.find(
      (line) => line.msg === 'dropped transactions that can never be committed',
    );
    assert.equal(warning?.count, 1);
  });

  it('a driver closed while its vote is being made durable sends nothing afterwards', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const proposer = proposerAt(node.params, 1);
    const built = nextBlock(node, proposer);
    const release = node.holdWal();
    node.propose(proposer, built.block, built.blockHash);
    await waitFor('the prevote waiting for the WAL', () => node.walWaiting() || undefined);
    const closed = node.driver.close();
    release();
    await closed;
    assert.deepEqual(node.order, ['wal/1'], 'made durable, never sent');
    assert.deepEqual(node.sent, []);
  });

  it('does not judge a proposal against the next height when block sync commits its height meanwhile', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const [one] = await blocksAhead(node, 1);
    // The proposal's validation waits for the commit in flight, then finds its height decided.
    node.propose(proposerAt(node.params, 1), one!.block, one!.blockHash);
    const committed = node.chain.commit(one!.block, one!.certificate, 'sync');
    assert.equal(await committed, true);
    await waitFor('height 2', () => node.driver.height === 2 || undefined);
    assert.equal(
      node.logged.some((line) => line.msg === 'proposal invalid'),
      false,
    );
    assert.deepEqual(node.votesSent('prevote', 1, 0), [], 'no vote for a decided height');
  });

  it('does not build a proposal for a height block sync commits meanwhile', async () => {
    const node = await rig((params) => proposerAt(params, 1));
    const [one] = await blocksAhead(node, 1);
    node.mempool.add(grantConsent(node.network, { patient: 'raced' }).bytes);
    // Wakes the proposer of height 1; its block building waits for the commit in flight.
    node.driver.notifyTxsAvailable();
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
    await waitFor('height 2', () => node.driver.height === 2 || undefined);
    await node.driver.close();
    const proposals = node.sent.filter((sent) => sent.message.type === 'proposal');
    assert.deepEqual(proposals, [], 'height 1 was decided without us, and height 2 is not ours');
  });

  it('a closed driver takes no input and follows no commit', async () => {
    const node = await rig((params) => proposerAt(params, 3));
    const [one] = await blocksAhead(node, 1);
    await node.driver.close();
    const proposer = proposerAt(node.params, 1);
    node.propose(proposer, one!.block, one!.blockHash);
    // f + 1 votes of a later round would move an open machine there (Algorithm 1 line 55).
    for (const validator of othersThan(node.params, node.self).slice(0, 2)) {
      node.vote(validator, 'prevote', 1, 5, null);
    }
    assert.equal(await node.chain.commit(one!.block, one!.certificate, 'sync'), true);
    // close() waits for every queued task, including those queued after the first close.
    await node.driver.close();
    assert.deepEqual(node.sent, []);
    assert.equal(node.driver.height, 1, 'still at the height it was closed at');
    assert.equal(node.driver.round, 0, 'and the round');
    assert.equal(
      node.logged.some((line) => line.msg === 'consensus driver task failed'),
      false,
    );
  });
});
