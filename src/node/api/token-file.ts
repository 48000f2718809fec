// The API token lives in a file beside the node config, readable by its owner only (0600), like
// the key files. Reading refuses a file that group or others can read.
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { fail } from '../../core/errors.js';
import { MIN_API_TOKEN_CHARS } from './auth.js';

const TOKEN_BYTES = 32;
const OWNER_ONLY_MODE = 0o600;
/** A token file is one line; anything larger is not a token file. */
const MAX_TOKEN_FILE_BYTES = 1024;

/** A fresh random token: 32 bytes as 64 lowercase hex characters. */
export function generateApiToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

/** Writes a new token file with mode 0600; refuses to overwrite an existing file. */
export async function writeApiTokenFile(path: string, token: string = generateApiToken()): Promise<string> {
  await writeFile(path, `${token}\n`, { mode: OWNER_ONLY_MODE, flag: 'wx' });
  return token;
}

export async function readApiTokenFile(path: string): Promise<string> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    fail(
      'KEY_FILE_INSECURE',
      `mode ${(info.mode & 0o777).toString(8)} lets others read it; run chmod 600`,
      path,
    );
  }
  if (info.size > MAX_TOKEN_FILE_BYTES) fail('KEY_FILE_INVALID', 'too large for a token file', path);
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < MIN_API_TOKEN_CHARS || /\s/.test(token)) {
    fail('KEY_FILE_INVALID', `a token has at least ${MIN_API_TOKEN_CHARS} characters and no spaces`, path);
  }
  return token;
}
