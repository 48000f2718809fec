// Waiters back `POST /tx?wait=commit` (keyed by transaction id) and HeightWaiters: every request
// waiting for a key is answered when the key is woken, on its own deadline otherwise, and all of
// them on shutdown, with nothing left behind.
import { strict as assert } from 'node:assert';
import { Waiters } from '../../src/node/waiters.js';
import { settledWithinATurn } from '../helpers/settled.js';

describe('Waiters', () => {
  it('wakes every waiter of a key, and only that key', async () => {
    const waiters = new Waiters<string>();
    const first = waiters.wait('a', 10_000);
    const second = waiters.wait('a', 10_000);
    const other = waiters.wait('b', 10_000);
    assert.deepEqual(waiters.keys().sort(), ['a', 'b']);
    waiters.wake('a');
    assert.equal(await first, true);
    assert.equal(await second, true);
    assert.equal(await settledWithinATurn(other), false);
    assert.deepEqual(waiters.keys(), ['b']);
    waiters.wake('nobody waits for this');
    waiters.close();
    assert.equal(await other, false);
    assert.deepEqual(waiters.keys(), []);
  });

  it('answers a wait that starts after close at once, with false', async () => {
    const waiters = new Waiters<string>();
    waiters.close();
    const late = waiters.wait('a', 10_000);
    // Within a turn: a timer would keep a stopping process alive for the whole wait.
    assert.equal(await settledWithinATurn(late), true);
    assert.equal(await late, false);
    assert.deepEqual(waiters.keys(), []);
  });

  it('answers false on the deadline and forgets the waiter', async () => {
    const waiters = new Waiters<number>();
    assert.equal(await waiters.wait(7, 15), false);
    assert.deepEqual(waiters.keys(), []);
  });

  it('keeps a key while one of its waiters still waits after another timed out', async () => {
    const waiters = new Waiters<number>();
    const late = waiters.wait(7, 10_000);
    assert.equal(await waiters.wait(7, 15), false);
    assert.equal(await settledWithinATurn(late), false);
    assert.deepEqual(waiters.keys(), [7]);
    waiters.wake(7);
    assert.equal(await late, true);
    assert.deepEqual(waiters.keys(), []);
  });
});
