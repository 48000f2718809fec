// The per-peer request slots (src/node/net/semaphore.ts): at most `capacity` held, a freed slot
// goes straight to the oldest waiter, a waiter whose signal aborts leaves the queue (TIMEOUT),
// and releasing twice frees one slot.
import { strict as assert } from 'node:assert';
import { Semaphore } from '../../src/node/net/semaphore.js';
import { rejectsWith } from '../helpers/rejects.js';
import { settledWithinATurn } from '../helpers/settled.js';

const never = new AbortController().signal;

describe('net: request slots per peer', () => {
  it('holds at most its capacity; a freed slot goes to the oldest waiter', async () => {
    const slots = new Semaphore(2);
    const first = await slots.acquire(never, 'peer');
    await slots.acquire(never, 'peer');
    const third = slots.acquire(never, 'peer');
    const fourth = slots.acquire(never, 'peer');
    assert.equal(await settledWithinATurn(third), false, 'the third waits while two are held');
    first();
    assert.equal(await settledWithinATurn(third), true);
    assert.equal(await settledWithinATurn(fourth), false, 'one slot freed, one waiter served');
  });

  it('a waiter whose signal aborts leaves the queue, and its slot is not lost', async () => {
    const slots = new Semaphore(1);
    const held = await slots.acquire(never, 'peer');
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal, 'peer-a');
    controller.abort();
    await rejectsWith(waiting, 'TIMEOUT', 'peer-a: timed out waiting for a free request slot');
    held();
    assert.equal(await settledWithinATurn(slots.acquire(never, 'peer')), true, 'the freed slot is free');
    await rejectsWith(
      slots.acquire(AbortSignal.abort(), 'peer-b'),
      'TIMEOUT',
      'peer-b: timed out waiting for a free request slot',
    );
  });

  it('releasing a slot twice frees it once', async () => {
    const slots = new Semaphore(1);
    const release = await slots.acquire(never, 'peer');
    release();
    release();
    await slots.acquire(never, 'peer');
    assert.equal(await settledWithinATurn(slots.acquire(never, 'peer')), false);
  });
});
