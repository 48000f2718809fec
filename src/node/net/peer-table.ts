// The allowlist: every organisation of the genesis file with the libp2p peer id derived from its
// node key. The connection gater consults it on every dial and every inbound handshake.
import type { PeerId } from '@libp2p/interface';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { errorMessage, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { peerIdFromNodeKey } from './peer-ids.js';
import type { PeerWriter } from './peer-writer.js';
import { Semaphore } from './semaphore.js';
import type { AllowedPeer } from './types.js';

export interface PeerEntry {
  readonly orgId: string;
  readonly peerId: PeerId;
  readonly peerIdText: string;
  /** Dial address with our expectation of its peer id appended (/p2p/...). */
  dialAddress: Multiaddr | undefined;
  /** Monotonic time (performance.now()) until which the peer is refused: a wall-clock step must not stretch a ban. */
  bannedUntilMs: number;
  reconnectAttempt: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  dialing: boolean;
  /** Monotonic time the current connection began. */
  connectedAtMs: number | undefined;
  readonly writers: Map<string, PeerWriter>;
  /** Our requests in flight to this peer. */
  readonly requestSlots: Semaphore;
}

export class PeerTable {
  readonly #byOrg = new Map<string, PeerEntry>();
  readonly #byPeerId = new Map<string, PeerEntry>();

  constructor(peers: readonly AllowedPeer[], selfPeerId: string) {
    if (peers.length > LIMITS.maxOrganisations) {
      fail('CONFIG_INVALID', `at most ${LIMITS.maxOrganisations} peers, got ${peers.length}`);
    }
    for (const peer of peers) {
      const peerId = peerIdFromNodeKey(peer.publicKey, `peers.${peer.id}.publicKey`);
      const peerIdText = peerId.toString();
      if (peerIdText === selfPeerId) continue;
      if (this.#byOrg.has(peer.id)) fail('CONFIG_INVALID', 'organisation listed twice', `peers.${peer.id}`);
      if (this.#byPeerId.has(peerIdText))
        fail('CONFIG_INVALID', 'node key shared with another organisation', `peers.${peer.id}`);
      const entry: PeerEntry = {
        orgId: peer.id,
        peerId,
        peerIdText,
        dialAddress: undefined,
        bannedUntilMs: 0,
        reconnectAttempt: 0,
        reconnectTimer: undefined,
        dialing: false,
        connectedAtMs: undefined,
        writers: new Map(),
        requestSlots: new Semaphore(LIMITS.maxInboundRequestsPerPeer),
      };
      if (peer.address !== undefined) entry.dialAddress = dialAddressOf(peer.address, peerIdText, peer.id);
      this.#byOrg.set(peer.id, entry);
      this.#byPeerId.set(peerIdText, entry);
    }
  }

  byOrg(orgId: string): PeerEntry | undefined {
    return this.#byOrg.get(orgId);
  }

  /** The entry of an allowed organisation; PEER_UNKNOWN for anything else. */
  require(orgId: string): PeerEntry {
    const entry = this.#byOrg.get(orgId);
    if (entry === undefined) fail('PEER_UNKNOWN', 'not an organisation this node may talk to', orgId);
    return entry;
  }

  byPeerId(peerId: PeerId | string): PeerEntry | undefined {
    return this.#byPeerId.get(typeof peerId === 'string' ? peerId : peerId.toString());
  }

  entries(): IterableIterator<PeerEntry> {
    return this.#byOrg.values();
  }

  /** The gater's question: may this peer id connect right now (`monotonicMs`: performance.now())? */
  isAllowed(peerId: PeerId, monotonicMs: number): boolean {
    const entry = this.#byPeerId.get(peerId.toString());
    return entry !== undefined && entry.bannedUntilMs <= monotonicMs;
  }
}

/** "/ip4/127.0.0.1/tcp/7101" -> "/ip4/127.0.0.1/tcp/7101/p2p/<peer id>"; a different /p2p/ is refused. */
export function dialAddressOf(address: string, peerIdText: string, orgId: string): Multiaddr {
  let parsed: Multiaddr;
  try {
    parsed = multiaddr(address);
  } catch (error) {
    const reason = errorMessage(error);
    return fail('CONFIG_INVALID', `not a multiaddr (${reason})`, `peers.${orgId}.address`);
  }
  const named = parsed.getComponents().find((component) => component.name === 'p2p')?.value;
  if (named !== undefined && named !== peerIdText) {
    fail(
      'CONFIG_INVALID',
      'the address names another peer id than the node key gives',
      `peers.${orgId}.address`,
    );
  }
  return named === undefined ? parsed.encapsulate(`/p2p/${peerIdText}`) : parsed;
}
