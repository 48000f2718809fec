// Regossip on stall (src/node/consensus-regossip.ts): the driver re-sends its own messages only
// when the machine has not moved (height, round or step) for a whole regossip interval, read
// from an injected clock.
import assert from 'node:assert/strict';
import { type Progress, StallWatch } from '../../src/node/consensus-regossip.js';

const REGOSSIP_MS = 1000;

function manualClock(startMs = 50_000): { nowMs(): number; advance(ms: number): void } {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

const AT: Progress = { height: 5, round: 0, step: 'propose' };

describe('consensus driver: regossip only on a stall', () => {
  it('is not stalled until a whole interval passes without progress', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    watch.noteProgress(AT);
    clock.advance(REGOSSIP_MS - 1);
    assert.equal(watch.stalled(), false);
    clock.advance(1);
    assert.equal(watch.stalled(), true);
  });

  it('does not regossip right after start', () => {
    const clock = manualClock();
    const watch = new StallWatch(clock, REGOSSIP_MS);
    assert.equal(watch.stalled(), false);
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
      assert.equal(watch.stalled(), false, 'moved 20 ms ago');
      clock.advance(REGOSSIP_MS);
      assert.equal(watch.stalled(), true);
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
    assert.equal(watch.stalled(), true);
  });
});
