// The node API client (src/node/api/client.ts) against a scripted HTTP server on 127.0.0.1: the
// token goes with writes only, a silent server is TIMEOUT and a closed port UNREACHABLE, and an
// error answer becomes the server's own code only when its body is a well-formed error object.
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { ApiClient, ApiClientError } from '../../src/node/api/client.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('API client', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  const seen: Array<{ method: string; authorization: string | undefined }> = [];

  before(async () => {
    server = createServer((request, response) => {
      seen.push({ method: request.method ?? '', authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => handler(request, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
    handler = (_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end('{"ok":true}');
    };
  });

  /** The server answers `status` with `body` (as JSON content). */
  const answering = (status: number, body: string): void => {
    handler = (_request, response) => {
      response.statusCode = status;
      response.setHeader('content-type', 'application/json');
      response.end(body);
    };
  };

  async function failure(call: Promise<unknown>): Promise<ApiClientError> {
    try {
      await call;
    } catch (error) {
      assert.ok(error instanceof ApiClientError, String(error));
      return error;
    }
    assert.fail('the call succeeded');
  }

  it('sends the token with writes only, and none when it has none', async () => {
    const withToken = new ApiClient({ baseUrl, token: 'a-token' });
    await withToken.getJson('/status');
    await withToken.postJson('/tx', { tx: '00' });
    const without = new ApiClient({ baseUrl });
    await without.postJson('/tx', { tx: '00' });
    assert.deepEqual(seen, [
      { method: 'GET', authorization: undefined },
      { method: 'POST', authorization: 'Bearer a-token' },
      { method: 'POST', authorization: undefined },
    ]);
  });

  it('refuses a URL with a user name or password before any request, and never prints the password', () => {
    const port = new URL(baseUrl).port;
    assert.throws(
      () => new ApiClient({ baseUrl: `http://auditor:s3cret@127.0.0.1:${port}/` }),
      (error: unknown) =>
        isBayledgerError(error, 'USAGE') &&
        error.message ===
          `http://127.0.0.1:${port}: a node API URL takes no user name or password (the node takes its token from a token file)` &&
        !error.message.includes('s3cret') &&
        !error.message.includes('auditor'),
    );
    // A password alone (no user name) is refused the same way.
    assert.throws(
      () => new ApiClient({ baseUrl: `http://:s3cret@127.0.0.1:${port}` }),
      (error: unknown) => isBayledgerError(error, 'USAGE') && !error.message.includes('s3cret'),
    );
    assert.equal(seen.length, 0);
  });

  it('a server that does not answer in time is TIMEOUT; one that drops the connection is UNREACHABLE', async () => {
    handler = () => {}; // never answers
    const timedOut = await failure(new ApiClient({ baseUrl, timeoutMs: 100 }).status());
    assert.equal(timedOut.code, 'TIMEOUT');
    assert.match(timedOut.message, /no answer within 100 ms/);
    server.closeAllConnections();
    // A server that drops every connection before a byte of answer: nothing answered.
    const dropping = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const droppingUrl = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    const refused = await failure(new ApiClient({ baseUrl: droppingUrl }).status()).finally(
      () => new Promise((resolve) => dropping.close(resolve)),
    );
    assert.equal(refused.code, 'UNREACHABLE');
    assert.equal(refused.status, undefined);
  });

  it("takes the server's code from a well-formed error body, and REMOTE_ERROR from anything else", async () => {
    const client = new ApiClient({ baseUrl });
    answering(404, '{"error":{"code":"NOT_FOUND","message":"no such block"}}');
    const found = await failure(client.getJson('/chain/blocks/9'));
    assert.ok(isBayledgerError(found, 'NOT_FOUND'));
    assert.equal(found.status, 404);
    assert.match(found.message, /no such block/);
    for (const body of [
      'null',
      '7',
      '{"error":null}',
      '{"error":"NOT_FOUND"}',
      '{"error":{"code":null,"message":"x"}}',
      '{"error":{"code":"not_a_code","message":"x"}}',
      '{"error":{"code":"NOT_FOUND"}}',
      '{"error":{"code":"NOT_FOUND","message":7}}',
      'not json',
    ]) {
      answering(500, body);
      const other = await failure(client.getJson('/status'));
      assert.equal(other.code, 'REMOTE_ERROR', body);
      assert.equal(other.status, 500, body);
      assert.equal(
        other.message,
        `/status: HTTP 500 without an error body: ${baseUrl} may not be a bayledger node's API`,
        body,
      );
    }
  });

  /** The server answers 200 with `bytes`, declaring their length or (chunked) not. */
  const sending = (bytes: Uint8Array, declared: boolean): void => {
    handler = (_request, response) => {
      if (declared) response.setHeader('content-length', bytes.byteLength);
      // end() alone would declare the length itself.
      response.write(bytes);
      response.end();
    };
  };

  it('reads an answer of up to its bound, and refuses a longer one, declared or not', async () => {
    const client = new ApiClient({ baseUrl });
    const bound = 100_000;
    const exact = Uint8Array.from({ length: bound }, (_, i) => i % 251);
    for (const declared of [true, false]) {
      sending(exact, declared);
      assert.deepEqual(await client.getBytes('/chain/bundle/x', bound), exact);
      sending(new Uint8Array(bound + 1), declared);
      const refused = await failure(client.getBytes('/chain/bundle/x', bound));
      assert.deepEqual(
        [refused.code, refused.message, refused.status],
        ['MESSAGE_TOO_LARGE', `/chain/bundle/x: the answer is larger than ${bound} bytes`, 200],
      );
    }
  });

  it('bounds JSON and text answers by maxApiAnswerBytes and error bodies by maxApiErrorAnswerBytes', async () => {
    const client = new ApiClient({ baseUrl });
    // One byte past the bound, declared (the streamed count is the getBytes test's): refused
    // before the rest, which never comes, is awaited.
    handler = (_request, response) => {
      response.setHeader('content-length', LIMITS.maxApiAnswerBytes + 1);
      response.write('"');
    };
    assert.equal((await failure(client.getJson('/status'))).code, 'MESSAGE_TOO_LARGE');
    assert.equal((await failure(client.getText('/metrics'))).code, 'MESSAGE_TOO_LARGE');
    const errorBody = (padding: number) =>
      `{"error":{"code":"NOT_FOUND","message":"no such block"},"padding":"${'x'.repeat(padding)}"}`;
    const fitting = errorBody(LIMITS.maxApiErrorAnswerBytes - errorBody(0).length);
    answering(404, fitting);
    assert.equal((await failure(client.getJson('/chain/blocks/9'))).code, 'NOT_FOUND');
    answering(404, `${fitting} `);
    const unread = await failure(client.getJson('/chain/blocks/9'));
    assert.deepEqual([unread.code, unread.status], ['REMOTE_ERROR', 404]);
  });

  it('refuses a declared length past the bound before reading, and answers a 204 with no bytes', async () => {
    const client = new ApiClient({ baseUrl, timeoutMs: 5_000 });
    // Ten bytes of the declared 1,001, then nothing: only the declared length can refuse it in time.
    // The client closes each stalled connection itself (cancelled or timed out), so none is reused.
    handler = (_request, response) => {
      response.setHeader('content-length', 1_001);
      response.write(new Uint8Array(10));
    };
    const refused = await failure(client.getBytes('/chain/bundle/x', 1_000));
    assert.deepEqual(
      [refused.code, refused.message],
      ['MESSAGE_TOO_LARGE', '/chain/bundle/x: the answer is larger than 1000 bytes'],
    );
    handler = (_request, response) => {
      response.statusCode = 204;
      response.end();
    };
    assert.deepEqual(await client.getBytes('/chain/bundle/x'), new Uint8Array(0));
  });

  it('a body that stalls is TIMEOUT, and one cut off is UNREACHABLE, answer or error alike', async () => {
    for (const status of [200, 500]) {
      handler = (_request, response) => {
        response.statusCode = status;
        response.setHeader('content-type', 'application/json');
        response.write('{"error":');
      };
      const stalled = await failure(new ApiClient({ baseUrl, timeoutMs: 2_000 }).getJson('/status'));
      assert.deepEqual(
        [stalled.code, stalled.message],
        ['TIMEOUT', `${baseUrl}: the answer was not complete within 2000 ms`],
      );
      handler = (_request, response) => {
        response.statusCode = status;
        response.write('{"error":');
        setImmediate(() => response.socket?.destroy());
      };
      const cut = await failure(new ApiClient({ baseUrl }).getJson('/status'));
      assert.equal(cut.code, 'UNREACHABLE', String(status));
      assert.match(cut.message, /the node API's answer was cut off \(/);
    }
  });

  it('asks again while a node answers that it is starting (503 NOT_READY with Retry-After), within its bound', async () => {
    let notReadyAnswers = 2;
    handler = (_request, response) => {
      response.setHeader('content-type', 'application/json');
      if (notReadyAnswers-- > 0) {
        response.statusCode = 503;
        response.setHeader('retry-after', '0');
        response.end('{"error":{"code":"NOT_READY","message":"the node is starting"}}');
        return;
      }
      response.end('{"added":true}');
    };
    const token = 'a'.repeat(43);
    const client = new ApiClient({ baseUrl, token, maxNotReadyRetries: 2 });
    assert.deepEqual(await client.postJson('/consents', { grant: 1 }), { added: true });
    // Two answers of a starting node, then the answer: each time the whole write, token included.
    assert.deepEqual(
      seen,
      Array.from({ length: 3 }, () => ({ method: 'POST', authorization: `Bearer ${token}` })),
    );

    // Past the bound, the node's own error; without Retry-After, no second request at all.
    seen.length = 0;
    notReadyAnswers = 10;
    const starting = await failure(client.getJson('/status'));
    assert.deepEqual([starting.code, starting.status, seen.length], ['NOT_READY', 503, 3]);
    seen.length = 0;
    answering(503, '{"error":{"code":"NOT_READY","message":"too many uploads wait"}}');
    const plain = await failure(client.getJson('/status'));
    assert.deepEqual([plain.code, seen.length], ['NOT_READY', 1]);
  });
});
