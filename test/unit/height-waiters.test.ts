// HeightWaiters backs `GET /chain/blocks/:height?waitMs=`: a request for a height not yet committed
// is answered when that height (or a later one, as block sync commits several at once) commits,
// or "not reached" when its wait ends or the node closes. The HTTP route itself is exercised
// against real node processes in test/e2e/node.test.ts.
import { strict as assert } from 'node:assert';
import { HeightWaiters } from '../../src/node/height-waiters.js';

/** Settles with the promise's value, or 'pending' if it has not settled within a turn of the loop. */
async function stateOf(promise: Promise<boolean>): Promise<boolean | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('HeightWaiters', () => {
  it('answers at once for a height already committed', async () => {
    const waiters = new HeightWaiters(5);
    assert.equal(await waiters.wait(5, 1000), true);
    assert.equal(await waiters.wait(1, 1000), true);
  });

  it('answers "not reached" at once for a later height asked with no wait, arming no timer', async () => {
    const waiters = new HeightWaiters(5);
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const answer = waiters.wait(9, 0);
    assert.equal(timers(), before);
    assert.equal(await answer, false);
  });

  it('holds a later height until it commits, and wakes every waiter at or below the committed height', async () => {
    const waiters = new HeightWaiters(5);
    const six = waiters.wait(6, 10_000);
    const sixAgain = waiters.wait(6, 10_000);
    const seven = waiters.wait(7, 10_000);
    const nine = waiters.wait(9, 10_000);
    for (const waiting of [six, sixAgain, seven, nine]) assert.equal(await stateOf(waiting), 'pending');
    waiters.reached(6);
    assert.equal(await six, true);
    assert.equal(await sixAgain, true);
    assert.equal(await stateOf(seven), 'pending');
    // Block sync commits several blocks in a row; a jump past a waited height wakes it too.
    waiters.reached(8);
    assert.equal(await seven, true);
    assert.equal(await stateOf(nine), 'pending');
    waiters.close();
    assert.equal(await nine, false);
  });

  it('answers false when the wait ends first, and true once the height commits', async () => {
    const waiters = new HeightWaiters(0);
    assert.equal(await waiters.wait(3, 20), false);
    assert.equal(await waiters.wait(3, 0), false);
    waiters.reached(3);
    assert.equal(await waiters.wait(3, 0), true);
  });

  it('refuses a committed height that goes back (an invariant of the chain, not an input)', () => {
    const waiters = new HeightWaiters(4);
    assert.throws(() => waiters.reached(3), /went back from 4 to 3/);
  });
});
