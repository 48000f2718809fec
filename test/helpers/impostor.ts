// A test process joining a test network in place of one of its nodes, with that node's own key
// (the real node must be stopped first), so a test can send what a broken or Byzantine peer would.
import { readKeyFile } from '../../src/node/keys/key-file.js';
import type { Logger } from '../../src/node/log/index.js';
import { createPeerNetwork, type PeerNetwork } from '../../src/node/net/index.js';
import type { TestNetwork } from './network.js';

export interface Impostor {
  /** Not started yet: the caller starts and closes it. */
  readonly network: PeerNetwork;
  /** The node's Ed25519 seed, to sign consensus messages as that node. */
  readonly seed: Uint8Array;
}

/** Dials every organisation of the genesis; reconnects slowly so a peer's ban is not retried at once. */
export async function impostorOf(net: TestNetwork, nodeId: string, logger: Logger): Promise<Impostor> {
  const seed = (await readKeyFile(net.nodes.get(nodeId)!.config.keyFile)).ed25519Seed;
  const network = await createPeerNetwork({
    nodeSeed: seed,
    listenAddress: '/ip4/127.0.0.1/tcp/0',
    peers: net.genesis.organisations.map((o) => ({ id: o.id, publicKey: o.nodeKey, address: o.p2pAddress })),
    logger,
    reconnect: { minDelayMs: 10_000, maxDelayMs: 20_000 },
  });
  return { network, seed };
}
