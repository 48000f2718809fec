// Clock skew made visible (docs/ARCHITECTURE.md decision 67): every proposal's apparent offset is a
// gauge per proposer, every untimely one is counted, and warnings come at most once per
// LIMITS.minClockSkewWarningGapMs per proposer, naming this node's clock when more than f
// proposers were ahead. Real metrics registry and logger; a manual monotonic clock.
import { strict as assert } from 'node:assert';
import { LIMITS } from '../../src/core/limits.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import {
  ProposalClockWatch,
  UNTIMELY_PROPOSAL_WARNINGS,
  type UntimelyProposal,
} from '../../src/node/proposal-clock-watch.js';
import { idleNodeMetrics } from '../helpers/metrics.js';

function setup(voting = true) {
  let nowMs = 1_000;
  const { logger, lines } = createMemoryLogger('info');
  const metrics = idleNodeMetrics();
  const watch = new ProposalClockWatch({
    logger,
    metrics,
    clock: { monotonicMs: () => nowMs },
    faultyLimit: 1,
    voting,
  });
  return {
    watch,
    metrics,
    lines,
    advance: (byMs: number) => {
      nowMs += byMs;
    },
  };
}

const untimely = (proposer: string, aheadMs = 30_000, height = 7): UntimelyProposal => ({
  height,
  round: 0,
  proposer,
  aheadMs,
  maxClockDriftMs: 2_000,
});

describe('proposal clock watch: skew between validators is counted and said', () => {
  it("sets each proposer's apparent offset, in seconds, ahead or behind", () => {
    const { watch, metrics } = setup();
    watch.observe('qianhai', 30_250);
    watch.observe('sz-cac', -12);
    assert.equal(metrics.proposalTimeAheadSeconds.value({ proposer: 'qianhai' }), 30.25);
    assert.equal(metrics.proposalTimeAheadSeconds.value({ proposer: 'sz-cac' }), -0.012);
    watch.observe('qianhai', 40);
    assert.equal(metrics.proposalTimeAheadSeconds.value({ proposer: 'qianhai' }), 0.04, 'the latest wins');
  });

  it('counts every untimely proposal and warns once per gap per proposer, with the count since', () => {
    const { watch, metrics, lines, advance } = setup();
    watch.untimely(untimely('qianhai', 30_000, 7));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, UNTIMELY_PROPOSAL_WARNINGS.voting);
    assert.match(String(lines[0]!.msg), /prevoted nil/);
    assert.equal(lines[0]!.level, 'warn');
    assert.equal(lines[0]!.proposer, 'qianhai');
    assert.equal(lines[0]!.aheadMs, 30_000);
    assert.equal(lines[0]!.untimelySinceLastWarning, 1);
    assert.equal(lines[0]!.likelyCause, "the proposer's clock is ahead");
    for (let height = 8; height < 12; height++) {
      advance(1_000);
      watch.untimely(untimely('qianhai', 30_000, height));
    }
    assert.equal(lines.length, 1, 'no second warning within the gap');
    assert.equal(metrics.proposalsUntimely.value({ proposer: 'qianhai' }), 5);
    advance(LIMITS.minClockSkewWarningGapMs);
    watch.untimely(untimely('qianhai', 30_000, 12));
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.untimelySinceLastWarning, 5, 'the four held back and this one');
    assert.equal(lines[1]!.height, 12);
    assert.equal(metrics.proposalsUntimely.value({ proposer: 'qianhai' }), 6);
  });

  it("names this node's clock when more than f proposers were ahead within the gap", () => {
    const { watch, lines, advance } = setup();
    watch.untimely(untimely('sz-cac'));
    advance(1_000);
    watch.untimely(untimely('sz-health'));
    assert.equal(lines.length, 2, 'each proposer has its own warning');
    assert.equal(lines[0]!.likelyCause, "the proposer's clock is ahead");
    assert.deepEqual(lines[1]!.untimelyProposers, ['sz-cac', 'sz-health']);
    assert.equal(lines[1]!.likelyCause, "this node's clock is behind");
    // Proposers untimely longer ago than the gap no longer count.
    advance(LIMITS.minClockSkewWarningGapMs + 1);
    watch.untimely(untimely('hk-health'));
    assert.deepEqual(lines[2]!.untimelyProposers, ['hk-health']);
    assert.equal(lines[2]!.likelyCause, "the proposer's clock is ahead");
  });

  it('says nothing of a prevote on a node that does not vote', () => {
    const { watch, lines } = setup(false);
    watch.untimely(untimely('qianhai'));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, UNTIMELY_PROPOSAL_WARNINGS.observing);
    assert.doesNotMatch(String(lines[0]!.msg), /prevote/);
  });
});
