// Whether a promise has settled once the work already queued has run: one turn of the event loop
// (setImmediate), which runs every microtask queued before it. For code that settles at once or
// not at all until the test acts (a free slot, a stream under its limit), not for anything that
// waits on time or I/O: those get waitFor (wait.ts).
import { setImmediate as turn } from 'node:timers/promises';

export async function settledWithinATurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const mark = (): void => {
    settled = true;
  };
  promise.then(mark, mark);
  await turn();
  return settled;
}
