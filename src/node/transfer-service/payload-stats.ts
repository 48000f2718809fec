// Counters of the payload channel at this node, kept per node run: what the sender gave out and
// refused, what the recipient fetched and receipted. The API serves them as JSON
// (GET /payload/stats) and the same numbers go to /metrics, so tests and operators can check that
// nothing moved where it must not.
import { LIMITS } from '../../core/limits.js';
import type { Counter, MetricsRegistry } from '../metrics/registry.js';

export interface SenderStats {
  /** Requests received, whatever their outcome. */
  requests: number;
  /** Requests refused, by end code (NOT_APPROVED, NOT_RECIPIENT, ...). */
  refused: Record<string, number>;
  /** Streams that ended with COMPLETE. */
  completed: number;
  chunksSent: number;
  /** Sealed (ciphertext) bytes sent in chunk messages. */
  bytesSent: number;
  /** Per transfer (hex id, at most LIMITS.maxMetricSeries): chunks sent, so a resume shows. */
  chunksByTransfer: Record<string, number>;
}

export interface ReceiverStats {
  /** Fetch attempts started (one request each). */
  attempts: number;
  chunksAccepted: number;
  delivered: number;
  /** Transfers refused by their payload, by reason (each gets a rejected receipt). */
  rejected: Record<string, number>;
  receiptsSubmitted: number;
  /** Transfers the node fetched or is fetching (hex ids, at most LIMITS.maxMetricSeries). */
  transfers: string[];
}

export class PayloadStats {
  readonly sender: SenderStats = {
    requests: 0,
    refused: {},
    completed: 0,
    chunksSent: 0,
    bytesSent: 0,
    chunksByTransfer: {},
  };
  readonly receiver: ReceiverStats = {
    attempts: 0,
    chunksAccepted: 0,
    delivered: 0,
    rejected: {},
    receiptsSubmitted: 0,
    transfers: [],
  };
  readonly #metrics: {
    readonly chunksSent: Counter;
    readonly bytesSent: Counter;
    readonly refused: Counter;
    readonly chunksAccepted: Counter;
    readonly receipts: Counter;
  };

  constructor(registry: MetricsRegistry) {
    this.#metrics = {
      chunksSent: registry.counter({
        name: 'bayledger_payload_chunks_sent_total',
        help: 'Sealed payload chunks sent to recipients.',
      }),
      bytesSent: registry.counter({
        name: 'bayledger_payload_bytes_sent_total',
        help: 'Sealed payload bytes sent to recipients.',
      }),
      refused: registry.counter({
        name: 'bayledger_payload_requests_refused_total',
        help: 'Payload requests refused by the release gate, by code.',
        labelNames: ['code'],
      }),
      chunksAccepted: registry.counter({
        name: 'bayledger_payload_chunks_accepted_total',
        help: 'Payload chunks verified against the declared commitment and stored.',
      }),
      receipts: registry.counter({
        name: 'bayledger_payload_receipts_total',
        help: 'Transfer receipts submitted, by outcome.',
        labelNames: ['accepted'],
      }),
    };
  }

  requested(): void {
    this.sender.requests++;
  }

  refused(code: string): void {
    this.sender.refused[code] = (this.sender.refused[code] ?? 0) + 1;
    this.#metrics.refused.inc(1, { code });
  }

  chunkSent(transferIdHex: string, bytes: number): void {
    this.sender.chunksSent++;
    this.sender.bytesSent += bytes;
    const perTransfer = this.sender.chunksByTransfer;
    if (transferIdHex in perTransfer || Object.keys(perTransfer).length < LIMITS.maxMetricSeries) {
      perTransfer[transferIdHex] = (perTransfer[transferIdHex] ?? 0) + 1;
    }
    this.#metrics.chunksSent.inc();
    this.#metrics.bytesSent.inc(bytes);
  }

  completed(): void {
    this.sender.completed++;
  }

  fetchStarted(transferIdHex: string): void {
    this.receiver.attempts++;
    const { transfers } = this.receiver;
    if (!transfers.includes(transferIdHex) && transfers.length < LIMITS.maxMetricSeries) {
      transfers.push(transferIdHex);
    }
  }

  chunkAccepted(): void {
    this.receiver.chunksAccepted++;
    this.#metrics.chunksAccepted.inc();
  }

  receiptSubmitted(accepted: boolean, reason: string): void {
    this.receiver.receiptsSubmitted++;
    if (accepted) this.receiver.delivered++;
    else this.receiver.rejected[reason] = (this.receiver.rejected[reason] ?? 0) + 1;
    this.#metrics.receipts.inc(1, { accepted: String(accepted) });
  }

  toJson(): { sender: SenderStats; receiver: ReceiverStats } {
    return { sender: this.sender, receiver: this.receiver };
  }
}
