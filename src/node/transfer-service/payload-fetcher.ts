// The recipient end of the payload channel (design section 1 steps 4-5, section 9): for every
// transfer addressed to this node and approved on its own verified chain, fetch the payload from
// the declaring hospital, verify every chunk against the declared commitment as it arrives
// (PayloadReceiver), file it in the inbox and submit the receipt. Accepted: 'OK'. Refused by its
// payload (a permanent failure such as DIGEST_MISMATCH): a rejected receipt with that reason,
// and nothing filed. Interrupted (peer gone, node restarted): the next attempt resumes from the
// last verified chunk, up to LIMITS.maxPayloadFetchAttempts attempts with doubling waits; after
// that the transfer is tried again at the next node start. No room on the disk for the rest of the
// payload beside the ledger's reserve (disk-room.ts) is not an attempt: the fetch asks again after
// LIMITS.firstDiskRoomPollMs, the wait doubling up to LIMITS.diskRoomPollMs, for up to a day
// (LIMITS.maxDiskRoomPolls). The same holds for a disk that fills during a fetch that found room
// (another writer took it meanwhile, or two fetches each fit alone): the write the disk refused
// (ENOSPC, EDQUOT) is not durable, so the fetch waits for room and resumes after the last
// checkpointed chunk.
//
// The acceptance gate (gates.ts) is asked before every attempt, so a transfer whose consent is
// revoked meanwhile is dropped, with its partial progress.
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex } from '../../core/bytes.js';
import { BayledgerError, isBayledgerError } from '../../core/errors.js';
import type { StateReader } from '../../core/ledger/state-kv.js';
import type { TransferRecord } from '../../core/ledger/views.js';
import { LIMITS } from '../../core/limits.js';
import { errnoOf } from '../file-read-error.js';
import type { Logger } from '../log/logger.js';
import { doublingDelayMs } from '../net/backoff.js';
import type { FramedStream } from '../net/framed-stream.js';
import type { PeerNetwork } from '../net/types.js';
import { PROTOCOL } from '../protocols.js';
import type { ItemWriteWorkerSpare } from '../transfer/item-write-spare.js';
import { removePartial } from '../transfer/partial.js';
import { MAX_RESPONSE_BYTES } from '../transfer/protocol.js';
import { PayloadReceiver, type ReceiveOutcome } from '../transfer/receiver.js';
import type { DiskRoom, RoomClaim } from './disk-room.js';
import { type AcceptDecision, acceptDecision, couldAccept } from './gates.js';
import { IdleTimeout } from './idle-timeout.js';
import type { PayloadStats } from './payload-stats.js';

export interface ReceiptRequest {
  readonly transferId: Uint8Array;
  readonly payloadRoot: Uint8Array;
  readonly accepted: boolean;
  /** 'OK' when accepted, else the receiver's reason code. */
  readonly reason: string;
}

export interface PayloadFetcherOptions {
  readonly net: PeerNetwork;
  readonly state: StateReader;
  readonly self: string;
  readonly chainId: string;
  /** This node's X25519 secret (its genesis `encryptionKey` is the public half). */
  readonly recipientSecretKey: Uint8Array;
  readonly inboxDir: string;
  readonly stats: PayloadStats;
  readonly logger: Logger;
  /** Signs, submits and waits for the receipt; resolves once it is committed or known. */
  readonly submitReceipt: (receipt: ReceiptRequest) => Promise<void>;
  /** Claimed for the bytes still to come for each attempt (disk-room.ts). */
  readonly room: DiskRoom;
  /** Bound on queued transfers (tests set a small one). Default LIMITS.maxQueuedPayloadFetches. */
  readonly maxQueued?: number;
  /** The wait before attempt `failures + 1` (tests set short ones). Default retryDelayMs below. */
  readonly retryDelayMs?: (failures: number) => number;
  /** The longest wait between a fetch's polls for disk room (tests set short ones). Default LIMITS.diskRoomPollMs. */
  readonly diskRoomPollMs?: number;
  /** Polls for room before the waits count as attempts (tests set few). Default LIMITS.maxDiskRoomPolls. */
  readonly maxDiskRoomPolls?: number;
  /**
   * A loaded item-write worker for the next large payload, replenished after each attempt (the
   * node's; item-write-spare.ts). Without it each large receive starts its own worker.
   */
  readonly itemWorkerSpare?: ItemWriteWorkerSpare;
}

interface Job {
  readonly transferIdHex: string;
  readonly consentIdHex: string;
  readonly abort: AbortController;
}

/** What an attempt has opened, for its end to release whatever happens. */
interface Opened {
  receiver?: PayloadReceiver;
  claim?: RoomClaim;
}

/** How long to open a stream to the sender, dial included. */
const OPEN_STREAM_TIMEOUT_MS = 10_000;

export function retryDelayMs(failures: number): number {
  return doublingDelayMs(LIMITS.minPayloadRetryDelayMs, failures, LIMITS.maxPayloadRetryDelayMs);
}

/** The wait before poll `polls + 1` for disk room: doubling from the first, capped at `longestMs`. */
export function roomPollWaitMs(polls: number, longestMs: number): number {
  return doublingDelayMs(LIMITS.firstDiskRoomPollMs, polls, longestMs);
}

export class PayloadFetcher {
  readonly #options: PayloadFetcherOptions;
  readonly #queue: Uint8Array[] = [];
  readonly #queued = new Set<string>();
  readonly #running = new Map<string, Job>();
  readonly #runs = new Set<Promise<void>>();
  /** Resolved when the queue has room again (the start-up scan waits on it). */
  #roomWaiters: Array<() => void> = [];
  /** A transfer was turned away for lack of room since the last `takeTurnedAway`. */
  #turnedAway = false;
  #closed = false;

  constructor(options: PayloadFetcherOptions) {
    this.#options = options;
  }

  get #maxQueued(): number {
    return this.#options.maxQueued ?? LIMITS.maxQueuedPayloadFetches;
  }

  /**
   * Queues a transfer record (one a committed block has just written, or one the start-up scan
   * read) if this node could fetch it; a no-op if it is queued or running. Most such records are
   * declarations and assessments still awaiting approval, or transfers to other recipients, which
   * the record rules out alone: reading each one back from the store was about a tenth of the
   * platform node's CPU at 500 tx/s (profile of 2026-11-27). A record that passes is queued
   * without asking the gate either: the gate reads the transfer back and its consent, which was
   * about a sixth of the platform's main thread at 700 tx/s (cpuprofile of 2026-11-28, the bench's
   * approved transfers to it), and #pump asks it before any fetch starts, so a consent revoked in
   * the meantime still stops the transfer there.
   */
  considerWritten(transfer: TransferRecord): void {
    if (!couldAccept(transfer, this.#options.self)) return;
    const hex = toHex(transfer.transferId);
    if (this.#ignores(hex)) return;
    this.#enqueue(transfer.transferId, hex);
  }

  /** Stops fetches under a consent that was just revoked; their progress is removed. */
  consentRevoked(consentId: Uint8Array): void {
    const hex = toHex(consentId);
    for (const job of this.#running.values()) if (job.consentIdHex === hex) job.abort.abort();
  }

  /** Resolves once the queue has room for another transfer (at once if it has, or when closed). */
  waitForRoom(): Promise<void> {
    if (this.#closed || this.#queue.length < this.#maxQueued) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Whether a transfer was turned away for lack of room since the last call (then scan again). */
  takeTurnedAway(): boolean {
    const turnedAway = this.#turnedAway;
    this.#turnedAway = false;
    return turnedAway;
  }

  get activeTransfers(): string[] {
    return [...this.#running.keys()];
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    this.#wakeRoomWaiters();
    for (const job of this.#running.values()) job.abort.abort();
    await Promise.allSettled([...this.#runs]);
  }

  /** Closed, or the transfer is already queued or running. */
  #ignores(transferIdHex: string): boolean {
    return this.#closed || this.#queued.has(transferIdHex) || this.#running.has(transferIdHex);
  }

  #enqueue(transferId: Uint8Array, transferIdHex: string): void {
    if (this.#queue.length >= this.#maxQueued) {
      // Bounded: the transfer stays approved in the ledger, and a scan finds it again.
      this.#turnedAway = true;
      return;
    }
    this.#queued.add(transferIdHex);
    this.#queue.push(transferId);
    this.#pump();
  }

  #pump(): void {
    while (
      !this.#closed &&
      this.#running.size < LIMITS.maxConcurrentPayloadFetches &&
      this.#queue.length > 0
    ) {
      const transferId = this.#queue.shift()!;
      const hex = toHex(transferId);
      this.#queued.delete(hex);
      const decision = acceptDecision(this.#options.state, this.#options.self, transferId);
      if (!decision.ok) continue;
      const job: Job = {
        transferIdHex: hex,
        consentIdHex: toHex(decision.consentId),
        abort: new AbortController(),
      };
      this.#running.set(hex, job);
      const run = this.#fetch(transferId, job, decision)
        .catch((error: unknown) =>
          this.#options.logger.error('payload fetch failed', { transferId: hex, error }),
        )
        .finally(() => {
          this.#running.delete(hex);
          this.#runs.delete(run);
          this.#pump();
        });
      this.#runs.add(run);
    }
    if (this.#queue.length < this.#maxQueued) this.#wakeRoomWaiters();
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Fetches one transfer, asking the gate again before every attempt after the first: the first
   * uses `started`, the decision #pump took in the same synchronous step, so asking again there
   * would read the transfer and its consent back a second time for the same answer.
   */
  async #fetch(transferId: Uint8Array, job: Job, started: AcceptDecision): Promise<void> {
    const { logger } = this.#options;
    const signal = job.abort.signal;
    // #pump's decision serves the first try only: after any wait the gate is asked again, as a
    // consent may have been revoked meanwhile.
    let fresh: AcceptDecision | undefined = started;
    let failures = 0;
    // Every poll for room of this fetch (bounded by maxDiskRoomPolls), and those of the current
    // wait: a wait begins when the disk refuses at a chunk the last wait did not (the fetch made
    // progress in between), and starts again from the short first poll and with its own warning.
    let roomPolls = 0;
    let waitPolls = 0;
    let waitAtChunk = -1;
    while (failures < LIMITS.maxPayloadFetchAttempts) {
      if (this.#closed) return;
      const decision = fresh ?? acceptDecision(this.#options.state, this.#options.self, transferId);
      fresh = undefined;
      if (!decision.ok) {
        // Revoked (or otherwise no longer approved): drop what was received; nothing is filed.
        if (decision.reason === 'NOT_APPROVED') await removePartial(this.#options.inboxDir, transferId);
        logger.info('payload fetch stopped', { transferId: job.transferIdHex, reason: decision.reason });
        return;
      }
      const outcome = await this.#attempt(decision.sender, decision.expected, signal);
      if (outcome.status === 'delivered') {
        logger.info('payload delivered', { transferId: job.transferIdHex, directory: outcome.directory });
        await this.#receipt({ transferId, payloadRoot: outcome.payloadRoot, accepted: true, reason: 'OK' });
        return;
      }
      if (outcome.permanent) {
        logger.warn('payload refused', {
          transferId: job.transferIdHex,
          reason: outcome.reason,
          detail: outcome.detail,
        });
        await this.#receipt({
          transferId,
          payloadRoot: decision.expected.payload.root,
          accepted: false,
          reason: outcome.reason,
        });
        return;
      }
      if (
        outcome.reason === 'NO_DISK_ROOM' &&
        roomPolls < (this.#options.maxDiskRoomPolls ?? LIMITS.maxDiskRoomPolls)
      ) {
        // Waiting for an operator to free space is not a failed attempt: ask again after a wait
        // that doubles up to diskRoomPollMs (bounded by maxDiskRoomPolls), saying so once a wait.
        if (outcome.nextChunk !== waitAtChunk) {
          waitAtChunk = outcome.nextChunk;
          waitPolls = 0;
          // The folder names the disk an operator has to free space on.
          logger.warn('payload fetch waits for room on the disk', {
            transferId: job.transferIdHex,
            folder: this.#options.room.directory,
            atChunk: outcome.nextChunk,
            detail: outcome.detail,
          });
        }
        const waitMs = roomPollWaitMs(waitPolls, this.#options.diskRoomPollMs ?? LIMITS.diskRoomPollMs);
        waitPolls++;
        roomPolls++;
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
        continue;
      }
      logger.info('payload fetch interrupted', {
        transferId: job.transferIdHex,
        reason: outcome.reason,
        detail: outcome.detail,
        resumeAtChunk: outcome.nextChunk,
        attempt: failures + 1,
      });
      if (this.#closed) return;
      const delayMs = (this.#options.retryDelayMs ?? retryDelayMs)(failures);
      failures++;
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
    logger.warn('payload fetch gave up until the next node start', {
      transferId: job.transferIdHex,
      attempts: LIMITS.maxPayloadFetchAttempts,
    });
  }

  async #receipt(receipt: ReceiptRequest): Promise<void> {
    await this.#options.submitReceipt(receipt);
    this.#options.stats.receiptSubmitted(receipt.accepted, receipt.reason);
  }

  /**
   * One request and its stream; transport failures come back as a retryable outcome, and so does
   * a write the disk refused for want of space (a wait for room, as before a fetch starts).
   */
  async #attempt(
    sender: string,
    expected: Parameters<typeof PayloadReceiver.open>[0]['expected'],
    signal: AbortSignal,
  ): Promise<ReceiveOutcome> {
    const opened: Opened = {};
    try {
      return await this.#attemptOnce(sender, expected, signal, opened);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno !== 'ENOSPC' && errno !== 'EDQUOT') throw error;
      return {
        status: 'failed',
        reason: 'NO_DISK_ROOM',
        detail: `the disk refused a write of the payload for want of space (${errno})`,
        permanent: false,
        nextChunk: opened.receiver?.nextChunk ?? 0,
      };
    } finally {
      opened.claim?.release();
    }
  }

  async #attemptOnce(
    sender: string,
    expected: Parameters<typeof PayloadReceiver.open>[0]['expected'],
    signal: AbortSignal,
    opened: Opened,
  ): Promise<ReceiveOutcome> {
    const options = this.#options;
    const receiver = await PayloadReceiver.open({
      inboxDir: options.inboxDir,
      chainId: options.chainId,
      recipientId: options.self,
      recipientSecretKey: options.recipientSecretKey,
      expected,
      onProgress: () => options.stats.chunkAccepted(),
      itemWorkerSpare: options.itemWorkerSpare,
    });
    opened.receiver = receiver;
    try {
      if (receiver.settled !== undefined) return receiver.settled;
      // Not started while the disk lacks room for the rest beside the ledger's reserve and the
      // fetches under way: the next attempt asks again, and the verified prefix stays.
      const claim = await options.room.claim(receiver.remainingBytes);
      opened.claim = claim;
      if (!claim.verdict.ok) {
        return {
          status: 'failed',
          reason: 'NO_DISK_ROOM',
          detail: `the rest of the payload ${claim.verdict.reason}`,
          permanent: false,
          nextChunk: receiver.nextChunk,
        };
      }
      options.stats.fetchStarted(toHex(expected.transferId));
      let stream: FramedStream;
      try {
        stream = await options.net.openStream(sender, PROTOCOL.payload, {
          maxMessageBytes: MAX_RESPONSE_BYTES,
          timeoutMs: OPEN_STREAM_TIMEOUT_MS,
        });
        await stream.write(receiver.requestFrame());
        await stream.closeWrite();
      } catch (error) {
        if (!isBayledgerError(error)) throw error;
        return {
          status: 'failed',
          reason: 'PAYLOAD_TRUNCATED',
          detail: `cannot reach ${sender}: ${error.message}`,
          permanent: false,
          nextChunk: receiver.nextChunk,
        };
      }
      return await receiver.receive(framesOf(stream, signal));
    } finally {
      await receiver.close();
      // Loaded while nothing is received, so it neither slows this transfer nor waits for the next.
      options.itemWorkerSpare?.replenish();
    }
  }
}

/**
 * The frames of a stream until it ends; cut when `signal` aborts or the sender goes silent. A
 * PayloadReceiver is done with a frame when it asks for the next one (receiver.ts, `receive`), so
 * each frame's memory is handed back to the stream then, for the next frame to reuse.
 */
async function* framesOf(stream: FramedStream, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let ended = false;
  const idle = new IdleTimeout(LIMITS.payloadStreamIdleMs, 'payload stream');
  const readSignal = AbortSignal.any([signal, idle.signal]);
  try {
    for (;;) {
      // Frames may already be buffered: a stop (shutdown, revocation) must not wait for them.
      if (signal.aborted) throw new BayledgerError('CLOSED', 'the fetch was stopped');
      const frame = await stream.read({ signal: readSignal });
      if (frame === null) {
        ended = true;
        return;
      }
      idle.touch();
      yield frame;
      stream.release(frame);
    }
  } finally {
    idle.dispose();
    if (!ended) stream.abort('payload fetch stopped');
  }
}
