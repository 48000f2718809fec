// A test organisation's libp2p peer network on 127.0.0.1 (an OS-assigned port), keyed and allowed
// as its genesis says, with short reconnect backoff; created, not started, so the caller can
// register its protocols first. No peer address is known: the caller sets the ones it wants.
import type { Libp2p } from 'libp2p';
import type { Logger } from '../../src/node/log/index.js';
import type { MetricsRegistry } from '../../src/node/metrics/index.js';
import { createPeerNetwork, type PeerNetwork } from '../../src/node/net/index.js';
import { type TestNetwork, testKeySeed } from './fixtures.js';

export function testPeerNetwork(
  net: TestNetwork,
  org: string,
  logger: Logger,
  metrics: MetricsRegistry,
): Promise<PeerNetwork> {
  return createPeerNetwork({
    nodeSeed: testKeySeed(org),
    listenAddress: '/ip4/127.0.0.1/tcp/0',
    peers: net.genesis.organisations.map((o) => ({ id: o.id, publicKey: o.nodeKey, address: undefined })),
    logger,
    metrics,
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
  });
}

/** The libp2p node under a PeerNetwork, for tests that hang up or inspect connections. */
export function libp2pOf(peerNet: PeerNetwork): Libp2p {
  return (peerNet as unknown as { libp2pForTests: Libp2p }).libp2pForTests;
}
