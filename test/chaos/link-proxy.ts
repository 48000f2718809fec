// One directed network link of the chaos soak: node A dials node B through a TCP relay on
// 127.0.0.1 (A's node.json `peerAddresses` names the relay), so the soak can cut the link, or slow
// it down, without privileges. A cut behaves as a partition does on a real network, where packets
// are lost and TCP keeps retransmitting, not as a refused connection: bytes already accepted stop
// moving (both directions stop being read, so nothing is lost, only delayed) and a new connection
// is accepted but goes nowhere, as a SYN would go unanswered. Healing resumes the held connections
// and opens the way for the new ones that are still waiting; whatever the nodes gave up on in the
// meantime (libp2p's connection monitor closes a connection whose pings go unanswered, a dial
// times out) is theirs to redo, which is what the soak is there to check. A delay holds every
// chunk for that long before passing it on, in order, as a long route would. A one-way cut holds
// only the bytes going one way (a route lost in one direction): the other way keeps flowing.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly pipes: Pipe[];
}

/** One direction of a link, as its pipes read it every time they move bytes. */
interface LinkState {
  isCut: boolean;
  delayMs: number;
}

/** Which way a cut holds bytes: from the dialling node to the dialled one, back, or both. */
export type CutDirection = 'both' | 'forward' | 'backward';

/** Bytes a delayed direction holds before it stops reading its source. */
const MAX_DELAYED_BYTES = 1024 * 1024;

/**
 * One direction of a relayed connection: `source` into `sink`, in order. It reads only while the
 * link is not cut and neither `sink` nor its own queue of delayed bytes is full; a cut also stops
 * what it already holds.
 */
class Pipe {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #link: Readonly<LinkState>;
  readonly #queue: { readonly chunk: Buffer; readonly dueAtMs: number }[] = [];
  #queuedBytes = 0;
  #sinkFull = false;
  #ended = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(source: Socket, sink: Socket, link: Readonly<LinkState>) {
    this.#source = source;
    this.#sink = sink;
    this.#link = link;
    source.on('data', (chunk: Buffer) => this.#take(chunk));
    sink.on('drain', () => {
      this.#sinkFull = false;
      this.update();
    });
    source.on('end', () => {
      this.#ended = true;
      this.#deliver();
    });
    sink.on('close', () => clearTimeout(this.#timer));
  }

  /** Bytes read from the source and not yet written to the sink. */
  get heldBytes(): number {
    return this.#queuedBytes + this.#source.readableLength;
  }

  /** Reads or stops reading, and delivers what is due, as the link and the sink now allow. */
  update(): void {
    this.#deliver();
    const flowing = !this.#link.isCut && !this.#sinkFull && this.#queuedBytes < MAX_DELAYED_BYTES;
    if (flowing) this.#source.resume();
    else this.#source.pause();
  }

  #take(chunk: Buffer): void {
    const delayMs = this.#link.delayMs;
    if (delayMs === 0 && this.#queue.length === 0 && !this.#link.isCut) {
      if (!this.#sink.write(chunk)) {
        this.#sinkFull = true;
        this.#source.pause();
      }
      return;
    }
    this.#queue.push({ chunk, dueAtMs: Date.now() + delayMs });
    this.#queuedBytes += chunk.byteLength;
    this.update();
  }

  /** Writes the chunks that are due (none while cut), then waits for the next one. */
  #deliver(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#link.isCut || this.#sink.destroyed) return;
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0]!.dueAtMs <= now) {
      const { chunk } = this.#queue.shift()!;
      this.#queuedBytes -= chunk.byteLength;
      if (!this.#sink.write(chunk)) this.#sinkFull = true;
    }
    const next = this.#queue[0];
    if (next !== undefined) this.#timer = setTimeout(() => this.update(), next.dueAtMs - now);
    else if (this.#ended) this.#sink.end();
  }
}

export class LinkProxy {
  readonly from: string;
  readonly to: string;
  readonly #targetPort: number;
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  /** Bytes from `from` to `to`. */
  readonly #forward: LinkState = { isCut: false, delayMs: 0 };
  /** Bytes from `to` back to `from`. */
  readonly #backward: LinkState = { isCut: false, delayMs: 0 };
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

  /** Cut either way (or both). */
  get isCut(): boolean {
    return this.#forward.isCut || this.#backward.isCut;
  }

  get delayMs(): number {
    return this.#forward.delayMs;
  }

  /** Connections open through the link now (held ones included). */
  get open(): number {
    return this.#pairs.size;
  }

  /** Bytes the link has accepted and not passed on yet (held by a cut, or delayed). */
  get heldBytes(): number {
    let held = 0;
    for (const pair of this.#pairs) {
      held += pair.pipes.length === 0 ? pair.client.readableLength : 0;
      for (const pipe of pair.pipes) held += pipe.heldBytes;
    }
    return held;
  }

  /** Holds the bytes going `direction` (both by default) until heal(). */
  cut(direction: CutDirection = 'both'): void {
    if (direction !== 'backward') this.#forward.isCut = true;
    if (direction !== 'forward') this.#backward.isCut = true;
    this.#update();
  }

  heal(): void {
    this.#forward.isCut = false;
    this.#backward.isCut = false;
    for (const pair of this.#pairs) if (pair.upstream === undefined) this.#connect(pair);
    this.#update();
  }

  /** Every byte through the link from now on arrives `delayMs` later (0: at once). */
  setDelay(delayMs: number): void {
    this.#forward.delayMs = delayMs;
    this.#backward.delayMs = delayMs;
    this.#update();
  }

  #update(): void {
    for (const pair of this.#pairs) for (const pipe of pair.pipes) pipe.update();
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
    const pair: Pair = { client, upstream: undefined, pipes: [] };
    this.#pairs.add(pair);
    this.connections++;
    client.pause();
    client.on('error', () => undefined);
    client.on('close', () => {
      this.#pairs.delete(pair);
      pair.upstream?.destroy();
    });
    // Cut both ways, a new connection goes nowhere, as a SYN would go unanswered; cut one way, it
    // is connected onwards and its handshake waits on the held direction.
    if (!(this.#forward.isCut && this.#backward.isCut)) this.#connect(pair);
  }

  #connect(pair: Pair): void {
    const { client } = pair;
    if (client.destroyed) return;
    const upstream = createConnection({ host: '127.0.0.1', port: this.#targetPort, allowHalfOpen: true });
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    // The node on the other end went away (killed, stopped): so does this end, as on a real link.
    upstream.on('close', () => client.destroy());
    pair.pipes.push(new Pipe(client, upstream, this.#forward), new Pipe(upstream, client, this.#backward));
    for (const pipe of pair.pipes) pipe.update();
  }
}
