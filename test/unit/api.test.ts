import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCanonical } from '../../src/core/codec/index.js';
import { literal, object, uint } from '../../src/core/codec/schema.js';
import { fail, isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  ApiClient,
  type ApiServer,
  BearerTokenCheck,
  createApiServer,
  generateApiToken,
  MIN_API_TOKEN_CHARS,
  parseJsonBody,
  parseJsonBodyAs,
  readApiTokenFile,
  readTransactionBatchBody,
  readTransactionBody,
  writeApiTokenFile,
} from '../../src/node/api/index.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { addMetricsRoute, MetricsRegistry } from '../../src/node/metrics/index.js';
import { answerWithBodyHeldBack } from '../helpers/http-held-back.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = generateApiToken();

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? {} : JSON.parse(text) };
}

function expectError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.json));
  assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(answer.json.error?.code, code);
  assert.ok(typeof answer.json.error?.message === 'string' && answer.json.error.message.length > 0);
}

describe('local HTTP API server', () => {
  let server: ApiServer;
  let base: string;
  const memory = createMemoryLogger();
  const uploads: number[] = [];

  before(async () => {
    server = createApiServer({ port: 0, token: TOKEN, logger: memory.logger });
    server.route('GET', '/status', () => ({ json: { height: 3, hash: new Uint8Array([1, 2]) } }));
    server.route('GET', '/blocks/:height', (request) => {
      if (request.params.height !== '1') fail('NOT_FOUND', `no block at height ${request.params.height}`);
      return { json: { height: 1 } };
    });
    server.route('GET', '/tx/:id', (request) => ({ json: { id: request.params.id } }));
    server.route('POST', '/tx', (request) => {
      const bytes = readTransactionBody(request);
      if (bytes[0] === 0xff) fail('RECORD_INVALID', 'consent has expired');
      if (bytes[0] === 0xfe) fail('MEMPOOL_FULL', 'the mempool holds 100000 transactions');
      if (bytes[0] === 0xfd) fail('CONFLICT', 'already committed');
      return { status: 202, json: { accepted: bytes.byteLength } };
    });
    server.route(
      'POST',
      '/txs',
      (request) => ({ json: { sizes: readTransactionBatchBody(request).map((tx) => tx.byteLength) } }),
      { accepts: ['application/cbor', 'application/json'], maxBodyBytes: LIMITS.maxTxBatchBodyBytes },
    );
    server.route('POST', '/echo', (request) => ({ json: { echo: parseJsonBody(request) } }));
    const shapeSchema = object({ decision: literal('approve', 'reject'), count: uint(9) });
    server.route('POST', '/shaped', (request) => ({ json: parseJsonBodyAs(request, shapeSchema) }));
    server.route('GET', '/not-ready', () => fail('NOT_READY', 'still syncing'));
    server.route('GET', '/bug', () => {
      throw new TypeError('cannot read properties of undefined (secret path /home/x)');
    });
    server.route('GET', '/disk-full', () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, open '/secret/declared/x'"), {
        code: 'ENOSPC',
      });
    });
    server.route('GET', '/disk-quota', () => {
      throw Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
    });
    server.route(
      'PUT',
      '/payloads/:id',
      async (request) => {
        let receivedBytes = 0;
        for await (const chunk of request.bodyStream!) receivedBytes += chunk.byteLength;
        uploads.push(receivedBytes);
        return { status: 201, json: { receivedBytes } };
      },
      { streamBody: true, maxBodyBytes: 3 * 1024 * 1024, accepts: ['application/octet-stream'] },
    );
    const registry = new MetricsRegistry();
    registry.counter({ name: 'bayledger_api_test_total', help: 'x' }).inc(2);
    addMetricsRoute(server, registry);
    base = await server.listen();
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await server.close();
  });

  it('answers GET routes with JSON and path parameters, without a token', async () => {
    const status = await call(`${base}/status`);
    assert.equal(status.status, 200);
    assert.deepEqual(status.json, { height: 3, hash: '0102' });
    const tx = await call(`${base}/tx/ab%20cd`);
    assert.deepEqual(tx.json, { id: 'ab cd' });
  });

  it('accepts a transaction as application/cbor and as hex-wrapped JSON', async () => {
    const envelope = encodeCanonical({ kind: 'consent.grant', body: {}, sigs: [] });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const cbor = await call(`${base}/tx`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/cbor' },
      body: envelope,
    });
    assert.equal(cbor.status, 202);
    assert.equal(cbor.json.accepted, envelope.byteLength);
    const json = await call(`${base}/tx`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ tx: Buffer.from(envelope).toString('hex') }),
    });
    assert.equal(json.status, 202);
    assert.equal(json.json.accepted, envelope.byteLength);
  });

  it('reads a batch of transactions as a CBOR array or JSON hex, each bounded, at most maxTxsPerSubmission', async () => {
    const post = (body: Uint8Array | string, type = 'application/cbor') =>
      call(`${base}/txs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
        body,
      });
    const cbor = await post(encodeCanonical([new Uint8Array([1, 2, 3]), new Uint8Array(5)]));
    assert.deepEqual(cbor.json, { sizes: [3, 5] });
    const json = await post(JSON.stringify({ txs: ['0102', 'ff'] }), 'application/json');
    assert.deepEqual(json.json, { sizes: [2, 1] });
    const notHex = await post(JSON.stringify({ txs: ['0102', 'XYZ'] }), 'application/json');
    expectError(notHex, 400, 'REQUEST_MALFORMED');
    assert.match(notHex.json.error!.message, /txs\[1\]/);
    expectError(
      await post(encodeCanonical([new Uint8Array(1), new Uint8Array(0)])),
      400,
      'REQUEST_MALFORMED',
    );
    expectError(
      await post(encodeCanonical([new Uint8Array(LIMITS.maxTxBytes + 1)])),
      413,
      'MESSAGE_TOO_LARGE',
    );
    const tooMany = Array.from({ length: LIMITS.maxTxsPerSubmission + 1 }, () => new Uint8Array(1));
    expectError(await post(encodeCanonical(tooMany)), 413, 'MESSAGE_TOO_LARGE');
    expectError(await post(encodeCanonical({ txs: [] })), 400, 'REQUEST_MALFORMED');
  });

  it('401 for a missing or wrong bearer token', async () => {
    const missing = await call(`${base}/tx`, { method: 'POST', body: new Uint8Array([1]) });
    expectError(missing, 401, 'UNAUTHORIZED');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    const wrong = await call(`${base}/tx`, {
      method: 'POST',
      headers: { authorization: `Bearer ${generateApiToken()}`, 'content-type': 'application/cbor' },
      body: new Uint8Array([1]),
    });
    expectError(wrong, 401, 'UNAUTHORIZED');
    const notBearer = await call(`${base}/tx`, {
      method: 'POST',
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expectError(notBearer, 401, 'UNAUTHORIZED');
  });

  it('413 for an oversize body, declared or chunked, before reading it all', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/cbor' };
    const declared = await call(`${base}/tx`, {
      method: 'POST',
      headers,
      body: new Uint8Array(LIMITS.maxApiBodyBytes + 1),
    });
    expectError(declared, 413, 'MESSAGE_TOO_LARGE');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024);
    }
    const chunked = await call(`${base}/tx`, {
      method: 'POST',
      headers,
      body: ReadableStream.from(chunks()),
      duplex: 'half',
    } as RequestInit);
    expectError(chunked, 413, 'MESSAGE_TOO_LARGE');
    // A transaction larger than maxTxBytes fits the body limit but is still refused.
    const bigTx = await call(`${base}/tx`, {
      method: 'POST',
      headers,
      body: new Uint8Array(LIMITS.maxTxBytes + 1),
    });
    expectError(bigTx, 413, 'MESSAGE_TOO_LARGE');
    // The server is still healthy afterwards.
    assert.equal((await call(`${base}/status`)).status, 200);
  });

  it('413 as soon as a body is known to be too large, while its sender still holds the rest back', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cbor = { ...auth, 'content-type': 'application/cbor' };
    // Declared too large: refused from the headers, before any of the body.
    const declared = await answerWithBodyHeldBack(`${base}/tx`, 'POST', {
      ...cbor,
      'content-length': String(LIMITS.maxApiBodyBytes + 1),
    });
    // Chunked (no declared length): refused once the bytes received pass the route's limit, both
    // for a body read whole and for one streamed to its handler.
    const chunked = await answerWithBodyHeldBack(`${base}/tx`, 'POST', cbor, LIMITS.maxApiBodyBytes + 1);
    const streamed = await answerWithBodyHeldBack(
      `${base}/payloads/p-held`,
      'PUT',
      { ...auth, 'content-type': 'application/octet-stream' },
      3 * 1024 * 1024 + 1,
    );
    for (const answer of [declared, chunked, streamed]) {
      assert.equal(answer.status, 413, answer.text);
      assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'MESSAGE_TOO_LARGE');
      // The rest of the body will not be read: the connection cannot carry another request.
      assert.equal(answer.connection, 'close');
    }
    assert.ok(!uploads.includes(3 * 1024 * 1024 + 1), 'the handler never took the oversize upload whole');
  });

  it("400 for malformed JSON, for a JSON submission that is not { tx: hex }, and for JSON not of its route's shape", async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    expectError(
      await call(`${base}/echo`, { method: 'POST', headers, body: '{"a":' }),
      400,
      'REQUEST_MALFORMED',
    );
    expectError(
      await call(`${base}/tx`, { method: 'POST', headers, body: '{"tx":"XYZ"}' }),
      400,
      'REQUEST_MALFORMED',
    );
    expectError(
      await call(`${base}/tx`, { method: 'POST', headers, body: '{"tx":"00","x":1}' }),
      400,
      'REQUEST_MALFORMED',
    );
    const echoed = await call(`${base}/echo`, { method: 'POST', headers, body: '{"a":[1,2]}' });
    assert.deepEqual(echoed.json, { echo: { a: [1, 2] } });
    // JSON that is not an object of the one expected field, on both submission routes.
    for (const body of ['null', '"00"', '[]', '{"txs":"00"}', '{"txs":["00"],"x":1}', '{"tx":["00"]}']) {
      expectError(await call(`${base}/txs`, { method: 'POST', headers, body }), 400, 'REQUEST_MALFORMED');
    }
    for (const body of ['null', '"00"', '{"txs":["00"]}']) {
      expectError(await call(`${base}/tx`, { method: 'POST', headers, body }), 400, 'REQUEST_MALFORMED');
    }
    // A JSON request checked against its route's schema: the wrong shape is the request's fault
    // (400 naming the field), not an invalid transaction (422).
    const shaped = (body: string) => call(`${base}/shaped`, { method: 'POST', headers, body });
    assert.deepEqual((await shaped('{"decision":"approve","count":3}')).json, {
      decision: 'approve',
      count: 3,
    });
    for (const [body, where] of [
      ['{"decision":', undefined],
      ['[]', undefined],
      ['{"decision":"maybe","count":3}', 'decision'],
      ['{"decision":"approve"}', 'count'],
      ['{"decision":"approve","count":10}', 'count'],
      ['{"decision":"approve","count":3,"x":1}', 'x'],
    ] as const) {
      const answer = await shaped(body);
      expectError(answer, 400, 'REQUEST_MALFORMED');
      if (where !== undefined) assert.ok(answer.json.error!.message.startsWith(`${where}: `), body);
    }
  });

  it('takes a transaction of exactly maxTxBytes and a batch of exactly maxTxsPerSubmission', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const largest = await call(`${base}/tx`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/cbor' },
      body: new Uint8Array(LIMITS.maxTxBytes).fill(1),
    });
    assert.equal(largest.status, 202);
    assert.equal(largest.json.accepted, LIMITS.maxTxBytes);
    const fullBatch = Array.from({ length: LIMITS.maxTxsPerSubmission }, () => new Uint8Array([1]));
    const batch = await call(`${base}/txs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/cbor' },
      body: encodeCanonical(fullBatch),
    });
    assert.equal(batch.status, 200);
    assert.equal((batch.json.sizes as number[]).length, LIMITS.maxTxsPerSubmission);
  });

  it('404 for an unknown route or id, 405 with Allow for a wrong method', async () => {
    expectError(await call(`${base}/nope`), 404, 'ROUTE_NOT_FOUND');
    expectError(await call(`${base}/blocks/1/extra`), 404, 'ROUTE_NOT_FOUND');
    expectError(await call(`${base}/blocks/99`), 404, 'NOT_FOUND');
    const wrongMethod = await call(`${base}/status`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expectError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrongMethod.headers.get('allow'), 'GET');
  });

  it('maps handler errors to 409, 415, 422, 429 and 503', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const post = (first: number) =>
      call(`${base}/tx`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/cbor' },
        body: new Uint8Array([first, 0]),
      });
    expectError(await post(0xff), 422, 'RECORD_INVALID');
    expectError(await post(0xfe), 429, 'MEMPOOL_FULL');
    expectError(await post(0xfd), 409, 'CONFLICT');
    const text = await call(`${base}/tx`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await call(`${base}/not-ready`), 503, 'NOT_READY');
  });

  it('answers a bug with 500 and a generic message, and logs it with its stack', async () => {
    const answer = await call(`${base}/bug`);
    expectError(answer, 500, 'INTERNAL');
    assert.ok(!JSON.stringify(answer.json).includes('secret path'));
    const logged = memory.lines.find((line) => line.level === 'error' && line.path === '/bug');
    assert.ok(logged, 'the bug is logged');
    assert.match(String((logged.error as Record<string, unknown>).stack), /TypeError/);
  });

  it('answers a write the disk refused for want of space with 507, names no file, and logs it as a warning', async () => {
    const answer = await call(`${base}/disk-full`);
    assert.equal(answer.status, 507);
    assert.deepEqual(answer.json, {
      error: {
        code: 'INSUFFICIENT_STORAGE',
        message: "the node's disk is full: free space on the node and try again",
      },
    });
    const logged = memory.lines.filter((line) => line.path === '/disk-full' && line.level !== 'debug');
    assert.deepEqual(
      logged.map((line) => [line.level, line.msg]),
      [['warn', 'API request refused: no room on the disk']],
    );
    assert.match(String((logged[0]!.error as Record<string, unknown>).message), /\/secret\/declared\/x/);
    const quota = await call(`${base}/disk-quota`);
    assert.deepEqual(
      [quota.status, (quota.json as { error: { code: string } }).error.code],
      [507, 'INSUFFICIENT_STORAGE'],
    );
  });

  it('streams an upload to the handler under a per-route limit, and refuses one over it', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' };
    const ok = await call(`${base}/payloads/p1`, {
      method: 'PUT',
      headers,
      body: new Uint8Array(2 * 1024 * 1024),
    });
    assert.equal(ok.status, 201);
    assert.equal(ok.json.receivedBytes, 2 * 1024 * 1024);
    const big = await call(`${base}/payloads/p2`, {
      method: 'PUT',
      headers,
      body: new Uint8Array(3 * 1024 * 1024 + 1),
    });
    expectError(big, 413, 'MESSAGE_TOO_LARGE');
    expectError(
      await call(`${base}/payloads/p3`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'text/plain' },
        body: 'x',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.deepEqual(uploads, [2 * 1024 * 1024]);
  });

  it('with Expect: 100-continue, invites the body only once it will be read: never for a refused request', async () => {
    const cbor = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/cbor' };
    // A stranger (no token), and a body declared past the route's bound: answered at once.
    const stranger = await waitingForContinue(
      'POST',
      '/tx',
      { 'content-type': 'application/cbor' },
      new Uint8Array(10),
    );
    assert.deepEqual([stranger.status, stranger.continued], [401, false]);
    const huge = await waitingForContinue('POST', '/tx', cbor, new Uint8Array(LIMITS.maxApiBodyBytes + 1));
    assert.deepEqual([huge.status, huge.continued], [413, false]);
    // Accepted: invited, sent and read, buffered or streamed.
    const tx = await waitingForContinue('POST', '/tx', cbor, new Uint8Array([1, 2, 3]));
    assert.deepEqual([tx.status, tx.continued, tx.text], [202, true, '{"accepted":3}']);
    const upload = await waitingForContinue(
      'PUT',
      '/payloads/p5',
      { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
      new Uint8Array(100_000),
    );
    assert.deepEqual([upload.status, upload.continued, upload.text], [201, true, '{"receivedBytes":100000}']);
  });

  /** A response's whole body as text. */
  async function textOf(response: IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of response.setEncoding('utf8')) text += chunk as string;
    return text;
  }

  /**
   * A request that, like curl's for a large body, sends `Expect: 100-continue` and holds its body
   * back until the server says 100 Continue; whether it did, and the answer.
   */
  function waitingForContinue(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
  ): Promise<{ status: number; continued: boolean; text: string }> {
    const port = Number(new URL(base).port);
    return new Promise((resolve, reject) => {
      let continued = false;
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, expect: '100-continue', 'content-length': String(body.byteLength) },
      });
      request.on('continue', () => {
        continued = true;
        request.end(body);
      });
      request.on('response', (response) => {
        void textOf(response).then((text) => {
          resolve({ status: response.statusCode ?? 0, continued, text });
          if (!continued) request.destroy();
        });
      });
      request.on('error', (error) => {
        if (!continued && request.destroyed) return;
        reject(error);
      });
      request.flushHeaders();
    });
  }

  /** A raw request, for methods, request targets and Host headers fetch will not send. */
  function rawRequest(
    method: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; allow?: string; code?: string }> {
    const port = Number(new URL(base).port);
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method, path, headers });
      request.on('response', (response) => {
        void textOf(response).then((text) => {
          const code =
            text === '' ? undefined : (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          resolve({ status: response.statusCode ?? 0, allow: response.headers.allow, code });
        });
      });
      request.on('error', reject);
      request.end();
    });
  }

  /** Sends the head and `sentBytes` of a `declaredBytes` body, then closes the connection. */
  function abandonUpload(
    method: string,
    path: string,
    contentType: string,
    declaredBytes: number,
    sentBytes: number,
  ) {
    const port = Number(new URL(base).port);
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => undefined); // the server may reset it as it goes
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\n` +
      `content-type: ${contentType}\r\ncontent-length: ${declaredBytes}\r\n\r\n`;
    socket.write(head);
    socket.write(Buffer.alloc(sentBytes, 0x7b), () => socket.destroy());
  }

  it('a client that closes its connection mid-body is logged as an abort, not as a bug, streamed or not', async () => {
    const aborts = () => memory.lines.filter((line) => line.msg === 'API request aborted by the client');
    const before = aborts().length;
    abandonUpload('PUT', '/payloads/abandoned', 'application/octet-stream', 1_000_000, 64 * 1024);
    abandonUpload('POST', '/echo', 'application/json', 10_000, 100);
    await waitFor('both aborts logged', () => aborts().length >= before + 2);
    assert.deepEqual(
      aborts()
        .slice(before)
        .map((line) => `${line.method} ${line.path}`)
        .sort(),
      ['POST /echo', 'PUT /payloads/abandoned'],
    );
    assert.deepEqual(
      memory.lines.filter((line) => line.msg === 'API request failed with a bug' && line.path !== '/bug'),
      [],
    );
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const answer = await rawRequest('GET', '/status', { host: 'evil.example:80' });
    assert.equal(answer.status, 400);
  });

  it('refuses request targets that are not a short path, and methods it does not serve', async () => {
    assert.deepEqual(await rawRequest('GET', `/${'a'.repeat(2047)}`), {
      status: 404,
      allow: undefined,
      code: 'ROUTE_NOT_FOUND',
    });
    assert.deepEqual(await rawRequest('GET', `/${'a'.repeat(2048)}`), {
      status: 400,
      allow: undefined,
      code: 'REQUEST_MALFORMED',
    });
    assert.deepEqual(await rawRequest('GET', `http://127.0.0.1/status`), {
      status: 400,
      allow: undefined,
      code: 'REQUEST_MALFORMED',
    });
    assert.deepEqual(await rawRequest('PROPFIND', '/status'), {
      status: 405,
      allow: 'GET',
      code: 'METHOD_NOT_ALLOWED',
    });
    assert.deepEqual(await rawRequest('PROPFIND', '/nope'), {
      status: 404,
      allow: undefined,
      code: 'ROUTE_NOT_FOUND',
    });
  });

  it('has no URL before it listens, and says so when its port is taken', async () => {
    const early = createApiServer({ port: 0, token: TOKEN, logger: memory.logger });
    assert.throws(
      () => early.url,
      (error) => isBayledgerError(error, 'NOT_READY'),
    );
    const taken = createApiServer({ port: Number(new URL(base).port), token: TOKEN, logger: memory.logger });
    await assert.rejects(
      taken.listen(),
      (error) => isBayledgerError(error, 'CONFIG_INVALID') && /already in use/.test((error as Error).message),
    );
  });

  it('serves /metrics in Prometheus text format', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await response.text(), /^bayledger_api_test_total 2$/m);
  });

  it('client: JSON answers, and typed errors carrying the server code and status', async () => {
    const client = new ApiClient({ baseUrl: base, token: TOKEN });
    assert.deepEqual(await client.status(), { height: 3, hash: '0102' });
    assert.deepEqual(await client.submitTransaction(new Uint8Array([1, 2, 3])), { accepted: 3 });
    assert.deepEqual(await client.submitTransactionAsJson(new Uint8Array([1, 2])), { accepted: 2 });
    await assert.rejects(client.getJson('/blocks/7'), (error) => {
      assert.ok(isBayledgerError(error, 'NOT_FOUND'));
      assert.equal((error as { status?: number }).status, 404);
      return true;
    });
    const anonymous = new ApiClient({ baseUrl: base });
    await assert.rejects(anonymous.submitTransaction(new Uint8Array([1])), (error) =>
      isBayledgerError(error, 'UNAUTHORIZED'),
    );
    assert.match(await client.getText('/metrics'), /bayledger_api_test_total/);
  });

  it('client: UNREACHABLE when no node listens', async () => {
    const closed = createApiServer({ port: 0, token: TOKEN, logger: memory.logger });
    const url = await closed.listen();
    await closed.close();
    const client = new ApiClient({ baseUrl: url, timeoutMs: 5_000 });
    await assert.rejects(client.status(), (error) => isBayledgerError(error, 'UNREACHABLE'));
  });

  it('refuses to start with a short token, and on a port in use', async () => {
    assert.throws(() => createApiServer({ port: 0, token: 'short', logger: memory.logger }), /at least 32/);
    const port = Number(new URL(base).port);
    const second = createApiServer({ port, token: TOKEN, logger: memory.logger });
    await assert.rejects(
      second.listen(),
      (error) => isBayledgerError(error, 'CONFIG_INVALID') && /in use/.test(String(error)),
    );
  });

  it('refuses a buffered route with a payload-sized body limit (only streamed routes may)', () => {
    assert.throws(
      () =>
        server.route('POST', '/huge', () => ({ json: {} }), { maxBodyBytes: LIMITS.maxPayloadUploadBytes }),
      /maxBodyBytes/,
    );
    server.route('PUT', '/huge/:id', () => ({ json: {} }), {
      maxBodyBytes: LIMITS.maxPayloadUploadBytes,
      streamBody: true,
    });
  });

  it('takes a body of exactly the limit, declared or chunked, read whole or streamed', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const text = `"${'a'.repeat(LIMITS.maxApiBodyBytes - 2)}"`;
    const declared = await call(`${base}/echo`, { method: 'POST', headers: json, body: text });
    assert.equal(declared.status, 200, JSON.stringify(declared.json).slice(0, 200));
    assert.equal((declared.json.echo as string).length, LIMITS.maxApiBodyBytes - 2);
    async function* pieces(total: number): AsyncGenerator<Uint8Array> {
      const bytes = Buffer.from(text);
      for (let at = 0; at < total; at += 64 * 1024) yield new Uint8Array(bytes.subarray(at, at + 64 * 1024));
    }
    const chunked = await call(`${base}/echo`, {
      method: 'POST',
      headers: json,
      body: ReadableStream.from(pieces(LIMITS.maxApiBodyBytes)),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 200);
    async function* zeros(total: number): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < total; at += 64 * 1024) yield new Uint8Array(Math.min(64 * 1024, total - at));
    }
    const streamed = await call(`${base}/payloads/p-exact`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: ReadableStream.from(zeros(3 * 1024 * 1024)),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 201);
    assert.equal(streamed.json.receivedBytes, 3 * 1024 * 1024);
  });

  it('415 for a JSON route given another media type, and says what a bad Authorization lacks', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expectError(
      await call(`${base}/echo`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/cbor' },
        body: new Uint8Array([0xa0]),
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const notBearer = await call(`${base}/echo`, {
      method: 'POST',
      headers: { authorization: `Basic ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expectError(notBearer, 401, 'UNAUTHORIZED');
    assert.match(notBearer.json.error!.message, /needs an Authorization: Bearer <token> header/);
  });

  it('refuses a token shorter than the minimum, or padded with spaces, and takes one of exactly the minimum', () => {
    const exact = 'x'.repeat(MIN_API_TOKEN_CHARS);
    const check = new BearerTokenCheck(exact);
    check.check(`Bearer ${exact}`);
    assert.throws(
      () => check.check(`Bearer ${exact}y`),
      (error) => isBayledgerError(error, 'UNAUTHORIZED'),
    );
    assert.throws(
      () => new BearerTokenCheck(exact.slice(1)),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
    assert.throws(
      () => new BearerTokenCheck(` ${exact}`),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
  });

  it('never logs the token', () => {
    assert.ok(memory.lines.length > 0);
    assert.ok(!JSON.stringify(memory.lines).includes(TOKEN));
  });
});

describe('local HTTP API server whose routes follow listen (a starting node)', () => {
  it('answers a path without a route 503 NOT_READY with Retry-After until its routes are complete, then 404', async () => {
    let routesComplete = false;
    const server = createApiServer({
      port: 0,
      token: TOKEN,
      logger: createMemoryLogger().logger,
      routesComplete: () => routesComplete,
    });
    server.route('GET', '/status', () => ({ json: { height: 1 } }));
    const url = await server.listen();
    try {
      assert.equal((await call(`${url}/status`)).status, 200);
      const early = await call(`${url}/consents`, { method: 'POST', body: '{}' });
      expectError(early, 503, 'NOT_READY');
      assert.equal(early.headers.get('retry-after'), '1');
      assert.match(early.json.error?.message ?? '', /starting.*\/consents/);
      // A method no route takes yet is the same: the route may still come.
      expectError(await call(`${url}/consents`, { method: 'PROPFIND' }), 503, 'NOT_READY');
      server.route('POST', '/consents', () => ({ status: 201, json: { added: true } }));
      routesComplete = true;
      const added = await call(`${url}/consents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(added.status, 201);
      const late = await call(`${url}/nope`);
      expectError(late, 404, 'ROUTE_NOT_FOUND');
      assert.equal(late.headers.get('retry-after'), null);
    } finally {
      await server.close();
    }
  });
});

describe('local HTTP API server bound to an address outside the loopback names', () => {
  // 127.0.0.2 is still this machine's loopback interface (all of 127/8 is), so nothing outside it
  // can connect, but it is none of the names the server treats as loopback: it acts as an
  // operator's choice to serve beyond loopback, where Host names the node's public address.
  it('warns that it is exposed and answers whatever Host names it', async () => {
    const memory = createMemoryLogger();
    const server = createApiServer({ host: '127.0.0.2', port: 0, token: TOKEN, logger: memory.logger });
    server.route('GET', '/status', () => ({ json: { height: 1 } }));
    const url = await server.listen();
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.2:\d+$/);
      assert.ok(memory.lines.some((line) => line.msg === 'API bound to a non-loopback interface'));
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest({
          host: '127.0.0.2',
          port: Number(new URL(url).port),
          path: '/status',
          headers: { host: 'ledger.hospital.example:7109' },
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
      assert.equal(status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('local HTTP API server closing', () => {
  // A node closes its store right after its API: a handler that outlived its closed connection (a
  // wait for a commit ending) read a closed store, logged as a bug, in a chaos soak.
  it('waits for the handlers still running after it closed their connections', async () => {
    const server = createApiServer({ port: 0, token: TOKEN, logger: createMemoryLogger().logger });
    let entered: () => void = () => {};
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const events: string[] = [];
    server.route('GET', '/slow', async () => {
      entered();
      await gate;
      events.push('handler done');
      return { json: { done: true } };
    });
    const url = await server.listen();
    const answered = fetch(`${url}/slow`).then(
      () => 'answered',
      () => 'connection closed',
    );
    await handlerEntered;
    const closing = server.close().then(() => events.push('closed'));
    assert.equal(await answered, 'connection closed', 'close() closes the connections at once');
    assert.deepEqual(events, [], 'close() returned while a handler was still running');
    release();
    await closing;
    assert.deepEqual(events, ['handler done', 'closed']);
  });
});

describe('API token file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bayledger-api-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written 0600, read back, and refused when others can read it', async () => {
    const path = join(dir, 'api-token');
    const token = await writeApiTokenFile(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readApiTokenFile(path), token);
    await assert.rejects(writeApiTokenFile(path), (error) => isBayledgerError(error, 'FILE_EXISTS'));
    await chmod(path, 0o644);
    await assert.rejects(readApiTokenFile(path), (error) => isBayledgerError(error, 'KEY_FILE_INSECURE'));
  });
});
