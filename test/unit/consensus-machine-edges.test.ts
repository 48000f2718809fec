// The consensus machine at its edges (mutation audit of src/core/consensus/machine.ts): the set-up
// it refuses, answers from the shell that come late, twice or for another height, and certified
// blocks from block sync that do not fit the chain. Four validators v0..v3 unless a test says
// otherwise; proposer(h, r) = v[(h + r) mod n].
import assert from 'node:assert/strict';
import { toHex } from '../../src/core/bytes.js';
import { initConsensus } from '../../src/core/consensus/machine.js';
import { signVote } from '../../src/core/consensus/signing.js';
import type { ConsensusInit, ConsensusInput } from '../../src/core/consensus/types.js';
import { isBayledgerError } from '../../src/core/errors.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import type { CommitCertificate } from '../../src/core/ledger/certificate.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  type Fixture,
  feed,
  makeFixture,
  makeNode,
  makeTableFixture,
  makeVote,
  proposalInputs,
  START_INPUTS,
  summarize,
  timeoutInput,
  voteInputs,
} from '../sim/fixtures.js';

const { fx, A, B, labels } = makeTableFixture();

function initOf(fixture: Fixture, changes: Partial<ConsensusInit>): ConsensusInit {
  return {
    chainId: fixture.chain.chainId,
    validators: fixture.validators,
    self: fixture.validators[0]!.id,
    signer: fixture.signers[0]!,
    params: fixture.chain.params,
    height: 1,
    lastBlock: { height: 0, hash: fixture.chain.genesisHash, timeMs: fixture.chain.genesisTimeMs },
    ...changes,
  };
}

function refusal(init: ConsensusInit): string {
  try {
    initConsensus(init);
  } catch (error) {
    assert.ok(isBayledgerError(error), String(error));
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('the set-up was accepted');
}

/** A commit certificate of height 1, round 0, signed by v0, v1 and v2. */
function certificateFor(block: Block): CommitCertificate {
  const hash = blockHash(block.header);
  return {
    height: 1,
    round: 0,
    blockHash: hash,
    signatures: [0, 1, 2].map((i) => ({
      validator: fx.validators[i]!.id,
      signature: signVote(fx.signers[i]!, fx.chain.chainId, 'precommit', 1, 0, hash),
    })),
  };
}

describe('consensus: set-up', () => {
  it('refuses a validator set that is empty or too large, a stranger as self, and a key that is not its own', () => {
    const many = makeFixture(1).validators[0]!;
    const tooMany = Array.from({ length: LIMITS.maxValidators + 1 }, (_, i) => ({ ...many, id: `v${i}` }));
    assert.match(refusal(initOf(fx, { validators: [] })), /0 validators/);
    assert.match(
      refusal(initOf(fx, { validators: tooMany, self: null, signer: null })),
      new RegExp(`${LIMITS.maxValidators + 1} validators; 1 to ${LIMITS.maxValidators} allowed`),
    );
    assert.match(refusal(initOf(fx, { self: 'stranger' })), /stranger is not a validator/);
    assert.match(refusal(initOf(fx, { signer: null })), /signing key is not the genesis key of v0/);
    assert.match(refusal(initOf(fx, { signer: fx.signers[1]! })), /signing key is not the genesis key of v0/);
    assert.match(refusal(initOf(fx, { height: 3 })), /height 3 does not follow the last block 0/);
    const most = Array.from({ length: LIMITS.maxValidators }, (_, i) => ({ ...many, id: `v${i}` }));
    // floor(2n / 3) + 1 of 100 validators.
    assert.equal(initConsensus(initOf(fx, { validators: most, self: null, signer: null })).setup.quorum, 67);
  });

  it('with six validators tolerates one fault: two messages of a higher round start it', () => {
    const six = makeFixture(6, 'six-validators');
    const node = feed(makeNode(six, 0), ...START_INPUTS).state;
    assert.equal(node.setup.faultyMax, 1);
    assert.equal(node.setup.quorum, 5);
    const one = feed(node, { type: 'vote', vote: makeVote(six, 2, 'prevote', 3, null) }).state;
    assert.equal(one.round, 0, 'f messages are not enough');
    const two = feed(one, { type: 'vote', vote: makeVote(six, 3, 'prevote', 3, null) }).state;
    assert.equal(two.round, 3);
  });

  it('schedules each timeout kind with its own genesis value, grown per round and capped', () => {
    const params = {
      ...fx.chain.params,
      timeoutProposeMs: 310,
      timeoutPrevoteMs: 120,
      timeoutPrecommitMs: 170,
      timeoutDeltaMs: 1000,
    };
    const node = initConsensus(initOf(fx, { params }));
    const { effects } = feed(
      node,
      ...START_INPUTS,
      timeoutInput('propose', 0),
      ...voteInputs(fx, 'prevote', 0, null, [1, 2]),
      ...voteInputs(fx, 'precommit', 0, null, [1, 2]),
      timeoutInput('precommit', 0),
    );
    assert.deepEqual(
      summarize(effects, labels).filter((line) => line.startsWith('schedule-timeout')),
      [
        'schedule-timeout propose r0 310ms',
        'schedule-timeout prevote r0 120ms',
        'schedule-timeout precommit r0 170ms',
        'schedule-timeout propose r1 1310ms',
      ],
    );
    const late = initConsensus(initOf(fx, { params: { ...params, timeoutDeltaMs: LIMITS.maxTimeoutMs } }));
    const capped = feed(late, ...START_INPUTS, ...voteInputs(fx, 'prevote', 5, null, [1, 2]));
    assert.deepEqual(
      summarize(capped.effects, labels).filter((line) => line.startsWith('schedule-timeout propose r5')),
      [`schedule-timeout propose r5 ${LIMITS.maxTimeoutMs}ms`],
    );
  });

  it('starts once: a second start input does nothing', () => {
    const started = feed(makeNode(fx, 0), ...START_INPUTS).state;
    const again = feed(started, { type: 'start-height' });
    assert.deepEqual(again.effects, []);
    assert.equal(again.state, started);
  });
});

describe('consensus: late, repeated or misdirected answers from the shell', () => {
  const pending = () => feed(makeNode(fx, 0), ...START_INPUTS, ...proposalInputs(fx, 0, A, -1, null)).state;
  const verdict = (valid: boolean, height = 1): ConsensusInput => ({
    type: 'block-validated',
    height,
    round: 0,
    blockHash: blockHash(A.header),
    valid,
  });

  it('takes a verdict only for its own height, and only the first one', () => {
    const key = toHex(blockHash(A.header));
    const otherHeight = feed(pending(), verdict(true, 2));
    assert.equal(otherHeight.state.validity.get(key), 'pending');
    assert.deepEqual(otherHeight.effects, []);
    const refused = feed(pending(), verdict(false)).state;
    const changedMind = feed(refused, verdict(true));
    assert.equal(changedMind.state.validity.get(key), 'invalid');
    assert.deepEqual(changedMind.effects, []);
  });

  /** v1, proposer of round 0, after asking its shell for a block. */
  const asked = () => feed(makeNode(fx, 1), ...START_INPUTS).state;
  const value = (block: Block, round = 0, height = 1): ConsensusInput => ({
    type: 'proposal-value',
    height,
    round,
    block,
  });
  const proposals = (inputs: readonly ConsensusInput[], from = asked()) =>
    summarize(feed(from, ...inputs).effects, labels).filter((line) => line.startsWith('broadcast-proposal'));

  it('proposes the block it asked for, once, in the round it asked for', () => {
    assert.deepEqual(proposals([value(A)]), ['broadcast-proposal A r0 vr-1']);
    assert.deepEqual(proposals([value(A), value(B)]), ['broadcast-proposal A r0 vr-1'], 'a second answer');
    assert.deepEqual(proposals([value(A, 1)]), [], 'an answer for another round');
    assert.deepEqual(proposals([value(A, 0, 2)]), [], 'an answer for another height');
    assert.deepEqual(proposals([timeoutInput('propose', 0), value(A)]), [], 'after the step moved on');
    const notItsTurn = feed(makeNode(fx, 0), ...START_INPUTS).state;
    assert.deepEqual(proposals([value(A)], notItsTurn), [], 'a validator that is not the proposer');
  });
});

describe('consensus: block sync refuses certified blocks that do not fit', () => {
  const lagging = () => feed(makeNode(fx, 3), ...START_INPUTS).state;

  it('decides a certified block of its height that follows its last block', () => {
    const synced = feed(lagging(), { type: 'committed-block', block: A, certificate: certificateFor(A) });
    assert.deepEqual(summarize(synced.effects, labels), ['decide h1 A r0', 'wait-for-txs h2']);
  });

  it("ignores one that does not follow the last block, or whose body is not its header's", () => {
    const elsewhere = { ...A, header: { ...A.header, previousHash: blockHash(B.header) } };
    const swappedBody = { ...A, txs: B.txs };
    for (const [what, block, certificate] of [
      ['another previous block', elsewhere, certificateFor(elsewhere)],
      ['another body under the certified header', swappedBody, certificateFor(A)],
    ] as const) {
      const { state, effects } = feed(lagging(), { type: 'committed-block', block, certificate });
      assert.equal(state.height, 1, what);
      assert.deepEqual(effects, [], what);
    }
  });
});
