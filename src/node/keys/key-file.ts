// Key files (design section 3; format documented in README.md "Key files"). Small JSON, mode 0600:
//
//   node:    { "kind": "node", "org": "sz-cac", "ed25519Seed": "<64 hex>", "x25519Secret": "<64 hex>" }
//   patient: { "kind": "patient", "ed25519Seed": "<64 hex>" }
//
// The Ed25519 seed signs records and votes and derives the libp2p peer id; the X25519 secret
// opens payloads sent to the organisation (design section 9). A patient file holds only the
// patient's signing seed: its public key is the patient's pseudonym on the ledger, and the file
// carries no name or other identifier. API tokens are plain one-line files (src/node/api).
// Secrets never reach a log or the terminal: callers print public keys only (publicKeysOf).
import { randomBytes } from 'node:crypto';
import { toHex } from '../../core/bytes.js';
import { literal, object, type Schema, union } from '../../core/codec/schema.js';
import { withConfigSource } from '../../core/config/config-error.js';
import { configIdSchema, hexBytes } from '../../core/config/json-fields.js';
import { Ed25519Signer, SECRET_SEED_BYTES } from '../../core/crypto/ed25519.js';
import { X25519_KEY_BYTES, x25519KeyPairFromSecret } from '../../core/crypto/x25519.js';
import { fail } from '../../core/errors.js';
import { fileRole } from '../file-read-error.js';
import { readSecretFile, type WriteSecretOptions, writeSecretFile } from './secret-file.js';

export interface NodeKeyFile {
  readonly kind: 'node';
  readonly org: string;
  readonly ed25519Seed: Uint8Array;
  readonly x25519Secret: Uint8Array;
}

export interface PatientKeyFile {
  readonly kind: 'patient';
  readonly ed25519Seed: Uint8Array;
}

export type KeyFile = NodeKeyFile | PatientKeyFile;
export type KeyFileKind = KeyFile['kind'];
export const KEY_FILE_KINDS: readonly KeyFileKind[] = ['node', 'patient'];

const keyFileSchema: Schema<KeyFile> = union<KeyFile>('kind', {
  node: object({
    kind: literal('node'),
    org: configIdSchema,
    ed25519Seed: hexBytes(SECRET_SEED_BYTES),
    x25519Secret: hexBytes(X25519_KEY_BYTES),
  }),
  patient: object({ kind: literal('patient'), ed25519Seed: hexBytes(SECRET_SEED_BYTES) }),
});

/** Fresh keys from node:crypto's CSPRNG (the shell owns randomness; src/core never does). */
export function generateKeyFile(kind: 'node', org: string): NodeKeyFile;
export function generateKeyFile(kind: 'patient'): PatientKeyFile;
export function generateKeyFile(kind: KeyFileKind, org?: string): KeyFile;
export function generateKeyFile(kind: KeyFileKind, org?: string): KeyFile {
  const ed25519Seed = new Uint8Array(randomBytes(SECRET_SEED_BYTES));
  if (kind === 'patient') return { kind, ed25519Seed };
  if (org === undefined) fail('USAGE', 'a node key file needs an organisation id (--org)');
  configIdSchema.parse(org, 'org');
  return { kind, org, ed25519Seed, x25519Secret: new Uint8Array(randomBytes(X25519_KEY_BYTES)) };
}

/** The JSON text of a key file. Contains secrets: only for writeKeyFile. */
function keyFileText(keyFile: KeyFile): string {
  const json =
    keyFile.kind === 'node'
      ? {
          kind: keyFile.kind,
          org: keyFile.org,
          ed25519Seed: toHex(keyFile.ed25519Seed),
          x25519Secret: toHex(keyFile.x25519Secret),
        }
      : { kind: keyFile.kind, ed25519Seed: toHex(keyFile.ed25519Seed) };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Writes a key file with mode 0600 (see secret-file.ts); refuses to overwrite unless asked. */
export async function writeKeyFile(
  path: string,
  keyFile: KeyFile,
  options: WriteSecretOptions = {},
): Promise<void> {
  await writeSecretFile(path, keyFileText(keyFile), { role: 'key', ...options });
}

/**
 * Reads and validates a key file. Refuses group- or world-readable files (KEY_FILE_INSECURE);
 * errors name the file and field (KEY_FILE_INVALID) but never echo its content.
 */
export async function readKeyFile(path: string, source?: string): Promise<KeyFile> {
  const text = await readSecretFile(path, fileRole('key', source));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the text around the error, which here would be key material.
    fail('KEY_FILE_INVALID', 'not valid JSON', path);
  }
  return withConfigSource(path, () => keyFileSchema.parse(json, '$'), 'KEY_FILE_INVALID');
}

/** Public keys of a key file, as lowercase hex: the only part ever printed. */
export interface PublicKeys {
  readonly kind: KeyFileKind;
  readonly org?: string;
  /** Ed25519 public key: the node key of an organisation, the pseudonym of a patient. */
  readonly publicKey: string;
  /** X25519 public key (node key files only): the organisation's encryptionKey in genesis. */
  readonly encryptionKey?: string;
}

export function publicKeysOf(keyFile: KeyFile): PublicKeys {
  const publicKey = toHex(new Ed25519Signer(keyFile.ed25519Seed).publicKey);
  if (keyFile.kind === 'patient') return { kind: 'patient', publicKey };
  return {
    kind: 'node',
    org: keyFile.org,
    publicKey,
    encryptionKey: toHex(x25519KeyPairFromSecret(keyFile.x25519Secret).publicKey),
  };
}
