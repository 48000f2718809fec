// Path and query parameters of the API routes, checked where they are read so a bad one is a
// REQUEST_MALFORMED answer naming the parameter.
import { parseHex } from '../../core/bytes.js';
import { fail } from '../../core/errors.js';

/** A SHA-256 digest (transaction, consent or transfer id) as 64 lowercase hex characters. */
export function digestParam(text: string | undefined, name: string): Uint8Array {
  const bytes = text === undefined ? undefined : parseHex(text);
  if (bytes === undefined || bytes.byteLength !== 32)
    fail('REQUEST_MALFORMED', 'expected 64 lowercase hex characters', name);
  return bytes;
}
