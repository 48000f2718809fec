// ApiChainReader against the node's own routes (api-routes.ts) over a store: every view read
// through HTTP equals the view StoreChainReader builds directly (what `chain ... --api URL` and
// `chain ... --data-dir DIR` print), errors keep the node's codes, and bad URLs are usage errors.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { createApiServer } from '../../src/node/api/server.js';
import { registerNodeRoutes } from '../../src/node/api-routes.js';
import { ApiChainReader, parseApiUrl } from '../../src/node/chain/api-chain-reader.js';
import { StoreChainReader } from '../../src/node/chain/store-chain-reader.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import type { NodeRuntime } from '../../src/node/node-runtime.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { buildChain, commitChain, fileableTestGenesis, workloadBlocks } from '../helpers/chain.js';
import { idleNodeMetrics } from '../helpers/metrics.js';
import { rejectsWith, throwsWith } from '../helpers/rejects.js';
import { standInNode } from '../helpers/stand-in-node.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isBayledgerError(error) ? error.code : `not a BayledgerError: ${String(error)}`;
  }
  return 'no error';
}

describe('node: ApiChainReader over the node API routes', function () {
  this.timeout(20_000);
  const net = fileableTestGenesis();
  let directory: string;
  let store: LedgerStore;
  let local: StoreChainReader;
  let remote: ApiChainReader;
  let close: () => Promise<void>;
  let txIds: string[];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-api-reader-'));
    const chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: workloadBlocks(net, 5) });
    txIds = chain.applied.flatMap((applied) => applied.txIds.map((txId) => toHex(txId)));
    store = await LedgerStore.open(join(directory, 'data'));
    await commitChain(store, chain);
    local = new StoreChainReader(store, chain.params);
    const server = createApiServer({
      port: 0,
      token: 't'.repeat(64),
      logger: createMemoryLogger('error').logger,
    });
    // Only the /chain routes are exercised: the rest of the runtime is never called.
    const runtime = {
      metrics: idleNodeMetrics(),
    } as unknown as NodeRuntime;
    registerNodeRoutes(server, runtime, local);
    // Set before anything else can fail, so a failing hook still lets the test process exit.
    close = async () => {
      await server.close();
      await store.close();
    };
    const url = await server.listen();
    remote = new ApiChainReader({ baseUrl: `${url}/` });
  });

  after(async () => {
    await close?.();
    await rm(directory, { recursive: true, force: true });
  });

  it('reads every view exactly as the store reader builds it', async () => {
    const status = await local.status();
    assert.equal(status.height, 5);
    assert.deepEqual(await remote.status(), status);
    for (let height = 1; height <= status.height; height++)
      assert.deepEqual(await remote.block(height), await local.block(height));
    for (const txId of [txIds[0]!, txIds.at(-1)!]) {
      assert.deepEqual(await remote.tx(txId), await local.tx(txId));
      assert.deepEqual(await remote.inclusionProof(txId), await local.inclusionProof(txId));
      assert.deepEqual(await remote.proofBundle(txId), await local.proofBundle(txId));
    }
    assert.deepEqual(await remote.inclusionProof(txIds[0]!, 2), await local.inclusionProof(txIds[0]!, 2));
    assert.deepEqual(
      await remote.consistencyProof(2, status.logSize),
      await local.consistencyProof(2, status.logSize),
    );
    assert.deepEqual(await remote.checkpoint(), await local.checkpoint());
    assert.deepEqual(await remote.checkpoint(3), await local.checkpoint(3));
  });

  it("keeps the node's error codes and refuses malformed ids before asking", async () => {
    const unknown = 'ab'.repeat(32);
    assert.equal(await codeOf(remote.tx(unknown)), 'NOT_FOUND');
    assert.equal(await codeOf(remote.proofBundle(unknown)), 'NOT_FOUND');
    assert.equal(await codeOf(remote.block(99)), 'NOT_FOUND');
    assert.equal(await codeOf(remote.consistencyProof(3, 999)), 'NOT_FOUND');
    assert.equal(await codeOf(remote.tx('xyz')), 'USAGE');
  });

  it('accepts only plain http(s) base URLs, and says UNREACHABLE when nothing listens', async () => {
    assert.equal(parseApiUrl('http://127.0.0.1:7101/'), 'http://127.0.0.1:7101');
    assert.equal(parseApiUrl('https://node.example:7101/base//'), 'https://node.example:7101/base');
    for (const bad of ['ftp://127.0.0.1/', 'file:///etc/hosts'])
      throwsWith(() => parseApiUrl(bad), 'USAGE', `--api ${bad}: only http and https URLs`);
    for (const bad of ['nope', '127.0.0.1:7101'])
      throwsWith(
        () => parseApiUrl(bad),
        'USAGE',
        `--api ${bad}: expected a URL such as http://127.0.0.1:7101`,
      );
    for (const bad of [
      'http://127.0.0.1:1/?x=1',
      'http://127.0.0.1:1/#x',
      'http://u@127.0.0.1/',
      'http://:p@127.0.0.1/',
    ])
      throwsWith(
        () => parseApiUrl(bad),
        'USAGE',
        `--api ${bad}: no query, fragment or credentials in the URL`,
      );
    const nowhere = new ApiChainReader({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    assert.equal(await codeOf(nowhere.status()), 'UNREACHABLE');
    assert.equal(await codeOf(nowhere.proofBundle(txIds[0]!)), 'UNREACHABLE');
    // The message names what failed underneath (here undici's "bad port"), not fetch's generic
    // "fetch failed".
    await assert.rejects(nowhere.proofBundle(txIds[0]!), /cannot reach the node API \((?!fetch failed)/);
  });

  it('refuses an answer that is not a view, and a proof bundle past its bound', async () => {
    let answer: unknown = [];
    const bundleBytes = { count: 0 };
    const standIn = await standInNode({
      'GET /chain/status': () => ({ status: 200, json: answer }),
    });
    const bundleServer = createServer((_request, response) => response.end(Buffer.alloc(bundleBytes.count)));
    await new Promise<void>((resolve) => bundleServer.listen(0, '127.0.0.1', resolve));
    try {
      const reader = new ApiChainReader({ baseUrl: standIn.url });
      for (answer of [[], 'a view', null, 7]) {
        await rejectsWith(
          reader.status(),
          'REMOTE_ERROR',
          '/chain/status: the node answered with something that is not a view',
        );
      }
      const bundles = new ApiChainReader({
        baseUrl: `http://127.0.0.1:${(bundleServer.address() as AddressInfo).port}`,
      });
      bundleBytes.count = LIMITS.maxProofBundleBytes;
      assert.equal((await bundles.proofBundle(txIds[0]!)).byteLength, LIMITS.maxProofBundleBytes);
      bundleBytes.count = LIMITS.maxProofBundleBytes + 1;
      await rejectsWith(
        bundles.proofBundle(txIds[0]!),
        'MESSAGE_TOO_LARGE',
        `/chain/bundle/${txIds[0]}: the answer is larger than ${LIMITS.maxProofBundleBytes} bytes`,
      );
    } finally {
      await standIn.close();
      bundleServer.closeAllConnections();
      await new Promise((resolve) => bundleServer.close(resolve));
    }
  });
});
