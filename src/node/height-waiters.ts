// Requests that wait for a height to be committed: `GET /chain/blocks/:height?waitMs=` answers the
// moment the block is durable instead of making a follower of the chain (an auditor's tail, the
// recipient's dashboard, the finality benchmark) poll /status. Polling every few milliseconds cost
// the polled validator about a quarter more CPU per height than its peers (at 20 tx/s, 15-17 ms
// against 11.5-12.7 ms per height) and still saw each commit up to one interval late.
// Each waiter is one HTTP request in flight, so LIMITS.maxApiConnections bounds them.
import { assert } from '../core/errors.js';

export class HeightWaiters {
  /** Waiters by the height they wait for; each resolves true once that height is committed. */
  readonly #waiting = new Map<number, Set<(reached: boolean) => void>>();
  #committedHeight: number;

  constructor(committedHeight: number) {
    this.#committedHeight = committedHeight;
  }

  /** Number of requests waiting (for tests and metrics). */
  get size(): number {
    let count = 0;
    for (const set of this.#waiting.values()) count += set.size;
    return count;
  }

  /** Resolves true once `height` is committed (at once if it is), false after `timeoutMs`. */
  wait(height: number, timeoutMs: number): Promise<boolean> {
    if (height <= this.#committedHeight) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const set = this.#waiting.get(height) ?? new Set();
      this.#waiting.set(height, set);
      const finish = (reached: boolean): void => {
        clearTimeout(timer);
        set.delete(finish);
        if (set.size === 0 && this.#waiting.get(height) === set) this.#waiting.delete(height);
        resolve(reached);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      set.add(finish);
    });
  }

  /** The chain committed `height`: wakes everyone waiting for it or any height below. */
  reached(height: number): void {
    assert(
      height >= this.#committedHeight,
      `committed height went back from ${this.#committedHeight} to ${height}`,
    );
    this.#committedHeight = height;
    for (const [waitedHeight, set] of [...this.#waiting]) {
      if (waitedHeight <= height) for (const finish of [...set]) finish(true);
    }
  }

  /** Answers every waiter "not reached" (shutdown), so no timer outlives the node. */
  cancelAll(): void {
    for (const set of [...this.#waiting.values()]) for (const finish of [...set]) finish(false);
  }
}
