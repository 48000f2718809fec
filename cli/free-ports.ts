// Free TCP ports from the OS: bind port 0 on the loopback address, read the port the kernel
// chose, close. All sockets stay open until every port is known, so the ports are distinct. A
// port can in principle be taken again before the node binds it; on a test machine that race
// is rare and shows up as a clear EADDRINUSE at node start.
import { createServer, type Server } from 'node:net';
import { assert } from '../src/core/errors.js';

function listenOnFreePort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnFreePort(host));
    return servers.map((server) => {
      const address = server.address();
      // A TCP server listening on a host and port has an address with a port (a pipe would have a string).
      assert(address !== null && typeof address !== 'string', 'a listening TCP server has a port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}
