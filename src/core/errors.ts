// Typed errors for everything a peer or a user can cause (Lodestar style): a stable machine-readable
// code plus a message that names what was wrong and where. Broken invariants of our own code are
// not errors of this kind: they go through `assert`, which crashes.

export type ErrorCode =
  // codec
  | 'CBOR_MALFORMED'
  | 'CBOR_NON_CANONICAL'
  | 'CBOR_TRAILING_BYTES'
  | 'CBOR_DUPLICATE_KEY'
  | 'CBOR_TOO_LARGE'
  | 'CBOR_FORBIDDEN_TYPE'
  | 'SCHEMA_INVALID'
  // crypto
  | 'SIGNATURE_INVALID'
  | 'KEY_INVALID'
  | 'KEY_FILE_INSECURE'
  | 'KEY_FILE_INVALID'
  // records and ledger
  | 'RECORD_INVALID'
  | 'SIGNER_UNKNOWN'
  | 'BLOCK_INVALID'
  | 'CERTIFICATE_INVALID'
  | 'NOT_FOUND'
  // configuration and I/O
  | 'CONFIG_INVALID'
  | 'DATABASE_LOCKED'
  | 'DATABASE_CORRUPT'
  // a durable write to the node's store failed (a full or failing disk): the node stops
  | 'STORE_FAILED'
  // the node's disk has no room for a payload beside the space kept for its ledger
  | 'INSUFFICIENT_STORAGE'
  | 'PROOF_INVALID'
  | 'PEER_UNKNOWN'
  | 'MESSAGE_TOO_LARGE'
  // network and local API
  | 'FRAME_MALFORMED'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'REMOTE_ERROR'
  | 'CLOSED'
  | 'UNAUTHORIZED'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_MALFORMED'
  // the client closed its connection before its request's body ended
  | 'REQUEST_ABORTED'
  | 'MEMPOOL_FULL'
  | 'NOT_READY'
  | 'INTERNAL'
  // a bounded queue is full: the caller should slow down and retry
  | 'OVERLOADED'
  // files the CLI and node write: refuse to overwrite a key or config file unless asked
  | 'FILE_EXISTS'
  // a file the CLI writes cannot be written (permission, a read-only disk, a missing folder)
  | 'FILE_UNWRITABLE'
  | 'USAGE';

export class BayledgerError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: a field path, a file, a byte offset, a height. */
  readonly where: string | undefined;

  constructor(code: ErrorCode, message: string, where?: string) {
    super(where === undefined ? message : `${where}: ${message}`);
    this.name = 'BayledgerError';
    this.code = code;
    this.where = where;
  }
}

/** The message without the "where: " prefix BayledgerError adds, to raise it again elsewhere. */
export function bareMessage(error: BayledgerError): string {
  const prefix = error.where === undefined ? '' : `${error.where}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

export function fail(code: ErrorCode, message: string, where?: string): never {
  throw new BayledgerError(code, message, where);
}

export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`invariant broken: ${message}`);
    this.name = 'AssertionFailure';
  }
}

/** Asserts an invariant of our own code. A failure is a bug: crash rather than continue. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

/** The message of a thrown value, for an error text or reply (anything can be thrown in JS). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The message of what caused a thrown value (its `cause` when that is an Error, as Node's fetch
 * throws `TypeError('fetch failed')` with the socket error as its cause), or the value as a string.
 */
export function causeMessage(error: unknown): string {
  return error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
}

export function isBayledgerError(error: unknown, code?: ErrorCode): error is BayledgerError {
  return error instanceof BayledgerError && (code === undefined || error.code === code);
}
