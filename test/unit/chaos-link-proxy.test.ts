// The chaos soak's cuttable link (test/chaos/link-proxy.ts): it relays both ways, a cut holds
// bytes and new connections instead of losing or refusing them, a one-way cut holds one direction
// only, healing delivers what was held, and the far end going away closes the near end.
import { strict as assert } from 'node:assert';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { LinkProxy } from '../chaos/link-proxy.js';
import { waitFor } from '../helpers/wait.js';

/** An echo server that records what it received and how many connections it saw. */
async function echoServer(): Promise<{
  server: Server;
  port: number;
  received: () => string;
  sockets: Socket[];
}> {
  let received = '';
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => {
      received += chunk.toString();
      socket.write(chunk);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, received: () => received, sockets };
}

async function dial(link: LinkProxy): Promise<{ socket: Socket; echoed: () => string }> {
  const port = Number(link.address.split('/').at(-1));
  const socket = connect({ host: '127.0.0.1', port });
  let echoed = '';
  socket.on('data', (chunk) => {
    echoed += chunk.toString();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, echoed: () => echoed };
}

describe('chaos soak: a cuttable link between two nodes', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let link: LinkProxy;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    echo = await echoServer();
    link = await LinkProxy.open('a', 'b', echo.port);
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await link.close();
    for (const socket of echo.sockets) socket.destroy();
    await new Promise<void>((resolve) => echo.server.close(() => resolve()));
  });

  it('relays both ways, and a cut holds bytes until it heals', async () => {
    const client = await dial(link);
    sockets.push(client.socket);
    client.socket.write('first ');
    await waitFor('the echo through the link', () => client.echoed() === 'first ');
    link.cut();
    assert.equal(link.isCut, true);
    client.socket.write('held');
    // Held by the relay, so the far end cannot have it: the relay never read it.
    await waitFor('the relay holding the bytes', () => link.heldBytes >= 'held'.length);
    assert.equal(echo.received(), 'first ');
    link.heal();
    await waitFor('the held bytes delivered and echoed', () => client.echoed() === 'first held');
    assert.equal(echo.received(), 'first held');
    assert.equal(link.connections, 1);
  });

  it('a one-way cut holds the bytes going that way only', async () => {
    const client = await dial(link);
    sockets.push(client.socket);
    // Cut on the way back: the far end gets what is sent, its answer is held.
    link.cut('backward');
    client.socket.write('ask');
    await waitFor('the far end receiving', () => echo.received() === 'ask');
    await waitFor('the answer held by the link', () => link.heldBytes >= 'ask'.length);
    assert.equal(client.echoed(), '');
    link.heal();
    await waitFor('the answer after healing', () => client.echoed() === 'ask');
    // Cut on the way there: nothing reaches the far end, so nothing comes back.
    link.cut('forward');
    client.socket.write('more');
    await waitFor('the bytes held on the way there', () => link.heldBytes >= 'more'.length);
    assert.equal(echo.received(), 'ask');
    link.heal();
    await waitFor('the rest through', () => client.echoed() === 'askmore');
  });

  it('delays every chunk by its delay, each way, in order', async () => {
    const client = await dial(link);
    sockets.push(client.socket);
    link.setDelay(150);
    const sentAt = Date.now();
    for (const piece of ['a', 'b', 'c']) client.socket.write(piece);
    await waitFor('the delayed echo', () => client.echoed() === 'abc', { timeoutMs: 5_000 });
    // There and back: at least two delays (timers never fire early).
    assert.ok(Date.now() - sentAt >= 300, `echoed after ${Date.now() - sentAt} ms`);
    link.setDelay(0);
    client.socket.write('d');
    await waitFor('the echo without delay', () => client.echoed() === 'abcd');
  });

  it('accepts a connection while cut and connects it onwards only when healed', async () => {
    link.cut();
    const client = await dial(link);
    sockets.push(client.socket);
    client.socket.write('early');
    await waitFor('the link holding the new connection', () => link.open === 1 && link.heldBytes >= 5);
    assert.equal(echo.sockets.length, 0, 'no connection reached the far end during the cut');
    link.heal();
    await waitFor('the connection through after healing', () => client.echoed() === 'early');
    assert.equal(echo.sockets.length, 1);
  });

  it('takes another port when the OS offers one the nodes are to use, and frees the refused ones', async () => {
    const offered: number[] = [];
    // Refuses the first two ports the OS offers, as if a node were to listen there.
    const avoid = { has: (port: number) => offered.push(port) <= 2 } as unknown as ReadonlySet<number>;
    const other = await LinkProxy.open('a', 'b', echo.port, avoid);
    try {
      assert.equal(offered.length, 3);
      const port = Number(other.address.split('/').at(-1));
      assert.equal(port, offered[2]);
      for (const refused of offered.slice(0, 2)) {
        const failed = await new Promise<boolean>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port: refused });
          socket.once('connect', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(true));
        });
        assert.ok(failed, `port ${refused} still listens`);
      }
    } finally {
      await other.close();
    }
  });

  it('closes the near end when the far end goes away', async () => {
    const client = await dial(link);
    sockets.push(client.socket);
    client.socket.write('x');
    await waitFor('the echo', () => client.echoed() === 'x');
    const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
    for (const socket of echo.sockets) socket.destroy();
    await closed;
    await waitFor('the link forgetting the connection', () => link.open === 0);
  });
});
