// The network's counters, in the node's Prometheus registry. Labels are bounded: protocol names
// are ours, peers are the genesis organisations, codes are ErrorCodes.
import {
  type Counter,
  DURATION_BUCKETS_SECONDS,
  type Histogram,
  type MetricsRegistry,
} from '../metrics/registry.js';
import type { NetStats } from './types.js';

export class NetMetrics {
  readonly #messagesSent: Counter;
  readonly #framesSent: Counter;
  readonly #messagesReceived: Counter;
  readonly #messagesDropped: Counter;
  readonly #penalties: Counter;
  readonly #requestSeconds: Histogram;
  #totals = { messagesSent: 0, framesSent: 0, messagesReceived: 0, messagesDropped: 0, penalties: 0 };

  constructor(registry: MetricsRegistry, connectedPeers: () => number) {
    const byProtocol = ['protocol'];
    const perProtocol = (name: string, help: string) =>
      registry.counter({ name, help, labelNames: byProtocol });
    this.#messagesSent = perProtocol(
      'bayledger_net_messages_sent_total',
      'Messages handed to a peer stream.',
    );
    this.#framesSent = perProtocol(
      'bayledger_net_frames_sent_total',
      'Batch frames written (messages per frame shows how well batching works).',
    );
    this.#messagesReceived = perProtocol(
      'bayledger_net_messages_received_total',
      'Messages received in valid batch frames.',
    );
    this.#messagesDropped = perProtocol(
      'bayledger_net_messages_dropped_total',
      'Oldest messages dropped because a send queue was full.',
    );
    this.#penalties = registry.counter({
      name: 'bayledger_net_peer_penalties_total',
      help: 'Peers disconnected and banned for sending invalid data.',
      labelNames: ['peer', 'code'],
    });
    this.#requestSeconds = registry.histogram({
      name: 'bayledger_net_request_seconds',
      help: 'Round trip of successful requests (block sync).',
      labelNames: byProtocol,
      buckets: DURATION_BUCKETS_SECONDS,
    });
    registry.gauge({
      name: 'bayledger_net_connected_peers',
      help: 'Allowed peers connected now.',
      collect: connectedPeers,
    });
  }

  sent(protocol: string, messages: number): void {
    this.#messagesSent.inc(messages, { protocol });
    this.#framesSent.inc(1, { protocol });
    this.#totals.messagesSent += messages;
    this.#totals.framesSent += 1;
  }

  received(protocol: string, messages: number): void {
    this.#messagesReceived.inc(messages, { protocol });
    this.#totals.messagesReceived += messages;
  }

  dropped(protocol: string, messages: number): void {
    this.#messagesDropped.inc(messages, { protocol });
    this.#totals.messagesDropped += messages;
  }

  penalised(peer: string, code: string): void {
    this.#penalties.inc(1, { peer, code });
    this.#totals.penalties += 1;
  }

  startRequest(protocol: string): () => number {
    return this.#requestSeconds.startTimer({ protocol });
  }

  stats(): NetStats {
    return { ...this.#totals };
  }
}
