// The network layer's contract with the node (design section 8). Peers are named by their
// organisation id from the genesis file; libp2p peer ids stay inside src/node/net.
import type { Logger } from '../log/logger.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { BackoffOptions } from './backoff.js';
import type { FramedStream } from './framed-stream.js';

export interface AllowedPeer {
  /** Organisation id, e.g. 'sz-cac'. */
  readonly id: string;
  /** Its Ed25519 node key (32 bytes) from the genesis file; the libp2p peer id derives from it. */
  readonly publicKey: Uint8Array;
  /** Where to dial it, e.g. '/ip4/127.0.0.1/tcp/7101'; undefined: only accept its connections. */
  readonly address: string | undefined;
}

export interface PeerNetworkOptions {
  /** The node key's Ed25519 seed: the libp2p private key and peer id derive from it. */
  readonly nodeSeed: Uint8Array;
  /** e.g. '/ip4/127.0.0.1/tcp/7101' ('/tcp/0' lets the OS choose the port). */
  readonly listenAddress: string;
  /** Every organisation allowed to connect; an entry with our own key is ignored. */
  readonly peers: readonly AllowedPeer[];
  readonly logger: Logger;
  /** Counters and gauges are registered here when given. */
  readonly metrics?: MetricsRegistry;
  /** How long a misbehaving peer stays disconnected. Default 10 s, at most LIMITS.maxPeerBanMs. */
  readonly banMs?: number;
  readonly reconnect?: BackoffOptions;
}

/** A protocol of small messages on long-lived, batched streams (consensus, transaction relay). */
export interface MessageProtocol<T> {
  /** e.g. '/bayledger/consensus/1' */
  readonly name: string;
  /** Largest single message; at most LIMITS.maxMessageBytes. */
  readonly maxMessageBytes: number;
  /** Decodes and validates one message; throws a BayledgerError on anything malformed. */
  readonly decode: (bytes: Uint8Array) => T;
  /**
   * Receives each valid message. A BayledgerError thrown here (an invalid signature, say) counts as
   * the peer's fault and disconnects it; any other error is logged as a bug.
   */
  readonly onMessage: (fromOrgId: string, message: T) => void;
}

export type RequestHandler = (fromOrgId: string, request: Uint8Array) => Promise<Uint8Array>;

export interface RequestHandlerOptions {
  /** Largest request accepted. Default LIMITS.maxMessageBytes. */
  readonly maxRequestBytes?: number;
  /** Largest answer the handler may give. Default LIMITS.maxMessageBytes. */
  readonly maxResponseBytes?: number;
}

export interface RequestOptions {
  /** Whole round trip, dial included. At most LIMITS.maxRequestTimeoutMs. */
  readonly timeoutMs: number;
  /** Largest answer accepted. Default LIMITS.maxMessageBytes. */
  readonly maxResponseBytes?: number;
}

export type StreamHandler = (fromOrgId: string, stream: FramedStream) => Promise<void>;

export interface StreamHandlerOptions {
  /** Largest frame accepted from the opener. */
  readonly maxMessageBytes: number;
}

export interface OpenStreamOptions {
  /** Largest frame accepted from the other side. */
  readonly maxMessageBytes: number;
  readonly timeoutMs?: number;
}

export type PeerEvent =
  | { readonly kind: 'connect'; readonly orgId: string }
  | { readonly kind: 'disconnect'; readonly orgId: string }
  | { readonly kind: 'penalised'; readonly orgId: string; readonly code: string };

/** 'queued-dropped-oldest': queued, and the queue was full so its oldest messages were dropped. */
export type SendOutcome = 'queued' | 'queued-dropped-oldest' | 'dropped-closed';

export interface NetStats {
  readonly messagesSent: number;
  readonly framesSent: number;
  readonly messagesReceived: number;
  readonly messagesDropped: number;
  readonly penalties: number;
}

export interface PeerNetwork {
  /** Our libp2p peer id (base58). */
  readonly peerId: string;
  /** Multiaddrs we listen on, with our /p2p/ suffix. Valid after `start`. */
  listenAddresses(): string[];
  /** Starts listening and dialing the allowed peers. Register protocols first. */
  start(): Promise<void>;
  registerProtocol<T>(protocol: MessageProtocol<T>): Promise<void>;
  /** Queues a message for one peer; it leaves in the next batch (drop-oldest when the queue is full). */
  send(orgId: string, protocol: string, message: Uint8Array): SendOutcome;
  /** `send` to every allowed peer. */
  broadcast(protocol: string, message: Uint8Array): void;
  /** Messages waiting to be sent to one peer on one protocol (for callers that pace themselves). */
  queuedMessages(orgId: string, protocol: string): number;
  registerRequestHandler(
    name: string,
    handler: RequestHandler,
    options?: RequestHandlerOptions,
  ): Promise<void>;
  request(orgId: string, name: string, request: Uint8Array, options: RequestOptions): Promise<Uint8Array>;
  registerStreamHandler(name: string, handler: StreamHandler, options: StreamHandlerOptions): Promise<void>;
  openStream(orgId: string, name: string, options: OpenStreamOptions): Promise<FramedStream>;
  /** Sets or changes where a peer is dialed (its address from the genesis, or a test's port). */
  setPeerAddress(orgId: string, address: string): void;
  connectedPeers(): string[];
  isConnected(orgId: string): boolean;
  /** Listens to connects, disconnects and penalties; returns the unsubscribe function. */
  onPeerEvent(listener: (event: PeerEvent) => void): () => void;
  /** Disconnects a misbehaving peer and refuses it for the ban duration; logged with the code. */
  penalise(orgId: string, code: string, reason: string): void;
  stats(): NetStats;
  close(): Promise<void>;
}
