// The CLI side of a sealed upload (cli/commands/transfer-api.ts, uploadSealed): every file, back to
// back, in one request with the sizes and recipient in the query; the node's error answer is
// reported with its code even when the node refuses before reading the body.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, truncateSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uploadSealed } from '../../cli/commands/transfer-api.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { ApiClient } from '../../src/node/api/client.js';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

describe('CLI: sealed upload of the item files', () => {
  let dir: string;
  let server: http.Server;
  let handler: Handler;
  let url: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-upload-'));
    server = http.createServer((request, response) => handler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const api = () => ({ url, token: 'secret-token', client: new ApiClient({ baseUrl: url }) });

  it('sends every file back to back with their sizes, the recipient and the token', async () => {
    const first = randomBytes(2_500_000);
    const second = randomBytes(1_000);
    await writeFile(path.join(dir, 'a.dcm'), first);
    await writeFile(path.join(dir, 'b.pdf'), second);
    let seen: {
      query: URLSearchParams;
      auth: string | undefined;
      length: string | undefined;
      digest: string;
    };
    handler = (request, response) => {
      const hash = createHash('sha256');
      request.on('data', (piece: Buffer) => hash.update(piece));
      request.on('end', () => {
        seen = {
          query: new URL(request.url!, url).searchParams,
          auth: request.headers.authorization,
          length: request.headers['content-length'],
          digest: hash.digest('hex'),
        };
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ sealedUpload: 'ab'.repeat(16), recipient: 'ehealth-hk', items: [] }));
      });
    };
    const answer = await uploadSealed(
      api(),
      [path.join(dir, 'a.dcm'), path.join(dir, 'b.pdf')],
      'ehealth-hk',
    );
    assert.equal(answer.sealedUpload, 'ab'.repeat(16));
    assert.equal(seen!.query.get('recipient'), 'ehealth-hk');
    assert.equal(seen!.query.get('sizes'), `${first.byteLength},${second.byteLength}`);
    assert.equal(seen!.auth, 'Bearer secret-token');
    assert.equal(seen!.length, String(first.byteLength + second.byteLength));
    assert.equal(seen!.digest, createHash('sha256').update(first).update(second).digest('hex'));
  });

  it("reports the node's refusal with its code when it answers before reading the body", async () => {
    await writeFile(path.join(dir, 'big.dcm'), randomBytes(8_000_000));
    // The node answers at once and discards what still arrives; the CLI must stop sending and
    // read the answer (it used to wait for the request to drain, forever).
    handler = (request, response) => {
      request.resume();
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no organisation nobody' } }));
    };
    await assert.rejects(uploadSealed(api(), [path.join(dir, 'big.dcm')], 'nobody'), (error: unknown) => {
      assert.ok(isBayledgerError(error, 'NOT_FOUND'), String(error));
      assert.match((error as Error).message, /no organisation nobody/);
      return true;
    });
  });

  it('reports a connection the node cut as unreachable, saying the upload may have been refused', async () => {
    await writeFile(path.join(dir, 'big.dcm'), randomBytes(8_000_000));
    handler = (request) => request.socket.destroy();
    await assert.rejects(uploadSealed(api(), [path.join(dir, 'big.dcm')], 'ehealth-hk'), (error: unknown) => {
      assert.ok(isBayledgerError(error, 'UNREACHABLE'), String(error));
      assert.match((error as Error).message, /closed the connection/);
      return true;
    });
  });

  it('refuses a missing, directory or empty file before sending anything, naming it and --item', async () => {
    let requests = 0;
    handler = (_request, response) => {
      requests++;
      response.end();
    };
    await writeFile(path.join(dir, 'empty.dcm'), new Uint8Array(0));
    const refused = (files: string[], code: string, message: string) =>
      assert.rejects(uploadSealed(api(), files, 'ehealth-hk'), (error: unknown) => {
        assert.ok(isBayledgerError(error), String(error));
        assert.equal(error.code, code);
        assert.equal(error.message, message);
        return true;
      });
    const missing = path.join(dir, 'missing.dcm');
    const empty = path.join(dir, 'empty.dcm');
    // The same words as every other file a user names (src/node/file-read-error.ts).
    await refused([missing], 'NOT_FOUND', `${missing}: item file not found (--item)`);
    await refused([dir], 'CONFIG_INVALID', `${dir}: is a directory, expected an item file (--item)`);
    await refused([empty], 'USAGE', `${empty}: an item file cannot be empty (--item)`);
    assert.equal(requests, 0);
  });

  it('takes any answer from 200 to 299, and refuses 300 naming its status', async () => {
    await writeFile(path.join(dir, 'small.pdf'), randomBytes(1_000));
    const answering = (status: number) => {
      handler = (request, response) => {
        request.resume();
        request.on('end', () => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ sealedUpload: String(status), recipient: 'ehealth-hk', items: [] }));
        });
      };
      return uploadSealed(api(), [path.join(dir, 'small.pdf')], 'ehealth-hk');
    };
    assert.equal((await answering(200)).sealedUpload, '200');
    assert.equal((await answering(299)).sealedUpload, '299');
    await assert.rejects(answering(300), (error: unknown) => {
      assert.ok(isBayledgerError(error, 'REMOTE_ERROR'), String(error));
      assert.match(error.message, /HTTP 300$/);
      return true;
    });
  });

  it('stops and names a file that grew or shrank while it was being sent', async () => {
    // Large enough that the request is still being written when the node sees it: the change is
    // made before the node reads any of the body.
    const sizeBytes = 32 * 1024 * 1024;
    for (const [change, word] of [
      [(file: string) => appendFileSync(file, 'x'), 'grew'],
      [(file: string) => truncateSync(file, sizeBytes - 1), 'shrank'],
    ] as const) {
      const file = path.join(dir, `changing-${word}.dcm`);
      await writeFile(file, randomBytes(sizeBytes));
      handler = (request) => {
        change(file);
        request.resume();
      };
      await assert.rejects(uploadSealed(api(), [file], 'ehealth-hk'), (error: unknown) => {
        assert.ok(isBayledgerError(error, 'USAGE'), String(error));
        assert.equal(error.message, `${file}: the file ${word} while it was being uploaded`);
        return true;
      });
    }
  });

  it('reports a node that is not listening as unreachable, without the refused-upload hint', async () => {
    await writeFile(path.join(dir, 'small.pdf'), randomBytes(1_000));
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = { url: closedUrl, token: 'secret-token', client: new ApiClient({ baseUrl: closedUrl }) };
    await assert.rejects(
      uploadSealed(nowhere, [path.join(dir, 'small.pdf')], 'ehealth-hk'),
      (error: unknown) => {
        assert.ok(isBayledgerError(error, 'UNREACHABLE'), String(error));
        const { port } = new URL(closedUrl);
        assert.equal(
          error.message,
          `${closedUrl}: cannot upload to the node API (connect ECONNREFUSED 127.0.0.1:${port})`,
        );
        return true;
      },
    );
  });
});
