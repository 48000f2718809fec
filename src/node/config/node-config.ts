// node.json: how one organisation's node runs on one machine (which organisation, where its data,
// keys and genesis are, where it listens). Written by `network init`, read by `node start`.
// Relative paths are resolved against the directory of node.json, so a network folder can be
// moved as a whole. Errors name the file and field: 'a/node.json: apiPort: expected integer ...'.
//
//   {
//     "org": "sz-cac", "role": "validator",
//     "dataDir": "data", "genesis": "../genesis.json",
//     "keyFile": "node.key", "apiTokenFile": "api.token",
//     "p2pListen": "/ip4/127.0.0.1/tcp/7100",
//     "apiHost": "127.0.0.1", "apiPort": 7101
//   }
//
// Optional: "diskReserveBytes", the free disk kept for the ledger (LIMITS.diskReserveBytes), and
// "peerAddresses", where this node dials a peer when that is not the genesis's p2pAddress:
//   "peerAddresses": { "hk-health": "/ip4/10.8.0.4/tcp/7100" }
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { literal, object, optional, type Schema, text, uint } from '../../core/codec/schema.js';
import { withConfigSource } from '../../core/config/config-error.js';
import type { OrganisationRole } from '../../core/config/genesis.js';
import { configIdSchema, p2pAddressSchema } from '../../core/config/json-fields.js';
import { parseJsonText } from '../../core/config/json-text.js';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { type FileRole, fileReadError } from '../file-read-error.js';

/** node.json as written on disk. */
export interface NodeConfigJson {
  readonly org: string;
  readonly role: OrganisationRole;
  readonly dataDir: string;
  readonly genesis: string;
  readonly keyFile: string;
  readonly apiTokenFile: string;
  readonly p2pListen: string;
  readonly apiHost: string;
  readonly apiPort: number;
  /**
   * Free disk kept for the ledger: payload uploads and seals that would leave less are refused,
   * and fetches wait for room (transfer-service/disk-room.ts). Default LIMITS.diskReserveBytes.
   */
  readonly diskReserveBytes?: number;
  /**
   * Where this node dials a peer, by organisation, when the address in the genesis is not the one
   * to use from here: a peer reached over a private link, through NAT, or a relay on this machine.
   * Only the dialling changes: the peer is still known by its genesis key (the connection gater
   * and the Noise handshake check that), and it still dials us at our genesis address.
   */
  readonly peerAddresses?: Readonly<Record<string, string>>;
}

/** node.json after loading: every path absolute. */
export interface NodeConfig extends NodeConfigJson {
  /** Absolute path of the node.json this came from. */
  readonly configPath: string;
}

const MAX_PATH_CHARS = 4096;
/** Any path text except NUL, which no file system accepts. */
const pathSchema = text(MAX_PATH_CHARS, /^[^\0]+$/, 'file path');

const apiHostSchema: Schema<string> = {
  description: 'IP address or localhost',
  parse(value, where) {
    if (typeof value !== 'string' || (value !== 'localhost' && isIP(value) === 0)) {
      fail('SCHEMA_INVALID', 'expected an IP address such as 127.0.0.1, or localhost', where);
    }
    return value;
  },
};

/** An object from organisation id to libp2p address; which ids exist is checked against the genesis. */
const peerAddressesSchema: Schema<Record<string, string>> = {
  description: 'object from organisation id to libp2p address',
  parse(value, where) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail('SCHEMA_INVALID', 'expected an object such as { "hk-health": "/ip4/10.8.0.4/tcp/7100" }', where);
    }
    const entries = Object.entries(value);
    if (entries.length > LIMITS.maxOrganisations) {
      fail('SCHEMA_INVALID', `more than ${LIMITS.maxOrganisations} entries`, where);
    }
    const parsed: Record<string, string> = {};
    for (const [org, address] of entries) {
      configIdSchema.parse(org, `${where}: key ${JSON.stringify(org.slice(0, 80))}`);
      parsed[org] = p2pAddressSchema.parse(address, `${where}.${org}`);
    }
    return parsed;
  },
};

export const nodeConfigSchema: Schema<NodeConfigJson> = object({
  org: configIdSchema,
  role: literal('validator', 'submitter', 'recipient'),
  dataDir: pathSchema,
  genesis: pathSchema,
  keyFile: pathSchema,
  apiTokenFile: pathSchema,
  p2pListen: p2pAddressSchema,
  apiHost: apiHostSchema,
  apiPort: uint(65535, 1),
  diskReserveBytes: optional(uint(LIMITS.maxDiskReserveBytes)),
  peerAddresses: optional(peerAddressesSchema),
});

/** Validates a node.json value and resolves its paths against `configPath`'s directory. */
export function parseNodeConfig(json: unknown, configPath: string): NodeConfig {
  const parsed = withConfigSource(configPath, () => nodeConfigSchema.parse(json, '$'));
  const absoluteConfigPath = path.resolve(configPath);
  const base = path.dirname(absoluteConfigPath);
  return {
    ...parsed,
    dataDir: path.resolve(base, parsed.dataDir),
    genesis: path.resolve(base, parsed.genesis),
    keyFile: path.resolve(base, parsed.keyFile),
    apiTokenFile: path.resolve(base, parsed.apiTokenFile),
    configPath: absoluteConfigPath,
  };
}

/** Reads node.json; missing or unreadable files fail with the path in the message. */
export async function loadNodeConfig(configPath: string): Promise<NodeConfig> {
  return parseNodeConfig(
    parseJsonText(await readConfigText(configPath, 'node config'), configPath),
    configPath,
  );
}

/** Where a path of node.json came from, for a message that the file cannot be read. */
export function configFieldSource(config: NodeConfig, field: 'genesis' | 'keyFile' | 'apiTokenFile'): string {
  return `"${field}" in ${config.configPath}`;
}

/**
 * Reads a (public) configuration file as text, bounded by LIMITS.maxConfigBytes. `what` names the
 * file in a message that it cannot be read (see fileReadError): 'node config', 'genesis', or a
 * role with where its path came from ({ what: 'genesis', source: '--genesis' }).
 */
export async function readConfigText(filePath: string, what: FileRole | string = 'config'): Promise<string> {
  let content: Buffer;
  try {
    content = await readFile(filePath);
  } catch (error) {
    throw fileReadError(error, filePath, what) ?? error;
  }
  if (content.byteLength > LIMITS.maxConfigBytes) {
    fail('CONFIG_INVALID', `larger than the limit of ${LIMITS.maxConfigBytes} bytes`, filePath);
  }
  return content.toString('utf8');
}
