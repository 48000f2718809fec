// The API token lives in a file beside the node config, readable by its owner only (0600), like
// the key files, and is written and read by the same code (keys/secret-file.ts): created 0600
// before the token is in it, synced, and refused when group or others can read it.
import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.js';
import { fileRole } from '../file-read-error.js';
import { readSecretFile, writeSecretFile } from '../keys/secret-file.js';
import { MIN_API_TOKEN_CHARS } from './auth.js';

const TOKEN_BYTES = 32;
/** A token file is one line; anything larger is not a token file. */
const MAX_TOKEN_FILE_BYTES = 1024;

/** A fresh random token: 32 bytes as 64 lowercase hex characters. */
export function generateApiToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

/** Writes a new token file with mode 0600; refuses to overwrite an existing file (FILE_EXISTS). */
export async function writeApiTokenFile(path: string, token: string = generateApiToken()): Promise<string> {
  await writeSecretFile(path, `${token}\n`, { role: 'token' });
  return token;
}

/**
 * Reads a token file. `source` says where its path came from ('--token-file'), added to a message
 * that it cannot be read. A path that is not a regular file is a
 * configuration mistake (CONFIG_INVALID), as for every other file a user names; a token too short
 * or with spaces in it is KEY_FILE_INVALID.
 */
export async function readApiTokenFile(path: string, source?: string): Promise<string> {
  const text = await readSecretFile(path, fileRole('token', source), {
    notFileCode: 'CONFIG_INVALID',
    maxBytes: MAX_TOKEN_FILE_BYTES,
  });
  const token = text.trim();
  if (token.length < MIN_API_TOKEN_CHARS || /\s/.test(token)) {
    fail('KEY_FILE_INVALID', `a token has at least ${MIN_API_TOKEN_CHARS} characters and no spaces`, path);
  }
  return token;
}
