// The release gate and resumption on a real local network (issue 6 items 3 and "Done when"):
// every node its own process, approvals final only with a certificate, the CLI as a user runs it.
//
// First the recipient (ehealth-hk) and the other hospital (nf-ufh) are stopped and this test takes
// their places on the network with their own node keys, asking hku-szh for payloads directly:
// nothing comes before the approving block is final, for a rejected transfer, for a transfer whose
// consent was revoked before approval, or to another peer; the approved one comes whole. Then the
// real recipient starts, fetches what is approved for it and nothing else; finally it is SIGKILLed
// in the middle of a larger payload, restarted, and resumes from its last verified chunk.
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseHex } from '../../src/core/bytes.js';
import { LIMITS } from '../../src/core/limits.js';
import { readKeyFile } from '../../src/node/keys/key-file.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { createPeerNetwork, type PeerNetwork } from '../../src/node/net/index.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import {
  decodePayloadResponse,
  encodePayloadRequest,
  MAX_RESPONSE_BYTES,
} from '../../src/node/transfer/protocol.js';
import type { PayloadStats } from '../../src/node/transfer-service/payload-stats.js';
import { type CliResult, startTestNetwork, type TestNetwork } from '../helpers/network.js';

const HOSPITAL = 'hku-szh';
const RECIPIENT = 'ehealth-hk';
const OTHER = 'nf-ufh';

function json<T>(result: CliResult): T {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function sha256File(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Declared {
  transferId: string;
  txId: string;
  height: number;
  status: string;
  reasons: string[];
}

describe('transfer workflow on a local network: release gate and resume', function () {
  this.timeout(240_000);
  let net: TestNetwork;
  let patientKey: string;
  const impostors: PeerNetwork[] = [];
  const files = new Map<string, string>();

  before(async () => {
    net = await startTestNetwork({ validators: 4, followers: 3 });
    patientKey = path.join(net.dir, 'patient.key');
    assert.equal((await net.runCli(['keys', 'generate', '--kind', 'patient', '--out', patientKey])).code, 0);
    for (const [name, size] of [
      ['study', 300_000],
      ['genetic', 20_000],
      ['population', 10_000],
      ['genetic-2', 20_000],
      ['big-study', 40 * 1024 * 1024],
    ] as const) {
      const file = path.join(net.dir, `${name}.bin`);
      await writeFile(file, randomBytes(size));
      files.set(name, file);
    }
  });

  after(async () => {
    await Promise.all(impostors.map((impostor) => impostor.close()));
    await net?.stop();
  });

  const cli = (...args: string[]) => net.runCli([...args, '--dir', net.dir]);
  const hospitalApi = () => [
    '--api',
    net.api(HOSPITAL),
    '--token-file',
    path.join(net.dir, HOSPITAL, 'api.token'),
  ];

  async function grant(categories: string): Promise<string> {
    const validUntil = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const result = await cli(
      'consent',
      'grant',
      ...hospitalApi(),
      '--patient-key',
      patientKey,
      '--recipient',
      RECIPIENT,
      '--categories',
      categories,
      '--purpose',
      'continuity-of-care',
      '--valid-until',
      validUntil,
      '--json',
    );
    const granted = json<{ consentId: string; txId: string; height: number }>(result);
    assert.deepEqual(Object.keys(granted).sort(), ['consentId', 'height', 'txId']);
    return granted.consentId;
  }

  /** `transfer declare` on the hospital's node for the recipient, with the given items. */
  const runDeclare = (consentId: string, items: readonly string[], ...more: string[]) =>
    cli(
      'transfer',
      'declare',
      ...hospitalApi(),
      '--consent',
      consentId,
      '--recipient',
      RECIPIENT,
      ...items.flatMap((item) => ['--item', item]),
      ...more,
    );

  async function declare(consentId: string, ...items: string[]): Promise<Declared> {
    const result = await runDeclare(consentId, items, '--json');
    // The verdict is printed either way; a rejected declaration then exits 1 with one line on
    // stderr (like a refused consent grant), anything else exits 0.
    assert.notEqual(result.stdout, '', `no verdict printed (exit ${result.code}): ${result.stderr}`);
    const declared = JSON.parse(result.stdout) as Declared;
    assert.deepEqual(Object.keys(declared).sort(), ['height', 'reasons', 'status', 'transferId', 'txId']);
    if (declared.status === 'rejected') {
      assert.equal(result.code, 1, `a rejected declaration exits 1: ${result.stderr}`);
      assert.match(result.stderr.trim(), /^bayledger: error: the declaration was rejected at height \d+: \S/);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    } else assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
    return declared;
  }

  async function assess(transferId: string, regulator: string): Promise<void> {
    const result = await net.runCli([
      'transfer',
      'assess',
      transferId,
      '--api',
      net.api(regulator),
      '--token-file',
      path.join(net.dir, regulator, 'api.token'),
      '--decision',
      'approve',
      '--reason',
      'OK',
      '--json',
    ]);
    assert.equal(json<{ accepted: boolean }>(result).accepted, true);
  }

  /** Joins the network as `org` (whose node is stopped), with its own node key. */
  async function impersonate(org: string): Promise<PeerNetwork> {
    const key = await readKeyFile(path.join(net.dir, org, 'node.key'));
    const impostor = await createPeerNetwork({
      nodeSeed: key.ed25519Seed,
      listenAddress: '/ip4/127.0.0.1/tcp/0',
      peers: net.genesis.organisations.map((o) => ({
        id: o.id,
        publicKey: o.nodeKey,
        address: o.p2pAddress,
      })),
      logger: createMemoryLogger('warn').logger,
    });
    await impostor.start();
    impostors.push(impostor);
    return impostor;
  }

  async function ask(as: PeerNetwork, transferId: string): Promise<{ end: string; chunks: number }> {
    const stream = await as.openStream(HOSPITAL, PROTOCOL.payload, { maxMessageBytes: MAX_RESPONSE_BYTES });
    await stream.write(encodePayloadRequest({ transferId: parseHex(transferId)!, fromChunk: 0 }));
    await stream.closeWrite();
    let chunks = 0;
    for (;;) {
      const frame = await stream.read();
      if (frame === null) return { end: 'EOF', chunks };
      const message = decodePayloadResponse(frame);
      if (message.type === 'chunk') chunks++;
      if (message.type === 'end') return { end: message.code, chunks };
    }
  }

  async function stats(org: string): Promise<ReturnType<PayloadStats['toJson']>> {
    return (await net.get<ReturnType<PayloadStats['toJson']>>(org, '/payload/stats')).json;
  }

  async function inboxEntries(): Promise<string[]> {
    return readdir(path.join(net.dir, RECIPIENT, 'inbox'), { recursive: true }).catch(() => [] as string[]);
  }

  let approved: Declared;
  let refusedIds: string[] = [];

  it('sends nothing before finality, for rejected or revoked transfers, or to another peer', async () => {
    await net.kill(RECIPIENT);
    await net.kill(OTHER);
    const recipient = await impersonate(RECIPIENT);
    const other = await impersonate(OTHER);
    await net.waitFor(
      'the impostors connected to hku-szh',
      () => recipient.isConnected(HOSPITAL) && other.isConnected(HOSPITAL),
    );

    const consent = await grant('imaging-study,genetic-test-result,population-health-data');
    approved = await declare(consent, `imaging-study=${files.get('study')}`);
    assert.deepEqual([approved.status, approved.reasons], ['approved', []]);
    const genetic = await declare(consent, `genetic-test-result=${files.get('genetic')}`);
    assert.deepEqual([genetic.status, genetic.reasons], ['awaiting-assessment', ['ASSESSMENT_REQUIRED']]);
    const prohibited = await declare(consent, `population-health-data=${files.get('population')}`);
    assert.deepEqual([prohibited.status, prohibited.reasons], ['rejected', ['NEGATIVE_LIST_PROHIBITED']]);

    assert.deepEqual(await ask(other, approved.transferId), { end: 'NOT_RECIPIENT', chunks: 0 });
    assert.deepEqual(await ask(recipient, genetic.transferId), { end: 'NOT_APPROVED', chunks: 0 });
    assert.deepEqual(await ask(recipient, prohibited.transferId), { end: 'NOT_APPROVED', chunks: 0 });
    await assess(genetic.transferId, 'sz-cac');
    assert.deepEqual(
      await ask(recipient, genetic.transferId),
      { end: 'NOT_APPROVED', chunks: 0 },
      'one of two assessments',
    );

    // A consent revoked while its transfer awaits assessment: the last approval rejects it.
    const consent2 = await grant('genetic-test-result');
    const revokedLater = await declare(consent2, `genetic-test-result=${files.get('genetic-2')}`);
    assert.equal(revokedLater.status, 'awaiting-assessment');
    const revoked = await cli(
      'consent',
      'revoke',
      ...hospitalApi(),
      '--consent',
      consent2,
      '--patient-key',
      patientKey,
      '--json',
    );
    assert.equal(json<{ consentId: string }>(revoked).consentId, consent2);
    await assess(revokedLater.transferId, 'sz-cac');
    await assess(revokedLater.transferId, 'sz-health');
    const status = json<{ status: string; reasons: string[] }>(
      await cli('transfer', 'status', revokedLater.transferId, '--api', net.api(HOSPITAL), '--json'),
    );
    assert.deepEqual([status.status, status.reasons], ['rejected', ['CONSENT_REVOKED']]);
    assert.deepEqual(await ask(recipient, revokedLater.transferId), { end: 'NOT_APPROVED', chunks: 0 });

    const before = await stats(HOSPITAL);
    assert.equal(before.sender.chunksSent, 0, 'not one payload byte has left the hospital');
    assert.deepEqual(before.sender.refused, { NOT_APPROVED: 4, NOT_RECIPIENT: 1 });

    // After finality, to the declared recipient: the whole payload.
    const whole = await ask(recipient, approved.transferId);
    const declared = json<{ payloadBytes: number }>(
      await cli('transfer', 'status', approved.transferId, '--api', net.api(HOSPITAL), '--json'),
    );
    assert.equal(whole.end, 'COMPLETE');
    assert.ok(whole.chunks >= 1 && declared.payloadBytes > 300_000);
    assert.equal((await stats(HOSPITAL)).sender.chunksSent, whole.chunks);
    refusedIds = [genetic.transferId, prohibited.transferId, revokedLater.transferId];
  });

  it('the real recipient fetches what is approved for it, and nothing else', async () => {
    await Promise.all(impostors.splice(0).map((impostor) => impostor.close()));
    await net.restart(RECIPIENT);
    const waited = await cli(
      'transfer',
      'wait',
      approved.transferId,
      '--until',
      'delivered',
      '--timeout',
      '60',
      '--api',
      net.api(RECIPIENT),
      '--json',
    );
    assert.equal(json<{ status: string }>(waited).status, 'delivered');
    const audit = json<{
      status: string;
      receipt: { accepted: boolean; reason: string; payloadRootMatchesDeclaration: boolean };
      approval: { signers: string[] };
      declaration: { items: { digest: string }[] };
      timeline: { event: string }[];
    }>(await cli('audit', 'transfer', approved.transferId, '--api', net.api('qianhai'), '--json'));
    assert.deepEqual(
      [audit.receipt.accepted, audit.receipt.reason, audit.receipt.payloadRootMatchesDeclaration],
      [true, 'OK', true],
    );
    assert.ok(audit.approval.signers.length >= 3, 'a quorum of 3 of 4 signed the approving block');
    assert.deepEqual(
      audit.timeline.map((event) => event.event),
      ['consent granted', 'declared', 'approved (final)', 'delivered (receipt)'],
    );
    const entries = await inboxEntries();
    const filed = entries.filter((entry) => entry.endsWith(`${approved.transferId}/item-00.bin`));
    assert.equal(filed.length, 1);
    const bytes = new Uint8Array(await readFile(path.join(net.dir, RECIPIENT, 'inbox', filed[0]!)));
    assert.equal(sha256File(bytes), audit.declaration.items[0]!.digest);
    assert.equal(sha256File(bytes), sha256File(new Uint8Array(await readFile(files.get('study')!))));
    for (const id of refusedIds) assert.ok(!entries.some((entry) => entry.includes(id)), `nothing of ${id}`);
    assert.deepEqual((await stats(RECIPIENT)).receiver.transfers, [approved.transferId]);
  });

  it('resumes from the last verified chunk after the recipient is killed mid-stream', async () => {
    const consent = await grant('imaging-study');
    const big = await declare(consent, `imaging-study=${files.get('big-study')}`);
    assert.equal(big.status, 'approved');
    const leaves = path.join(net.dir, RECIPIENT, 'inbox', '.partial', big.transferId, 'leaves.bin');
    // Two durable checkpoints (16 chunks each, 32 bytes a leaf) and the recipient dies.
    await net.waitFor(
      '16 chunks verified and durable',
      async () => ((await stat(leaves).catch(() => undefined))?.size ?? 0) >= 16 * 32,
      {
        timeoutMs: 60_000,
        intervalMs: 10,
      },
    );
    await net.kill(RECIPIENT, 'SIGKILL');
    const transfer = json<{ status: string }>(
      await cli('transfer', 'status', big.transferId, '--api', net.api(HOSPITAL), '--json'),
    );
    assert.equal(transfer.status, 'approved', 'killed before the end: not delivered');
    await net.restart(RECIPIENT);
    const waited = await cli(
      'transfer',
      'wait',
      big.transferId,
      '--until',
      'delivered',
      '--timeout',
      '90',
      '--api',
      net.api(HOSPITAL),
      '--json',
    );
    assert.equal(json<{ receipt: { accepted: boolean; reason: string } }>(waited).receipt.reason, 'OK');
    const served = (await net.logOf(HOSPITAL))
      .split('\n')
      .filter((line) => line.includes('"payload stream served"') && line.includes(big.transferId))
      .map((line) => JSON.parse(line) as { fromChunk: number; chunks: number });
    assert.ok(served.length >= 1);
    const last = served.at(-1)!;
    assert.ok(
      last.fromChunk >= 16,
      `the completing stream started at chunk ${last.fromChunk}, after the verified ones`,
    );
    const chunkCount = Math.ceil((40 * 1024 * 1024 + 64) / (1024 * 1024));
    const sent = (await stats(HOSPITAL)).sender.chunksByTransfer[big.transferId]!;
    assert.ok(sent < 2 * chunkCount, `${sent} chunks sent for about ${chunkCount}: no restart from zero`);
    const filed = (await inboxEntries()).find((entry) => entry.endsWith(`${big.transferId}/item-00.bin`))!;
    const bytes = new Uint8Array(await readFile(path.join(net.dir, RECIPIENT, 'inbox', filed)));
    assert.equal(sha256File(bytes), sha256File(new Uint8Array(await readFile(files.get('big-study')!))));
    assert.ok(!(await inboxEntries()).some((entry) => entry.startsWith(`.partial/${big.transferId}`)));
  });

  // The same message test/e2e/cli-walkthrough-errors.test.ts checks against a stand-in, here from
  // a real node: the refusal names the node's URL and the token file, not the item being uploaded.
  it("a node refuses another node's API token, and the CLI names the node and the token file", async () => {
    const otherToken = path.join(net.dir, OTHER, 'api.token');
    const study = files.get('study')!;
    const result = await net.runCli([
      'transfer',
      'declare',
      '--api',
      net.api(HOSPITAL),
      '--token-file',
      otherToken,
      '--consent',
      'ab'.repeat(32),
      '--recipient',
      RECIPIENT,
      '--item',
      `imaging-study=${study}`,
    ]);
    assert.equal(result.code, 1, `exit ${result.code}: ${result.stderr}`);
    const line = result.stderr.trim();
    assert.equal(line.split('\n').length, 1, line);
    assert.ok(line.includes(`${net.api(HOSPITAL)}: the bearer token is not valid for this node`), line);
    assert.ok(line.includes(`${otherToken} (--token-file)`), line);
    assert.ok(!line.includes(study), `the item is not to blame: ${line}`);
  });

  it('a hospital whose disk has no room beside its ledger reserve refuses the upload, and declares nothing', async () => {
    // node.json's largest reserve, more than this machine's whole disk: no payload fits beside it.
    const configPath = path.join(net.dir, HOSPITAL, 'node.json');
    const config = await readFile(configPath, 'utf8');
    const reserve = LIMITS.maxDiskReserveBytes;
    const { blocks, bsize } = await statfs(net.dir);
    assert.ok(blocks * bsize < reserve, 'the disk is smaller than the largest reserve');
    const consentId = await grant('imaging-study');
    const heightBefore = (await net.status(HOSPITAL)).height;
    await net.kill(HOSPITAL, 'SIGTERM');
    await writeFile(configPath, JSON.stringify({ ...JSON.parse(config), diskReserveBytes: reserve }));
    try {
      await net.restart(HOSPITAL);
      const outboxDir = path.join(net.dir, HOSPITAL, 'outbox');
      const outboxBefore = await readdir(outboxDir, { recursive: true });
      const result = await runDeclare(consentId, [`imaging-study=${files.get('study')!}`]);
      assert.equal(result.code, 1, `exit ${result.code}: ${result.stderr}`);
      assert.match(
        result.stderr.trim(),
        new RegExp(
          `^bayledger: error: .*sealing 1 item \\(\\d+ bytes\\) needs \\d+ bytes; the node's disk has \\d+ free, of which ${reserve} are kept for its ledger: free space on the node and try again$`,
        ),
      );
      // Refused before anything was sealed (the declaration needs the sealed upload), and the
      // node runs on.
      assert.deepEqual((await readdir(outboxDir, { recursive: true })).sort(), outboxBefore.sort());
      assert.ok((await net.status(HOSPITAL)).height >= heightBefore);
    } finally {
      await net.kill(HOSPITAL, 'SIGTERM');
      await writeFile(configPath, config);
      await net.restart(HOSPITAL);
    }
  });
});
