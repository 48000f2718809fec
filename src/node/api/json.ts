// JSON for API answers: byte strings become lowercase hex (the chain CLI contract) and bigints
// become decimal strings, so handlers can return decoded records as they are.
import { toHex } from '../../core/bytes.js';

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, replacer);
}
