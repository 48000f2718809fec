// The store's durable writes (a block's batch, a consensus WAL record, a WAL clear) fail only when
// the disk does: full, read-only, or failing. After such a failure nothing the node holds in memory
// can be trusted to match the disk (a torn WAL record sits at the end of the file; the committed-id
// filter already holds the ids of a batch that never landed), and a node that went on would sign
// votes it may not remember and blame its peers for blocks it cannot store. So the first failed
// write is latched: every later write is refused with the same fault without touching the disk,
// and the node is told once, so that it stops (node.ts, cli/commands/node-start.ts). Restarted with
// the disk repaired it loses nothing: a block's batch is atomic in LevelDB, and a torn WAL tail is
// cut off on open (wal.ts). CometBFT stops the same way when its WAL cannot be written.
import { BayledgerError, errorMessage, isBayledgerError } from '../../core/errors.js';

export class WriteFaultLatch {
  readonly #directory: string;
  readonly #listeners: ((fault: BayledgerError) => void)[] = [];
  #fault: BayledgerError | undefined;

  /** @param directory the store's folder, named in the fault */
  constructor(directory: string) {
    this.#directory = directory;
  }

  /** The first write that failed, or undefined while every write succeeded. */
  get fault(): BayledgerError | undefined {
    return this.#fault;
  }

  /** Calls `listener` once when a write first fails (at once if one already did). */
  onFault(listener: (fault: BayledgerError) => void): void {
    if (this.#fault !== undefined) listener(this.#fault);
    else this.#listeners.push(listener);
  }

  /**
   * Runs one durable write, `what` naming it for the fault ('write block 12'). Refuses without
   * running it once an earlier write failed; a failure of its own is latched and thrown as
   * STORE_FAILED. A BayledgerError is a refusal of ours made before the disk was touched (a WAL
   * record over its size bound): it passes as it is, and nothing is latched.
   */
  async write(what: string, run: () => void | Promise<void>): Promise<void> {
    if (this.#fault !== undefined) throw this.#fault;
    try {
      await run();
    } catch (error) {
      if (isBayledgerError(error)) throw error;
      throw this.#latch(what, error);
    }
  }

  #latch(what: string, error: unknown): BayledgerError {
    if (this.#fault !== undefined) return this.#fault;
    const fault = new BayledgerError(
      'STORE_FAILED',
      `could not ${what}: ${errorMessage(error)}; the node stops. Free space or repair the disk, ` +
        'then start the node again: every block it committed is kept',
      this.#directory,
    );
    this.#fault = fault;
    for (const listener of this.#listeners) listener(fault);
    return fault;
  }
}
