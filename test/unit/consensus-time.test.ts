// Block time, timeouts and the proposer rotation (issue 4, items 1 and 3).
import assert from 'node:assert/strict';
import { isAfterPrevious, isTimely, proposalTimeMs } from '../../src/core/consensus/block-time.js';
import { proposerIndex, proposerOf } from '../../src/core/consensus/proposer.js';
import { timeoutMs } from '../../src/core/consensus/timeouts.js';
import { LIMITS } from '../../src/core/limits.js';
import { makeFixture, TEST_PARAMS } from '../sim/fixtures.js';

describe('consensus: block time, timeouts, proposer', () => {
  it('the proposer stamps max(previous + 1, now): time strictly increases even with a slow clock', () => {
    const table: [previous: number, now: number, stamped: number][] = [
      [1_000, 5_000, 5_000],
      [5_000, 5_000, 5_001],
      [5_000, 4_000, 5_001],
    ];
    for (const [previous, now, stamped] of table) {
      assert.equal(proposalTimeMs(previous, now), stamped);
      assert.ok(isAfterPrevious(proposalTimeMs(previous, now), previous));
    }
    assert.equal(isAfterPrevious(5_000, 5_000), false);
  });

  it('a proposal is timely up to maxClockDriftMs ahead of our clock, never further', () => {
    assert.equal(isTimely(10_400, 10_000, 400), true);
    assert.equal(isTimely(10_401, 10_000, 400), false);
    assert.equal(isTimely(1_000, 10_000, 400), true, 'old times are judged by the previous-block rule');
  });

  it('timeouts grow by timeoutDeltaMs per round and stop at LIMITS.maxTimeoutMs', () => {
    assert.equal(timeoutMs(TEST_PARAMS, 'propose', 0), 300);
    assert.equal(timeoutMs(TEST_PARAMS, 'prevote', 2), 350);
    assert.equal(timeoutMs(TEST_PARAMS, 'precommit', 5), 650);
    assert.equal(timeoutMs(TEST_PARAMS, 'propose', 1_000_000), LIMITS.maxTimeoutMs);
  });

  it('round-robin proposer: validators[(h + r) mod n]', () => {
    const { validators } = makeFixture(4);
    assert.equal(proposerOf(validators, 1, 0).id, 'v1');
    assert.equal(proposerOf(validators, 1, 3).id, 'v0');
    assert.equal(proposerOf(validators, 10, 7).id, 'v1');
    const seen = new Set(Array.from({ length: 4 }, (_, r) => proposerIndex(7, r, 4)));
    assert.equal(seen.size, 4, 'every validator proposes once in n rounds');
  });
});
