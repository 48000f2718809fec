// One directed network link of the chaos soak: node A dials node B through a TCP relay on
// 127.0.0.1 (A's node.json `peerAddresses` names the relay), so the soak can cut the link without
// privileges. A cut behaves as a partition does on a real network, where packets are lost and TCP
// keeps retransmitting, not as a refused connection: bytes already accepted stop moving (both
// directions stop being read, so nothing is lost, only delayed) and a new connection is accepted
// but goes nowhere, as a SYN would go unanswered. Healing resumes the held connections and opens
// the way for the new ones that are still waiting; whatever the nodes gave up on in the meantime
// (libp2p's connection monitor closes a connection whose pings go unanswered, a dial times out)
// is theirs to redo, which is what the soak is there to check.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

export class LinkProxy {
  readonly from: string;
  readonly to: string;
  readonly #targetPort: number;
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #cut = false;
  #port = 0;
  /** Connections this link has carried (a soak whose nodes dial around it would show none). */
  connections = 0;

  private constructor(from: string, to: string, targetPort: number) {
    this.from = from;
    this.to = to;
    this.#targetPort = targetPort;
    this.#server = createServer({ allowHalfOpen: true }, (client) => this.#accept(client));
  }

  /**
   * Starts a link from `from` to the node of `to` listening on `targetPort`, on a port the OS
   * assigns that is none of `avoidPorts`: the nodes' ports were chosen free but are not bound
   * until the nodes start, so the OS may offer one of them.
   */
  static async open(
    from: string,
    to: string,
    targetPort: number,
    avoidPorts: ReadonlySet<number> = new Set(),
  ): Promise<LinkProxy> {
    const refused: LinkProxy[] = [];
    try {
      for (;;) {
        const link = new LinkProxy(from, to, targetPort);
        await link.#listen();
        if (!avoidPorts.has(link.#port)) return link;
        refused.push(link); // Held until a good port is found, so the OS does not offer it again.
      }
    } finally {
      await Promise.all(refused.map((link) => link.close()));
    }
  }

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the link proxy has no port');
    this.#port = address.port;
  }

  /** The libp2p address `from` dials instead of `to`'s own. */
  get address(): string {
    return `/ip4/127.0.0.1/tcp/${this.#port}`;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** Connections open through the link now (held ones included). */
  get open(): number {
    return this.#pairs.size;
  }

  /** Bytes a cut link has accepted and holds back (read by neither end's relay yet). */
  get heldBytes(): number {
    let held = 0;
    for (const pair of this.#pairs) held += pair.client.readableLength + (pair.upstream?.readableLength ?? 0);
    return held;
  }

  cut(): void {
    this.#cut = true;
    for (const pair of this.#pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  heal(): void {
    this.#cut = false;
    for (const pair of this.#pairs) {
      if (pair.upstream === undefined) this.#connect(pair);
      else {
        pair.client.resume();
        pair.upstream.resume();
      }
    }
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.#pairs.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const pair: Pair = { client, upstream: undefined };
    this.#pairs.add(pair);
    this.connections++;
    client.pause();
    client.on('error', () => undefined);
    client.on('close', () => {
      this.#pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (!this.#cut) this.#connect(pair);
  }

  #connect(pair: Pair): void {
    const { client } = pair;
    if (client.destroyed) return;
    const upstream = createConnection({ host: '127.0.0.1', port: this.#targetPort, allowHalfOpen: true });
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    // The node on the other end went away (killed, stopped): so does this end, as on a real link.
    upstream.on('close', () => client.destroy());
    this.#forward(client, upstream);
    this.#forward(upstream, client);
    if (this.#cut) upstream.pause();
    else client.resume();
  }

  /** Copies `source` into `sink` with back-pressure; a cut link reads nothing until it heals. */
  #forward(source: Socket, sink: Socket): void {
    source.on('data', (chunk: Buffer) => {
      if (!sink.write(chunk)) source.pause();
    });
    sink.on('drain', () => {
      if (!this.#cut) source.resume();
    });
    source.on('end', () => sink.end());
  }
}
