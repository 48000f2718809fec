// Bounds the requests in flight to one peer to what the peer accepts (LIMITS.maxInboundRequestsPerPeer
// per connection): beyond it libp2p resets new streams, so callers wait here instead. A waiter
// gives up when its signal aborts (the request's own timeout), so the wait is bounded too.
import { BayledgerError } from '../../core/errors.js';

export class Semaphore {
  readonly #capacity: number;
  #inUse = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async acquire(signal: AbortSignal, where: string): Promise<() => void> {
    if (this.#inUse < this.#capacity) {
      this.#inUse++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new BayledgerError('TIMEOUT', 'timed out waiting for a free request slot', where));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(grant);
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // The slot passes straight to the next waiter, so #inUse stays the same.
      if (next !== undefined) next();
      else this.#inUse--;
    };
  }
}
