// Redaction: a log line must never carry a private key, a seed, an API token or any other secret
// (design section 10, team privacy rule). Rather than trusting every call site, the logger checks
// field names: a field named like a secret is replaced by a marker, and the line says which
// fields it withheld, so the mistake is visible in the log without leaking the value.

/** Words that mark a field as secret wherever they appear in its name (case and separators ignored). */
const SECRET_WORDS = [
  'secret',
  'seed',
  'token',
  'password',
  'passphrase',
  'privatekey',
  'privkey',
  'mnemonic',
  'credential',
  'authorization',
  'cookie',
  'bearer',
];

/** Names ending in "key" that hold public keys only; every other "...key" name is treated as secret. */
const PUBLIC_KEY_NAMES = new Set(['publickey', 'publickeys', 'nodekey', 'encryptionkey', 'peerkey']);

export const REDACTED = '[redacted]';

/** True when a field name looks like it carries a key, seed, token or other secret. */
export function isSensitiveFieldName(name: string): boolean {
  const folded = name.toLowerCase().replace(/[^a-z]/g, '');
  if (SECRET_WORDS.some((word) => folded.includes(word))) return true;
  const endsWithKey = folded.endsWith('key') || folded.endsWith('keys');
  return endsWithKey && !PUBLIC_KEY_NAMES.has(folded);
}

/** Deepest nesting the redactor walks; deeper values are replaced rather than logged unchecked. */
const MAX_REDACT_DEPTH = 8;

/**
 * Returns a copy of `value` with every sensitive field replaced by REDACTED, and pushes the
 * dotted path of each one onto `withheld`. It walks what JSON.stringify would write: arrays, the
 * own enumerable fields of any object (a class instance's as well as a plain object's, since
 * JSON.stringify writes both), and the result of an object's toJSON (a Date's text, for one).
 */
export function redactValue(value: unknown, path: string, withheld: string[], depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return '[too deep]';
  // Bytes become bounded hex in the logger's replacer. A Node Buffer's own toJSON would first
  // turn them into an unbounded array of numbers, so a Buffer goes on as a plain Uint8Array view.
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  if (value instanceof Error) return value;
  if (Array.isArray(value))
    return value.map((item, i) => redactValue(item, `${path}[${i}]`, withheld, depth + 1));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let serialised: unknown;
    try {
      serialised = toJSON.call(value, '');
    } catch {
      return '[not serialisable]';
    }
    return redactValue(serialised, path, withheld, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (isSensitiveFieldName(key)) {
      out[key] = REDACTED;
      withheld.push(childPath);
    } else {
      out[key] = redactValue(child, childPath, withheld, depth + 1);
    }
  }
  return out;
}
