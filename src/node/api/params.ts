// Path and query parameters of the API routes, checked where they are read so a bad one is a
// REQUEST_MALFORMED answer naming the parameter.
import { parseHex } from '../../core/bytes.js';
import { fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { idSchema } from '../../core/records/fields.js';

/** A SHA-256 digest (transaction, consent or transfer id) as 64 lowercase hex characters. */
export function digestParam(text: string | undefined, name: string): Uint8Array {
  const bytes = text === undefined ? undefined : parseHex(text);
  if (bytes === undefined || bytes.byteLength !== 32)
    fail('REQUEST_MALFORMED', 'expected 64 lowercase hex characters', name);
  return bytes;
}

/**
 * An id (an organisation, as in `recipient=ehealth-hk`) given as a query parameter: lowercase
 * letters, digits, . _ : -, at most LIMITS.maxIdentifierChars. A missing or other one is a
 * malformed request (400), as for every parameter: not 422, which is for an invalid transaction.
 */
export function idParam(text: string | null | undefined, name: string): string {
  try {
    // The ids a record holds (idSchema), so the parameter and the record never disagree.
    return idSchema.parse(text ?? undefined, name);
  } catch (error) {
    if (!isBayledgerError(error)) throw error;
    return fail(
      'REQUEST_MALFORMED',
      `expected an identifier (lowercase letters, digits, . _ : -; at most ${LIMITS.maxIdentifierChars} characters)`,
      name,
    );
  }
}
