// Key files (src/node/keys): written 0600 before any secret byte exists, never overwritten by
// accident, refused when group or others can read them, and validated without echoing secrets.
import { strict as assert } from 'node:assert';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { Ed25519Signer, x25519KeyPairFromSecret } from '../../src/core/crypto/index.js';
import { BayledgerError, type ErrorCode } from '../../src/core/errors.js';
import {
  generateKeyFile,
  type NodeKeyFile,
  publicKeysOf,
  readKeyFile,
  readSecretFile,
  writeKeyFile,
  writeSecretFile,
} from '../../src/node/keys/index.js';
import { useTempDir } from '../helpers/temp-dir.js';

async function expectRejection(
  promise: Promise<unknown>,
  code: ErrorCode,
  messagePart: string,
): Promise<BayledgerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BayledgerError, String(error));
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(messagePart), `"${error.message}" lacks "${messagePart}"`);
    return error;
  }
  return assert.fail(`expected ${code}`);
}

describe('keys: key files', () => {
  const temp = useTempDir('bayledger-keys-', 'each');

  it('writes a node key file with mode 0600 and reads it back', async () => {
    const file = path.join(temp.path, 'node.key');
    const keys = generateKeyFile('node', 'sz-cac');
    await writeKeyFile(file, keys);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepStrictEqual(await readKeyFile(file), keys);
    const json = JSON.parse(await readFile(file, 'utf8'));
    assert.deepStrictEqual(Object.keys(json), ['kind', 'org', 'ed25519Seed', 'x25519Secret']);
    assert.equal(json.ed25519Seed, toHex(keys.ed25519Seed));
  });

  it('writes 0600 even under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      const file = path.join(temp.path, 'patient.key');
      await writeKeyFile(file, generateKeyFile('patient'));
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('refuses to overwrite unless asked, and then tightens an existing lax mode', async () => {
    const file = path.join(temp.path, 'node.key');
    await writeKeyFile(file, generateKeyFile('node', 'qianhai'));
    await expectRejection(writeKeyFile(file, generateKeyFile('node', 'qianhai')), 'FILE_EXISTS', '--force');
    await chmod(file, 0o644);
    const replacement = generateKeyFile('patient');
    await writeKeyFile(file, replacement, { overwrite: true });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepStrictEqual(await readKeyFile(file), replacement);
  });

  for (const mode of [0o640, 0o604, 0o644, 0o660, 0o666]) {
    it(`refuses to read a key file of mode ${mode.toString(8)}, saying how to fix it`, async () => {
      const file = path.join(temp.path, 'node.key');
      await writeKeyFile(file, generateKeyFile('node', 'sz-health'));
      await chmod(file, mode);
      const error = await expectRejection(readKeyFile(file), 'KEY_FILE_INSECURE', `chmod 600 ${file}`);
      assert.ok(error.message.includes(file) && error.message.includes(mode.toString(8)), error.message);
    });
  }

  it('accepts a stricter mode such as 0400', async () => {
    const file = path.join(temp.path, 'node.key');
    const keys = generateKeyFile('patient');
    await writeKeyFile(file, keys);
    await chmod(file, 0o400);
    assert.deepStrictEqual(await readKeyFile(file), keys);
  });

  it('names the file and field of a bad key file without echoing its content', async () => {
    const file = path.join(temp.path, 'node.key');
    const secretLooking = 'ab'.repeat(31);
    await writeFile(
      file,
      JSON.stringify({
        kind: 'node',
        org: 'sz-cac',
        ed25519Seed: secretLooking,
        x25519Secret: 'cd'.repeat(32),
      }),
      {
        mode: 0o600,
      },
    );
    const error = await expectRejection(
      readKeyFile(file),
      'KEY_FILE_INVALID',
      `${file}: ed25519Seed: expected 32 bytes hex`,
    );
    assert.ok(!error.message.includes(secretLooking));
  });

  it('does not quote the content of a key file that is not JSON', async () => {
    const file = path.join(temp.path, 'node.key');
    await writeFile(file, '{"ed25519Seed": "0123456789abcdef', { mode: 0o600 });
    const error = await expectRejection(readKeyFile(file), 'KEY_FILE_INVALID', 'not valid JSON');
    assert.ok(!error.message.includes('0123456789abcdef'), error.message);
  });

  it('refuses unknown kinds and unknown fields', async () => {
    const file = path.join(temp.path, 'k.key');
    await writeFile(file, JSON.stringify({ kind: 'wallet', seed: '00' }), { mode: 0o600 });
    await expectRejection(readKeyFile(file), 'KEY_FILE_INVALID', `${file}: kind: unknown kind wallet`);
    await writeFile(file, JSON.stringify({ kind: 'patient', ed25519Seed: '00'.repeat(32), name: 'x' }), {
      mode: 0o600,
    });
    await expectRejection(readKeyFile(file), 'KEY_FILE_INVALID', `${file}: name: unknown field`);
  });

  it('reports a missing file as NOT_FOUND naming it', async () => {
    const file = path.join(temp.path, 'absent.key');
    await expectRejection(readSecretFile(file), 'NOT_FOUND', file);
  });

  it('reads a secret file of exactly its size limit and refuses one byte more', async () => {
    const file = path.join(temp.path, 'sized.secret');
    await writeFile(file, 'x'.repeat(100), { mode: 0o600 });
    assert.equal((await readSecretFile(file, 'secret', { maxBytes: 100 })).length, 100);
    await writeFile(file, 'x'.repeat(101), { mode: 0o600 });
    await expectRejection(
      readSecretFile(file, 'secret', { maxBytes: 100 }),
      'KEY_FILE_INVALID',
      `${file}: 101 bytes`,
    );
  });

  it('words a write error other than an existing file, without calling it FILE_EXISTS', async () => {
    const file = path.join(temp.path, 'no-such-folder', 'k.key');
    await expectRejection(
      writeSecretFile(file, 'secret', { role: 'key' }),
      'FILE_UNWRITABLE',
      `${file}: cannot write the key file: its folder does not exist (ENOENT)`,
    );
  });

  it('derives the public keys that go into genesis, and only those', () => {
    const keys = generateKeyFile('node', 'hk-health') as NodeKeyFile;
    const published = publicKeysOf(keys);
    assert.deepStrictEqual(published, {
      kind: 'node',
      org: 'hk-health',
      publicKey: toHex(new Ed25519Signer(keys.ed25519Seed).publicKey),
      encryptionKey: toHex(x25519KeyPairFromSecret(keys.x25519Secret).publicKey),
    });
    const printed = JSON.stringify(published);
    assert.ok(!printed.includes(toHex(keys.ed25519Seed)) && !printed.includes(toHex(keys.x25519Secret)));
  });

  it('generates distinct keys each time and requires an organisation for node keys', () => {
    assert.notDeepStrictEqual(generateKeyFile('patient').ed25519Seed, generateKeyFile('patient').ed25519Seed);
    assert.throws(() => generateKeyFile('node'), { code: 'USAGE' });
    assert.throws(() => generateKeyFile('node', 'Not An Id'), { code: 'SCHEMA_INVALID' });
  });
});
