// The node's local HTTP API (design section 10): node:http bound to 127.0.0.1 by default, a tiny
// router, JSON answers, bearer token for writes, bounded bodies, and an error body with the right
// 4xx for everything a client can get wrong. Routes are registered by the node; this module knows
// nothing about the ledger.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assert, BayledgerError, fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { Logger } from '../log/logger.js';
import { BearerTokenCheck } from './auth.js';
import { checkDeclaredLength, limitedBodyStream, mediaType, readBodyWithLimit } from './body.js';
import { errorAnswer } from './errors.js';
import { toJsonText } from './json.js';
import { type Route, Router } from './router.js';
import type { ApiHandler, ApiRequest, ApiResponse, HttpMethod, RouteOptions } from './types.js';

export interface ApiServerOptions {
  /** Interface to bind. Default 127.0.0.1: the API is for the operator's own machine. */
  readonly host?: string;
  /** TCP port; 0 lets the OS choose (tests). */
  readonly port: number;
  /** The bearer token writes must present (read by the caller from its 0600 file). */
  readonly token: string;
  readonly logger: Logger;
  /** Default body limit for routes that do not set their own. Default LIMITS.maxApiBodyBytes. */
  readonly maxBodyBytes?: number;
  /**
   * Whether every route is added, for a server that still adds routes after `listen()` (the
   * node's transfer routes, attached once the node has started): while it says false, a path
   * without a route answers 503 NOT_READY with Retry-After, so a client that comes early is told
   * to come back rather than that the path does not exist. Default: always (every route is added
   * before `listen()`).
   */
  readonly routesComplete?: () => boolean;
}

export interface ApiServer {
  route(method: HttpMethod, pattern: string, handler: ApiHandler, options?: RouteOptions): void;
  /** Starts listening; resolves with the base URL, e.g. "http://127.0.0.1:7001". */
  listen(): Promise<string>;
  /** The base URL; only after `listen` resolved. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Seconds a client is asked to wait (Retry-After) after a 503: a node still starting, or one whose
 * staged uploads are at their bound. Either clears in about that time or later; never sooner.
 */
const RETRY_AFTER_SECONDS = 1;

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);
const WRITE_METHODS: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);
const MAX_PATH_CHARS = 2048;

/** 405 carries the methods the path does accept (RFC 9110 section 15.5.6). */
class MethodNotAllowedError extends BayledgerError {
  readonly allowed: readonly HttpMethod[];
  constructor(allowed: readonly HttpMethod[]) {
    super('METHOD_NOT_ALLOWED', `this path accepts ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  return new HttpApiServer(options);
}

class HttpApiServer implements ApiServer {
  readonly #router = new Router();
  readonly #tokenCheck: BearerTokenCheck;
  readonly #logger: Logger;
  readonly #host: string;
  readonly #port: number;
  readonly #defaultMaxBodyBytes: number;
  readonly #server: Server;
  #url: string | undefined;
  readonly #routesComplete: () => boolean;
  /** Requests being handled: close() waits for them (see there). */
  readonly #handling = new Set<Promise<void>>();

  constructor(options: ApiServerOptions) {
    this.#tokenCheck = new BearerTokenCheck(options.token);
    this.#logger = options.logger.child({ component: 'api' });
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port;
    this.#defaultMaxBodyBytes = options.maxBodyBytes ?? LIMITS.maxApiBodyBytes;
    this.#routesComplete = options.routesComplete ?? (() => true);
    this.#server = createServer((request, response) => {
      this.#track(this.#handle(request, response));
    });
    // A client that sends `Expect: 100-continue` waits for a go-ahead before it sends its body. It
    // is given only once the body is about to be read (route found, token checked, declared length
    // and media type accepted), so a refused request's body is never invited: without this
    // listener Node answers 100 Continue to every such request at once, a stranger's included.
    this.#server.on('checkContinue', (request, response) => {
      this.#track(this.#handle(request, response, () => response.writeContinue()));
    });
    this.#server.maxConnections = LIMITS.maxApiConnections;
    this.#server.headersTimeout = LIMITS.apiHeadersTimeoutMs;
  }

  route(method: HttpMethod, pattern: string, handler: ApiHandler, options: RouteOptions = {}): void {
    // A buffered body is held in memory whole; only a streamed route may accept payload-sized bodies.
    const ceiling = options.streamBody === true ? LIMITS.maxPayloadUploadBytes : LIMITS.maxMessageBytes;
    const limit = options.maxBodyBytes;
    assert(
      limit === undefined || (limit > 0 && limit <= ceiling),
      `route ${pattern}: maxBodyBytes above ${ceiling}`,
    );
    this.#router.add(method, pattern, handler, options);
  }

  get url(): string {
    if (this.#url === undefined) return fail('NOT_READY', 'the API server is not listening yet');
    return this.#url;
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = `${this.#host}:${this.#port}`;
        if (error.code === 'EADDRINUSE') {
          reject(
            new BayledgerError('CONFIG_INVALID', 'the API port is already in use by another process', where),
          );
        } else {
          reject(
            new BayledgerError('CONFIG_INVALID', `cannot listen (${error.code ?? error.message})`, where),
          );
        }
      };
      this.#server.once('error', onError);
      this.#server.listen({ host: this.#host, port: this.#port }, () => {
        this.#server.off('error', onError);
        const address = this.#server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.#url = `http://${host}:${address.port}`;
        if (!LOOPBACK_HOSTS.has(this.#host)) {
          this.#logger.warn('API bound to a non-loopback interface', { host: this.#host });
        }
        this.#logger.info('API listening', { url: this.#url });
        resolve(this.#url);
      });
    });
  }

  /**
   * Stops listening, closes every connection, then waits (at most LIMITS.apiCloseDrainMs) for the
   * handlers still running: a node closes its store after this, and a handler that went on past
   * its closed connection (a wait for a commit ending, an upload's seal failing) would read a
   * closed store, reported as a bug (seen in a chaos soak).
   */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    if (this.#handling.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LIMITS.apiCloseDrainMs);
    });
    await Promise.race([Promise.allSettled([...this.#handling]), bound]);
    clearTimeout(timer);
  }

  /** Keeps `handling` (which never rejects: #handle answers every error) until it settles. */
  #track(handling: Promise<void>): void {
    this.#handling.add(handling);
    void handling.finally(() => this.#handling.delete(handling));
  }

  /** `inviteBody` sends 100 Continue to a client that waits for it (see the constructor). */
  async #handle(
    request: IncomingMessage,
    response: ServerResponse,
    inviteBody: () => void = () => {},
  ): Promise<void> {
    const startedMs = performance.now();
    const method = request.method ?? 'GET';
    let path = '?';
    try {
      const url = this.#parseUrl(request);
      path = url.pathname;
      const answer = await this.#dispatch(request, url, inviteBody);
      this.#writeAnswer(request, response, answer);
    } catch (error) {
      this.#writeError(request, response, error, method, path);
    }
    this.#logger.debug('API request', {
      method,
      path,
      status: response.statusCode,
      durationMs: Math.round(performance.now() - startedMs),
    });
  }

  #parseUrl(request: IncomingMessage): URL {
    const target = request.url ?? '/';
    if (target.length > MAX_PATH_CHARS || !target.startsWith('/')) {
      fail('REQUEST_MALFORMED', 'the request target is not a path of at most 2048 characters');
    }
    this.#checkHost(request.headers.host);
    return new URL(target, 'http://localhost');
  }

  /**
   * Bound to loopback, the API answers only requests addressed to a loopback name. A web page
   * the operator visits could otherwise read the API through DNS rebinding (its own hostname
   * resolving to 127.0.0.1), since browsers send that hostname in Host.
   */
  #checkHost(hostHeader: string | undefined): void {
    if (!LOOPBACK_HOSTS.has(this.#host)) return;
    const name = (hostHeader ?? '')
      .replace(/:\d+$/, '')
      .replace(/^\[(.*)\]$/, '$1')
      .toLowerCase();
    if (!LOOPBACK_HOSTS.has(name)) fail('REQUEST_MALFORMED', 'the Host header must name a loopback address');
  }

  async #dispatch(request: IncomingMessage, url: URL, inviteBody: () => void): Promise<ApiResponse> {
    const method = (request.method ?? '').toUpperCase();
    if (!METHODS.has(method)) {
      const get = this.#router.match('GET', url.pathname);
      if (get.kind === 'not-found') this.#noRoute(url.pathname);
      throw new MethodNotAllowedError(get.kind === 'found' ? [get.route.method] : get.allowed);
    }
    const match = this.#router.match(method as HttpMethod, url.pathname);
    if (match.kind === 'not-found') this.#noRoute(url.pathname);
    if (match.kind === 'method-not-allowed') throw new MethodNotAllowedError(match.allowed);
    const { route, params } = match;
    const needsAuth = route.options.auth ?? WRITE_METHODS.has(route.method);
    // Authenticate before reading a byte of the body: strangers' uploads are never buffered.
    if (needsAuth) this.#tokenCheck.check(request.headers.authorization);
    const apiRequest = await this.#readRequest(request, method as HttpMethod, url, params, route, inviteBody);
    return route.handler(apiRequest);
  }

  #noRoute(path: string): never {
    if (!this.#routesComplete())
      fail('NOT_READY', `the node is starting and does not serve ${path} yet: try again in a moment`);
    return fail('ROUTE_NOT_FOUND', `no route for ${path}`);
  }

  async #readRequest(
    request: IncomingMessage,
    method: HttpMethod,
    url: URL,
    params: Record<string, string>,
    route: Route,
    inviteBody: () => void,
  ): Promise<ApiRequest> {
    const limitBytes = route.options.maxBodyBytes ?? this.#defaultMaxBodyBytes;
    const contentType = mediaType(request.headers['content-type']);
    const hasBody =
      request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
    if (hasBody) {
      checkDeclaredLength(request, limitBytes);
      const accepts = route.options.accepts;
      if (accepts !== undefined && (contentType === undefined || !accepts.includes(contentType))) {
        fail('UNSUPPORTED_MEDIA_TYPE', `send the body as ${accepts.join(' or ')}`);
      }
    }
    const streamed = route.options.streamBody === true;
    if (hasBody && !streamed) inviteBody();
    const body = hasBody && !streamed ? await readBodyWithLimit(request, limitBytes) : new Uint8Array(0);
    return {
      method,
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: request.headers,
      contentType,
      body,
      // A streamed body is invited when its handler starts reading it, after its own checks.
      bodyStream: streamed ? invitedOnRead(limitedBodyStream(request, limitBytes), inviteBody) : undefined,
    };
  }

  #writeAnswer(request: IncomingMessage, response: ServerResponse, answer: ApiResponse): void {
    const status = answer.status ?? 200;
    const isJson = 'json' in answer;
    const contentType = isJson ? 'application/json; charset=utf-8' : answer.contentType;
    const body = isJson ? toJsonText(answer.json) : answer.body;
    this.#send(request, response, status, contentType, body, answer.headers ?? {});
  }

  #writeError(
    request: IncomingMessage,
    response: ServerResponse,
    error: unknown,
    method: string,
    path: string,
  ): void {
    const answer = errorAnswer(error);
    if (answer.isBug) {
      this.#logger.error('API request failed with a bug', { method, path, error });
    } else if (isBayledgerError(error, 'REQUEST_ABORTED')) {
      this.#logger.info('API request aborted by the client', { method, path });
    } else if (answer.status === 507) {
      // The operator's to fix: the client is told only that the disk is full.
      this.#logger.warn('API request refused: no room on the disk', { method, path, error });
    }
    const headers: Record<string, string> = {};
    if (answer.status === 401) headers['www-authenticate'] = 'Bearer';
    if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(', ');
    // RFC 9110 section 10.2.3: how long a client should wait before it asks again.
    if (answer.status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
    if (response.headersSent) {
      // The answer was already on its way; all that is left is to cut the connection.
      response.destroy();
      return;
    }
    this.#send(
      request,
      response,
      answer.status,
      'application/json; charset=utf-8',
      toJsonText(answer.body),
      headers,
    );
  }

  #send(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    contentType: string,
    body: string | Uint8Array,
    headers: Readonly<Record<string, string>>,
  ): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    response.statusCode = status;
    response.setHeader('content-type', contentType);
    response.setHeader('content-length', bytes.byteLength);
    response.setHeader('cache-control', 'no-store');
    response.setHeader('x-content-type-options', 'nosniff');
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const bodyUnread = !request.complete;
    if (bodyUnread) {
      // We answer before the client finished sending (413, 401, ...). Close afterwards, but first
      // read and discard a bounded amount so the client is not reset before it reads our answer.
      response.setHeader('connection', 'close');
      discardBoundedRest(request);
    }
    response.end(request.method === 'HEAD' ? undefined : bytes);
  }
}

function discardBoundedRest(request: IncomingMessage): void {
  let discardedBytes = 0;
  request.on('data', (chunk: Buffer) => {
    discardedBytes += chunk.byteLength;
    if (discardedBytes > LIMITS.maxApiDiscardBytes) request.socket.destroy();
  });
  request.on('error', () => {});
  request.resume();
}

/** `stream`, calling `invite` when its first chunk is asked for. */
async function* invitedOnRead(
  stream: AsyncIterable<Uint8Array>,
  invite: () => void,
): AsyncIterable<Uint8Array> {
  invite();
  yield* stream;
}
