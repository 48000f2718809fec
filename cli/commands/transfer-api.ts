// How the consent, transfer, audit and demo commands reach a node: `--api URL`, or the node of
// the right role listed in DIR/nodes.json (written by `bayledger up`, default DIR .bayledger/local).
// Writes need the node's bearer token: `--token-file FILE`, or the token file nodes.json names for
// that API URL. Item files are streamed to the node (POST /uploads/sealed), never read whole.
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, fail, isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { ApiClient, ApiClientError, answeredError } from '../../src/node/api/client.js';
import { readApiTokenFile } from '../../src/node/api/token-file.js';
import { fileReadError, statRegularFile } from '../../src/node/file-read-error.js';
import { DEFAULT_NETWORK_DIR } from './up.js';

export { DEFAULT_NETWORK_DIR };

/** What a write's answer may take beyond the node's commit wait (sealing, a loaded machine). */
const WRITE_MARGIN_MS = 30_000;

export interface ApiOptions {
  readonly api?: string;
  readonly dir?: string;
  readonly tokenFile?: string;
}

export interface NodesJsonEntry {
  readonly org: string;
  readonly role: string;
  readonly api: string;
  readonly tokenFile: string;
}

export interface NodeApi {
  readonly url: string;
  readonly client: ApiClient;
  /** Present when a token was found (always, when asked for with `write`). */
  readonly token: string | undefined;
  /** Where the token came from (its file, and the flag or nodes.json that named it), for messages. */
  readonly tokenSource?: string;
}

/** DIR/nodes.json, or undefined when there is none. */
export async function readNodesJson(dir: string): Promise<NodesJsonEntry[] | undefined> {
  const file = path.join(dir, 'nodes.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileReadError(error, file, 'nodes.json') ?? error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail('CONFIG_INVALID', `not JSON (${errorMessage(error)})`, file);
  }
  if (!Array.isArray(parsed)) fail('CONFIG_INVALID', 'expected a list of nodes', file);
  for (const [i, entry] of parsed.entries()) {
    const fields = entry as Partial<Record<keyof NodesJsonEntry, unknown>> | null;
    for (const field of ['org', 'role', 'api', 'tokenFile'] as const) {
      if (typeof fields?.[field] !== 'string')
        fail('CONFIG_INVALID', `[${i}].${field}: expected a string`, file);
    }
  }
  return parsed as NodesJsonEntry[];
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export interface ResolveOptions {
  /** Pick the first node of this role from nodes.json when --api is not given. */
  readonly role?: 'submitter' | 'recipient' | 'validator';
  /** A token is required. */
  readonly write?: boolean;
  readonly timeoutMs?: number;
}

/** The API to talk to, with its token for writes. */
export async function resolveApi(options: ApiOptions, resolve: ResolveOptions = {}): Promise<NodeApi> {
  const dir = options.dir ?? DEFAULT_NETWORK_DIR;
  const nodesFile = path.join(dir, 'nodes.json');
  const nodes = await readNodesJson(path.resolve(dir));
  const needs = resolve.write === true ? '--api URL with --token-file FILE' : '--api URL';
  let url = options.api;
  if (url === undefined) {
    if (nodes === undefined) {
      fail(
        'USAGE',
        `${nodesFile} does not exist: start a local network with \`bayledger up\` (or give its folder with --dir), or give ${needs}`,
      );
    }
    const candidates = nodes.filter((node) => resolve.role === undefined || node.role === resolve.role);
    if (candidates.length === 0) {
      fail(
        'USAGE',
        `no ${resolve.role === undefined ? '' : `${resolve.role} `}node in ${nodesFile}: give ${needs}`,
      );
    }
    url = candidates[0]!.api;
  }
  let tokenFile = options.tokenFile;
  let tokenSource = '--token-file';
  if (tokenFile === undefined) {
    tokenFile = nodes?.find((node) => sameUrl(node.api, url))?.tokenFile;
    tokenSource = `named in ${nodesFile} for ${url}`;
  }
  if (tokenFile === undefined && resolve.write === true) {
    fail(
      'USAGE',
      `give --token-file FILE: the API token of ${url} (${nodes === undefined ? `there is no ${nodesFile}` : `${nodesFile} does not name it`})`,
    );
  }
  // A missing or unreadable token file fails in one line naming it and where it was named (exit 1).
  const token = tokenFile === undefined ? undefined : await readApiTokenFile(tokenFile, tokenSource);
  const described = tokenFile === undefined ? undefined : `${tokenFile} (${tokenSource})`;
  return {
    url,
    token,
    ...(described === undefined ? {} : { tokenSource: described }),
    // A write waits on the node for its commit (up to LIMITS.maxApiCommitWaitMs): the client must
    // wait longer than that, or it would give up just before the answer.
    client: new ApiClient({
      baseUrl: url,
      token,
      ...(described === undefined ? {} : { tokenSource: described }),
      timeoutMs:
        resolve.timeoutMs ??
        (resolve.write === true ? LIMITS.maxApiCommitWaitMs + WRITE_MARGIN_MS : undefined),
    }),
  };
}

/** An item file's role in a message that it cannot be read: named by `transfer declare --item`. */
const ITEM_FILE = { what: 'item', source: '--item' };

/**
 * The size of an item file, checked before anything is sent: one that is missing, unreadable, not
 * a regular file (see statRegularFile) or empty fails naming the path and --item.
 */
async function itemFileSize(file: string): Promise<number> {
  const { size } = await statRegularFile(file, ITEM_FILE);
  if (size === 0) fail('USAGE', 'an item file cannot be empty (--item)', file);
  return size;
}

export interface SealedUploadAnswer {
  readonly sealedUpload: string;
  readonly recipient: string;
  readonly items: readonly { readonly sizeBytes: number; readonly digest: string }[];
}

/** Read size for item files: one payload chunk, so the node seals whole chunks as they arrive. */
const UPLOAD_READ_BYTES = LIMITS.payloadChunkBytes;
/**
 * The item files' read buffer, reused: a fresh megabyte per read (what a read stream allocates)
 * cost a page fault per 4 KiB and garbage to collect. Streaming 300 MB to a local HTTP sink, 3
 * alternating pairs at load 6-12: 1.1 to 2.1 ms of CLI CPU per MB and 22 to 67 page faults per MB
 * with a read stream, 0.7 to 1.0 ms and 1 to 2 with reused buffers (measured with a ring of three,
 * of which only one was ever in use). One is enough: a whole piece is above the socket's
 * high-water mark, so its write asks the writer to wait for 'drain', and by then the socket has
 * taken it (its write's callback ran; 50 pieces of 1 MiB over loopback, none still pending). A
 * shorter piece (a file's end) may still be pending, so the buffer is read into again only after
 * the last write's callback.
 */
class UploadBuffer {
  readonly bytes = Buffer.allocUnsafeSlow(UPLOAD_READ_BYTES);
  #flushed: Promise<void> = Promise.resolve();

  /** True once the last write from the buffer is flushed, false if `settled` comes first. */
  async free(settled: Promise<void>): Promise<boolean> {
    let free = false;
    await Promise.race([this.#flushed.then(() => (free = true)), settled]);
    return free;
  }

  /** Writes the first `length` bytes of the buffer; false when the request asks the writer to wait. */
  write(request: http.ClientRequest, length: number): boolean {
    let flushed!: () => void;
    this.#flushed = new Promise<void>((resolve) => {
      flushed = resolve;
    });
    // The callback runs once the bytes are handed to the socket, or with an error if they never
    // will be (the request is then over, and the buffer is not read into again).
    return request.write(this.bytes.subarray(0, length), () => flushed());
  }
}

/**
 * Streams every file, back to back, to POST /uploads/sealed: the node seals them for `recipient`
 * while they arrive (no plaintext on its disk, one pass). Files are read in chunk-sized pieces and
 * written with back-pressure, so memory stays at a few pieces whatever their size.
 */
export async function uploadSealed(
  api: NodeApi,
  files: readonly string[],
  recipient: string,
): Promise<SealedUploadAnswer> {
  const sizes: number[] = [];
  for (const file of files) {
    sizes.push(await itemFileSize(file));
  }
  const url = new URL(`${api.url.replace(/\/+$/, '')}/uploads/sealed`);
  url.searchParams.set('recipient', recipient);
  url.searchParams.set('sizes', sizes.join(','));
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(sizes.reduce((sum, size) => sum + size, 0)),
      authorization: `Bearer ${api.token ?? ''}`,
    },
  });
  const answer = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  // The node may answer (an error) before the body is through, and then stop reading it: stop
  // sending as soon as an answer (or a failure) comes, and read it.
  let answered = false;
  const settled = answer.then(
    () => {
      answered = true;
    },
    () => {
      answered = true;
    },
  );
  try {
    const buffer = new UploadBuffer();
    for (const [i, file] of files.entries()) {
      if (!answered) await sendFile(request, file, sizes[i]!, buffer, settled, () => answered);
    }
    if (!answered) request.end();
  } catch (error) {
    // A file that changed is our problem: stop. Anything else is the connection failing, most
    // likely because the node refused the upload early: its answer below says why.
    if (isBayledgerError(error)) {
      request.destroy();
      throw error;
    }
  }
  let response: IncomingMessage;
  try {
    response = await answer;
  } catch (error) {
    const cause = errorMessage(error);
    const code = (error as NodeJS.ErrnoException).code;
    // A node that refuses an upload (token, recipient, sizes, too many waiting) answers at once
    // and closes; if the close overtakes its answer, only the reset is left to report.
    const hint =
      code === 'EPIPE' || code === 'ECONNRESET'
        ? ': the node closed the connection, it may have refused the upload (see its log)'
        : '';
    throw new ApiClientError(
      'UNREACHABLE',
      `cannot upload to the node API (${cause})${hint}`,
      undefined,
      api.url,
    );
  }
  let text = '';
  response.setEncoding('utf8');
  for await (const piece of response) text += piece as string;
  // An early answer leaves the body unfinished: the connection cannot be reused.
  if (!request.writableFinished) request.destroy();
  // The node's refusal is of the request (recipient, sizes, token), not of one file: it is placed
  // at the URL, with the files in brackets.
  return answerJson(
    text,
    response.statusCode ?? 0,
    `${url.origin}${url.pathname} (${files.join(', ')})`,
    api,
  ) as SealedUploadAnswer;
}

/**
 * Writes one file into the request with back-pressure; refuses a file that changed size meanwhile.
 * Stops early, without error, once `answered()` (the node answered before reading everything).
 */
async function sendFile(
  request: http.ClientRequest,
  file: string,
  sizeBytes: number,
  buffer: UploadBuffer,
  settled: Promise<void>,
  answered: () => boolean,
): Promise<void> {
  let sent = 0;
  const handle = await open(file, 'r');
  try {
    for (;;) {
      if (!(await buffer.free(settled)) || answered()) return;
      const { bytesRead } = await handle.read(buffer.bytes, 0, buffer.bytes.byteLength, sent);
      if (bytesRead === 0) break;
      sent += bytesRead;
      if (sent > sizeBytes) fail('USAGE', 'the file grew while it was being uploaded', file);
      if (!buffer.write(request, bytesRead)) await Promise.race([once(request, 'drain'), settled]);
      if (answered()) return;
    }
  } finally {
    await handle.close();
  }
  if (sent !== sizeBytes) fail('USAGE', 'the file shrank while it was being uploaded', file);
}

function answerJson(text: string, status: number, where: string, api: NodeApi): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status < 200 || status > 299) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw answeredError(
      (error?.code as ApiClientError['code'] | undefined) ?? 'REMOTE_ERROR',
      error?.message ?? `HTTP ${status}`,
      status,
      where,
      { baseUrl: api.url, tokenSource: api.tokenSource },
    );
  }
  return json;
}

/** Polls `read` until it returns a value (NOT_FOUND counts as "not yet"); fails after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      if (!(error instanceof ApiClientError && error.code === 'NOT_FOUND')) throw error;
    }
    if (performance.now() >= deadline)
      fail('TIMEOUT', `${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}

/** The forms a date option takes, as its usage error says them. */
const DATE_FORMS =
  'expected a date YYYY-MM-DD (00:00 UTC that day) or a date-time with its zone, such as ' +
  '2026-12-31T12:00:00Z or 2026-12-31T12:00:00+08:00';

/** YYYY-MM-DD, or a date-time with Z or +hh:mm/-hh:mm (seconds and their fraction optional). */
const DATE_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2})))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses a date option into integer seconds: `YYYY-MM-DD` is 00:00:00 UTC that day, a date-time
 * must carry its zone (`Z` or `+hh:mm`), and every field must be a real one (no 30 February, no
 * month 13, no hour 24). Anything else (a local time, 12/31/2026, a day Date.parse would roll over
 * into the next month) is a usage error naming the option, the value and the forms it takes.
 */
export function parseDateSeconds(text: string, option: string): number {
  const refuse = (reason?: string): never =>
    fail('USAGE', `${option} ${text}: ${reason === undefined ? '' : `${reason}; `}${DATE_FORMS}`);
  const match = DATE_TEXT.exec(text);
  if (match === null) return refuse();
  const [, y = '', mo = '', d = '', h = '00', mi = '00', s = '00', sign, zh = '00', zm = '00'] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (month < 1 || month > 12) refuse(`no month ${mo}`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) refuse(`no day ${d}: ${y}-${mo} has ${days} days`);
  if (hour > 23) refuse(`no hour ${h} (00 to 23)`);
  if (minute > 59) refuse(`no minute ${mi} (00 to 59)`);
  if (second > 59) refuse(`no second ${s} (00 to 59)`);
  if (Number(zh) > 23 || Number(zm) > 59) refuse(`no zone offset ${sign}${zh}:${zm} (up to ±23:59)`);
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  // setUTCFullYear, not Date.UTC: Date.UTC reads a year below 100 as 1900 + year.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, 0);
  return Math.floor(at.getTime() / 1000) - offsetMinutes * 60;
}

/** commander collector for repeated options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
