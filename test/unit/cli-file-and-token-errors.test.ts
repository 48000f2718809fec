// The pieces behind the CLI's one-line errors, checked without starting the CLI: a refused token
// is placed at the node's URL with the token file named (src/node/api/client.ts); a file-system
// error reading a chain export becomes a typed error naming the path, in the verify process too
// (verify-sources.ts runVerifyRequest, what the process posts to its parent); nodes.json that is
// not a list of nodes is refused naming the file (cli/commands/transfer-api.ts).
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readNodesJson } from '../../cli/commands/transfer-api.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { ApiClient } from '../../src/node/api/client.js';
import {
  runVerifyRequest,
  type VerifyThreadMessage,
  verifyDataDir,
  verifyExportFile,
} from '../../src/node/chain/verify-sources.js';
import { fileReadError } from '../../src/node/file-read-error.js';
import { fileableTestGenesis } from '../helpers/chain.js';
import { useTempDir } from '../helpers/temp-dir.js';

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
        assert.equal(error.message, `${missing}: no such file`);
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
        await runVerifyRequest({ kind: 'export', path: exportPath, genesis, progress: false }, (message) =>
          messages.push(message),
        );
        assert.equal(messages.length, 1);
        assert.equal(messages[0]!.kind, 'failed');
        return (messages[0] as Extract<VerifyThreadMessage, { kind: 'failed' }>).error;
      };
      const missing = path.join(temp.path, 'gone.cbor');
      assert.deepEqual(await failures(missing), {
        code: 'NOT_FOUND',
        message: 'no such file',
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
        'x.cbor: permission denied reading the chain export',
      );
      assert.equal(
        fileReadError(errno('EIO'), 'x.cbor', 'chain export')?.message,
        'x.cbor: cannot read the chain export (EIO)',
      );
      assert.equal(fileReadError(new Error('plain'), 'x.cbor', 'chain export'), undefined);
      assert.equal(fileReadError('ENOENT', 'x.cbor', 'chain export'), undefined);
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
