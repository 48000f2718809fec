// Request bodies, always bounded: the declared Content-Length is checked before a byte is read,
// and the bytes actually received are counted as they arrive, so an oversize body is refused
// with 413 without ever being held in memory (chunked uploads have no declared length).
import type { IncomingMessage } from 'node:http';
import { parseHex } from '../../core/bytes.js';
import { decodeCanonical } from '../../core/codec/canonical.js';
import { fieldOfPath, type Schema } from '../../core/codec/schema.js';
import { bareMessage, errorMessage, fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { ApiRequest } from './types.js';

/** The declared body length, or undefined when the request is chunked or has no body. */
export function declaredContentLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,16}$/.test(header)) fail('REQUEST_MALFORMED', 'Content-Length is not a decimal number');
  return Number(header);
}

function tooLarge(limitBytes: number): never {
  return fail('MESSAGE_TOO_LARGE', `request body exceeds the limit of ${limitBytes} bytes`);
}

export function checkDeclaredLength(request: IncomingMessage, limitBytes: number): void {
  const declared = declaredContentLength(request);
  if (declared !== undefined && declared > limitBytes) tooLarge(limitBytes);
}

/**
 * The body's chunks as they arrive. A client that closes its connection before the body ended
 * (it gave up, or was stopped) makes Node's request fail with ECONNRESET "aborted": the client's
 * doing, so it becomes REQUEST_ABORTED, not an error the server would take for a bug of ours.
 */
async function* chunksOf(request: IncomingMessage): AsyncIterable<Buffer> {
  try {
    yield* request as AsyncIterable<Buffer>;
  } catch (error) {
    if (!request.complete && (error as { code?: unknown } | null)?.code === 'ECONNRESET') {
      fail('REQUEST_ABORTED', 'the client closed the connection before the body ended');
    }
    throw error;
  }
}

/** Reads the whole body, refusing it as soon as more than `limitBytes` have arrived. */
export async function readBodyWithLimit(request: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of chunksOf(request)) {
    receivedBytes += chunk.byteLength;
    if (receivedBytes > limitBytes) tooLarge(limitBytes);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, receivedBytes));
}

/** The body as a stream of chunks that fails once more than `limitBytes` have arrived. */
export async function* limitedBodyStream(
  request: IncomingMessage,
  limitBytes: number,
): AsyncIterable<Uint8Array> {
  let receivedBytes = 0;
  for await (const chunk of chunksOf(request)) {
    receivedBytes += chunk.byteLength;
    if (receivedBytes > limitBytes) tooLarge(limitBytes);
    yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** "application/json; charset=utf-8" -> "application/json". */
export function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** Parses a JSON body; 415 for another media type, 400 for text that is not JSON. */
export function parseJsonBody(request: ApiRequest): unknown {
  if (request.contentType !== 'application/json') {
    fail('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  const text = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString(
    'utf8',
  );
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = errorMessage(error);
    return fail('REQUEST_MALFORMED', `the body is not valid JSON (${reason})`);
  }
}

/**
 * A JSON request body checked against `schema`. Text that is not JSON, or JSON not of the
 * schema's shape, is the request's fault: REQUEST_MALFORMED (400) naming the field ('items[0].upload',
 * none for the body as a whole), never SCHEMA_INVALID, whose 422 is for a transaction that is not
 * valid.
 */
export function parseJsonBodyAs<T>(request: ApiRequest, schema: Schema<T>): T {
  const json = parseJsonBody(request);
  try {
    return schema.parse(json, '$');
  } catch (error) {
    if (!isBayledgerError(error, 'SCHEMA_INVALID')) throw error;
    const field = fieldOfPath(error.where ?? '$');
    return fail('REQUEST_MALFORMED', bareMessage(error), field === '' ? undefined : field);
  }
}

/**
 * A submitted transaction: either its canonical envelope bytes as application/cbor, or JSON
 * `{ "tx": "<lowercase hex of those bytes>" }`. Decoding and validating the envelope is the
 * caller's job (400 for malformed CBOR, 422 for an invalid transaction).
 */
export function readTransactionBody(request: ApiRequest): Uint8Array {
  let bytes: Uint8Array;
  if (request.contentType === 'application/cbor') {
    bytes = request.body;
  } else if (request.contentType === 'application/json') {
    const json = parseJsonBody(request);
    const hex = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).tx : undefined;
    const keys = typeof json === 'object' && json !== null ? Object.keys(json) : [];
    if (typeof hex !== 'string' || keys.length !== 1) {
      fail('REQUEST_MALFORMED', 'expected a JSON object { "tx": "<hex>" } and nothing else');
    }
    const parsed = parseHex(hex);
    if (parsed === undefined) fail('REQUEST_MALFORMED', 'tx is not lowercase hex', 'tx');
    bytes = parsed;
  } else {
    return fail('UNSUPPORTED_MEDIA_TYPE', 'send the transaction as application/cbor or application/json');
  }
  checkTransactionSize(bytes, 'tx');
  return bytes;
}

function checkTransactionSize(bytes: Uint8Array, where: string): void {
  if (bytes.byteLength === 0) fail('REQUEST_MALFORMED', 'the transaction is empty', where);
  if (bytes.byteLength > LIMITS.maxTxBytes) {
    fail(
      'MESSAGE_TOO_LARGE',
      `a transaction has at most ${LIMITS.maxTxBytes} bytes, got ${bytes.byteLength}`,
      where,
    );
  }
}

/**
 * A batch of submitted transactions (`POST /txs`): a canonical CBOR array of the envelopes' bytes
 * as application/cbor, or JSON `{ "txs": ["<hex>", ...] }`. At most LIMITS.maxTxsPerSubmission;
 * each envelope is then decoded and checked on its own, so one bad transaction refuses only itself.
 */
export function readTransactionBatchBody(request: ApiRequest): Uint8Array[] {
  let items: unknown[];
  if (request.contentType === 'application/cbor') {
    const value = decodeCanonical(request.body);
    if (!Array.isArray(value)) fail('REQUEST_MALFORMED', 'expected a CBOR array of transaction byte strings');
    items = value;
  } else if (request.contentType === 'application/json') {
    const json = parseJsonBody(request);
    const list =
      typeof json === 'object' && json !== null ? (json as Record<string, unknown>).txs : undefined;
    const keys = typeof json === 'object' && json !== null ? Object.keys(json) : [];
    if (!Array.isArray(list) || keys.length !== 1) {
      fail('REQUEST_MALFORMED', 'expected a JSON object { "txs": ["<hex>", ...] } and nothing else');
    }
    items = list.map((hex: unknown, index) => {
      const parsed = typeof hex === 'string' ? parseHex(hex) : undefined;
      if (parsed === undefined) fail('REQUEST_MALFORMED', 'not lowercase hex', `txs[${index}]`);
      return parsed;
    });
  } else {
    return fail('UNSUPPORTED_MEDIA_TYPE', 'send the transactions as application/cbor or application/json');
  }
  if (items.length === 0) fail('REQUEST_MALFORMED', 'the batch is empty');
  if (items.length > LIMITS.maxTxsPerSubmission) {
    fail(
      'MESSAGE_TOO_LARGE',
      `a batch has at most ${LIMITS.maxTxsPerSubmission} transactions, got ${items.length}`,
    );
  }
  return items.map((item, index) => {
    if (!(item instanceof Uint8Array)) fail('REQUEST_MALFORMED', 'expected a byte string', `txs[${index}]`);
    checkTransactionSize(item, `txs[${index}]`);
    return item;
  });
}
