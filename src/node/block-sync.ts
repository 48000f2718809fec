// Block sync (design section 7): how a lagging, restarted or non-validating node catches up.
// Every node announces its committed height after each commit and to each peer that connects;
// a node that hears of a height above its own asks that peer for ranges of blocks with their
// certificates and commits each one through NodeChain, which verifies the certificate and the
// whole block first. A peer that serves a block that fails verification is penalised.
import { isBayledgerError } from '../core/errors.js';
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
} from './protocols.js';

/** A sync response stays well under the frame limit: blocks are added until this many bytes. */
const MAX_SYNC_RESPONSE_BYTES = LIMITS.maxMessageBytes / 2;
const SYNC_REQUEST_TIMEOUT_MS = 10_000;
/** How often a node re-checks whether a peer is ahead, in case an announcement was lost. */
const SYNC_CHECK_INTERVAL_MS = 2_000;

export class BlockSync {
  readonly #chain: NodeChain;
  readonly #net: PeerNetwork;
  readonly #logger: Logger;
  readonly #metrics: NodeMetrics;
  /** Highest height each peer has announced. */
  readonly #peerHeights = new Map<string, number>();
  /** The catch-up run in progress, if any (awaited on close, so no commit outlives the store). */
  #run: Promise<void> | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

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
        // One block behind is the normal race with our own consensus; the periodic check covers it.
        if (status.height > this.#chain.height + 1) this.kick();
      },
    });
    this.#net.onPeerEvent((event) => {
      if (event.kind === 'connect') this.#net.send(event.orgId, PROTOCOL.status, this.#statusBytes());
      if (event.kind === 'disconnect') this.#peerHeights.delete(event.orgId);
    });
    this.#chain.onCommitted(() => this.#net.broadcast(PROTOCOL.status, this.#statusBytes()));
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), SYNC_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#run;
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

  #statusBytes(): Uint8Array {
    const tip = this.#chain.tip();
    return encodeStatus({ height: tip.height, blockHash: tip.blockHash });
  }

  async #serve(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    let request: SyncRequest;
    try {
      request = decodeSyncRequest(requestBytes);
    } catch (error) {
      // A request handler's error only becomes an error answer; garbage is the peer's fault, so
      // it is disconnected and banned like garbage on any other protocol (design section 8).
      if (isBayledgerError(error))
        this.#net.penalise(from, error.code, `malformed sync request: ${error.message}`);
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

  async #catchUp(): Promise<void> {
    for (let attempt = 0; attempt < LIMITS.maxSyncAttempts && !this.#closed; attempt++) {
      const peer = this.#aheadPeer();
      if (peer === undefined) return;
      const fromHeight = this.#chain.height + 1;
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
        continue;
      }
      const response = decodeSyncResponse(responseBytes);
      this.#peerHeights.set(peer, response.tipHeight);
      if (response.blocks.length === 0) continue;
      await this.#commitAll(peer, response.blocks);
    }
  }

  async #commitAll(peer: string, blocks: readonly SyncedBlock[]): Promise<void> {
    for (const { block, certificate } of blocks) {
      if (this.#closed) return;
      if (block.header.height <= this.#chain.height) continue;
      try {
        const committed = await this.#chain.commit(block, certificate, 'sync');
        if (committed) this.#metrics.syncedBlocks.inc();
      } catch (error) {
        const code = isBayledgerError(error) ? error.code : 'BLOCK_INVALID';
        this.#net.penalise(peer, code, `served an invalid block ${block.header.height}`);
        this.#peerHeights.delete(peer);
        this.#logger.warn('peer served an invalid block', { peer, height: block.header.height, error });
        return;
      }
    }
  }
}
