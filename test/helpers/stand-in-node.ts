// A stand-in node API for CLI tests: a small HTTP server in the test's process that answers the
// routes a test scripts, as a real node would (JSON bodies, error bodies), and 404 ROUTE_NOT_FOUND
// for anything else. Each request is recorded, so a test can check what the CLI asked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StandInRoute = (request: http.IncomingMessage, body: string) => { status: number; json: unknown };

export interface StandInRequest {
  /** "METHOD /path", the query left off. */
  readonly key: string;
  readonly url: string;
  /** The body as UTF-8 text. */
  readonly body: string;
  readonly bytes: Uint8Array;
}

export interface StandInNode {
  readonly url: string;
  readonly requests: StandInRequest[];
  close(): Promise<void>;
}

/**
 * Routes by "METHOD /path" (query left off), or else by the path with its last segment as `*`
 * ("GET /tx/*").
 */
export async function standInNode(routes: Record<string, StandInRoute>): Promise<StandInNode> {
  const requests: StandInRequest[] = [];
  const server = http.createServer((request, response) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => {
      const bytes = Buffer.concat(pieces);
      const body = bytes.toString('utf8');
      const key = `${request.method} ${new URL(request.url!, 'http://x').pathname}`;
      requests.push({ key, url: request.url!, body, bytes: new Uint8Array(bytes) });
      const route = routes[key] ?? routes[key.replace(/\/[^/]*$/, '/*')];
      const answer = route?.(request, body) ?? {
        status: 404,
        json: { error: { code: 'ROUTE_NOT_FOUND', message: `no route ${key}` } },
      };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
