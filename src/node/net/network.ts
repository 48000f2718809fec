// The peer network (design section 8): libp2p over TCP with Noise and Yamux, a connection gater
// that admits only the organisations of the genesis file (both ways), and three kinds of
// protocol on direct streams, all length-prefixed and size-limited:
//  - message protocols (consensus, transaction relay): one long-lived stream per (peer, protocol)
//    in each direction, batched frames, each message decoded with validation by the caller's
//    decoder;
//  - request/response (block sync): one short stream per request, one frame each way;
//  - raw framed streams (payload channel) with back-pressure.
// A peer that sends an oversize or malformed frame, or a message its decoder rejects, is hung up
// on and refused for a bounded time, and the node carries on with the others.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2p } from 'libp2p';
import { assert, BayledgerError, errorMessage, fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { Logger } from '../log/logger.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { reconnectDelayMs } from './backoff.js';
import { decodeBatch, maxBatchFrameBytes } from './batch.js';
import { FramedStream } from './framed-stream.js';
import { NetMetrics } from './net-metrics.js';
import { noiseCrypto } from './noise-crypto.js';
import { withQuietNoiseFraming } from './noise-framing.js';
import { libp2pKeyFromSeed } from './peer-ids.js';
import { dialAddressOf, type PeerEntry, PeerTable } from './peer-table.js';
import { PeerWriter } from './peer-writer.js';
import {
  decodeResponse,
  encodeErrorResponse,
  encodeOkResponse,
  maxResponseFrameBytes,
} from './response-envelope.js';
import type {
  MessageProtocol,
  NetStats,
  OpenStreamOptions,
  PeerEvent,
  PeerNetwork,
  PeerNetworkOptions,
  RequestHandler,
  RequestHandlerOptions,
  RequestOptions,
  SendOutcome,
  StreamHandler,
  StreamHandlerOptions,
} from './types.js';
import { installHalfWindowUpdates } from './yamux-window-updates.js';

const DEFAULT_BAN_MS = 10_000;
/** A connection that lasted less than this did not really succeed: the backoff keeps growing. */
const STABLE_CONNECTION_MS = 2_000;
/** Time to open a connection or negotiate a stream. */
const DIAL_TIMEOUT_MS = 10_000;

/** Errors that are the transport's doing, not the peer's: they never get a peer penalised. */
const TRANSPORT_CODES: ReadonlySet<string> = new Set(['CLOSED', 'TIMEOUT', 'UNREACHABLE']);

interface RegisteredProtocol {
  readonly protocol: MessageProtocol<unknown>;
  readonly maxFrameBytes: number;
}

export async function createPeerNetwork(options: PeerNetworkOptions): Promise<PeerNetwork> {
  const privateKey = await libp2pKeyFromSeed(options.nodeSeed);
  const banMs = options.banMs ?? DEFAULT_BAN_MS;
  assert(banMs > 0 && banMs <= LIMITS.maxPeerBanMs, `ban duration must be 1 to ${LIMITS.maxPeerBanMs} ms`);
  let table: PeerTable | undefined;
  const allowed = (peerId: PeerId): boolean => table?.isAllowed(peerId, performance.now()) ?? false;
  // Every stream grants new window at half a window, not after each frame (see the module).
  installHalfWindowUpdates();
  const libp2p = await createLibp2p({
    start: false,
    privateKey,
    addresses: { listen: [options.listenAddress] },
    transports: [tcp()],
    // Noise's own cipher functions but for one that sent each byte twice (noise-crypto.ts), and its
    // frame reader without a thrown RangeError per socket read (noise-framing.ts).
    connectionEncrypters: [withQuietNoiseFraming(noise({ crypto: noiseCrypto }))],
    // The receive window bounds what a peer can push ahead of our reading; a paused stream buffers
    // at most one window, so its read buffer limit (past which yamux resets it) is set above that.
    streamMuxers: [
      yamux({
        streamOptions: {
          maxStreamWindowSize: LIMITS.maxStreamWindowBytes,
          maxReadBufferLength: 2 * LIMITS.maxStreamWindowBytes,
        },
      }),
    ],
    // The gater runs on every dial and after every Noise handshake, so an unlisted key never gets
    // a muxed connection, in either direction (design section 8).
    connectionGater: {
      denyDialPeer: (peerId) => !allowed(peerId),
      denyInboundEncryptedConnection: (peerId) => !allowed(peerId),
      denyOutboundEncryptedConnection: (peerId) => !allowed(peerId),
      denyInboundUpgradedConnection: (peerId) => !allowed(peerId),
      denyOutboundUpgradedConnection: (peerId) => !allowed(peerId),
    },
    connectionManager: {
      // All peers may sit behind one address (a local network): let each reconnect promptly.
      inboundConnectionThreshold: Math.max(16, options.peers.length * 4),
      dialTimeout: DIAL_TIMEOUT_MS,
    },
  });
  table = new PeerTable(options.peers, libp2p.peerId.toString());
  return new Libp2pPeerNetwork(libp2p, table, options, banMs);
}

class Libp2pPeerNetwork implements PeerNetwork {
  readonly peerId: string;
  readonly #libp2p: Libp2p;
  readonly #table: PeerTable;
  readonly #options: PeerNetworkOptions;
  readonly #logger: Logger;
  readonly #banMs: number;
  readonly #metrics: NetMetrics;
  readonly #protocols = new Map<string, RegisteredProtocol>();
  readonly #listeners = new Set<(event: PeerEvent) => void>();
  #started = false;
  #closed = false;

  constructor(libp2p: Libp2p, table: PeerTable, options: PeerNetworkOptions, banMs: number) {
    this.#libp2p = libp2p;
    this.#table = table;
    this.#options = options;
    this.#banMs = banMs;
    this.peerId = libp2p.peerId.toString();
    this.#logger = options.logger.child({ component: 'net' });
    this.#metrics = new NetMetrics(
      options.metrics ?? new MetricsRegistry(),
      () => this.connectedPeers().length,
    );
    libp2p.addEventListener('peer:connect', (event) => this.#onPeerConnect(event.detail));
    libp2p.addEventListener('peer:disconnect', (event) => this.#onPeerDisconnect(event.detail));
  }

  /** For tests of the gater only: the libp2p node underneath. */
  get libp2pForTests(): Libp2p {
    return this.#libp2p;
  }

  listenAddresses(): string[] {
    return this.#libp2p.getMultiaddrs().map((address) => address.toString());
  }

  async start(): Promise<void> {
    assert(!this.#started && !this.#closed, 'the network starts once');
    this.#started = true;
    try {
      await this.#libp2p.start();
    } catch (error) {
      const reason = errorMessage(error);
      const inUse = /EADDRINUSE/.test(reason);
      fail(
        'CONFIG_INVALID',
        inUse ? 'the p2p port is already in use by another process' : `cannot listen (${reason})`,
        this.#options.listenAddress,
      );
    }
    this.#logger.info('p2p listening', { peerId: this.peerId, addresses: this.listenAddresses() });
    for (const entry of this.#table.entries()) void this.#dial(entry);
  }

  // --- message protocols -------------------------------------------------------------------

  async registerProtocol<T>(protocol: MessageProtocol<T>): Promise<void> {
    assert(!this.#protocols.has(protocol.name), `protocol ${protocol.name} is registered twice`);
    assert(
      protocol.maxMessageBytes > 0 && protocol.maxMessageBytes <= LIMITS.maxMessageBytes,
      `protocol ${protocol.name}: maxMessageBytes must be 1 to ${LIMITS.maxMessageBytes}`,
    );
    const registered: RegisteredProtocol = {
      protocol: protocol as MessageProtocol<unknown>,
      maxFrameBytes: maxBatchFrameBytes(protocol.maxMessageBytes),
    };
    this.#protocols.set(protocol.name, registered);
    await this.#libp2p.handle(
      protocol.name,
      (stream, connection) => {
        const entry = this.#entryOf(stream, connection);
        if (entry !== undefined) void this.#receiveMessages(entry, registered, stream);
      },
      {
        maxInboundStreams: LIMITS.maxInboundStreamsPerPeer,
        maxOutboundStreams: LIMITS.maxInboundStreamsPerPeer,
      },
    );
  }

  send(orgId: string, protocol: string, message: Uint8Array): SendOutcome {
    const registered = this.#protocols.get(protocol);
    assert(registered !== undefined, `send on unregistered protocol ${protocol}`);
    if (message.byteLength > registered.protocol.maxMessageBytes) {
      fail(
        'MESSAGE_TOO_LARGE',
        `message of ${message.byteLength} bytes exceeds ${registered.protocol.maxMessageBytes}`,
        protocol,
      );
    }
    const entry = this.#table.require(orgId);
    // Fire-and-forget senders (consensus effects) may still run while the node shuts down.
    if (this.#closed) return 'dropped-closed';
    return this.#writerFor(entry, protocol).enqueue(message);
  }

  broadcast(protocol: string, message: Uint8Array): void {
    for (const entry of this.#table.entries()) this.send(entry.orgId, protocol, message);
  }

  queuedMessages(orgId: string, protocol: string): number {
    return this.#table.require(orgId).writers.get(protocol)?.queued ?? 0;
  }

  #writerFor(entry: PeerEntry, protocol: string): PeerWriter {
    const existing = entry.writers.get(protocol);
    if (existing !== undefined) return existing;
    const writer = new PeerWriter({
      logger: this.#logger.child({ peer: entry.orgId, protocol }),
      isConnected: () => this.#isConnected(entry),
      openStream: () => this.#newStream(entry, protocol, AbortSignal.timeout(DIAL_TIMEOUT_MS)),
      retryDelayMs: (failures) => reconnectDelayMs(failures - 1, this.#options.reconnect),
      onSent: (messages) => this.#metrics.sent(protocol, messages),
      onDropped: (messages) => this.#metrics.dropped(protocol, messages),
    });
    entry.writers.set(protocol, writer);
    return writer;
  }

  async #receiveMessages(entry: PeerEntry, registered: RegisteredProtocol, stream: Stream): Promise<void> {
    const framed = new FramedStream(stream, registered.maxFrameBytes);
    const name = registered.protocol.name;
    try {
      for (;;) {
        const frame = await framed.read();
        if (frame === null) break;
        this.#deliverBatch(entry, registered, frame);
      }
      await framed.closeWrite();
    } catch (error) {
      this.#onStreamError(entry, name, error);
      framed.abort('stream failed');
    }
  }

  #deliverBatch(entry: PeerEntry, registered: RegisteredProtocol, frame: Uint8Array): void {
    const { protocol } = registered;
    const messages = decodeBatch(frame, protocol.maxMessageBytes);
    this.#metrics.received(protocol.name, messages.length);
    for (const bytes of messages) {
      // The handler may have penalised this peer for an earlier message: stop listening to it.
      if (entry.bannedUntilMs > performance.now()) return;
      const message = protocol.decode(bytes); // a throw here is the peer's fault
      try {
        protocol.onMessage(entry.orgId, message);
      } catch (error) {
        if (isBayledgerError(error)) throw error; // the handler found the message invalid
        this.#logger.error('message handler failed (a bug)', {
          peer: entry.orgId,
          protocol: protocol.name,
          error,
        });
      }
    }
  }

  // --- request / response ------------------------------------------------------------------

  async registerRequestHandler(
    name: string,
    handler: RequestHandler,
    options: RequestHandlerOptions = {},
  ): Promise<void> {
    const maxRequestBytes = options.maxRequestBytes ?? LIMITS.maxMessageBytes;
    const maxResponseBytes = options.maxResponseBytes ?? LIMITS.maxMessageBytes;
    await this.#libp2p.handle(
      name,
      (stream, connection) => {
        const entry = this.#entryOf(stream, connection);
        if (entry !== undefined)
          void this.#answer(entry, name, stream, handler, maxRequestBytes, maxResponseBytes);
      },
      { maxInboundStreams: LIMITS.maxInboundRequestsPerPeer },
    );
  }

  async #answer(
    entry: PeerEntry,
    name: string,
    stream: Stream,
    handler: RequestHandler,
    maxRequestBytes: number,
    maxResponseBytes: number,
  ): Promise<void> {
    const framed = new FramedStream(stream, maxRequestBytes);
    try {
      const request = await framed.read({ signal: AbortSignal.timeout(LIMITS.maxRequestTimeoutMs) });
      if (request === null) fail('CLOSED', 'the requester closed the stream without a request', name);
      let response: Uint8Array;
      try {
        const body = await handler(entry.orgId, request);
        assert(
          body.byteLength <= maxResponseBytes,
          `${name} handler answered more than ${maxResponseBytes} bytes`,
        );
        response = encodeOkResponse(body);
      } catch (error) {
        if (isBayledgerError(error)) {
          response = encodeErrorResponse(error.code, error.message);
        } else {
          this.#logger.error('request handler failed (a bug)', { peer: entry.orgId, protocol: name, error });
          response = encodeErrorResponse('INTERNAL', 'internal error');
        }
      }
      await framed.write(response, { signal: AbortSignal.timeout(LIMITS.maxRequestTimeoutMs) });
      await framed.closeWrite();
    } catch (error) {
      this.#onStreamError(entry, name, error);
      framed.abort('request failed');
    }
  }

  async request(
    orgId: string,
    name: string,
    request: Uint8Array,
    options: RequestOptions,
  ): Promise<Uint8Array> {
    assert(
      options.timeoutMs > 0 && options.timeoutMs <= LIMITS.maxRequestTimeoutMs,
      `request timeout must be 1 to ${LIMITS.maxRequestTimeoutMs} ms`,
    );
    const maxResponseBytes = options.maxResponseBytes ?? LIMITS.maxMessageBytes;
    const entry = this.#table.require(orgId);
    const signal = AbortSignal.timeout(options.timeoutMs);
    const release = await entry.requestSlots.acquire(signal, `${orgId} ${name}`);
    try {
      return await this.#requestOnce(entry, name, request, signal, maxResponseBytes);
    } finally {
      release();
    }
  }

  async #requestOnce(
    entry: PeerEntry,
    name: string,
    request: Uint8Array,
    signal: AbortSignal,
    maxResponseBytes: number,
  ): Promise<Uint8Array> {
    const orgId = entry.orgId;
    const timer = this.#metrics.startRequest(name);
    const stream = await this.#streamTo(entry, name, signal);
    const framed = new FramedStream(stream, maxResponseFrameBytes(maxResponseBytes));
    try {
      await framed.write(request, { signal });
      await framed.closeWrite();
      const frame = await framed.read({ signal });
      if (frame === null)
        fail('UNREACHABLE', 'the peer closed the stream without answering', `${orgId} ${name}`);
      const body = decodeResponse(frame, maxResponseBytes, `${orgId} ${name}`);
      timer();
      return body;
    } catch (error) {
      framed.abort('request failed');
      // An answer we cannot frame or decode is the peer's fault; an error answer is just an answer.
      if (isBayledgerError(error) && !TRANSPORT_CODES.has(error.code) && error.code !== 'REMOTE_ERROR') {
        this.#penaliseEntry(entry, error.code, `${name} answer: ${error.message}`);
      }
      throw error;
    }
  }

  // --- raw framed streams --------------------------------------------------------------------

  async registerStreamHandler(
    name: string,
    handler: StreamHandler,
    options: StreamHandlerOptions,
  ): Promise<void> {
    assert(
      options.maxMessageBytes > 0 && options.maxMessageBytes <= LIMITS.maxMessageBytes,
      'stream frame limit',
    );
    await this.#libp2p.handle(
      name,
      (stream, connection) => {
        const entry = this.#entryOf(stream, connection);
        if (entry === undefined) return;
        const framed = new FramedStream(stream, options.maxMessageBytes);
        handler(entry.orgId, framed).catch((error: unknown) => {
          this.#onStreamError(entry, name, error);
          framed.abort('handler failed');
        });
      },
      { maxInboundStreams: LIMITS.maxInboundStreamsPerPeer },
    );
  }

  async openStream(orgId: string, name: string, options: OpenStreamOptions): Promise<FramedStream> {
    assert(
      options.maxMessageBytes > 0 && options.maxMessageBytes <= LIMITS.maxMessageBytes,
      'stream frame limit',
    );
    const entry = this.#table.require(orgId);
    const stream = await this.#streamTo(
      entry,
      name,
      AbortSignal.timeout(options.timeoutMs ?? DIAL_TIMEOUT_MS),
    );
    return new FramedStream(stream, options.maxMessageBytes);
  }

  /** A new stream to the peer, dialing it first when needed (requests and raw streams). */
  async #streamTo(entry: PeerEntry, name: string, signal: AbortSignal): Promise<Stream> {
    if (this.#closed) fail('CLOSED', 'the network is closed');
    if (entry.bannedUntilMs > performance.now())
      fail('UNREACHABLE', 'the peer is banned for misbehaving', entry.orgId);
    if (this.#isConnected(entry)) return this.#newStream(entry, name, signal);
    if (entry.dialAddress === undefined)
      fail('UNREACHABLE', 'not connected and no address to dial', entry.orgId);
    try {
      return await this.#libp2p.dialProtocol(entry.dialAddress, name, { signal });
    } catch (error) {
      throw transportError(error, signal, `${entry.orgId} ${name}`);
    }
  }

  async #newStream(entry: PeerEntry, name: string, signal: AbortSignal): Promise<Stream> {
    const connection = this.#libp2p
      .getConnections(entry.peerId)
      .find((candidate) => candidate.status === 'open');
    if (connection === undefined) fail('UNREACHABLE', 'not connected', entry.orgId);
    try {
      return await connection.newStream(name, { signal });
    } catch (error) {
      throw transportError(error, signal, `${entry.orgId} ${name}`);
    }
  }

  // --- peers, bans, reconnects -------------------------------------------------------------------

  setPeerAddress(orgId: string, address: string): void {
    const entry = this.#table.require(orgId);
    entry.dialAddress = dialAddressOf(address, entry.peerIdText, orgId);
    entry.reconnectAttempt = 0;
    if (entry.reconnectTimer !== undefined) clearTimeout(entry.reconnectTimer);
    entry.reconnectTimer = undefined;
    if (this.#started) void this.#dial(entry);
  }

  connectedPeers(): string[] {
    const connected: string[] = [];
    for (const entry of this.#table.entries()) if (this.#isConnected(entry)) connected.push(entry.orgId);
    return connected;
  }

  isConnected(orgId: string): boolean {
    return this.#isConnected(this.#table.require(orgId));
  }

  #isConnected(entry: PeerEntry): boolean {
    return this.#libp2p.getConnections(entry.peerId).some((connection) => connection.status === 'open');
  }

  onPeerEvent(listener: (event: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: PeerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error('peer event listener failed (a bug)', { event: event.kind, error });
      }
    }
  }

  penalise(orgId: string, code: string, reason: string): void {
    this.#penaliseEntry(this.#table.require(orgId), code, reason);
  }

  #penaliseEntry(entry: PeerEntry, code: string, reason: string): void {
    if (this.#closed) return;
    entry.bannedUntilMs = performance.now() + this.#banMs;
    this.#metrics.penalised(entry.orgId, code);
    this.#logger.warn('peer misbehaved: disconnected and refused for a while', {
      peer: entry.orgId,
      code,
      reason,
      banMs: this.#banMs,
    });
    for (const writer of entry.writers.values()) writer.onDisconnected();
    this.#libp2p.hangUp(entry.peerId).catch((error: unknown) => {
      this.#logger.debug('hang up failed', { peer: entry.orgId, error });
    });
    this.#emit({ kind: 'penalised', orgId: entry.orgId, code });
    this.#scheduleReconnect(entry);
  }

  /** A peer fault gets the peer penalised; a transport failure is only logged. */
  #onStreamError(entry: PeerEntry, protocol: string, error: unknown): void {
    if (this.#closed) return;
    if (isBayledgerError(error) && !TRANSPORT_CODES.has(error.code)) {
      this.#penaliseEntry(entry, error.code, `${protocol}: ${error.message}`);
    } else if (isBayledgerError(error)) {
      this.#logger.debug('stream ended', { peer: entry.orgId, protocol, code: error.code });
    } else {
      this.#logger.debug('stream failed', { peer: entry.orgId, protocol, error });
    }
  }

  #entryOf(stream: Stream, connection: Connection): PeerEntry | undefined {
    const entry = this.#table.byPeerId(connection.remotePeer);
    if (entry === undefined) {
      // The gater makes this unreachable; refuse rather than trust that.
      stream.abort(new Error('peer not allowed'));
      return undefined;
    }
    return entry;
  }

  #onPeerConnect(peerId: PeerId): void {
    const entry = this.#table.byPeerId(peerId);
    if (entry === undefined || this.#closed) return;
    entry.connectedAtMs = performance.now();
    if (entry.reconnectTimer !== undefined) clearTimeout(entry.reconnectTimer);
    entry.reconnectTimer = undefined;
    this.#logger.info('peer connected', { peer: entry.orgId });
    for (const writer of entry.writers.values()) writer.onConnected();
    this.#emit({ kind: 'connect', orgId: entry.orgId });
  }

  #onPeerDisconnect(peerId: PeerId): void {
    const entry = this.#table.byPeerId(peerId);
    if (entry === undefined || this.#closed) return;
    const lastedMs = entry.connectedAtMs === undefined ? 0 : performance.now() - entry.connectedAtMs;
    entry.connectedAtMs = undefined;
    entry.reconnectAttempt = lastedMs >= STABLE_CONNECTION_MS ? 0 : entry.reconnectAttempt + 1;
    for (const writer of entry.writers.values()) writer.onDisconnected();
    this.#logger.info('peer disconnected', { peer: entry.orgId });
    this.#emit({ kind: 'disconnect', orgId: entry.orgId });
    this.#scheduleReconnect(entry);
  }

  #scheduleReconnect(entry: PeerEntry): void {
    if (
      this.#closed ||
      !this.#started ||
      entry.dialAddress === undefined ||
      entry.reconnectTimer !== undefined
    )
      return;
    const banWaitMs = Math.max(0, entry.bannedUntilMs - performance.now());
    const delayMs = Math.max(banWaitMs, reconnectDelayMs(entry.reconnectAttempt, this.#options.reconnect));
    entry.reconnectTimer = setTimeout(() => {
      entry.reconnectTimer = undefined;
      void this.#dial(entry);
    }, delayMs);
    entry.reconnectTimer.unref();
  }

  async #dial(entry: PeerEntry): Promise<void> {
    if (this.#closed || entry.dialing || entry.dialAddress === undefined || this.#isConnected(entry)) return;
    if (entry.bannedUntilMs > performance.now()) {
      this.#scheduleReconnect(entry);
      return;
    }
    entry.dialing = true;
    try {
      await this.#libp2p.dial(entry.dialAddress, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch (error) {
      entry.reconnectAttempt++;
      this.#logger.debug('dial failed', {
        peer: entry.orgId,
        attempt: entry.reconnectAttempt,
        error: errorMessage(error),
      });
    } finally {
      entry.dialing = false;
    }
    if (!this.#isConnected(entry)) this.#scheduleReconnect(entry);
  }

  stats(): NetStats {
    return this.#metrics.stats();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#table.entries()) {
      if (entry.reconnectTimer !== undefined) clearTimeout(entry.reconnectTimer);
      entry.reconnectTimer = undefined;
      for (const writer of entry.writers.values()) writer.close();
    }
    this.#listeners.clear();
    await this.#libp2p.stop();
    this.#logger.info('p2p stopped');
  }
}

function transportError(error: unknown, signal: AbortSignal, where: string): BayledgerError {
  if (isBayledgerError(error)) return error;
  const reason = errorMessage(error);
  if (signal.aborted) return new BayledgerError('TIMEOUT', `no answer in time (${reason})`, where);
  return new BayledgerError('UNREACHABLE', reason, where);
}
