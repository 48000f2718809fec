// JSON for API answers: byte strings become lowercase hex (the chain CLI contract) and bigints
// become decimal strings, so handlers can return decoded records as they are.
import { toHex } from '../../core/bytes.js';

/**
 * The holder's own value is read (`this[key]`), not the one passed in: JSON.stringify hands the
 * replacer a Node Buffer already turned into `{ type: 'Buffer', data: [...] }` by its toJSON.
 */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const own = (this as Record<string, unknown>)[key];
  if (own instanceof Uint8Array) return toHex(own);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, replacer);
}
