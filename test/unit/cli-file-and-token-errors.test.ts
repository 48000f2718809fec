// The pieces behind the CLI's one-line errors, checked without starting the CLI: a refused token
// is placed at the node's URL with the token file named (src/node/api/client.ts); a file-system
// error reading a chain export becomes a typed error naming the path, in the verify process too
// (verify-sources.ts runVerifyRequest, what the process posts to its parent); nodes.json that is
// not a list of nodes is refused naming the file (cli/commands/transfer-api.ts). Every file a user
// names (chain export, node config, key file, API token) reads the same errno in the same words
// (src/node/file-read-error.ts), with its own role and where its path came from.
import { strict as assert } from 'node:assert';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readPatientSigner } from '../../cli/commands/consent-run.js';
import { networkInit } from '../../cli/commands/network-init.js';
import { readNodesJson, resolveApi } from '../../cli/commands/transfer-api.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { LIMITS } from '../../src/core/limits.js';
import { ApiClient } from '../../src/node/api/client.js';
import { readApiTokenFile, writeApiTokenFile } from '../../src/node/api/token-file.js';
import { openDataDir, readGenesisFile } from '../../src/node/chain/open-chain.js';
import {
  runVerifyRequest,
  type VerifyThreadMessage,
  verifyDataDir,
  verifyExportFile,
} from '../../src/node/chain/verify-sources.js';
import { loadNodeConfig, readConfigText } from '../../src/node/config/node-config.js';
import {
  fileReadError,
  fileWriteError,
  fileWriteRefusal,
  notRegularFileError,
  statRegularFile,
} from '../../src/node/file-read-error.js';
import { readKeyFile, readSecretFile } from '../../src/node/keys/index.js';
import { genesisRecordOf } from '../../src/node/store/ledger-store.js';
import { fileableTestGenesis } from '../helpers/chain.js';
import { runCli } from '../helpers/cli.js';
import { sampleNodeConfigJson } from '../helpers/node-config.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

async function rejectsIncluding(promise: Promise<unknown>, code: string, part: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isBayledgerError(error), String(error));
    assert.equal(error.code, code);
    assert.ok(error.message.includes(part), error.message);
    return true;
  });
}

describe('CLI errors: the token, the export file, nodes.json', () => {
  const temp = useTempDir('bayledger-cli-errors-');

  describe('ApiClient: a refused token', () => {
    let server: http.Server;
    let url: string;

    before(async () => {
      server = http.createServer((request, response) => {
        const unauthorized = request.method === 'POST';
        response.writeHead(unauthorized ? 401 : 404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: unauthorized
              ? { code: 'UNAUTHORIZED', message: 'the bearer token is not valid for this node' }
              : { code: 'NOT_FOUND', message: 'no transfer' },
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('is placed at the node URL and names where the token came from, never the token', async () => {
      const token = 'a'.repeat(64);
      const client = new ApiClient({ baseUrl: `${url}/`, token, tokenSource: 'other.token (--token-file)' });
      await assert.rejects(client.postJson('/consents', {}), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'UNAUTHORIZED'), String(error));
        assert.equal(error.where, url);
        assert.equal(
          error.message,
          `${url}: the bearer token is not valid for this node (the token is from other.token (--token-file); give the api.token of the node at this URL)`,
        );
        assert.ok(!error.message.includes(token));
        return true;
      });
      await assert.rejects(new ApiClient({ baseUrl: url }).postJson('/consents', {}), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'UNAUTHORIZED'));
        assert.match(error.message, /\(no token was given\)$/);
        return true;
      });
    });

    it('other refusals stay placed at the request path', async () => {
      await assert.rejects(new ApiClient({ baseUrl: url }).getJson('/transfers/ab'), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'NOT_FOUND'));
        assert.equal(error.message, '/transfers/ab: no transfer');
        return true;
      });
    });
  });

  describe('chain verify: an export that cannot be read', () => {
    const genesis = fileableTestGenesis().genesis;

    it('fails before the verify process starts, naming the path', async () => {
      const missing = path.join(temp.path, 'missing.cbor');
      const params = chainParamsOf(genesis);
      await assert.rejects(verifyExportFile(missing, params), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'NOT_FOUND'), String(error));
        assert.equal(error.message, `${missing}: chain export file not found`);
        return true;
      });
      await assert.rejects(verifyExportFile(temp.path, params), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'CONFIG_INVALID'), String(error));
        assert.equal(error.message, `${temp.path}: is a directory, expected a chain export file`);
        return true;
      });
      const file = path.join(temp.path, 'not-a-dir');
      await writeFile(file, '');
      await assert.rejects(verifyDataDir(file, undefined), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'CONFIG_INVALID'), String(error));
        assert.equal(error.message, `${file}: not a directory, expected a data directory`);
        return true;
      });
      await assert.rejects(verifyDataDir(path.join(temp.path, 'nowhere'), undefined), (error: unknown) =>
        isBayledgerError(error, 'NOT_FOUND'),
      );
    });

    it('the verify process posts a typed error naming the path, not a stack', async () => {
      const failures = async (exportPath: string) => {
        const messages: VerifyThreadMessage[] = [];
        await runVerifyRequest(
          { kind: 'export', path: exportPath, genesis, workers: 0, progress: false },
          (message) => messages.push(message),
        );
        assert.equal(messages.length, 1);
        assert.equal(messages[0]!.kind, 'failed');
        return (messages[0] as Extract<VerifyThreadMessage, { kind: 'failed' }>).error;
      };
      const missing = path.join(temp.path, 'gone.cbor');
      assert.deepEqual(await failures(missing), {
        code: 'NOT_FOUND',
        message: 'chain export file not found',
        where: missing,
      });
      // Opening a directory succeeds; the first read fails (EISDIR).
      const directory = path.join(temp.path, 'a-directory');
      await mkdir(directory);
      assert.deepEqual(await failures(directory), {
        code: 'CONFIG_INVALID',
        message: 'is a directory, expected a chain export file',
        where: directory,
      });
    });

    it('fileReadError: errno codes in words; anything else is not a file-system error', () => {
      const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
      assert.equal(
        fileReadError(errno('EACCES'), 'x.cbor', 'chain export')?.message,
        'x.cbor: permission denied reading the chain export file',
      );
      assert.equal(
        fileReadError(errno('EIO'), 'x.cbor', 'chain export')?.message,
        'x.cbor: cannot read the chain export file (EIO)',
      );
      assert.equal(fileReadError(new Error('plain'), 'x.cbor', 'chain export'), undefined);
      assert.equal(fileReadError('ENOENT', 'x.cbor', 'chain export'), undefined);
      // Node's own codes (ERR_...) are not errno codes: not a file-system error either.
      const nodeCode = Object.assign(new Error('bad argument'), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.equal(fileReadError(nodeCode, 'x.cbor', 'chain export'), undefined);
      for (const nothing of [null, undefined])
        assert.equal(fileReadError(nothing, 'x.cbor', 'chain export'), undefined);
    });
  });

  describe('one wording for every file a user names', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });

    it('fileReadError puts the detail and where the path came from in one parenthesis', () => {
      const token = { what: 'token', source: '--token-file' };
      const cases: [string, string, string][] = [
        ['ENOENT', 'NOT_FOUND', 't: token file not found (--token-file)'],
        ['ENOTDIR', 'NOT_FOUND', 't: token file not found (a folder on its path is a file; --token-file)'],
        ['EISDIR', 'CONFIG_INVALID', 't: is a directory, expected a token file (--token-file)'],
        ['EACCES', 'CONFIG_INVALID', 't: permission denied reading the token file (--token-file)'],
        ['EPERM', 'CONFIG_INVALID', 't: permission denied reading the token file (--token-file)'],
        ['EIO', 'CONFIG_INVALID', 't: cannot read the token file (EIO; --token-file)'],
      ];
      for (const [errnoCode, code, message] of cases) {
        const error = fileReadError(errno(errnoCode), 't', token);
        assert.equal(error?.code, code, errnoCode);
        assert.equal(error?.message, message);
        assert.equal(error?.where, 't');
      }
      assert.equal(
        notRegularFileError('k', 'key', 'KEY_FILE_INVALID').message,
        'k: not a regular file, expected a key file',
      );
      // A typed error passes through: the caller's own refusal is not reworded.
      assert.equal(fileReadError(notRegularFileError('t', token), 't', token), undefined);
    });

    it('fileWriteError: a full disk is INSUFFICIENT_STORAGE, an existing file FILE_EXISTS, anything else FILE_UNWRITABLE, each in words', () => {
      const out = { what: 'chain export', source: '--out' };
      const cases: [string, string, string][] = [
        ['EEXIST', 'FILE_EXISTS', 'o: cannot write the chain export file: it already exists (EEXIST; --out)'],
        [
          'ENOSPC',
          'INSUFFICIENT_STORAGE',
          'o: cannot write the chain export file: no space left on its disk (ENOSPC; --out)',
        ],
        [
          'EDQUOT',
          'INSUFFICIENT_STORAGE',
          'o: cannot write the chain export file: the disk quota is used up (EDQUOT; --out)',
        ],
        [
          'EACCES',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: permission denied (EACCES; --out)',
        ],
        [
          'EPERM',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: permission denied (EPERM; --out)',
        ],
        [
          'EROFS',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: its disk is read-only (EROFS; --out)',
        ],
        [
          'ENOENT',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: its folder does not exist (ENOENT; --out)',
        ],
        [
          'ENOTDIR',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: its folder does not exist (ENOTDIR; --out)',
        ],
        [
          'EISDIR',
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: a directory is in the way (EISDIR; --out)',
        ],
        ['EIO', 'FILE_UNWRITABLE', 'o: cannot write the chain export file: the system refused (EIO; --out)'],
      ];
      for (const [errnoCode, code, message] of cases) {
        const error = fileWriteError(errno(errnoCode), 'o', out);
        assert.deepEqual([error?.code, error?.message, error?.where], [code, message, 'o'], errnoCode);
      }
      assert.equal(
        fileWriteError(errno('ENOSPC'), 'k', 'key')?.message,
        'k: cannot write the key file: no space left on its disk (ENOSPC)',
      );
      // Not file-system errors: a typed error, a plain one, Node's own codes, a non-error.
      assert.equal(fileWriteError(notRegularFileError('o', out), 'o', out), undefined);
      assert.equal(fileWriteError(new Error('plain'), 'o', out), undefined);
      assert.equal(
        fileWriteError(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' }), 'o', out),
        undefined,
      );
      assert.equal(fileWriteError('ENOSPC', 'o', out), undefined);
      for (const nothing of [null, undefined]) assert.equal(fileWriteError(nothing, 'o', out), undefined);
    });

    it('fileWriteRefusal: a refusal before any write reads as the failed write would, with no Error to build', () => {
      const out = { what: 'chain export', source: '--out' };
      const refusal = fileWriteRefusal('EISDIR', 'o', out);
      assert.deepEqual(
        [refusal.code, refusal.message, refusal.where],
        [
          'FILE_UNWRITABLE',
          'o: cannot write the chain export file: a directory is in the way (EISDIR; --out)',
          'o',
        ],
      );
      for (const code of [
        'EEXIST',
        'ENOSPC',
        'EDQUOT',
        'EACCES',
        'EPERM',
        'EROFS',
        'ENOENT',
        'ENOTDIR',
      ] as const) {
        const failed = fileWriteError(errno(code), 'k', 'key');
        const refused = fileWriteRefusal(code, 'k', 'key');
        assert.deepEqual([refused.code, refused.message], [failed?.code, failed?.message], code);
      }
    });

    it('the API token file (--token-file)', async () => {
      const missing = path.join(temp.path, 'missing.token');
      const resolve = (tokenFile: string) => resolveApi({ api: 'http://127.0.0.1:9', tokenFile });
      await rejectsWith(resolve(missing), 'NOT_FOUND', `${missing}: token file not found (--token-file)`);
      const plain = path.join(temp.path, 'plain');
      await writeFile(plain, '');
      const beneath = path.join(plain, 'api.token');
      await rejectsWith(
        resolve(beneath),
        'NOT_FOUND',
        `${beneath}: token file not found (a folder on its path is a file; --token-file)`,
      );
      await rejectsWith(
        resolve(temp.path),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected a token file (--token-file)`,
      );
    });

    it('the token file is read as a secret: its mode, its size, its content', async () => {
      const file = path.join(temp.path, 'unit.token');
      const token = await writeApiTokenFile(file);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal(await readApiTokenFile(file), token);
      await rejectsIncluding(writeApiTokenFile(file), 'FILE_EXISTS', `${file}: already exists`);
      await chmod(file, 0o640);
      await rejectsIncluding(readApiTokenFile(file), 'KEY_FILE_INSECURE', `chmod 600 ${file}`);
      await writeFile(file, `${'a'.repeat(2000)}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
      await rejectsWith(
        readApiTokenFile(file),
        'KEY_FILE_INVALID',
        `${file}: 2001 bytes, too large for a token file (at most 1024)`,
      );
      await writeFile(file, 'short\n');
      await rejectsIncluding(readApiTokenFile(file), 'KEY_FILE_INVALID', 'at least');
      // A directory is a configuration mistake here, not an invalid key file.
      await rejectsWith(
        readApiTokenFile(temp.path, 'test'),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected a token file (test)`,
      );
    });

    it('a config file of exactly the size limit, and one byte more', async () => {
      const atLimit = path.join(temp.path, 'at-limit.json');
      await writeFile(atLimit, ' '.repeat(LIMITS.maxConfigBytes));
      assert.equal((await readConfigText(atLimit)).length, LIMITS.maxConfigBytes);
      const over = path.join(temp.path, 'over-limit.json');
      await writeFile(over, ' '.repeat(LIMITS.maxConfigBytes + 1));
      await rejectsWith(
        readConfigText(over),
        'CONFIG_INVALID',
        `${over}: larger than the limit of ${LIMITS.maxConfigBytes} bytes`,
      );
    });

    it('a node config, a config file, a key file', async () => {
      const missing = path.join(temp.path, 'absent.json');
      await rejectsWith(loadNodeConfig(missing), 'NOT_FOUND', `${missing}: node config file not found`);
      await rejectsWith(
        loadNodeConfig(temp.path),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected a node config file`,
      );
      await rejectsWith(readConfigText(missing), 'NOT_FOUND', `${missing}: config file not found`);
      await rejectsWith(readKeyFile(missing), 'NOT_FOUND', `${missing}: key file not found`);
      await rejectsWith(
        readPatientSigner(missing),
        'NOT_FOUND',
        `${missing}: key file not found (--patient-key)`,
      );
      await rejectsWith(readSecretFile(missing), 'NOT_FOUND', `${missing}: secret file not found`);
      await rejectsWith(
        readKeyFile(temp.path),
        'KEY_FILE_INVALID',
        `${temp.path}: is a directory, expected a key file`,
      );
    });
  });

  describe('files the chain, proof and transfer commands read', () => {
    it('a genesis file says genesis, and --genesis when the user named it', async () => {
      const missing = path.join(temp.path, 'absent-genesis.json');
      await rejectsWith(readGenesisFile(missing), 'NOT_FOUND', `${missing}: genesis file not found`);
      await rejectsWith(
        readGenesisFile(missing, '--genesis'),
        'NOT_FOUND',
        `${missing}: genesis file not found (--genesis)`,
      );
      await rejectsWith(
        readGenesisFile(temp.path, '--genesis'),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected a genesis file (--genesis)`,
      );
      // A data directory opened with --genesis names the flag too.
      await rejectsWith(
        openDataDir(temp.path, missing),
        'NOT_FOUND',
        `${missing}: genesis file not found (--genesis)`,
      );
    });

    it('node start: a genesis file node.json names is reported with where it was named (exit 1)', async function () {
      // One CLI process started from source.
      this.timeout(30_000);
      const configPath = path.join(temp.path, 'node.json');
      await writeFile(configPath, JSON.stringify(sampleNodeConfigJson({ genesis: 'absent-genesis.json' })));
      const result = await runCli(['node', 'start', '--config', configPath]);
      assert.equal(result.code, 1, result.stderr);
      const genesis = path.join(temp.path, 'absent-genesis.json');
      assert.equal(
        result.stderr,
        `bayledger: error: ${genesis}: genesis file not found ("genesis" in ${configPath})\n`,
      );
      // Nothing was created: the genesis is read before the data directory is opened.
      await assert.rejects(stat(path.join(temp.path, 'data')), { code: 'ENOENT' });
    });

    it('node start: a key file or token file node.json names is reported with the field (exit 1)', async function () {
      // network init in process, then two CLI processes started from source.
      this.timeout(60_000);
      const dir = path.join(temp.path, 'net-files');
      await networkInit({ out: dir, basePort: 0, json: false, quiet: true });
      const keyless = path.join(dir, 'sz-cac', 'node.json');
      const tokenless = path.join(dir, 'qianhai', 'node.json');
      await rm(path.join(dir, 'sz-cac', 'node.key'));
      await rm(path.join(dir, 'qianhai', 'api.token'));
      const results = await Promise.all([
        runCli(['node', 'start', '--config', keyless]),
        runCli(['node', 'start', '--config', tokenless]),
      ]);
      const expected = [
        `${path.join(dir, 'sz-cac', 'node.key')}: key file not found ("keyFile" in ${keyless})`,
        `${path.join(dir, 'qianhai', 'api.token')}: token file not found ("apiTokenFile" in ${tokenless})`,
      ];
      for (const [i, result] of results.entries()) {
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stderr, `bayledger: error: ${expected[i]}\n`);
      }
    });

    it('proof verify: a missing --genesis, a missing or a directory bundle is one line (exit 1)', async function () {
      // Three CLI processes started from source.
      this.timeout(60_000);
      const genesis = path.join(temp.path, 'proof-genesis.json');
      await writeFile(genesis, genesisRecordOf(fileableTestGenesis().genesis).json);
      const missing = path.join(temp.path, 'absent.bundle');
      const results = await Promise.all([
        runCli(['proof', 'verify', missing, '--genesis', missing]),
        runCli(['proof', 'verify', missing, '--genesis', genesis]),
        runCli(['proof', 'verify', temp.path, '--genesis', genesis]),
      ]);
      const expected = [
        `${missing}: genesis file not found (--genesis)`,
        `${missing}: proof bundle file not found`,
        `${temp.path}: is a directory, expected a proof bundle file`,
      ];
      for (const [i, result] of results.entries()) {
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stdout, '');
        assert.equal(result.stderr, `bayledger: error: ${expected[i]}\n`);
      }
    });

    it('statRegularFile: missing, beneath a file, a directory, not a regular file', async () => {
      const item = { what: 'item', source: '--item' };
      const missing = path.join(temp.path, 'absent.dcm');
      await rejectsWith(
        statRegularFile(missing, item),
        'NOT_FOUND',
        `${missing}: item file not found (--item)`,
      );
      const plain = path.join(temp.path, 'plain.dcm');
      await writeFile(plain, 'x');
      assert.equal((await statRegularFile(plain, item)).size, 1);
      await rejectsWith(
        statRegularFile(path.join(plain, 'x'), item),
        'NOT_FOUND',
        `${path.join(plain, 'x')}: item file not found (a folder on its path is a file; --item)`,
      );
      await rejectsWith(
        statRegularFile(temp.path, item),
        'CONFIG_INVALID',
        `${temp.path}: is a directory, expected an item file (--item)`,
      );
      await rejectsWith(
        statRegularFile('/dev/null', 'proof bundle'),
        'CONFIG_INVALID',
        '/dev/null: not a regular file, expected a proof bundle file',
      );
    });
  });

  describe('nodes.json', () => {
    it('is undefined when missing, and refused naming the file when it is not a list of nodes', async () => {
      assert.equal(await readNodesJson(path.join(temp.path, 'no-network')), undefined);
      const cases: [string, RegExp][] = [
        ['{"org":', /nodes\.json: not JSON/],
        ['{}', /nodes\.json: expected a list of nodes/],
        ['[{"org":"a","role":"submitter","api":7}]', /nodes\.json: \[0\]\.api: expected a string/],
      ];
      for (const [i, [text, expected]] of cases.entries()) {
        const dir = path.join(temp.path, `network-${i}`);
        await mkdir(dir);
        await writeFile(path.join(dir, 'nodes.json'), text);
        await assert.rejects(readNodesJson(dir), (error: unknown) => {
          assert.ok(isBayledgerError(error, 'CONFIG_INVALID'), String(error));
          assert.match(error.message, expected);
          return true;
        });
      }
    });
  });
});
