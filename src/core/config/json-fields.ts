// Field schemas for the JSON files of a network (genesis, template, node config). JSON has no
// byte strings, so keys are lowercase hex text (the chain CLI contract, see bytes.ts) and are
// turned into bytes here; every failure names the field path, like the codec schemas.

import { parseHex } from '../bytes.js';
import { identifier, type Schema, text } from '../codec/schema.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';

/** Identifiers of organisations, chains and domains ('sz-cac', 'gba-health'). */
export const configIdSchema: Schema<string> = identifier(LIMITS.maxIdentifierChars);

/** Exactly `length` bytes written as lowercase hex. */
export function hexBytes(length: number): Schema<Uint8Array> {
  const description = `${length} bytes hex`;
  return {
    description,
    parse(value, path) {
      const parsed = typeof value === 'string' ? parseHex(value) : undefined;
      if (parsed === undefined || parsed.byteLength !== length) {
        fail('SCHEMA_INVALID', `expected ${length} bytes hex (${2 * length} lowercase hex digits)`, path);
      }
      return parsed;
    },
  };
}

/** ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision: 'HK', 'CN-GD'. */
export const JURISDICTION_PATTERN = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
export const jurisdictionSchema: Schema<string> = text(
  6,
  JURISDICTION_PATTERN,
  'jurisdiction such as HK or CN-GD',
);

/**
 * A public display name of an institution. Printable text only (no control characters), so a
 * name cannot break a log line or a table; length-bounded like every other field.
 */
export const DISPLAY_NAME_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
export const MAX_DISPLAY_NAME_CHARS = 128;
export const displayNameSchema: Schema<string> = text(
  MAX_DISPLAY_NAME_CHARS,
  DISPLAY_NAME_PATTERN,
  'printable name without control characters',
);

/**
 * A libp2p TCP listen or dial address: '/ip4/127.0.0.1/tcp/7100', '/ip6/::1/tcp/7100' or
 * '/dns4/node.example/tcp/7100'. Port 0 is refused: a genesis names where peers are reachable.
 */
export const P2P_ADDRESS_PATTERN =
  /^\/(ip4\/(\d{1,3}\.){3}\d{1,3}|ip6\/[0-9a-fA-F:.]+|dns[46]?\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?)\/tcp\/([1-9]\d{0,4})$/;
export const MAX_P2P_ADDRESS_CHARS = 256;
function inRange(address: string): boolean {
  const parts = address.split('/');
  const port = Number(parts[parts.length - 1]);
  const octetsValid = parts[1] !== 'ip4' || parts[2]!.split('.').every((octet) => Number(octet) <= 255);
  return port <= 65535 && octetsValid;
}
export const p2pAddressSchema: Schema<string> = {
  description: 'libp2p address such as /ip4/127.0.0.1/tcp/7100',
  parse(value, path) {
    if (
      typeof value !== 'string' ||
      value.length > MAX_P2P_ADDRESS_CHARS ||
      !P2P_ADDRESS_PATTERN.test(value) ||
      !inRange(value)
    ) {
      fail('SCHEMA_INVALID', 'expected a libp2p address such as /ip4/127.0.0.1/tcp/7100', path);
    }
    return value;
  },
};
