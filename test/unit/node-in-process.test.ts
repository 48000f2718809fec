// Whole nodes (src/node/node.ts: the store, chain, mempool, consensus driver, peer network, block
// sync and API wired together) started in this process, so node.ts's own decisions are tested
// here rather than only through a built child process. A one-validator network commits alone:
// the API codes of refused submissions, commit and height waits, transaction status, batch
// submission, metrics, the heap-flag warning, a close that releases the store, and a restart over
// a block record the id-filter scan cannot read (the other organisations are in its genesis but
// never start; their addresses are free ports nobody listens on). Four validators in one process:
// relays, the relay penalty policy, and the WAL cleared behind commits.
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { mkdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { freePorts } from '../../cli/free-ports.js';
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import type { Genesis } from '../../src/core/config/genesis.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { readApiTokenFile, writeApiTokenFile } from '../../src/node/api/token-file.js';
import { type NodeConfig, parseNodeConfig } from '../../src/node/config/index.js';
import { writeKeyFile } from '../../src/node/keys/index.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import {
  HUGE_PAGE_MALLOC_TUNABLE,
  hugePageMallocMissing,
  rolePaysForHugePages,
} from '../../src/node/malloc-tuning.js';
import { type RunningNode, startNode } from '../../src/node/node.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { blockKey } from '../../src/node/store/buckets.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { missingNodeHeapFlags } from '../../src/node/v8-tuning.js';
import { fileableTestGenesis, genesisRecordOf, networkOfGenesis } from '../helpers/chain.js';
import { grantConsent, testEncryptionKey, testEncryptionSecret, testKeySeed } from '../helpers/fixtures.js';
import { findMetric } from '../helpers/metrics.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const SELF = 'sz-cac';
const VALIDATORS = ['sz-cac', 'sz-health', 'qianhai', 'hk-health'];

/**
 * The test network on real loopback ports (one per organisation, from `ports`), its genesis a
 * minute old: blocks take the real clock's time, and test consents are valid from the genesis.
 * `validators` keep that role; the other regulators submit instead.
 */
function networkGenesis(ports: readonly number[], validators: readonly string[]): Genesis {
  const base = fileableTestGenesis(ports, {
    chainId: `gba-health-${validators.length}`,
    genesisTimeMs: Math.floor(Date.now() / 1000) * 1000 - 60_000,
    policy: {
      negativeList: [{ category: 'population-health-data', rule: 'prohibited', assessors: [] }],
    },
  }).genesis;
  return {
    ...base,
    organisations: base.organisations.map((organisation) =>
      organisation.role === 'validator' && !validators.includes(organisation.id)
        ? { ...organisation, role: 'submitter' }
        : organisation,
    ),
  };
}

interface InProcessNode {
  readonly node: RunningNode;
  readonly config: NodeConfig;
  readonly dataDir: string;
  readonly logLines: Array<Record<string, unknown>>;
}

/** node.json's disk reserve for these nodes: not the default, so the metric shows the setting. */
const IN_PROCESS_DISK_RESERVE_BYTES = 12_345_678;

/** Writes `org`'s genesis, key (the test keys), token and node.json under `dir` and starts it here. */
async function startInProcess(
  dir: string,
  genesis: Genesis,
  org: string,
  apiPort: number,
): Promise<InProcessNode> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'genesis.json'), genesisRecordOf(genesis).json);
  await writeKeyFile(path.join(dir, 'node.key'), {
    kind: 'node',
    org,
    ed25519Seed: testKeySeed(org),
    x25519Secret: testEncryptionSecret(org),
  });
  const organisation = genesis.organisations.find((candidate) => candidate.id === org)!;
  assert.deepEqual(organisation.encryptionKey, testEncryptionKey(org).publicKey);
  await writeApiTokenFile(path.join(dir, 'api.token'));
  const config = parseNodeConfig(
    {
      org,
      role: organisation.role,
      dataDir: 'data',
      genesis: 'genesis.json',
      keyFile: 'node.key',
      apiTokenFile: 'api.token',
      p2pListen: organisation.p2pAddress,
      apiHost: '127.0.0.1',
      apiPort,
      diskReserveBytes: IN_PROCESS_DISK_RESERVE_BYTES,
    },
    path.join(dir, 'node.json'),
  );
  const { logger, lines } = createMemoryLogger('info');
  return { node: await startNode(config, { logger }), config, dataDir: config.dataDir, logLines: lines };
}

function code(error: unknown): string {
  assert.ok(isBayledgerError(error), String(error));
  return error.code;
}

describe('a node started in this process (node.ts)', function () {
  this.timeout(60_000);
  let node: RunningNode;
  let genesis: Genesis;
  let dataDir: string;
  let config: NodeConfig;
  let logLines: Array<Record<string, unknown>>;
  // Registered before the folder's removal (useTempDir's after hook): mocha runs after hooks in
  // the order they are registered, so the nodes close before their folders go.
  after(async () => {
    await node?.close();
  });
  const temp = useTempDir('bayledger-node-in-process-');

  before(async () => {
    const ports = await freePorts(8);
    genesis = networkGenesis(ports, [SELF]);
    ({ node, config, dataDir, logLines } = await startInProcess(temp.path, genesis, SELF, ports[7]!));
  });

  it('tells a client it is starting until its services are attached (markReady), then that a path has no route', async () => {
    const ask = async (route: string) => {
      const response = await fetch(`${node.apiUrl}${route}`);
      const json = (await response.json()) as { ready?: boolean; error?: { code: string } };
      return { status: response.status, json, retryAfter: response.headers.get('retry-after') };
    };
    assert.equal((await ask('/status')).json.ready, false);
    const early = await ask('/payload/stats');
    assert.deepEqual([early.status, early.json.error?.code, early.retryAfter], [503, 'NOT_READY', '1']);
    node.markReady();
    assert.equal((await ask('/status')).json.ready, true);
    const late = await ask('/payload/stats');
    assert.deepEqual([late.status, late.json.error?.code, late.retryAfter], [404, 'ROUTE_NOT_FOUND', null]);
  });

  it('reports the free bytes on the disk of its data directory and the reserve node.json sets', async () => {
    const text = await (await fetch(`${node.apiUrl}/metrics`)).text();
    assert.equal(findMetric(text, 'bayledger_disk_reserve_bytes'), IN_PROCESS_DISK_RESERVE_BYTES);
    const reported = findMetric(text, 'bayledger_disk_free_bytes');
    const { bavail, bsize } = await statfs(dataDir);
    // Others write to the same disk meanwhile (npm test runs two test files at a time): within
    // 1 GiB of the test's own reading, which a figure in another unit (1,024 times off) is not.
    assert.ok(
      reported !== undefined && Math.abs(reported - bavail * bsize) < 1024 * 1024 * 1024,
      `${reported}`,
    );
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

  it('warns at start exactly when this process lacks the V8 heap flags, naming the missing ones', () => {
    const missing = missingNodeHeapFlags();
    const warnings = logLines.filter((line) =>
      String(line.msg).startsWith('node started without its V8 heap flags'),
    );
    assert.deepEqual(
      warnings.map((line) => line.missing),
      missing.length > 0 ? [missing.join(' ')] : [],
    );
  });

  it('warns at start exactly when a node that moves payloads runs on glibc without a huge-page choice', () => {
    const warnings = logLines.filter((line) =>
      String(line.msg).startsWith('node started without malloc on huge pages'),
    );
    assert.deepEqual(
      warnings.map((line) => line.missing),
      rolePaysForHugePages(config.role) && hugePageMallocMissing() ? [HUGE_PAGE_MALLOC_TUNABLE] : [],
    );
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

  it("answers the node's HTTP routes: records, outcomes, waits, batches and each malformed parameter", async () => {
    const api = `http://127.0.0.1:${config.apiPort}`;
    const token = await readApiTokenFile(config.apiTokenFile);
    const get = async (route: string) => {
      const response = await fetch(`${api}${route}`);
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const post = async (route: string, body: Uint8Array) => {
      const response = await fetch(`${api}${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cbor' },
        body,
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    /** An error answer's status, code and message. */
    const refusal = async (route: string) => {
      const { status, json } = await get(route);
      const error = json.error as { code: string; message: string };
      return [status, error.code, error.message];
    };
    const net = networkOfGenesis(genesis);
    const grant = grantConsent(net, { patient: 'in-process-http' });
    const committed = await post('/tx?wait=commit&timeoutMs=20000', grant.bytes);
    assert.deepEqual([committed.status, committed.json.status], [200, 'committed']);
    const consentHex = toHex(grant.objectId);
    const consent = await get(`/consents/${consentHex}`);
    assert.deepEqual(
      [consent.status, consent.json.consentId, consent.json.statusNow],
      [200, consentHex, 'active'],
    );
    const outcome = await get(`/outcomes/${toHex(grant.txId)}`);
    assert.deepEqual([outcome.status, outcome.json.accepted], [200, true]);
    const unknown = 'ab'.repeat(32);
    assert.deepEqual(await refusal(`/consents/${unknown}`), [404, 'NOT_FOUND', `no consent ${unknown}`]);
    assert.deepEqual(await refusal(`/transfers/${unknown}`), [404, 'NOT_FOUND', `no transfer ${unknown}`]);
    assert.deepEqual(await refusal(`/outcomes/${unknown}`), [
      404,
      'NOT_FOUND',
      `no committed transaction ${unknown}`,
    ]);
    for (const query of ['', '?old=1', '?new=1'])
      assert.deepEqual(await refusal(`/chain/consistency${query}`), [
        400,
        'REQUEST_MALFORMED',
        'give ?old=N&new=M',
      ]);
    assert.deepEqual(await refusal('/chain/blocks/1?waitMs=soon'), [
      400,
      'REQUEST_MALFORMED',
      'waitMs: expected a non-negative integer',
    ]);
    assert.equal((await get('/chain/blocks/1?waitMs=')).status, 200, 'an empty value is no value');
    for (const limit of [0, LIMITS.maxEvidencePage + 1])
      assert.deepEqual(await refusal(`/evidence?limit=${limit}`), [
        400,
        'REQUEST_MALFORMED',
        `limit: expected 1 to ${LIMITS.maxEvidencePage}`,
      ]);
    for (const limit of [1, LIMITS.maxEvidencePage])
      assert.equal((await get(`/evidence?limit=${limit}`)).status, 200, `limit=${limit}`);
    // Without ?wait=commit the answer is at once, pending.
    const later = grantConsent(net, { patient: 'in-process-http-2' });
    const pending = await post('/tx', later.bytes);
    assert.deepEqual(
      [pending.status, pending.json],
      [202, { txId: toHex(later.txId), status: 'pending', duplicate: false }],
    );
    assert.equal(await node.waitForCommit(toHex(later.txId), 20_000), true);
    // A block read that waits: asked two blocks ahead, answered once that block is committed. A
    // one-validator network proposes only when a transaction waits, so the block it asks for
    // cannot exist before the batch below, sent after another transaction has been committed.
    const nextHeight = node.status().height + 2;
    const waited = get(`/chain/blocks/${nextHeight}?waitMs=20000`);
    const between = grantConsent(net, { patient: 'in-process-http-between' });
    assert.equal((await post('/tx?wait=commit&timeoutMs=20000', between.bytes)).status, 200);
    const fresh = grantConsent(net, { patient: 'in-process-http-3' });
    const batch = await post(
      '/txs',
      encodeCanonical([later.bytes, Uint8Array.of(0xff), fresh.bytes, grant.bytes, fresh.bytes]),
    );
    assert.equal(batch.status, 202);
    assert.deepEqual(
      [batch.json.accepted, batch.json.duplicates, batch.json.refused],
      [1, 1, 3],
      'the fresh one accepted then a duplicate; garbage and the two committed ones refused',
    );
    const block = await waited;
    assert.deepEqual([block.status, block.json.height], [200, nextHeight]);
    assert.equal(await node.waitForCommit(toHex(fresh.txId), 20_000), true);
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

  it('restarted over a stored block it cannot read, warns that its id filter is not filled, and serves', async () => {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dataDir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.put(blockKey(1), Uint8Array.of(0xff));
    await db.close();
    const { logger, lines } = createMemoryLogger('info');
    node = await startNode(config, { logger });
    const warning = await waitFor('the filter warning', () =>
      lines.find((line) => line.msg === 'committed-id filter not filled; replay checks read the store'),
    );
    assert.match(String(warning.detail), /height 1/);
    assert.equal(node.status().org, SELF);
    assert.equal(node.metrics.registry.render().includes('\nbayledger_tx_id_filter_answering 0\n'), true);
  });

  it("restarted with its clock an hour behind the chain's last block, says so at start (decision 67)", async () => {
    const behindWarning =
      "this node's clock is behind the time of the chain's last block: set it right (NTP)";
    assert.equal(
      logLines.some((line) => line.msg === behindWarning),
      false,
      'not with the right clock',
    );
    const height = node.status().height;
    await node.close();
    const { logger, lines } = createMemoryLogger('info');
    const hourMs = 3_600_000;
    node = await startNode(config, {
      logger,
      clock: { nowMs: () => Date.now() - hourMs, monotonicMs: () => performance.now() },
    });
    const warning = lines.find((line) => line.msg === behindWarning);
    assert.ok(warning !== undefined, JSON.stringify(lines));
    assert.equal(warning.height, height);
    assert.equal(warning.maxClockDriftMs, genesis.consensus.maxClockDriftMs);
    // The last block was made by the real clock minutes ago at most: about an hour ahead of this one.
    const behindMs = warning.behindMs as number;
    assert.ok(behindMs > hourMs - 600_000 && behindMs <= hourMs, `${behindMs}`);
  });
});

describe('four validators started in this process (node.ts)', function () {
  this.timeout(60_000);
  const nodes: InProcessNode[] = [];
  let genesis: Genesis;
  // Registered before the folder's removal (useTempDir's after hook): mocha runs after hooks in
  // the order they are registered, so the nodes close before their folders go.
  after(async () => {
    for (const { node } of nodes) await node.close();
  });
  const temp = useTempDir('bayledger-nodes-in-process-');

  before(async () => {
    const ports = await freePorts(7 + VALIDATORS.length);
    genesis = networkGenesis(ports, VALIDATORS);
    for (const [index, org] of VALIDATORS.entries()) {
      nodes.push(await startInProcess(path.join(temp.path, org), genesis, org, ports[7 + index]!));
    }
  });

  const penalties = (at: InProcessNode) =>
    at.logLines.filter((line) => String(line.msg).startsWith('peer misbehaved'));

  it('commit a transaction submitted to one of them, which relays it, with no peer penalised', async () => {
    const net = networkOfGenesis(genesis);
    const grant = grantConsent(net, { patient: 'four-1' });
    const txIdHex = toHex(grant.txId);
    nodes[1]!.node.submit(grant.bytes);
    for (const { node } of nodes) assert.equal(await node.waitForCommit(txIdHex, 30_000), true);
    const heights = nodes.map(({ node }) => node.txStatus(txIdHex).height);
    assert.ok(
      heights.every((height) => height === heights[0]),
      `one height: ${heights.join(', ')}`,
    );
    for (const at of nodes) assert.deepEqual(penalties(at), []);
    // Each voted at that height, so each wrote WAL records for it; a commit clears them.
    for (const { node } of nodes) {
      await waitFor('the WAL cleared up to the committed height', async () =>
        (await node.chain.store.walRead()).every((entry) => entry.height > heights[0]!),
      );
    }
  });

  it('do not penalise a peer for relaying what they committed, and do penalise a malformed relay', async () => {
    const net = networkOfGenesis(genesis);
    const grant = grantConsent(net, { patient: 'four-2' });
    nodes[0]!.node.submit(grant.bytes);
    const [relaying, receiving] = [nodes[0]!, nodes[2]!];
    assert.equal(await receiving.node.waitForCommit(toHex(grant.txId), 30_000), true);
    // In order on one stream, and admitted in order: once the second is penalised, the first
    // (already committed at the receiver) has been refused without a penalty.
    relaying.node.net.send(VALIDATORS[2]!, PROTOCOL.txRelay, grant.bytes);
    relaying.node.net.send(VALIDATORS[2]!, PROTOCOL.txRelay, Uint8Array.of(0xff));
    const penalty = await waitFor('the malformed relay penalised', () => penalties(receiving)[0]);
    assert.equal(penalty.peer, VALIDATORS[0]);
    assert.equal(penalty.code, 'RECORD_INVALID');
    assert.match(String(penalty.reason), /^relayed transaction refused: byte 0: /, 'the malformed one');
    assert.equal(penalties(receiving).length, 1);
  });
});
