// A payload stream's idle deadline: one timer, pushed back each time a frame moves (Node's
// timer.refresh), instead of a fresh AbortSignal.timeout per frame. A 500 MB transfer moves about
// 500 frames; each per-frame signal was a 30-second timer with its listeners, all alive at once.
import { BayledgerError } from '../../core/errors.js';

export class IdleTimeout {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  constructor(idleMs: number, what: string) {
    this.#timer = setTimeout(() => {
      this.#controller.abort(new BayledgerError('TIMEOUT', `${what}: nothing moved for ${idleMs} ms`));
    }, idleMs);
    // Only a stream in progress waits on it; it must not keep a stopping process alive.
    this.#timer.unref();
  }

  /** Aborts once `idleMs` pass without a `touch`. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Something moved: the deadline starts over. */
  touch(): void {
    this.#timer.refresh();
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
