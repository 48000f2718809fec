// When each transaction became final, seen from outside: polls one validator's /status every few
// milliseconds and, whenever the height moves, reads the new blocks' transaction ids from
// /chain/blocks/:height. A transaction's commit instant is the first poll that saw its block, so
// latencies measured against it are over-estimated by at most one poll interval plus one read.
import type { NodeClient } from './network.js';

const POLL_MS = 5;

export class CommitWatcher {
  readonly #client: NodeClient;
  readonly #seenAtMs = new Map<string, number>();
  #height = 0;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(client: NodeClient) {
    this.#client = client;
  }

  /** Starts watching from the current tip (earlier blocks are not recorded). */
  async start(): Promise<void> {
    this.#height = (await this.#client.status()).height;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** performance.now() of the poll that first saw the transaction committed, if it has been. */
  committedAtMs(txIdHex: string): number | undefined {
    return this.#seenAtMs.get(txIdHex);
  }

  get committedCount(): number {
    return this.#seenAtMs.size;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const status = await this.#client.status().catch(() => undefined);
      const seenMs = performance.now();
      if (status !== undefined) {
        for (let height = this.#height + 1; height <= status.height; height++) {
          const answer = await this.#client.get(`/chain/blocks/${height}`);
          if (answer.status !== 200) break;
          for (const txId of (JSON.parse(answer.body) as { txIds: string[] }).txIds) {
            this.#seenAtMs.set(txId, seenMs);
          }
          this.#height = height;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
