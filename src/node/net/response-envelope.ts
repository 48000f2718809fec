// The answer on a request stream: one status byte, then either the handler's bytes (0x00) or a
// canonical CBOR `{ code, message }` (0x01). The status byte keeps the big path (a block-sync
// answer of several MiB) out of the CBOR codec entirely. An error answer reaches the caller as
// REMOTE_ERROR carrying the peer's code, which is the peer's claim and is checked for shape only.
import { decodeCanonical, encodeCanonical, object, text } from '../../core/codec/index.js';
import { BayledgerError, fail } from '../../core/errors.js';

const STATUS_OK = 0x00;
const STATUS_ERROR = 0x01;
const REMOTE_CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;
const MAX_REMOTE_MESSAGE_CHARS = 1024;
/** Bytes an error answer may take: the status byte and a small CBOR map. */
const MAX_ERROR_ANSWER_BYTES = 4 * MAX_REMOTE_MESSAGE_CHARS + 128;

const errorSchema = object({
  code: text(64, REMOTE_CODE_PATTERN, 'an error code'),
  message: text(MAX_REMOTE_MESSAGE_CHARS),
});

export class RemoteError extends BayledgerError {
  /** The code the peer answered with, e.g. NOT_FOUND. */
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string, where: string) {
    super('REMOTE_ERROR', `${remoteCode}: ${message}`, where);
    this.name = 'RemoteError';
    this.remoteCode = remoteCode;
  }
}

/** The frame a request handler's bytes travel in; the frame limit on the caller's side covers it. */
export function encodeOkResponse(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = STATUS_OK;
  out.set(body, 1);
  return out;
}

export function encodeErrorResponse(code: string, message: string): Uint8Array {
  const encoded = encodeCanonical({ code, message: message.slice(0, MAX_REMOTE_MESSAGE_CHARS) });
  const out = new Uint8Array(encoded.byteLength + 1);
  out[0] = STATUS_ERROR;
  out.set(encoded, 1);
  return out;
}

/** The frame limit a caller reads an answer with: an ok body of `maxBodyBytes`, or any error answer. */
export function maxResponseFrameBytes(maxBodyBytes: number): number {
  return Math.max(maxBodyBytes + 1, MAX_ERROR_ANSWER_BYTES);
}

/**
 * The body of an ok answer (a view, no copy); throws RemoteError for an error answer, and a
 * decode error (the peer's fault) for garbage or an ok body over `maxBodyBytes`.
 */
export function decodeResponse(frame: Uint8Array, maxBodyBytes: number, where: string): Uint8Array {
  if (frame.byteLength === 0) fail('SCHEMA_INVALID', 'an empty answer', 'response');
  if (frame[0] === STATUS_OK) {
    if (frame.byteLength - 1 > maxBodyBytes) {
      fail(
        'MESSAGE_TOO_LARGE',
        `answer of ${frame.byteLength - 1} bytes exceeds ${maxBodyBytes}`,
        'response',
      );
    }
    return frame.subarray(1);
  }
  if (frame[0] !== STATUS_ERROR) fail('SCHEMA_INVALID', `unknown answer status ${frame[0]}`, 'response');
  const error = errorSchema.parse(
    decodeCanonical(frame.subarray(1), MAX_ERROR_ANSWER_BYTES),
    'response.error',
  );
  throw new RemoteError(error.code, error.message, where);
}
