// API requests that wait for something the chain will commit (a transaction for
// `POST /tx?wait=commit`, a height for `GET /chain/blocks/:height?waitMs=`), each with its own
// deadline. Each waiter is one HTTP request in flight, so LIMITS.maxApiConnections bounds them.

export class Waiters<Key> {
  readonly #waiting = new Map<Key, Set<(done: boolean) => void>>();
  #closed = false;

  /** The keys someone waits for. */
  keys(): Key[] {
    return [...this.#waiting.keys()];
  }

  /** Resolves true when `wake(key)` is called, false after `timeoutMs` or on `close`. */
  wait(key: Key, timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const set = this.#waiting.get(key) ?? new Set();
      this.#waiting.set(key, set);
      const finish = (done: boolean): void => {
        clearTimeout(timer);
        set.delete(finish);
        if (set.size === 0 && this.#waiting.get(key) === set) this.#waiting.delete(key);
        resolve(done);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      set.add(finish);
    });
  }

  wake(key: Key): void {
    for (const finish of [...(this.#waiting.get(key) ?? [])]) finish(true);
  }

  /**
   * Answers every waiter "not yet", and every later one at once (shutdown), so no timer outlives
   * the node: a request that reached its wait just after the node began to stop (a declaration's,
   * seen in a chaos soak) otherwise held the stopping process for its whole wait, then read a
   * closed store.
   */
  close(): void {
    this.#closed = true;
    for (const set of [...this.#waiting.values()]) for (const finish of [...set]) finish(false);
  }
}
