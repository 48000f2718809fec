// Network partitions for the chaos soak, without privileges: every node dials every other through
// a link of its own (link-proxy.ts; node.json `peerAddresses` points the dial at it), and a
// partition cuts every link that crosses between two sides. Both directions of a pair of nodes
// are cut together, as a broken route would cut them, except by `mute`, which holds one node's
// outgoing bytes only.
import { readFile, writeFile } from 'node:fs/promises';
import type { TestNetwork } from '../helpers/network.js';
import { LinkProxy } from './link-proxy.js';

/** What a partition cuts off from the rest, and why that shape is worth a run. */
export type PartitionShape =
  /** One node alone: a validator must catch up after, a follower must get its mempool out. */
  | 'isolate'
  /** The validators two and two, followers spread over both sides: no quorum anywhere, a halt. */
  | 'split'
  /** Every follower away from every validator (they still hear each other): the followers catch up. */
  | 'followers'
  /** Not cut but slow: every link of one node delays each byte (a congested or distant route). */
  | 'slow'
  /**
   * One node heard by no one while it still hears everyone (a route lost one way): whatever it
   * sends is held, what is sent to it arrives. A validator's votes and proposals stop counting
   * while it follows the rounds; its connections' pings then fail both ways, as on a real network.
   */
  | 'mute';

/**
 * One partition: the side cut off from the rest (for 'split', either half; for 'slow', the slow
 * node), and for 'slow' only, the delay of each byte each way (the compiler holds the two together).
 */
export type Partition =
  | { readonly shape: Exclude<PartitionShape, 'slow'>; readonly side: ReadonlySet<string> }
  | { readonly shape: 'slow'; readonly side: ReadonlySet<string>; readonly delayMs: number };

export class Partitions {
  readonly #links: LinkProxy[];

  private constructor(links: LinkProxy[]) {
    this.#links = links;
  }

  /**
   * Puts a link between every ordered pair of the network's nodes and points each node's
   * node.json at them. Call before the nodes start: a node reads its peers' addresses at start.
   */
  static async install(net: TestNetwork): Promise<Partitions> {
    const links: LinkProxy[] = [];
    const orgs = [...net.nodes.keys()];
    const nodePorts = new Set(
      orgs.flatMap((org) => [p2pPortOf(net, org), net.nodes.get(org)!.config.apiPort]),
    );
    try {
      for (const from of orgs) {
        const peerAddresses: Record<string, string> = {};
        for (const to of orgs) {
          if (to === from) continue;
          const link = await LinkProxy.open(from, to, p2pPortOf(net, to), nodePorts);
          links.push(link);
          peerAddresses[to] = link.address;
        }
        const configPath = net.nodes.get(from)!.configPath;
        const json = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
        await writeFile(configPath, `${JSON.stringify({ ...json, peerAddresses }, null, 2)}\n`);
      }
    } catch (error) {
      await Promise.all(links.map((link) => link.close()));
      throw error;
    }
    return new Partitions(links);
  }

  /** Cuts every link between `side` and the other nodes; one partition at a time. */
  cut(side: ReadonlySet<string>): void {
    for (const link of this.#links) if (side.has(link.from) !== side.has(link.to)) link.cut();
  }

  /** Holds every byte `side`'s nodes send to the others; what the others send them still flows. */
  mute(side: ReadonlySet<string>): void {
    for (const link of this.#links) {
      // A link carries both ways of the connections its `from` node dials.
      if (side.has(link.from) && !side.has(link.to)) link.cut('forward');
      else if (!side.has(link.from) && side.has(link.to)) link.cut('backward');
    }
  }

  /** Cuts the links between two nodes only. */
  cutBetween(a: string, b: string): void {
    for (const link of this.#links) if ([a, b].includes(link.from) && [a, b].includes(link.to)) link.cut();
  }

  /** Delays every byte through the links of `side`'s nodes by `delayMs`, each way. */
  slow(side: ReadonlySet<string>, delayMs: number): void {
    for (const link of this.#links) if (side.has(link.from) || side.has(link.to)) link.setDelay(delayMs);
  }

  /** Ends a cut or a slow-down. */
  heal(): void {
    for (const link of this.#links) {
      if (link.isCut) link.heal();
      if (link.delayMs > 0) link.setDelay(0);
    }
  }

  /**
   * Pairs of nodes no connection went through the links of, either way: they dialled around them
   * (node.json peerAddresses ignored), so a cut would not have cut them.
   */
  bypassed(): string[] {
    const carried = new Map<string, number>();
    for (const link of this.#links) {
      const pair = [link.from, link.to].sort().join(' <-> ');
      carried.set(pair, (carried.get(pair) ?? 0) + link.connections);
    }
    return [...carried].filter(([, connections]) => connections === 0).map(([pair]) => pair);
  }

  async close(): Promise<void> {
    await Promise.all(this.#links.map((link) => link.close()));
  }
}

function p2pPortOf(net: TestNetwork, org: string): number {
  const listen = net.nodes.get(org)!.config.p2pListen;
  const port = Number(/\/tcp\/(\d+)$/.exec(listen)?.[1]);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`${org} listens at ${listen}, not a fixed TCP port`);
  return port;
}
