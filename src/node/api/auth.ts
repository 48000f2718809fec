// Bearer tokens (RFC 6750 section 2.1) for writes. Both sides are hashed before the comparison
// so `timingSafeEqual` always compares 32 bytes: the time taken reveals neither the token's
// content nor its length.
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail } from '../../core/errors.js';

/** Tokens shorter than this are refused at startup: a guessable token protects nothing. */
export const MIN_API_TOKEN_CHARS = 32;
const BEARER_PREFIX = /^Bearer +/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class BearerTokenCheck {
  readonly #expectedDigest: Buffer;

  constructor(token: string) {
    if (token.length < MIN_API_TOKEN_CHARS || token.trim() !== token) {
      fail(
        'CONFIG_INVALID',
        `the API token must have at least ${MIN_API_TOKEN_CHARS} characters and no spaces`,
      );
    }
    this.#expectedDigest = digest(token);
  }

  /** Throws UNAUTHORIZED unless the header carries the token. */
  check(authorization: string | undefined): void {
    if (authorization === undefined || !BEARER_PREFIX.test(authorization)) {
      fail('UNAUTHORIZED', 'this request needs an Authorization: Bearer <token> header');
    }
    const presented = authorization.replace(BEARER_PREFIX, '').trim();
    if (!timingSafeEqual(digest(presented), this.#expectedDigest)) {
      fail('UNAUTHORIZED', 'the bearer token is not valid for this node');
    }
  }

  /** Keeps the token out of logs and JSON dumps. */
  toJSON(): string {
    return '[bearer token check]';
  }
}
