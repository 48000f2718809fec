// When each transaction became final, seen from outside: asks one validator for the next block
// with `GET /chain/blocks/:height?waitMs=`, which the node answers the moment that block is
// committed, and records the instant each block's answer arrives as its transactions' commit
// instant. Latencies measured against it are over-estimated by one HTTP answer on 127.0.0.1. (It
// used to poll /status every 5 ms: up to 5 ms later, and the polled validator spent about a
// quarter more CPU per height than its peers.)
import type { NodeClient } from './network.js';

/** One request waits this long for its block before asking again (bounds how long stop() takes). */
const WAIT_MS = 1_000;
/** After a failed request (a node restarting), the next one waits this long. */
const RETRY_MS = 50;

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

  /** performance.now() when the answer carrying the transaction's block arrived, if it has. */
  committedAtMs(txIdHex: string): number | undefined {
    return this.#seenAtMs.get(txIdHex);
  }

  get committedCount(): number {
    return this.#seenAtMs.size;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const next = this.#height + 1;
      const answer = await this.#client.get(`/chain/blocks/${next}?waitMs=${WAIT_MS}`).catch(() => undefined);
      const seenMs = performance.now();
      if (answer?.status === 200) {
        for (const txId of (JSON.parse(answer.body) as { txIds: string[] }).txIds) {
          this.#seenAtMs.set(txId, seenMs);
        }
        this.#height = next;
      } else if (answer?.status !== 404) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}
