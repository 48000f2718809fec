// cli/progress-bar.ts: drawn only on a terminal, at most ten times a second, always at the end.
import { strict as assert } from 'node:assert';
import { progressBar } from '../../cli/progress-bar.js';

/** A stand-in terminal and clock: what was written, and a time the test sets. */
function rig(isTTY: boolean) {
  const written: string[] = [];
  const clock = { nowMs: 1_000 };
  const bar = progressBar('verifying', { isTTY, write: (text) => written.push(text) }, () => clock.nowMs);
  return { bar, written, clock };
}

const full = `\rverifying [${'#'.repeat(30)}]`;

describe('cli: progress bar', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const { bar, written } = rig(false);
    bar.update(1, 10);
    bar.update(10, 10);
    bar.end();
    assert.deepEqual(written, []);
  });

  it('draws the first step at once, then at most every 100 ms, and the last step always', () => {
    const { bar, written, clock } = rig(true);
    bar.update(3, 10);
    clock.nowMs += 99;
    bar.update(4, 10);
    clock.nowMs += 1;
    bar.update(5, 10);
    bar.update(10, 10);
    assert.deepEqual(written, [
      `\rverifying [${'#'.repeat(9)}${' '.repeat(21)}] 3/10`,
      `\rverifying [${'#'.repeat(15)}${' '.repeat(15)}] 5/10`,
      `${full} 10/10`,
    ]);
  });

  it('shows nothing to do as a full bar', () => {
    const { bar, written } = rig(true);
    bar.update(0, 0);
    assert.deepEqual(written, [`${full} 0/0`]);
  });

  it('clears its line at the end only if it drew one', () => {
    const quiet = rig(true);
    quiet.bar.end();
    assert.deepEqual(quiet.written, []);
    const drawn = rig(true);
    drawn.bar.update(1, 2);
    drawn.bar.end();
    assert.equal(drawn.written.at(-1), '\r\u001b[2K');
  });
});
