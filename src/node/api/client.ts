// Client of a node's local API (used by the CLI's `--api URL` mode). Every failure is a typed
// ApiClientError: the server's own error code when it answered with one (so
// `isBayledgerError(error, 'NOT_FOUND')` reads the same against a remote node as locally),
// UNREACHABLE when nothing answered, TIMEOUT when the answer took too long.

import { setTimeout as sleep } from 'node:timers/promises';
import { concatBytes, toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { BayledgerError, causeMessage, type ErrorCode, fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

export interface ApiClientOptions {
  /** e.g. "http://127.0.0.1:7001" */
  readonly baseUrl: string;
  /** Needed for writes only. */
  readonly token?: string;
  /** Where the token came from (a file's path), named when the node refuses it; never the token. */
  readonly tokenSource?: string;
  readonly timeoutMs?: number;
  /**
   * How often a request is made again when the node answers that it is still starting (503
   * NOT_READY with Retry-After; nothing was done). Default LIMITS.maxApiNotReadyRetries.
   */
  readonly maxNotReadyRetries?: number;
}

export class ApiClientError extends BayledgerError {
  /** The HTTP status, or undefined when no answer arrived. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, status: number | undefined, where: string) {
    super(code, message, where);
    this.name = 'ApiClientError';
    this.status = status;
  }
}

/** Error codes are upper-case identifiers; anything else in an error body is reported as REMOTE_ERROR. */
const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * An error answer of the node as an ApiClientError placed at `where` (the request). UNAUTHORIZED is
 * placed at the node instead, with where the token came from: the token is what is wrong, not the
 * request (an upload's files, a transfer id), and the fix is the token file for that URL.
 */
export function answeredError(
  code: ErrorCode,
  message: string,
  status: number | undefined,
  where: string,
  node: { readonly baseUrl: string; readonly tokenSource?: string | undefined },
): ApiClientError {
  if (code !== 'UNAUTHORIZED') return new ApiClientError(code, message, status, where);
  const source =
    node.tokenSource === undefined
      ? 'no token was given'
      : `the token is from ${node.tokenSource}; give the api.token of the node at this URL`;
  return new ApiClientError(code, `${message} (${source})`, status, node.baseUrl);
}

/**
 * A node's URL with a user name or password in it is refused before any request, with the
 * credentials left out of the message: the node takes only its bearer token (from a token file),
 * and every error message would otherwise print the URL, password included.
 */
function refuseCredentialsInUrl(baseUrl: string): void {
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (parsed === undefined || (parsed.username === '' && parsed.password === '')) return;
  parsed.username = '';
  parsed.password = '';
  fail(
    'USAGE',
    'a node API URL takes no user name or password (the node takes its token from a token file)',
    parsed.href.replace(/\/+$/, ''),
  );
}

export class ApiClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #tokenSource: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxNotReadyRetries: number;

  constructor(options: ApiClientOptions) {
    refuseCredentialsInUrl(options.baseUrl);
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#tokenSource = options.tokenSource;
    this.#timeoutMs = options.timeoutMs ?? LIMITS.apiClientTimeoutMs;
    this.#maxNotReadyRetries = options.maxNotReadyRetries ?? LIMITS.maxApiNotReadyRetries;
  }

  /** How long a request may take before it fails with TIMEOUT. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  getJson(path: string): Promise<unknown> {
    return this.#json('GET', path, undefined, undefined);
  }

  /** For non-JSON routes such as /metrics. */
  async getText(path: string): Promise<string> {
    const response = await this.#fetch('GET', path, undefined, undefined);
    return textOf(await this.#body(response, LIMITS.maxApiAnswerBytes, path));
  }

  /** The answer's body as bytes (a CBOR proof bundle), with the same errors as every other call. */
  async getBytes(path: string, maxBytes: number = LIMITS.maxApiAnswerBytes): Promise<Uint8Array> {
    const response = await this.#fetch('GET', path, undefined, undefined);
    return this.#body(response, maxBytes, path);
  }

  postJson(path: string, body: unknown): Promise<unknown> {
    return this.#json('POST', path, JSON.stringify(body), 'application/json');
  }

  postBytes(path: string, bytes: Uint8Array, contentType = 'application/cbor'): Promise<unknown> {
    return this.#json('POST', path, bytes, contentType);
  }

  /** Submits a canonical signed envelope as application/cbor. */
  submitTransaction(envelopeBytes: Uint8Array): Promise<unknown> {
    return this.postBytes('/tx', envelopeBytes);
  }

  /** The same submission wrapped in JSON ({ "tx": "<hex>" }). */
  submitTransactionAsJson(envelopeBytes: Uint8Array): Promise<unknown> {
    return this.postJson('/tx', { tx: toHex(envelopeBytes) });
  }

  /** Submits several envelopes in one `POST /txs` (a canonical CBOR array of their bytes). */
  submitTransactions(envelopes: readonly Uint8Array[]): Promise<unknown> {
    return this.postBytes('/txs', encodeCanonical([...envelopes]));
  }

  status(): Promise<unknown> {
    return this.getJson('/status');
  }

  async #json(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string | undefined,
  ) {
    const response = await this.#fetch(method, path, body, contentType);
    const text = textOf(await this.#body(response, LIMITS.maxApiAnswerBytes, path));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiClientError(
        'REMOTE_ERROR',
        'the node answered with something that is not JSON',
        response.status,
        path,
      );
    }
  }

  async #fetch(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string | undefined,
  ) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (this.#token !== undefined && method !== 'GET') headers.authorization = `Bearer ${this.#token}`;
    for (let retries = 0; ; retries++) {
      let response: Response;
      try {
        response = await fetch(`${this.#baseUrl}${path}`, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        throw transportError(error, this.#baseUrl, this.#timeoutMs);
      }
      if (response.ok) return response;
      let text: string | undefined;
      try {
        text = textOf(await this.#body(response, LIMITS.maxApiErrorAnswerBytes, path));
      } catch (error) {
        // Too large for an error body: no code of the node's to report.
        if (!isBayledgerError(error, 'MESSAGE_TOO_LARGE')) throw error;
      }
      const error = answerError(response.status, text, path, {
        baseUrl: this.#baseUrl,
        tokenSource: this.#tokenSource,
      });
      const waitMs = notReadyWaitMs(response, error);
      if (waitMs === undefined || retries >= this.#maxNotReadyRetries) throw error;
      // A node that answers NOT_READY did nothing with the request (it is still starting, or at a
      // bound that clears): asking again is safe for a write too, and the body is in memory.
      await sleep(waitMs);
    }
  }

  /** The answer's body within `maxBytes`; a stall or a dropped connection while it arrives fails as fetch would. */
  async #body(response: Response, maxBytes: number, path: string): Promise<Uint8Array> {
    try {
      return await boundedBody(response, maxBytes, path);
    } catch (error) {
      if (error instanceof ApiClientError) throw error;
      throw transportError(error, this.#baseUrl, this.#timeoutMs, 'body');
    }
  }
}

const utf8Decoder = new TextDecoder('utf-8');

function textOf(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/**
 * An answer's body, refused with MESSAGE_TOO_LARGE once it passes `maxBytes`: a wrong --api URL
 * can point at anything, and the CLI must not hold whatever it sends. A declared length past the
 * bound is refused before a byte is read; otherwise the count is kept as the bytes arrive, and
 * leaving the loop cancels the rest of the stream. A body-less answer (204) is empty.
 */
async function boundedBody(response: Response, maxBytes: number, path: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiClientError(
      'MESSAGE_TOO_LARGE',
      `the answer is larger than ${maxBytes} bytes`,
      response.status,
      path,
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let totalBytes = 0;
  for await (const chunk of response.body) {
    totalBytes += chunk.byteLength;
    if (totalBytes > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return concatBytes(...chunks);
}

/**
 * A transport failure as TIMEOUT or UNREACHABLE, its message saying whether it came before the
 * answer's head (`phase` 'head') or while its body arrived ('body', the node having answered).
 */
function transportError(
  error: unknown,
  baseUrl: string,
  timeoutMs: number,
  phase: 'head' | 'body' = 'head',
): ApiClientError {
  // AbortSignal.timeout's reason: fetch rejects with it, and so does reading a body that stalls.
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    const message =
      phase === 'head'
        ? `no answer within ${timeoutMs} ms`
        : `the answer was not complete within ${timeoutMs} ms`;
    return new ApiClientError('TIMEOUT', message, undefined, baseUrl);
  }
  const message =
    phase === 'head'
      ? `cannot reach the node API (${causeMessage(error)})`
      : `the node API's answer was cut off (${causeMessage(error)})`;
  return new ApiClientError('UNREACHABLE', message, undefined, baseUrl);
}

/**
 * How long to wait before asking again, for a node's 503 NOT_READY with Retry-After in seconds
 * (RFC 9110 section 10.2.3), capped at LIMITS.maxApiRetryAfterMs; undefined for any other answer.
 */
function notReadyWaitMs(response: Response, error: ApiClientError): number | undefined {
  if (response.status !== 503 || error.code !== 'NOT_READY') return undefined;
  const seconds = response.headers.get('retry-after');
  if (seconds === null || !/^\d{1,6}$/.test(seconds)) return undefined;
  return Math.min(Number(seconds) * 1000, LIMITS.maxApiRetryAfterMs);
}

function answerError(
  status: number,
  text: string | undefined,
  path: string,
  node: { readonly baseUrl: string; readonly tokenSource: string | undefined },
): ApiClientError {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error =
    typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message =
    typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof code === 'string' && ERROR_CODE_PATTERN.test(code) && typeof message === 'string') {
    // The server is our own node: its codes are ErrorCodes (checked for shape, not membership).
    return answeredError(code as ErrorCode, message.slice(0, MAX_ERROR_MESSAGE_CHARS), status, path, node);
  }
  // Any node of ours answers an error with its JSON error body: the URL is then likely not a
  // node's API (another server on that port), and only the URL tells the user which one.
  return new ApiClientError(
    'REMOTE_ERROR',
    `HTTP ${status} without an error body: ${node.baseUrl} may not be a bayledger node's API`,
    status,
    path,
  );
}
