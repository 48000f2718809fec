// The HTTP status for each error code (RFC 9110 section 15). A handler throws a BayledgerError
// and the server answers `{ error: { code, message } }` with the status below; a code not listed
// here, or an error that is not a BayledgerError, is a bug: 500, logged with its stack. One
// exception: a file-system write the disk refused for want of space (ENOSPC, EDQUOT) is the
// node's disk, not a bug, and answers 507 saying so.
import { type ErrorCode, isBayledgerError } from '../../core/errors.js';
import { errnoOf } from '../file-read-error.js';
import type { ApiErrorBody } from './types.js';

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  // 400: the request itself cannot be parsed.
  REQUEST_MALFORMED: 400,
  // Nobody reads this answer (the connection is gone); the code keeps the error out of the bugs.
  REQUEST_ABORTED: 400,
  USAGE: 400,
  CBOR_MALFORMED: 400,
  CBOR_NON_CANONICAL: 400,
  CBOR_TRAILING_BYTES: 400,
  CBOR_DUPLICATE_KEY: 400,
  CBOR_FORBIDDEN_TYPE: 400,
  CBOR_TOO_LARGE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  MESSAGE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // 422: well-formed, but not a valid transaction (RFC 9110 section 15.5.21).
  SCHEMA_INVALID: 422,
  RECORD_INVALID: 422,
  SIGNATURE_INVALID: 422,
  SIGNER_UNKNOWN: 422,
  KEY_INVALID: 422,
  MEMPOOL_FULL: 429,
  NOT_READY: 503,
  // 507: the node's disk has no room for what was sent (RFC 4918 section 11.5).
  INSUFFICIENT_STORAGE: 507,
};

/** The status for a code, or undefined when the code means a bug (answered with 500). */
export function httpStatusFor(code: ErrorCode): number | undefined {
  return STATUS_BY_CODE[code];
}

export interface ErrorAnswer {
  readonly status: number;
  readonly body: ApiErrorBody;
  /** True when the error is a bug that the server must log with its stack. */
  readonly isBug: boolean;
}

export function errorAnswer(error: unknown): ErrorAnswer {
  if (isBayledgerError(error)) {
    const status = httpStatusFor(error.code);
    if (status !== undefined) {
      return { status, body: { error: { code: error.code, message: error.message } }, isBug: false };
    }
  }
  const errno = errnoOf(error);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    // Without Node's words, which name the node's own files.
    const message = "the node's disk is full: free space on the node and try again";
    return { status: 507, body: { error: { code: 'INSUFFICIENT_STORAGE', message } }, isBug: false };
  }
  // Never echo an internal message: it may name files or state the client has no business seeing.
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, isBug: true };
}
