// End-to-end: a validator whose wall clock is wrong, in real node processes (docs/ARCHITECTURE.md
// decision 67). qianhai's node runs with its Date.now skewed (test/helpers/skewed-clock.mjs):
// first 30 s ahead, then stepped back to an hour behind while it runs, as a bad NTP source or an
// operator's `date -s` would. Block time is judged by every validator (the "timely" rule,
// src/core/consensus/block-time.ts), so the network must go on committing with one skewed clock,
// never commit a block time from the future, and say which clock is wrong.
import { strict as assert } from 'node:assert';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { UNTIMELY_PROPOSAL_WARNINGS } from '../../src/node/proposal-clock-watch.js';
import { findMetric } from '../helpers/metrics.js';
import { startTestNetwork, type TestNetwork } from '../helpers/network.js';

const SKEWED = 'qianhai';
const UNTIMELY_MESSAGES: ReadonlySet<string> = new Set(Object.values(UNTIMELY_PROPOSAL_WARNINGS));
const HONEST = ['sz-cac', 'sz-health', 'hk-health'] as const;
const AHEAD_MS = 30_000;
const BEHIND_MS = -3_600_000;
/** Heights per phase: each validator is the round-0 proposer of two or three of them. */
const HEIGHTS_PER_PHASE = 10;

interface BlockJson {
  height: number;
  header: { timeMs: number; proposer: string };
  certificate: { round: number };
}

interface LogLine {
  level: string;
  msg: string;
  proposer?: string;
  likelyCause?: string;
  untimelyProposers?: string[];
}

describe('e2e: a validator with a skewed clock (real processes)', function () {
  this.timeout(180_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork({
      validators: 4,
      followers: 1,
      // A skipped turn costs one propose timeout; 2 s leaves a loaded machine time to propose.
      consensus: { timeoutProposeMs: 2_000 },
      clockOffsetsMs: { [SKEWED]: AHEAD_MS },
    });
  });

  after(async () => {
    await net?.stop();
  });

  /** Commits `count` consent grants one height after another; returns the heights they took. */
  async function commitGrants(count: number): Promise<number[]> {
    const heights: number[] = [];
    for (let i = 0; i < count; i++) {
      const grant = await net.makeConsentGrant();
      const answer = await net.submit(HONEST[0], grant.bytes, { wait: true, timeoutMs: 30_000 });
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      heights.push((answer.json as { height: number }).height);
    }
    return heights;
  }

  async function block(height: number): Promise<BlockJson> {
    const answer = await net.get<BlockJson>(HONEST[0], `/chain/blocks/${height}`);
    assert.equal(answer.status, 200);
    return answer.json;
  }

  const roundZeroProposer = (height: number): string =>
    proposerOf(chainParamsOf(net.genesis).validators, height, 0).id;

  async function warnings(org: string): Promise<LogLine[]> {
    return (await net.logOf(org))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.level === 'warn' && UNTIMELY_MESSAGES.has(line.msg));
  }

  async function metric(org: string, name: string, proposer: string): Promise<number | undefined> {
    const text = (await net.get<string>(org, '/metrics')).json;
    return findMetric(text, name, `{proposer="${proposer}"}`);
  }

  it('30 s ahead: its proposals are refused, its turns pass to the next proposer, no block is dated in the future', async () => {
    const heights = await commitGrants(HEIGHTS_PER_PHASE);
    const { maxClockDriftMs } = net.genesis.consensus;
    let skippedTurns = 0;
    let previousTimeMs = 0;
    for (let height = 1; height <= Math.max(...heights); height++) {
      const { header, certificate } = await block(height);
      assert.ok(header.timeMs <= Date.now() + maxClockDriftMs, `height ${height} is dated in the future`);
      assert.ok(header.timeMs > previousTimeMs, 'block time strictly increases');
      previousTimeMs = header.timeMs;
      assert.notEqual(header.proposer, SKEWED, `height ${height}: a block stamped 30 s ahead was committed`);
      if (roundZeroProposer(height) === SKEWED) {
        assert.ok(certificate.round >= 1, `height ${height} committed in round ${certificate.round}`);
        skippedTurns++;
      }
    }
    assert.ok(skippedTurns >= 2, `qianhai was the round-0 proposer of ${skippedTurns} heights`);
    // The validators that refused its proposals counted them, saw its offset and said why.
    let counted = 0;
    for (const org of HONEST) {
      counted += (await metric(org, 'bayledger_proposals_untimely_total', SKEWED)) ?? 0;
      const aheadSeconds = await metric(org, 'bayledger_proposal_time_ahead_seconds', SKEWED);
      assert.ok(
        aheadSeconds !== undefined && aheadSeconds > 25,
        `${org} sees qianhai ${aheadSeconds} s ahead`,
      );
    }
    assert.ok(counted >= skippedTurns, `${counted} untimely proposals counted for ${skippedTurns} turns`);
    const said = (await Promise.all(HONEST.map(warnings))).flat().filter((line) => line.proposer === SKEWED);
    assert.ok(said.length > 0, 'a validator warned about qianhai');
    for (const line of said) assert.equal(line.likelyCause, "the proposer's clock is ahead");
    // The skewed validator itself follows the chain: others' block times are not ahead of it.
    const tip = Math.max(...heights);
    await net.waitFor(`${SKEWED} at height ${tip}`, async () => (await net.status(SKEWED)).height >= tip);
  });

  it('stepped back an hour while running: the network goes on, its own turns commit, it names its own clock', async () => {
    await net.setClockOffset(SKEWED, BEHIND_MS);
    const heights = await commitGrants(HEIGHTS_PER_PHASE);
    // Its proposals now carry the previous block's time plus 1 ms (block-time.ts: max(previous +
    // 1, now)), which every other validator finds timely; at least one of its turns commits in
    // round 0 (a turn can still time out on a loaded machine, so not necessarily all).
    let ownTurns = 0;
    for (const height of heights) {
      if (roundZeroProposer(height) !== SKEWED) continue;
      const { header, certificate } = await block(height);
      if (header.proposer === SKEWED && certificate.round === 0) ownTurns++;
    }
    assert.ok(ownTurns >= 1, 'qianhai proposed a committed block after its clock was stepped back');
    // To qianhai everyone else's proposals are an hour ahead: it prevoted nil on them, and with
    // more than f proposers ahead of it, its warnings blame its own clock.
    const ahead = await warnings(SKEWED);
    const blamingSelf = ahead.filter((line) => line.likelyCause === "this node's clock is behind");
    assert.ok(blamingSelf.length > 0, JSON.stringify(ahead));
    assert.ok(blamingSelf[0]!.untimelyProposers!.length >= 2);
    for (const org of HONEST) {
      const aheadSeconds = await metric(SKEWED, 'bayledger_proposal_time_ahead_seconds', org);
      assert.ok(aheadSeconds !== undefined && aheadSeconds > 3_500, `${org} seen ${aheadSeconds} s ahead`);
    }
  });
});
