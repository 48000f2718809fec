// Block sync (design section 7): how a lagging, restarted or non-validating node catches up.
// Every node announces its committed height after each commit and to each peer that connects;
// a node that hears of a height above its own asks that peer for ranges of blocks with their
// certificates and commits each one through NodeChain, which verifies the certificate and the
// whole block first. A peer that serves a block that fails verification is penalised.
import { fail, isBayledgerError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import type { Logger } from './log/logger.js';
import type { PeerNetwork } from './net/types.js';
import type { NodeChain } from './node-chain.js';
import type { NodeMetrics } from './node-metrics.js';
import {
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
  PROTOCOL,
  type SyncedBlock,
  type SyncRequest,
  type SyncResponse,
} from './protocols.js';

/** A range of blocks requested from one peer, starting at `fromHeight`. */
interface PendingRange {
  readonly peer: string;
  readonly fromHeight: number;
  readonly response: Promise<SyncResponse | undefined>;
}

/** A sync response stays well under the frame limit: blocks are added until this many bytes. */
const MAX_SYNC_RESPONSE_BYTES = LIMITS.maxMessageBytes / 2;
const SYNC_REQUEST_TIMEOUT_MS = 10_000;
/** How often a node re-checks whether a peer is ahead, in case an announcement was lost. */
const SYNC_CHECK_INTERVAL_MS = 2_000;
/**
 * Announcements after commits go out at most this often. Peers that keep up learn of each block
 * from consensus itself; the announcement is for laggards, and one per block to every peer cost
 * more than consensus (six messages a block from each node) while blocks follow back to back.
 * At 500 ms they were still a fifth of all messages between nodes at 5 blocks a second; a laggard
 * waits at most two seconds more to learn that a peer is ahead (as long as the re-check below).
 */
const STATUS_ANNOUNCE_INTERVAL_MS = 2_000;

export class BlockSync {
  readonly #chain: NodeChain;
  readonly #net: PeerNetwork;
  readonly #logger: Logger;
  readonly #metrics: NodeMetrics;
  /** Highest height each peer has announced. */
  readonly #peerHeights = new Map<string, number>();
  /** Peers connected whose first status (the one sent on connect) has not come yet. */
  readonly #justConnected = new Set<string>();
  /** The catch-up run in progress, if any (awaited on close, so no commit outlives the store). */
  #run: Promise<void> | undefined;
  #closed = false;
  /** Ranges being read for peers (at most LIMITS.maxInboundRequestsPerPeer per connected peer). */
  readonly #serving = new Set<Promise<Uint8Array>>();
  #timer: NodeJS.Timeout | undefined;
  #announceTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last announcement; none yet, so the first goes out at once. */
  #lastAnnounceMs = Number.NEGATIVE_INFINITY;

  constructor(chain: NodeChain, net: PeerNetwork, logger: Logger, metrics: NodeMetrics) {
    this.#chain = chain;
    this.#net = net;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async register(): Promise<void> {
    await this.#net.registerRequestHandler(
      PROTOCOL.blockSync,
      (from, request) => this.#serve(from, request),
      {
        maxRequestBytes: 64,
      },
    );
    await this.#net.registerProtocol({
      name: PROTOCOL.status,
      maxMessageBytes: 128,
      decode: decodeStatus,
      onMessage: (from, status) => {
        const known = this.#peerHeights.get(from) ?? 0;
        if (status.height > known) this.#peerHeights.set(from, status.height);
        const onConnect = this.#justConnected.delete(from);
        // One block behind is the normal race with our own consensus; the periodic check covers
        // it. Not in the status a peer sends as it connects: a node restarting one block behind
        // (it died between deciding a block and storing it) has no consensus left to bring that
        // block, the others having moved on, and waited up to SYNC_CHECK_INTERVAL_MS for it.
        if (status.height > this.#chain.height + (onConnect ? 0 : 1)) this.kick();
      },
    });
    this.#net.onPeerEvent((event) => {
      if (event.kind === 'connect') {
        this.#justConnected.add(event.orgId);
        this.#net.send(event.orgId, PROTOCOL.status, this.#statusBytes());
      }
      if (event.kind === 'disconnect') {
        this.#peerHeights.delete(event.orgId);
        this.#justConnected.delete(event.orgId);
      }
    });
    this.#chain.onCommitted(() => this.#scheduleAnnounce());
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), SYNC_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#announceTimer) clearTimeout(this.#announceTimer);
    await this.#run;
    // A range being read for a peer reads the store in steps: the node closes the store after
    // this, so each read still under way finishes first (a read of a closed store is a bug's error).
    await Promise.allSettled(this.#serving);
  }

  /** Starts a catch-up run unless one is going. */
  kick(): void {
    if (this.#run !== undefined || this.#closed) return;
    this.#run = this.#catchUp()
      .catch((error: unknown) => this.#logger.warn('block sync run failed', { error }))
      .finally(() => {
        this.#run = undefined;
      });
  }

  /** Announces the tip now, or once the interval since the last announcement has passed. */
  #scheduleAnnounce(): void {
    if (this.#announceTimer !== undefined || this.#closed) return;
    const waitMs = this.#lastAnnounceMs + STATUS_ANNOUNCE_INTERVAL_MS - performance.now();
    // Never after close: close() clears the timer, and this method refuses once closed.
    const announce = (): void => {
      this.#announceTimer = undefined;
      this.#lastAnnounceMs = performance.now();
      this.#net.broadcast(PROTOCOL.status, this.#statusBytes());
    };
    if (waitMs <= 0) {
      announce();
      return;
    }
    this.#announceTimer = setTimeout(announce, waitMs);
    this.#announceTimer.unref();
  }

  #statusBytes(): Uint8Array {
    const tip = this.#chain.tip();
    return encodeStatus({ height: tip.height, blockHash: tip.blockHash });
  }

  /** Serves a peer's request for a range of blocks; refused once closing, and awaited by close. */
  async #serve(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) fail('CLOSED', 'this node is stopping', 'block sync');
    const serving = this.#serveRange(from, requestBytes);
    this.#serving.add(serving);
    try {
      return await serving;
    } finally {
      this.#serving.delete(serving);
    }
  }

  async #serveRange(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    let request: SyncRequest;
    try {
      request = decodeSyncRequest(requestBytes);
    } catch (error) {
      // A request handler's error only becomes an error answer; the penalty is what the peer feels.
      this.#penaliseMalformed(from, 'sync request', error);
      throw error;
    }
    const store = this.#chain.store;
    const tipHeight = this.#chain.height;
    const blocks: SyncedBlock[] = [];
    let totalBytes = 0;
    const lastHeight = Math.min(tipHeight, request.fromHeight + request.maxBlocks - 1);
    for (let height = request.fromHeight; height <= lastHeight; height++) {
      const block = await store.readBlock(height);
      const certificate = await store.readCertificate(height);
      for (const tx of block.txs) totalBytes += tx.byteLength;
      if (blocks.length > 0 && totalBytes > MAX_SYNC_RESPONSE_BYTES) break;
      blocks.push({ block, certificate });
    }
    return encodeSyncResponse({ tipHeight, blocks });
  }

  /**
   * Garbage is the peer's fault, so it is disconnected and banned like garbage on any other
   * protocol (design section 8). Returns false when `error` is no decoding error (a bug of ours).
   */
  #penaliseMalformed(peer: string, what: string, error: unknown): boolean {
    if (!isBayledgerError(error)) return false;
    this.#net.penalise(peer, error.code, `malformed ${what}: ${error.message}`);
    return true;
  }

  #aheadPeer(): string | undefined {
    let best: string | undefined;
    let bestHeight = this.#chain.height;
    for (const [peer, height] of this.#peerHeights) {
      if (height > bestHeight && this.#net.isConnected(peer)) {
        best = peer;
        bestHeight = height;
      }
    }
    return best;
  }

  /**
   * Fetches ranges of blocks from the highest peer and commits them, until no peer is ahead. The
   * next range is requested as soon as one arrives, so the peer reads and sends it while this
   * node verifies and writes the current one.
   */
  async #catchUp(): Promise<void> {
    let prefetched: PendingRange | undefined;
    for (let attempt = 0; attempt < LIMITS.maxSyncAttempts && !this.#closed; attempt++) {
      const fromHeight = this.#chain.height + 1;
      let range = prefetched?.fromHeight === fromHeight ? prefetched : undefined;
      prefetched = undefined;
      if (range === undefined) {
        const peer = this.#aheadPeer();
        if (peer === undefined) return;
        range = this.#fetch(peer, fromHeight);
      }
      const response = await range.response;
      if (response === undefined || response.blocks.length === 0) continue;
      const lastHeight = response.blocks.at(-1)!.block.header.height;
      if (response.tipHeight > lastHeight && !this.#closed)
        prefetched = this.#fetch(range.peer, lastHeight + 1);
      const committingStarted = performance.now();
      await this.#commitAll(range.peer, response.blocks);
      this.#logger.debug('synced a range of blocks', {
        peer: range.peer,
        from: fromHeight,
        to: lastHeight,
        commitMs: Math.round(performance.now() - committingStarted),
      });
    }
  }

  /** Requests one range; resolves undefined (after logging or penalising) when it fails. */
  #fetch(peer: string, fromHeight: number): PendingRange {
    const response = (async (): Promise<SyncResponse | undefined> => {
      let responseBytes: Uint8Array;
      try {
        responseBytes = await this.#net.request(
          peer,
          PROTOCOL.blockSync,
          encodeSyncRequest({ fromHeight, maxBlocks: LIMITS.maxBlocksPerSyncResponse }),
          { timeoutMs: SYNC_REQUEST_TIMEOUT_MS },
        );
      } catch (error) {
        this.#logger.debug('block sync request failed', { peer, error });
        this.#peerHeights.delete(peer);
        return undefined;
      }
      let response: SyncResponse;
      try {
        response = decodeSyncResponse(responseBytes);
      } catch (error) {
        // A prefetched range may never be awaited, so this promise never rejects.
        if (!this.#penaliseMalformed(peer, 'sync response', error))
          this.#logger.error('decoding a sync response failed (a bug)', { peer, error });
        this.#peerHeights.delete(peer);
        return undefined;
      }
      this.#peerHeights.set(peer, response.tipHeight);
      return response;
    })();
    return { peer, fromHeight, response };
  }

  async #commitAll(peer: string, blocks: readonly SyncedBlock[]): Promise<void> {
    for (const { block, certificate } of blocks) {
      if (this.#closed) return;
      if (block.header.height <= this.#chain.height) continue;
      try {
        const committed = await this.#chain.commit(block, certificate, 'sync');
        if (committed) this.#metrics.syncedBlocks.inc();
      } catch (error) {
        // Only a block that failed its checks is the peer's doing. A store that could not write it
        // (STORE_FAILED: the node is stopping) or a bug of ours is not: the peer keeps its standing.
        if (!isBayledgerError(error) || error.code === 'STORE_FAILED') {
          this.#logger.error('could not commit a synced block', { peer, height: block.header.height, error });
          return;
        }
        const code = error.code;
        this.#net.penalise(peer, code, `served an invalid block ${block.header.height}`);
        this.#peerHeights.delete(peer);
        this.#logger.warn('peer served an invalid block', { peer, height: block.header.height, error });
        return;
      }
    }
  }
}
