// The load generator of the network benchmarks: transactions offered open-loop at planned arrival
// instants (uniform for throughput, Poisson for finality), never waiting for earlier answers
// except through a bound on requests in flight. Each 5 ms tick sends everything that has arrived
// since the last tick, as one `POST /txs` per validator, which is how a hospital gateway or a
// platform would submit under load; `single` mode sends one `POST /tx` per transaction instead, to
// measure the per-request API path.
//
// Validators are chosen round-robin by pair: transactions 2k and 2k + 1 (a consent grant and the
// declaration under it, lib/network.ts signWorkload) go to the same validator, in that order and
// in one batch (a grant waits for its declaration's tick), so its admission and relays carry them
// in order and the declaration does not come before its consent (at 400 tx/s: 0 of 400 refused).
// `single` mode sends them to the same validator too, but as two requests, whose order the
// validator does not guarantee.
// Round-robin by transaction (until session 15) sent the two to different validators, and under
// load the declaration often reached a block first and was refused (CONSENT_NOT_FOUND: 146 of 400
// declarations at 400 tx/s, against none at 20 tx/s), so the benchmarks measured a mix in which a
// third or more of the declarations were cheap refusals instead of transfers.
import { LIMITS } from '../../../src/core/limits.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import type { NodeClient, SignedTx } from './network.js';

export type SubmitMode = 'batch' | 'single';

export const SUBMIT_MODE: SubmitMode = process.env.BAYLEDGER_BENCH_SUBMIT === 'single' ? 'single' : 'batch';

const TICK_MS = 5;
/** Open loop, but bounded: past this many unanswered requests the client, not the network, is the limit. */
const MAX_IN_FLIGHT_REQUESTS = 256;

export interface SubmitOutcome {
  /** Transactions sent (answered or not). */
  readonly sent: number;
  /** Transactions the nodes refused, or whose request failed. */
  readonly refused: number;
  /** `refused` by cause: the node's refusal code, or `HTTP <status>` / `request failed`. */
  readonly refusedBy: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
}

/** Arrival instants (ms after the start) of `count` transactions at a steady `ratePerSecond`. */
export function uniformArrivals(count: number, ratePerSecond: number): number[] {
  return Array.from({ length: count }, (_, index) => (index * 1000) / ratePerSecond);
}

/** Arrival instants of a Poisson process at `ratePerSecond`, from a seeded generator. */
export function poissonArrivals(count: number, ratePerSecond: number, seed: number): number[] {
  const uniform = seededRandom(seed);
  const arrivals: number[] = [];
  let atMs = 0;
  for (let index = 0; index < count; index++) {
    atMs += (-Math.log(1 - uniform()) * 1000) / ratePerSecond;
    arrivals.push(atMs);
  }
  return arrivals;
}

/** The client (validator) transaction `index` goes to: both of a pair to the same one. */
export function validatorOf(index: number, clientCount: number): number {
  return Math.floor(index / 2) % clientCount;
}

/** The refusal causes of a `POST /txs` answer's `count` transactions (its `results`' codes). */
function refusalsIn(answer: { status: number; body: string }, count: number): string[] {
  if (answer.status !== 202) return Array.from({ length: count }, () => `HTTP ${answer.status}`);
  const parsed = JSON.parse(answer.body) as { results?: Array<{ status?: string; code?: string }> };
  if (!Array.isArray(parsed.results)) return Array.from({ length: count }, () => 'answer without results');
  return parsed.results
    .filter((result) => result.status === 'refused')
    .map((result) => result.code ?? 'refused');
}

/**
 * Sends `txs[i]` at `startMs + arrivalsMs[i]` (performance.now() clock), spread over `clients`;
 * `onSent(i, plannedMs)` is told each transaction's planned instant. Resolves when all are answered.
 */
export async function submitAtArrivals(
  clients: readonly NodeClient[],
  txs: readonly SignedTx[],
  arrivalsMs: readonly number[],
  signal: AbortSignal,
  mode: SubmitMode = SUBMIT_MODE,
): Promise<SubmitOutcome> {
  const startedMs = performance.now();
  let sent = 0;
  const refusedBy = new Map<string, number>();
  const refuse = (causes: readonly string[]): void => {
    for (const cause of causes) refusedBy.set(cause, (refusedBy.get(cause) ?? 0) + 1);
  };
  let inFlight = 0;
  const answers: Promise<void>[] = [];
  const track = (request: Promise<{ status: number; body: string }>, count: number): void => {
    inFlight++;
    answers.push(
      request.then(
        (answer) => {
          inFlight--;
          if (mode === 'batch') refuse(refusalsIn(answer, count));
          else if (answer.status !== 202) refuse([`HTTP ${answer.status}`]);
        },
        () => {
          inFlight--;
          refuse(Array.from({ length: count }, () => 'request failed'));
        },
      ),
    );
  };
  while (sent < txs.length && !signal.aborted) {
    const nowMs = performance.now() - startedMs;
    let due = sent;
    while (due < txs.length && arrivalsMs[due]! <= nowMs) due++;
    // A batch carries whole pairs: a grant whose declaration is not due yet waits for the next
    // tick (its latency still counts from its own planned arrival), since two requests to one
    // validator are not answered in a guaranteed order.
    if (mode === 'batch' && due % 2 === 1 && due < txs.length) due--;
    if (mode === 'single') {
      for (; sent < due && inFlight < MAX_IN_FLIGHT_REQUESTS; sent++) {
        track(clients[validatorOf(sent, clients.length)]!.submit(txs[sent]!.bytes), 1);
      }
    } else if (due > sent && inFlight < MAX_IN_FLIGHT_REQUESTS) {
      const groups: Uint8Array[][] = clients.map(() => []);
      for (; sent < due; sent++) groups[validatorOf(sent, clients.length)]!.push(txs[sent]!.bytes);
      for (const [index, group] of groups.entries()) {
        for (let at = 0; at < group.length; at += LIMITS.maxTxsPerSubmission) {
          const part = group.slice(at, at + LIMITS.maxTxsPerSubmission);
          track(clients[index]!.submitBatch(part), part.length);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(answers);
  let refused = 0;
  for (const count of refusedBy.values()) refused += count;
  return { sent, refused, refusedBy, elapsedMs: performance.now() - startedMs };
}
