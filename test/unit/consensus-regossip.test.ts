// Regossip on stall (src/node/consensus-regossip.ts): the driver re-sends its own messages only
// when the machine has not moved (height, round or step) for a whole regossip interval, read
// from an injected clock: everything with a doubling wait, the votes alone every interval.
import assert from 'node:assert/strict';
import { LIMITS } from '../../src/core/limits.js';
import { type Progress, StallWatch } from '../../src/node/consensus-regossip.js';

const REGOSSIP_MS = 1000;

function manualClock(startMs = 50_000): { monotonicMs(): number; advance(ms: number): void } {
  let now = startMs;
  return {
    monotonicMs: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

const AT: Progress = { height: 5, round: 0, step: 'propose' };

describe('consensus driver: regossip only on a stall', () => {
  it('waits twice as long after each re-send while the stall lasts, up to the cap, and resets on progress', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    watch.noteProgress(AT);
    const dueAfterMs: number[] = [];
    let sinceMs = 0;
    for (let tick = 0; tick < 60; tick++) {
      clock.advance(REGOSSIP_MS); // the driver's timer checks once per interval
      sinceMs += REGOSSIP_MS;
      if (watch.regossipDue()) {
        dueAfterMs.push(sinceMs);
        sinceMs = 0;
      }
    }
    const capMs = LIMITS.maxRegossipIntervalMs;
    assert.deepEqual(dueAfterMs.slice(0, 5), [1000, 2000, 4000, capMs, capMs]);
    assert.ok(dueAfterMs.every((wait) => wait <= capMs));
    watch.noteProgress({ ...AT, step: 'prevote' });
    clock.advance(REGOSSIP_MS);
    assert.equal(watch.regossipDue(), true, 'a new stall starts from one interval again');
  });

  it('has the votes alone re-sent every interval between the doubling full re-sends', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    watch.noteProgress(AT);
    const ticks: string[] = [];
    for (let tick = 1; tick <= 8; tick++) {
      clock.advance(REGOSSIP_MS);
      // The driver asks in this order each tick.
      ticks.push(watch.regossipDue() ? 'all' : watch.votesDue() ? 'votes' : '-');
    }
    assert.deepEqual(ticks, ['all', 'votes', 'all', 'votes', 'votes', 'votes', 'all', 'votes']);
    watch.noteProgress({ ...AT, round: 1 });
    clock.advance(REGOSSIP_MS - 1);
    assert.equal(watch.votesDue(), false, 'progress starts the interval again for the votes too');
    clock.advance(1);
    assert.equal(watch.votesDue(), true);
  });

  it('is not stalled until a whole interval passes without progress', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    watch.noteProgress(AT);
    clock.advance(REGOSSIP_MS - 1);
    assert.equal(watch.regossipDue(), false);
    clock.advance(1);
    assert.equal(watch.regossipDue(), true);
  });

  it('does not regossip right after start', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    assert.equal(watch.regossipDue(), false);
  });

  const moves: ReadonlyArray<[string, Progress]> = [
    ['a new step', { ...AT, step: 'prevote' }],
    ['a new round', { ...AT, round: 1 }],
    ['a new height', { ...AT, height: 6 }],
  ];
  for (const [name, next] of moves) {
    it(`starts the interval again on ${name}`, () => {
      const clock = manualClock();
      const watch = new StallWatch(clock, REGOSSIP_MS);
      watch.noteProgress(AT);
      clock.advance(REGOSSIP_MS - 10);
      watch.noteProgress(next);
      clock.advance(20);
      assert.equal(watch.regossipDue(), false, 'moved 20 ms ago');
      clock.advance(REGOSSIP_MS);
      assert.equal(watch.regossipDue(), true);
    });
  }

  it('keeps counting when inputs leave height, round and step as they were', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    watch.noteProgress(AT);
    for (let i = 0; i < 10; i++) {
      clock.advance(REGOSSIP_MS / 10);
      watch.noteProgress({ ...AT }); // votes and proposals that moved nothing
    }
    assert.equal(watch.regossipDue(), true);
  });
});
