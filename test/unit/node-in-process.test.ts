// One whole node (src/node/node.ts: the store, chain, mempool, consensus driver, peer network,
// block sync and API wired together) started in this process, so its own decisions are tested
// here rather than only through a built child process: the API codes of refused submissions,
// commit waits, transaction status, batch submission, and a close that releases the store. The
// network has one validator (this node), so it commits alone; the other organisations are in the
// genesis but never start (their addresses are free ports nobody listens on).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePorts } from '../../cli/free-ports.js';
import { toHex, utf8 } from '../../src/core/bytes.js';
import type { Genesis } from '../../src/core/config/genesis.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { writeApiTokenFile } from '../../src/node/api/token-file.js';
import { parseNodeConfig } from '../../src/node/config/index.js';
import { writeKeyFile } from '../../src/node/keys/index.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { type RunningNode, startNode } from '../../src/node/node.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { genesisRecordOf, networkOfGenesis } from '../helpers/chain.js';
import { grantConsent, testEncryptionKey, testGenesis, testKeySeed } from '../helpers/fixtures.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const SELF = 'sz-cac';

/** The test network with sz-cac its only validator; the other regulators submit instead. */
function oneValidatorGenesis(ports: readonly number[]): Genesis {
  const addresses = new Map<string, number>();
  const base = testGenesis({
    chainId: 'gba-health-one',
    // Blocks take the real clock's time, and the test consents are valid from the genesis time.
    genesisTimeMs: Math.floor(Date.now() / 1000) * 1000 - 60_000,
    p2pAddress: (id) => {
      if (!addresses.has(id)) addresses.set(id, ports[addresses.size]!);
      return `/ip4/127.0.0.1/tcp/${addresses.get(id)}`;
    },
    policy: {
      negativeList: [{ category: 'population-health-data', rule: 'prohibited', assessors: [] }],
    },
  }).genesis;
  return {
    ...base,
    organisations: base.organisations.map((organisation) =>
      organisation.role === 'validator' && organisation.id !== SELF
        ? { ...organisation, role: 'submitter' }
        : organisation,
    ),
  };
}

function code(error: unknown): string {
  assert.ok(isBayledgerError(error), String(error));
  return error.code;
}

describe('a node started in this process (node.ts)', function () {
  this.timeout(60_000);
  const temp = useTempDir('bayledger-node-in-process-');
  let node: RunningNode;
  let genesis: Genesis;
  let dataDir: string;
  let logLines: Array<Record<string, unknown>>;

  before(async () => {
    const ports = await freePorts(8);
    genesis = oneValidatorGenesis(ports);
    const dir = temp.path;
    await writeFile(path.join(dir, 'genesis.json'), genesisRecordOf(genesis).json);
    await writeKeyFile(path.join(dir, 'node.key'), {
      kind: 'node',
      org: SELF,
      ed25519Seed: testKeySeed(SELF),
      x25519Secret: sha256(utf8(`enc/${SELF}`)),
    });
    assert.deepEqual(
      genesis.organisations.find((organisation) => organisation.id === SELF)?.encryptionKey,
      testEncryptionKey(SELF).publicKey,
    );
    await writeApiTokenFile(path.join(dir, 'api.token'));
    const selfPort = ports[genesis.organisations.findIndex((organisation) => organisation.id === SELF)]!;
    const config = parseNodeConfig(
      {
        org: SELF,
        role: 'validator',
        dataDir: 'data',
        genesis: 'genesis.json',
        keyFile: 'node.key',
        apiTokenFile: 'api.token',
        p2pListen: `/ip4/127.0.0.1/tcp/${selfPort}`,
        apiHost: '127.0.0.1',
        apiPort: ports[7]!,
      },
      path.join(dir, 'node.json'),
    );
    dataDir = config.dataDir;
    const { logger, lines } = createMemoryLogger('info');
    logLines = lines;
    node = await startNode(config, { logger });
  });

  after(async () => {
    await node?.close();
  });

  it('commits a submitted transaction alone and reports it committed, with its outcome', async () => {
    const net = networkOfGenesis(genesis);
    const grant = grantConsent(net, { patient: 'in-process-1' });
    const txIdHex = toHex(grant.txId);
    assert.deepEqual(node.submit(grant.bytes), { txIdHex, duplicate: false });
    // Nothing commits within this synchronous step: the transaction waits in the mempool.
    assert.deepEqual(node.txStatus(txIdHex), { txId: txIdHex, status: 'pending' });
    assert.equal(await node.waitForCommit(txIdHex, 20_000), true);
    const status = node.txStatus(txIdHex);
    assert.equal(status.status, 'committed');
    assert.equal(status.kind, 'consent.grant');
    assert.deepEqual([status.accepted, status.reasons], [true, []]);
    assert.equal(status.objectId, toHex(grant.objectId));
    assert.ok(status.height !== undefined && status.height >= 1);
    assert.ok(node.status().height >= status.height);
    assert.equal(await node.waitForHeight(status.height, 1), true, 'a height already reached');
    // Already committed: the wait answers at once, without waiting out any timeout.
    assert.equal(await node.waitForCommit(txIdHex, 1), true);
  });

  it('answers each refused submission with the API code of its cause', async () => {
    const net = networkOfGenesis(genesis);
    const grant = grantConsent(net, { patient: 'in-process-2' });
    node.submit(grant.bytes);
    assert.equal(await node.waitForCommit(toHex(grant.txId), 20_000), true);
    const submittedBefore = node.metrics.txsSubmitted.value();
    const rejectedBefore = node.metrics.txsRejected.value();
    const refusal = (bytes: Uint8Array): string => {
      try {
        node.submit(bytes);
      } catch (error) {
        return code(error);
      }
      assert.fail('the submission was accepted');
    };
    assert.equal(refusal(grant.bytes), 'CONFLICT', 'already committed');
    assert.equal(refusal(new Uint8Array(LIMITS.maxTxBytes + 1)), 'MESSAGE_TOO_LARGE');
    assert.equal(refusal(Uint8Array.of(0xff)), 'CBOR_MALFORMED', 'a decoder code is kept as it is');
    assert.equal(node.metrics.txsRejected.value() - rejectedBefore, 3, 'each refusal counted');
    assert.equal(node.metrics.txsSubmitted.value(), submittedBefore, 'no refusal counted as submitted');
    assert.throws(
      () => node.txStatus('not hex'),
      (error) => code(error) === 'REQUEST_MALFORMED',
    );
    assert.throws(
      () => node.txStatus('ab'.repeat(32)),
      (error) => code(error) === 'NOT_FOUND',
    );
  });

  it('takes a batch, answering each transaction on its own, and commits what it admitted', async () => {
    const net = networkOfGenesis(genesis);
    const first = grantConsent(net, { patient: 'in-process-3' });
    const second = grantConsent(net, { patient: 'in-process-4' });
    const submittedBefore = node.metrics.txsSubmitted.value();
    const results = node.submitMany([first.bytes, Uint8Array.of(0xff), second.bytes, first.bytes]);
    assert.equal(node.metrics.txsSubmitted.value() - submittedBefore, 2, 'a duplicate is not counted again');
    assert.deepEqual(results[0], { txId: toHex(first.txId), status: 'pending', duplicate: false });
    assert.equal(results[1]!.status, 'refused');
    assert.equal((results[1] as { code: string }).code, 'CBOR_MALFORMED');
    assert.equal((results[1] as { index: number }).index, 1);
    assert.deepEqual(results[2], { txId: toHex(second.txId), status: 'pending', duplicate: false });
    assert.deepEqual(results[3], { txId: toHex(first.txId), status: 'pending', duplicate: true });
    for (const tx of [first, second]) assert.equal(await node.waitForCommit(toHex(tx.txId), 20_000), true);
    // The committed-id filter fills in the background after start; the gauge then says so.
    await waitFor('the id filter answering', () =>
      node.metrics.registry.render().includes('\nbayledger_tx_id_filter_answering 1\n'),
    );
  });

  it('closes once however often asked, and leaves the store free to open', async () => {
    await node.close();
    await node.close();
    assert.equal(logLines.filter((line) => line.msg === 'node stopped').length, 1, 'stopped once');
    const store = await LedgerStore.open(dataDir, { createIfMissing: false });
    try {
      assert.ok(store.height >= 1);
    } finally {
      await store.close();
    }
  });
});
