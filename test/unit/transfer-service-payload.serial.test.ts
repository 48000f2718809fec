// The payload channel as the transfer service runs it, over real libp2p streams on loopback: a
// hospital's payload server and a recipient's fetcher, both deciding from a ledger state built
// by applying real signed transactions (TestLedger). Checks the release gate at both ends (before
// approval, rejected, another peer, consent revoked before approval), the bounded queue, the
// start-up scan (of a real LevelDB store), delivery with a receipt, resumption after the
// recipient stops mid-stream, a fetch stopped mid-stream by a revocation, the same fetcher's
// retry after the connection drops, and a payload that does not match its declaration (rejected
// receipt, nothing filed).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toHex, utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import type { StateReader } from '../../src/core/ledger/state-kv.js';
import { getTransfer, type TransferRecord } from '../../src/core/ledger/views.js';
import { LIMITS } from '../../src/core/limits.js';
import type { TransferItem } from '../../src/core/records/index.js';
import { createLogger, createMemoryLogger, type Logger } from '../../src/node/log/index.js';
import { MetricsRegistry } from '../../src/node/metrics/index.js';
import type { PeerNetwork } from '../../src/node/net/index.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { PARTIAL_FOLDER } from '../../src/node/transfer/partial.js';
import {
  decodePayloadResponse,
  encodePayloadRequest,
  MAX_RESPONSE_BYTES,
  type PayloadResponse,
} from '../../src/node/transfer/protocol.js';
import { type SealedPayload, sealPayload } from '../../src/node/transfer/seal.js';
import { DiskRoom, type RoomClaim } from '../../src/node/transfer-service/disk-room.js';
import {
  PayloadFetcher,
  type PayloadFetcherOptions,
  type ReceiptRequest,
  roomPollWaitMs,
} from '../../src/node/transfer-service/payload-fetcher.js';
import { servePayloads } from '../../src/node/transfer-service/payload-server.js';
import { PayloadStats } from '../../src/node/transfer-service/payload-stats.js';
import { resumeOpenTransfers } from '../../src/node/transfer-service/resume-scan.js';
import { buildChain, commitChain } from '../helpers/chain.js';
import {
  assessTransfer,
  type BuiltTx,
  declareTransfer,
  grantConsent,
  receiptFor,
  revokeConsent,
  TestLedger,
  testGenesis,
} from '../helpers/fixtures.js';
import { libp2pOf, testPeerNetwork } from '../helpers/peer-network.js';
import { waitFor } from '../helpers/wait.js';

const HOSPITAL = 'hku-szh';
const OTHER_HOSPITAL = 'nf-ufh';
const RECIPIENT = 'ehealth-hk';
/** Small chunks: many of them in little data, so resumption has room to show. */
const CHUNK_BYTES = 16 * 1024;
const PAYLOAD_MB = Number(process.env.BAYLEDGER_PAYLOAD_TEST_MB ?? '0');

interface Peer {
  readonly org: string;
  readonly net: PeerNetwork;
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
  readonly stats: PayloadStats;
}

const net = testGenesis();
async function startPeer(org: string): Promise<Peer> {
  const { logger, lines } = createMemoryLogger('debug');
  const metrics = new MetricsRegistry();
  const peerNet = await testPeerNetwork(net, org, logger.child({ org, component: 'net' }), metrics);
  await peerNet.start();
  return { org, net: peerNet, logger: logger.child({ org }), lines, stats: new PayloadStats(metrics) };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The real disk room, counting how often it is asked (each ask is a real statfs). */
class CountingRoom extends DiskRoom {
  checks = 0;

  override async claim(bytes: number) {
    this.checks++;
    return super.claim(bytes);
  }
}

/** The real disk room, whose first claims are granted or refused as scripted (then granted). */
class ScriptedRoom extends DiskRoom {
  readonly #script: boolean[];

  constructor(directory: string, script: readonly boolean[]) {
    super(directory, 0);
    this.#script = [...script];
  }

  override async claim(bytes: number): Promise<RoomClaim> {
    if (this.#script.shift() !== false) return super.claim(bytes);
    const verdict = { ok: false, freeBytes: await this.freeBytes(), reason: 'is refused by the script' };
    return { verdict, release: () => undefined };
  }
}

describe('transfer service: payload channel over libp2p', function () {
  this.timeout(120_000);
  let dir: string;
  let outboxDir: string;
  let inboxDir: string;
  let hospital: Peer;
  let recipient: Peer;
  let stranger: Peer;
  let ledger: TestLedger;
  const receipts: ReceiptRequest[] = [];
  const fetchers: PayloadFetcher[] = [];
  const stores: LedgerStore[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bayledger-ts-payload-'));
    outboxDir = path.join(dir, 'outbox');
    inboxDir = path.join(dir, 'inbox');
    ledger = new TestLedger(net);
    [hospital, recipient, stranger] = await Promise.all([
      startPeer(HOSPITAL),
      startPeer(RECIPIENT),
      startPeer(OTHER_HOSPITAL),
    ]);
    const address = hospital.net.listenAddresses()[0]!;
    recipient.net.setPeerAddress(HOSPITAL, address);
    stranger.net.setPeerAddress(HOSPITAL, address);
    for (const peer of [hospital, recipient, stranger]) {
      await servePayloads({
        net: peer.net,
        state: ledger.state,
        self: peer.org,
        outboxDir: peer === hospital ? outboxDir : path.join(dir, `outbox-${peer.org}`),
        stats: peer.stats,
        logger: peer.logger,
      });
    }
  });

  after(async () => {
    for (const fetcher of fetchers) await fetcher.close();
    for (const store of stores) await store.close();
    await Promise.all([hospital, recipient, stranger].map((peer) => peer?.net.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** The recipient's fetcher; `overrides` replace any option (another peer, a small queue). */
  function newFetcher(overrides: Partial<PayloadFetcherOptions> = {}): PayloadFetcher {
    const fetcher = new PayloadFetcher({
      net: recipient.net,
      state: ledger.state,
      self: RECIPIENT,
      chainId: net.genesis.chainId,
      recipientSecretKey: net.encryptionKeys[RECIPIENT]!.secretKey,
      inboxDir,
      stats: recipient.stats,
      logger: recipient.logger,
      room: new DiskRoom(dir, 0),
      submitReceipt: async (receipt) => {
        receipts.push(receipt);
        ledger.block(
          receiptFor(net, {
            transferId: receipt.transferId,
            payloadRoot: receipt.payloadRoot,
            accepted: receipt.accepted,
            reason: receipt.reason,
          }),
        );
      },
      ...overrides,
    });
    fetchers.push(fetcher);
    return fetcher;
  }

  /** Hands the fetcher the shared ledger's record of a transfer, as a committed block would. */
  function considerById(fetcher: PayloadFetcher, transferId: Uint8Array): void {
    const transfer = getTransfer(ledger.state, transferId);
    assert.ok(transfer !== undefined, `transfer ${toHex(transferId)} is on the ledger`);
    fetcher.considerWritten(transfer);
  }

  /**
   * Runs `action` right after the recipient's `atChunk`-th verified chunk from now on: the receiver
   * counts each chunk synchronously (stats.chunkAccepted), so the action lands mid-stream.
   * `restore` puts the plain counter back.
   */
  function afterChunk(atChunk: number, action: () => void): { counted: () => number; restore: () => void } {
    const stats = recipient.stats;
    const countChunk = stats.chunkAccepted.bind(stats);
    let counted = 0;
    stats.chunkAccepted = () => {
      countChunk();
      if (++counted === atChunk) action();
    };
    return {
      counted: () => counted,
      restore: () => {
        stats.chunkAccepted = countChunk;
      },
    };
  }

  /**
   * A fetcher on a recipient peer that cannot reach the hospital (no address), so the fetches it
   * starts stay busy retrying and the slots stay full; a queue of one; close both when done.
   */
  async function isolatedFetcher(
    inboxName: string,
    overrides: Partial<PayloadFetcherOptions> = {},
  ): Promise<{ isolated: Peer; fetcher: PayloadFetcher }> {
    const isolated = await startPeer(RECIPIENT);
    const fetcher = newFetcher({
      net: isolated.net,
      inboxDir: path.join(dir, inboxName),
      stats: isolated.stats,
      logger: isolated.logger,
      submitReceipt: async () => {},
      maxQueued: 1,
      ...overrides,
    });
    return { isolated, fetcher };
  }

  /** Item files of the given sizes, sealed into the hospital's outbox for ehealth-hk. */
  async function sealItems(label: string, sizes: number[], chunkBytes = CHUNK_BYTES) {
    const files: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const file = path.join(dir, `${label}-${i}.bin`);
      await writeFile(file, randomBytes(size));
      files.push(file);
    }
    const sealed = await sealPayload({
      outboxDir,
      key: {
        chainId: net.genesis.chainId,
        recipientId: RECIPIENT,
        recipientPublicKey: net.encryptionKeys[RECIPIENT]!.publicKey,
      },
      itemPaths: files,
      chunkBytes,
    });
    return { files, sealed };
  }

  function itemsOf(sealed: SealedPayload, categories: string[]): TransferItem[] {
    return sealed.items.map((item, i) => ({
      category: categories[i]!,
      documentType: 'document',
      sizeBytes: item.sizeBytes,
      digest: item.digest,
      itemCommitment: sha256(utf8(`salt-and-uid/${i}`)),
    }));
  }

  function declare(consent: BuiltTx, sealed: SealedPayload, items: TransferItem[]): BuiltTx {
    return declareTransfer(net, { consentId: consent.objectId, items, payload: sealed.commitment });
  }

  /**
   * One imaging file of `sizeBytes`, sealed, consented to by patient `label` and declared; both
   * on the shared ledger, so the transfer is approved for ehealth-hk.
   */
  async function approvedImaging(label: string, sizeBytes: number) {
    const { files, sealed } = await sealItems(label, [sizeBytes]);
    const consent = grantConsent(net, { patient: label });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
    ledger.block(consent);
    ledger.block(declaration);
    return { files, sealed, declaration, id: toHex(declaration.objectId) };
  }

  /** One raw request as `peer`: the end code and how many chunks came. */
  async function request(peer: Peer, transferId: Uint8Array): Promise<{ end: string; chunks: number }> {
    const stream = await peer.net.openStream(HOSPITAL, PROTOCOL.payload, {
      maxMessageBytes: MAX_RESPONSE_BYTES,
    });
    await stream.write(encodePayloadRequest({ transferId, fromChunk: 0 }));
    await stream.closeWrite();
    let chunks = 0;
    for (;;) {
      const frame = await stream.read();
      if (frame === null) return { end: 'EOF', chunks };
      const message: PayloadResponse = decodePayloadResponse(frame);
      if (message.type === 'chunk') chunks++;
      if (message.type === 'end') return { end: message.code, chunks };
    }
  }

  async function inboxEntries(): Promise<string[]> {
    return readdir(inboxDir, { recursive: true }).catch(() => [] as string[]);
  }

  it('holds a bounded queue: past it a transfer is turned away (a scan finds it again), waiters wake on close', async () => {
    const { isolated, fetcher } = await isolatedFetcher('inbox-isolated');
    try {
      const transfers: Uint8Array[] = [];
      for (const label of ['bound-a', 'bound-b', 'bound-c', 'bound-d']) {
        const { sealed } = await sealItems(label, [5_000]);
        const consent = grantConsent(net, { patient: label });
        const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
        ledger.block(consent);
        ledger.block(declaration);
        transfers.push(declaration.objectId);
      }
      for (const transferId of transfers.slice(0, 3)) considerById(fetcher, transferId);
      assert.equal(fetcher.activeTransfers.length, LIMITS.maxConcurrentPayloadFetches);
      assert.equal(fetcher.takeTurnedAway(), false, 'two running and one queued fit');
      considerById(fetcher, transfers[3]!);
      assert.equal(fetcher.takeTurnedAway(), true, 'the fourth is turned away');
      assert.equal(fetcher.takeTurnedAway(), false, 'and the flag is taken once');
      let woke = false;
      const waiting = fetcher.waitForRoom().then(() => {
        woke = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(woke, false, 'no room while the queue is full');
      await fetcher.close();
      await waiting;
      assert.equal(woke, true);
    } finally {
      await fetcher.close();
      await isolated.net.close();
    }
  });

  it('a fetch waiting to retry when the fetcher closes makes no further attempt', async () => {
    const interrupted: Array<Record<string, unknown>> = [];
    let fetcher: PayloadFetcher | undefined;
    let closing: Promise<void> | undefined;
    // Closes the fetcher just after the first failed attempt, once its retry wait has begun: a
    // microtask queued while the attempt is logged runs after the fetch awaits its wait.
    const logger = createLogger({
      level: 'info',
      sink: (line) => {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg !== 'payload fetch interrupted') return;
        interrupted.push(parsed);
        if (closing === undefined)
          queueMicrotask(() => {
            closing = fetcher!.close();
          });
      },
    });
    const isolatedPeer = await isolatedFetcher('inbox-closing', { logger });
    fetcher = isolatedPeer.fetcher;
    try {
      const { declaration } = await approvedImaging('closing', 5_000);
      considerById(fetcher, declaration.objectId);
      await waitFor('the close', () => closing !== undefined || undefined);
      await closing;
      assert.equal(interrupted.length, 1, 'one attempt, then the close ended the wait and the fetch');
      assert.deepEqual(fetcher.activeTransfers, []);
    } finally {
      await fetcher.close();
      await isolatedPeer.isolated.net.close();
    }
  });

  it('gives a fetch up after LIMITS.maxPayloadFetchAttempts attempts, until the next node start', async () => {
    // Waits of 1 ms instead of 0.25 to 5 s: the bound is what is tested, not the backoff.
    const delaysAskedFor: number[] = [];
    const { isolated, fetcher } = await isolatedFetcher('inbox-give-up', {
      retryDelayMs: (failures) => {
        delaysAskedFor.push(failures);
        return 1;
      },
    });
    try {
      const { declaration } = await approvedImaging('give-up', 5_000);
      considerById(fetcher, declaration.objectId);
      const gaveUp = await waitFor('the fetch given up', () =>
        isolated.lines.find((line) => line.msg === 'payload fetch gave up until the next node start'),
      );
      assert.equal(gaveUp.attempts, LIMITS.maxPayloadFetchAttempts);
      const attempts = isolated.lines.filter(
        (line) => line.msg === 'payload fetch interrupted' && line.transferId === toHex(declaration.objectId),
      );
      assert.deepEqual(
        attempts.map((line) => line.attempt),
        Array.from({ length: LIMITS.maxPayloadFetchAttempts }, (_, index) => index + 1),
      );
      // Each wait is asked for with the failures before the one just seen: 0, 1, 2, ...
      assert.deepEqual(
        delaysAskedFor,
        Array.from({ length: LIMITS.maxPayloadFetchAttempts }, (_, index) => index),
      );
      await waitFor('the fetch no longer running', () => fetcher.activeTransfers.length === 0 || undefined);
    } finally {
      await fetcher.close();
      await isolated.net.close();
    }
  });

  it('waits for room on its disk without spending attempts, and fetches once space is freed', async () => {
    const { declaration, id, sealed } = await approvedImaging('no-room', 5_000);
    // The disk is real. A 64 MiB file of the test's takes room; the reserve is set 16 MiB above
    // what the payload leaves free now, and 48 MiB below what it leaves once the file is gone:
    // margins far beyond what anything else writes meanwhile.
    const filler = path.join(dir, 'filler.bin');
    await writeFile(filler, randomBytes(64 * 1024 * 1024));
    const free = await new DiskRoom(dir, 0).freeBytes();
    const reserve = free - sealed.commitment.bytes + 16 * 1024 * 1024;
    const room = new CountingRoom(dir, reserve);
    const fetcher = newFetcher({ room, retryDelayMs: () => 1, diskRoomPollMs: 5 });
    considerById(fetcher, declaration.objectId);
    const waiting = await waitFor('the fetch waiting for room', () =>
      recipient.lines.find(
        (line) => line.msg === 'payload fetch waits for room on the disk' && line.transferId === id,
      ),
    );
    assert.match(
      String(waiting.detail),
      new RegExp(
        `^the rest of the payload needs ${sealed.commitment.bytes} bytes; the node's disk has \\d+ free, of which ${reserve} are kept for its ledger$`,
      ),
    );
    assert.equal(waiting.folder, dir, 'the folder whose disk lacks room');
    // More polls than it has attempts, and none of them an attempt: it neither gave up nor asked
    // the hospital for a chunk.
    await waitFor('more polls than attempts', () => room.checks > LIMITS.maxPayloadFetchAttempts + 5);
    const attempts = recipient.lines.filter(
      (line) =>
        line.transferId === id &&
        (line.msg === 'payload fetch interrupted' ||
          line.msg?.toString().startsWith('payload fetch gave up')),
    );
    assert.deepEqual(attempts, []);
    assert.ok(fetcher.activeTransfers.includes(id), 'still waiting');
    assert.equal(hospital.stats.sender.chunksByTransfer[id], undefined, 'no chunk was asked for');
    assert.equal(
      recipient.lines.filter(
        (line) => line.msg === 'payload fetch waits for room on the disk' && line.transferId === id,
      ).length,
      1,
      'said once',
    );

    await rm(filler);
    await waitFor('the receipt', () => receipts.some((receipt) => toHex(receipt.transferId) === id));
    assert.equal(receipts.find((receipt) => toHex(receipt.transferId) === id)?.accepted, true);
  });

  it('a fetch the disk refuses again after progress begins a new wait, warned again at the chunk it reached', async () => {
    const { declaration, id } = await approvedImaging('no-room-twice', 1_500_000);
    // The first claim is refused (a wait at chunk 0); the second is granted, and a write after the
    // 40th chunk fails for want of space as a full disk's would (a second wait, further on).
    const room = new ScriptedRoom(dir, [false]);
    const hook = afterChunk(40, () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    try {
      const fetcher = newFetcher({ room, retryDelayMs: () => 1, diskRoomPollMs: 5 });
      considerById(fetcher, declaration.objectId);
      await waitFor('the receipt', () => receipts.some((receipt) => toHex(receipt.transferId) === id));
    } finally {
      hook.restore();
    }
    assert.equal(receipts.find((receipt) => toHex(receipt.transferId) === id)?.accepted, true);
    const waits = recipient.lines.filter(
      (line) => line.msg === 'payload fetch waits for room on the disk' && line.transferId === id,
    );
    assert.deepEqual(
      waits.map((line) => line.atChunk === 0),
      [true, false],
      'one warning a wait: at the start, then at the chunk reached',
    );
    assert.ok((waits[1]!.atChunk as number) > 0 && (waits[1]!.atChunk as number) <= 40);
    assert.match(String(waits[1]!.detail), /ENOSPC/);
  });

  it('polls for room soon after a refusal, then less often: the wait doubles up to its cap', () => {
    const waits = Array.from({ length: 8 }, (_, polls) => roomPollWaitMs(polls, LIMITS.diskRoomPollMs));
    assert.deepEqual(waits, [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
    assert.equal(waits[0], LIMITS.firstDiskRoomPollMs);
    assert.equal(roomPollWaitMs(LIMITS.maxDiskRoomPolls, LIMITS.diskRoomPollMs), LIMITS.diskRoomPollMs);
    assert.equal(roomPollWaitMs(0, 5), 5, 'a cap below the first wait (tests) is the wait');
  });

  it('past its bound of polls for room, a fetch spends its attempts and gives up until the next start', async () => {
    const { declaration, id } = await approvedImaging('no-room-bounded', 5_000);
    const { blocks, bsize } = await statfs(dir);
    const room = new CountingRoom(dir, blocks * bsize + 1);
    const fetcher = newFetcher({ room, diskRoomPollMs: 1, maxDiskRoomPolls: 3, retryDelayMs: () => 1 });
    considerById(fetcher, declaration.objectId);
    await waitFor('the fetch given up', () =>
      recipient.lines.find(
        (line) => line.msg === 'payload fetch gave up until the next node start' && line.transferId === id,
      ),
    );
    const interrupted = recipient.lines.filter(
      (line) => line.msg === 'payload fetch interrupted' && line.transferId === id,
    );
    assert.deepEqual(
      interrupted.map((line) => line.reason),
      Array(LIMITS.maxPayloadFetchAttempts).fill('NO_DISK_ROOM'),
    );
    // Three polls, then one ask per attempt.
    assert.equal(room.checks, 3 + LIMITS.maxPayloadFetchAttempts);
  });

  it('a fetch waiting for room asks the gate again after each wait: a revoked consent stops it', async () => {
    const { sealed } = await sealItems('no-room-revoked', [5_000]);
    const consent = grantConsent(net, { patient: 'no-room-revoked' });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
    ledger.block(consent);
    ledger.block(declaration);
    const id = toHex(declaration.objectId);
    const { blocks, bsize } = await statfs(dir);
    const room = new CountingRoom(dir, blocks * bsize + 1);
    const fetcher = newFetcher({ room, diskRoomPollMs: 5 });
    considerById(fetcher, declaration.objectId);
    await waitFor('a poll for room', () => room.checks >= 2);
    // Revoked on the ledger alone (the fetcher is not told): only the gate can notice.
    ledger.block(revokeConsent(net, { consentId: consent.objectId, patient: 'no-room-revoked' }));
    const stopped = await waitFor('the fetch stopped', () =>
      recipient.lines.find((line) => line.msg === 'payload fetch stopped' && line.transferId === id),
    );
    assert.equal(stopped.reason, 'NOT_APPROVED');
    await waitFor('the fetch no longer running', () => !fetcher.activeTransfers.includes(id));
  });

  it('a transfer already filed (the node stopped before its receipt) is receipted without reaching the hospital', async () => {
    const { sealed, declaration } = await approvedImaging('filed-early', 20_000);
    // The first run files the payload; its receipt never reaches the ledger.
    const lost: ReceiptRequest[] = [];
    const first = newFetcher({
      inboxDir: path.join(dir, 'inbox-filed'),
      submitReceipt: async (r) => void lost.push(r),
    });
    considerById(first, declaration.objectId);
    await waitFor('the first receipt', () => lost.length === 1 || undefined);
    await first.close();
    assert.equal(getTransfer(ledger.state, declaration.objectId)?.status, 'approved');
    // After the restart the node cannot even reach the hospital, and does not need to.
    const resent: ReceiptRequest[] = [];
    const { isolated, fetcher } = await isolatedFetcher('inbox-filed', {
      submitReceipt: async (r) => void resent.push(r),
    });
    try {
      considerById(fetcher, declaration.objectId);
      await waitFor('the receipt again', () => resent.length === 1 || undefined);
      assert.deepEqual(
        [resent[0]!.accepted, toHex(resent[0]!.payloadRoot)],
        [true, toHex(sealed.commitment.root)],
      );
      assert.equal(
        isolated.lines.some((line) => line.msg === 'payload fetch interrupted'),
        false,
      );
    } finally {
      await fetcher.close();
      await isolated.net.close();
    }
  });

  it('start-up scan: only the open transfers to this node reach the gate, read from the scanned values', async () => {
    // A chain of its own, so that no transfer of the other tests is open for this node: certified
    // blocks committed to a real LevelDB store, scanned as the service scans it at start.
    const openConsent = grantConsent(net, { patient: 'scan-open' });
    const deliveredConsent = grantConsent(net, { patient: 'scan-delivered' });
    const revokedConsent = grantConsent(net, { patient: 'scan-revoked' });
    // The open one with a real sealed payload, whose layout the fetcher accepts: it then keeps
    // retrying (this recipient cannot reach the hospital), so it is still running when checked.
    const { sealed: openSealed } = await sealItems('scan-open', [5_000]);
    const open = declare(openConsent, openSealed, itemsOf(openSealed, ['imaging-study']));
    const delivered = declareTransfer(net, { consentId: deliveredConsent.objectId });
    const revoked = declareTransfer(net, { consentId: revokedConsent.objectId });
    const chain = buildChain({
      genesis: net.genesis,
      signers: net.signers,
      blocks: [
        [openConsent, deliveredConsent, revokedConsent],
        [revokeConsent(net, { consentId: revokedConsent.objectId, patient: 'scan-revoked' })],
        [open, delivered, revoked],
        [receiptFor(net, { transferId: delivered.objectId })],
      ],
    });
    const store = await LedgerStore.open(path.join(dir, 'scan-store'), { createIfMissing: true });
    stores.push(store);
    await commitChain(store, chain);
    const reads: string[] = [];
    const countingState: StateReader = {
      get: (bucket, key) => {
        reads.push(`${bucket}/${key}`);
        return store.state.get(bucket, key);
      },
    };
    const statuses = [open, delivered, revoked].map((tx) => getTransfer(store.state, tx.objectId)?.status);
    assert.deepEqual(statuses, ['approved', 'delivered', 'rejected']);
    reads.length = 0;
    const { isolated, fetcher } = await isolatedFetcher('inbox-scan', { state: countingState, maxQueued: 4 });
    try {
      await resumeOpenTransfers(
        () => store.stateEntriesIn('transfer'),
        fetcher,
        RECIPIENT,
        new AbortController().signal,
      );
      assert.deepEqual(fetcher.activeTransfers, [toHex(open.objectId)]);
      // Only the open transfer was read back (by the gate); the scan itself read nothing.
      for (const other of [delivered, revoked]) {
        assert.ok(
          !reads.includes(`transfer/${toHex(other.objectId)}`),
          'a closed transfer is never read back',
        );
      }
      const openReads = reads.filter((read) => read === `transfer/${toHex(open.objectId)}`);
      assert.equal(openReads.length, 1, 'the gate read the open one back once, before its fetch');
    } finally {
      await fetcher.close();
      await isolated.net.close();
    }
    // A scan stopped (the node shutting down) hands nothing over: stopped before it starts, or
    // while it waits for room in the queue.
    const considered: string[] = [];
    const target = (onWait: () => void) => ({
      waitForRoom: async () => onWait(),
      considerWritten: (transfer: TransferRecord) => void considered.push(toHex(transfer.transferId)),
      takeTurnedAway: () => false,
    });
    const scan = () => store.stateEntriesIn('transfer');
    await resumeOpenTransfers(
      scan,
      target(() => {}),
      RECIPIENT,
      AbortSignal.abort(),
    );
    const stopping = new AbortController();
    await resumeOpenTransfers(
      scan,
      target(() => stopping.abort()),
      RECIPIENT,
      stopping.signal,
    );
    assert.deepEqual(considered, []);
    await resumeOpenTransfers(
      scan,
      target(() => {}),
      RECIPIENT,
      new AbortController().signal,
    );
    assert.deepEqual(considered, [toHex(open.objectId)], 'the same scan, not stopped');
  });

  it('queues a transfer a block wrote without reading the store; the gate before each fetch still stops a revoked one', async () => {
    let stateReads = 0;
    const countingState: StateReader = {
      get: (bucket, key) => {
        stateReads++;
        return ledger.state.get(bucket, key);
      },
    };
    const { isolated, fetcher } = await isolatedFetcher('inbox-written', { state: countingState });
    try {
      const records: TransferRecord[] = [];
      for (const label of ['written-a', 'written-b', 'written-c', 'written-d', 'written-revoked']) {
        const { sealed } = await sealItems(label, [5_000]);
        const consent = grantConsent(net, { patient: label });
        const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
        ledger.block(consent);
        ledger.block(declaration);
        const record = getTransfer(ledger.state, declaration.objectId)!;
        assert.equal(record.status, 'approved');
        records.push(record);
        if (label === 'written-revoked') {
          ledger.block(revokeConsent(net, { consentId: consent.objectId, patient: label }));
        }
      }
      const [first, second, third, fourth, revoked] = records as [
        TransferRecord,
        TransferRecord,
        TransferRecord,
        TransferRecord,
        TransferRecord,
      ];
      // Approved, then its consent revoked: the gate that runs before a fetch starts refuses it.
      fetcher.considerWritten(revoked);
      assert.deepEqual(fetcher.activeTransfers, []);
      assert.ok(stateReads > 0, 'the gate read the transfer and its consent back');
      // Starting a fetch asks the gate once: the transfer and its consent, two reads.
      const readsBeforeStart = stateReads;
      fetcher.considerWritten(first);
      assert.equal(stateReads - readsBeforeStart, 2, 'one gate decision to start the fetch');
      fetcher.considerWritten(second);
      assert.deepEqual(
        [...fetcher.activeTransfers].sort(),
        [toHex(first.transferId), toHex(second.transferId)].sort(),
      );
      // Both fetch slots busy: the third waits in the queue and the fourth is turned away, and
      // neither reads the store (the record the block wrote is all it takes).
      const readsBefore = stateReads;
      fetcher.considerWritten(third);
      fetcher.considerWritten(fourth);
      assert.equal(stateReads, readsBefore);
      assert.equal(fetcher.takeTurnedAway(), true, 'the fourth is turned away');
      assert.deepEqual(
        [...fetcher.activeTransfers].sort(),
        [toHex(first.transferId), toHex(second.transferId)].sort(),
      );
    } finally {
      await fetcher.close();
      await isolated.net.close();
    }
  });

  it('delivers an approved transfer, files it and receipts it; the sender sent each chunk once', async () => {
    const sizes = PAYLOAD_MB > 0 ? [PAYLOAD_MB * 1024 * 1024, 70_000] : [900_000, 70_000];
    const { files, sealed } = await sealItems(
      'delivered',
      sizes,
      PAYLOAD_MB > 0 ? LIMITS.payloadChunkBytes : CHUNK_BYTES,
    );
    const consent = grantConsent(net, { patient: 'delivered' });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study', 'radiology-report']));
    ledger.block(consent);
    ledger.block(declaration);
    assert.equal(getTransfer(ledger.state, declaration.objectId)?.status, 'approved');
    const startedMs = Date.now();
    const fetcher = newFetcher();
    considerById(fetcher, declaration.objectId);
    // Seen again (the start-up scan and a block can both hand it over): no second fetch.
    considerById(fetcher, declaration.objectId);
    await waitFor(
      'the receipt',
      () => receipts.some((r) => toHex(r.transferId) === toHex(declaration.objectId)),
      {
        timeoutMs: 100_000,
      },
    );
    // BAYLEDGER_PAYLOAD_TEST_MB=N measures a real-size payload (1 MiB chunks) on loopback.
    if (PAYLOAD_MB > 0) console.log(`      ${PAYLOAD_MB} MiB delivered in ${Date.now() - startedMs} ms`);
    const receipt = receipts.find((r) => toHex(r.transferId) === toHex(declaration.objectId))!;
    assert.equal(receipts.filter((r) => toHex(r.transferId) === toHex(declaration.objectId)).length, 1);
    assert.deepEqual(
      [receipt.accepted, receipt.reason, toHex(receipt.payloadRoot)],
      [true, 'OK', toHex(sealed.commitment.root)],
    );
    assert.equal(getTransfer(ledger.state, declaration.objectId)?.status, 'delivered');
    const filed = path.join(inboxDir, toHex(net.patient('delivered').publicKey), toHex(declaration.objectId));
    const manifest = JSON.parse(await readFile(path.join(filed, 'manifest.json'), 'utf8')) as {
      items: { file: string; digest: string }[];
    };
    for (const [i, item] of manifest.items.entries()) {
      const original = sha256Hex(new Uint8Array(await readFile(files[i]!)));
      assert.equal(sha256Hex(new Uint8Array(await readFile(path.join(filed, item.file)))), original);
      assert.equal(item.digest, original);
    }
    assert.equal(
      hospital.stats.sender.chunksByTransfer[toHex(declaration.objectId)],
      sealed.commitment.chunkCount,
    );
    assert.ok(
      !(await inboxEntries()).some((entry) =>
        entry.startsWith(`${PARTIAL_FOLDER}/${toHex(declaration.objectId)}`),
      ),
    );
  });
  it('gives nothing before approval, for a rejected transfer, to another peer, or after a revocation before approval', async () => {
    const consent = grantConsent(net, { patient: 'gated' });
    ledger.block(consent);
    const { sealed: geneticSealed } = await sealItems('genetic', [50_000]);
    const genetic = declare(consent, geneticSealed, itemsOf(geneticSealed, ['genetic-test-result']));
    const { sealed: imagingSealed } = await sealItems('imaging-gated', [40_000]);
    const imaging = declare(consent, imagingSealed, itemsOf(imagingSealed, ['imaging-study']));
    const { sealed: prohibitedSealed } = await sealItems('prohibited', [30_000]);
    const prohibited = declare(
      consent,
      prohibitedSealed,
      itemsOf(prohibitedSealed, ['population-health-data']),
    );
    ledger.block(genetic, imaging, prohibited);
    assert.equal(getTransfer(ledger.state, genetic.objectId)?.status, 'awaiting-assessment');
    assert.equal(getTransfer(ledger.state, imaging.objectId)?.status, 'approved');
    assert.equal(getTransfer(ledger.state, prohibited.objectId)?.status, 'rejected');
    const sentBefore = hospital.stats.sender.chunksSent;

    // The recipient's own gate: it does not even ask for what is not approved on its chain.
    const fetcher = newFetcher();
    considerById(fetcher, genetic.objectId);
    considerById(fetcher, prohibited.objectId);
    assert.deepEqual(fetcher.activeTransfers, []);

    // The hospital's gate, asked directly.
    assert.deepEqual(await request(recipient, genetic.objectId), { end: 'NOT_APPROVED', chunks: 0 });
    assert.deepEqual(await request(recipient, prohibited.objectId), { end: 'NOT_APPROVED', chunks: 0 });
    assert.deepEqual(await request(stranger, imaging.objectId), { end: 'NOT_RECIPIENT', chunks: 0 });
    assert.deepEqual(await request(recipient, sha256(utf8('no such transfer'))), {
      end: 'UNKNOWN_TRANSFER',
      chunks: 0,
    });

    // One assessment of two: still not final.
    ledger.block(assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-cac' }));
    assert.deepEqual(await request(recipient, genetic.objectId), { end: 'NOT_APPROVED', chunks: 0 });

    // Revoked before the last assessment: the recheck rejects it, and nothing ever moves.
    ledger.block(revokeConsent(net, { consentId: consent.objectId, patient: 'gated' }));
    ledger.block(assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-health' }));
    const rejected = getTransfer(ledger.state, genetic.objectId)!;
    assert.deepEqual([rejected.status, rejected.reasons], ['rejected', ['CONSENT_REVOKED']]);
    assert.deepEqual(await request(recipient, genetic.objectId), { end: 'NOT_APPROVED', chunks: 0 });
    // The approved imaging transfer is under the same consent: revoked before delivery, it stays put.
    assert.deepEqual(await request(recipient, imaging.objectId), { end: 'NOT_APPROVED', chunks: 0 });
    considerById(fetcher, genetic.objectId);
    considerById(fetcher, imaging.objectId);
    assert.deepEqual(fetcher.activeTransfers, []);

    assert.equal(hospital.stats.sender.chunksSent, sentBefore);
    assert.equal(stranger.stats.sender.chunksSent + recipient.stats.sender.chunksSent, 0);
    assert.deepEqual(hospital.stats.sender.refused, {
      NOT_APPROVED: 5,
      NOT_RECIPIENT: 1,
      UNKNOWN_TRANSFER: 1,
    });
    for (const transfer of [genetic, imaging, prohibited]) {
      assert.ok(!(await inboxEntries()).some((entry) => entry.includes(toHex(transfer.objectId))));
    }
  });

  it('resumes from the last verified chunk after the recipient stops mid-stream', async () => {
    const { files, sealed, declaration, id } = await approvedImaging('resumed', 1_500_000);
    const first = newFetcher();
    // Stop the first fetcher right after its 40th verified chunk, as a node shutting down would.
    let closing: Promise<void> | undefined;
    const hook = afterChunk(40, () => {
      closing = first.close();
    });
    considerById(first, declaration.objectId);
    await waitFor('the first fetcher stopped', () => closing !== undefined, { timeoutMs: 30_000 });
    await closing;
    hook.restore();
    assert.equal(
      receipts.some((r) => toHex(r.transferId) === id),
      false,
    );
    const partial = (await inboxEntries()).filter((entry) => entry.startsWith(`${PARTIAL_FOLDER}/${id}`));
    assert.ok(partial.length > 0, 'progress kept in the partial folder');

    considerById(newFetcher(), declaration.objectId);
    await waitFor('the receipt', () => receipts.some((r) => toHex(r.transferId) === id), {
      timeoutMs: 30_000,
    });
    // The first stream may have been written out whole before the cut reached the hospital (the
    // payload fits in one receive window): what counts is that the second asked only for the rest.
    const resumed = hospital.lines.filter(
      (line) =>
        line.msg === 'payload stream served' && line.transferId === id && (line.fromChunk as number) > 0,
    );
    assert.equal(resumed.length, 1, 'one stream resumed after the first was cut');
    const fromChunk = resumed[0]!.fromChunk as number;
    assert.ok(fromChunk >= 32, `resumed at chunk ${fromChunk}, after the durable checkpoints`);
    // The second stream sent only what was missing, once.
    assert.equal(resumed[0]!.chunks, sealed.commitment.chunkCount - fromChunk);
    const filed = path.join(inboxDir, toHex(net.patient('resumed').publicKey), id, 'item-00.bin');
    assert.equal(
      sha256Hex(new Uint8Array(await readFile(filed))),
      sha256Hex(new Uint8Array(await readFile(files[0]!))),
    );
  });

  it('a resumed fetch asks room only for the rest of the payload', async () => {
    // 8 MiB in 128 chunks of 64 KiB, cut after the 100th: at most 32 chunks (2 MiB) are left.
    const chunkBytes = 64 * 1024;
    const { sealed } = await sealItems('resumed-room', [8 * 1024 * 1024 - 4_096], chunkBytes);
    const consent = grantConsent(net, { patient: 'resumed-room' });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
    ledger.block(consent);
    ledger.block(declaration);
    const id = toHex(declaration.objectId);
    const first = newFetcher();
    let closing: Promise<void> | undefined;
    const hook = afterChunk(100, () => {
      closing = first.close();
    });
    considerById(first, declaration.objectId);
    await waitFor('the first fetcher stopped', () => closing !== undefined, { timeoutMs: 30_000 });
    await closing;
    hook.restore();
    // Room for 5 MiB beside the reserve: enough for the rest, not for the whole payload.
    const free = await new DiskRoom(dir, 0).freeBytes();
    considerById(newFetcher({ room: new DiskRoom(dir, free - 5 * 1024 * 1024) }), declaration.objectId);
    await waitFor('the receipt', () => receipts.some((receipt) => toHex(receipt.transferId) === id), {
      timeoutMs: 30_000,
    });
    assert.equal(receipts.find((receipt) => toHex(receipt.transferId) === id)?.accepted, true);
  });

  it('stops a running fetch when its consent is revoked, and keeps nothing of it', async () => {
    const { sealed } = await sealItems('revoked-midway', [3_000_000]);
    const consent = grantConsent(net, { patient: 'revoked-midway' });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
    // The recipient's chain is its own ledger, so the revocation below reaches the recipient only:
    // the hospital (serving from the shared ledger) would otherwise stop the stream itself.
    const recipientLedger = new TestLedger(net);
    for (const chain of [ledger, recipientLedger]) {
      chain.block(consent);
      chain.block(declaration);
    }
    const id = toHex(declaration.objectId);
    const fetcher = newFetcher({ state: recipientLedger.state });
    // The patient revokes after the 10th verified chunk: the block is applied and the fetcher told,
    // as the service's block listener does (service.ts), while the stream is still running.
    const hook = afterChunk(10, () => {
      recipientLedger.block(revokeConsent(net, { consentId: consent.objectId, patient: 'revoked-midway' }));
      fetcher.consentRevoked(consent.objectId);
    });
    try {
      considerById(fetcher, declaration.objectId);
      await waitFor('the fetch stopped', () =>
        recipient.lines.some((line) => line.msg === 'payload fetch stopped' && line.transferId === id),
      );
    } finally {
      hook.restore();
    }
    await waitFor('the fetch no longer running', () => !fetcher.activeTransfers.includes(id));
    const counted = hook.counted();
    assert.ok(counted < sealed.commitment.chunkCount, `cut after ${counted} chunks, before the last`);
    assert.equal(counted, 10, 'no chunk verified after the revocation, even one already buffered');
    assert.equal(
      receipts.some((r) => toHex(r.transferId) === id),
      false,
      'no receipt',
    );
    assert.ok(!(await inboxEntries()).some((entry) => entry.includes(id)), 'neither filed nor kept in part');
  });

  it('answers a malformed request BAD_REQUEST and a payload gone from the outbox PAYLOAD_UNAVAILABLE', async () => {
    const { sealed, declaration } = await approvedImaging('outbox-emptied', 20_000);
    await rm(sealed.directory, { recursive: true, force: true });
    const before = structuredClone(hospital.stats.sender);
    assert.deepEqual(await request(recipient, declaration.objectId), {
      end: 'PAYLOAD_UNAVAILABLE',
      chunks: 0,
    });
    const stream = await recipient.net.openStream(HOSPITAL, PROTOCOL.payload, {
      maxMessageBytes: MAX_RESPONSE_BYTES,
    });
    await stream.write(Uint8Array.of(1, 2, 3));
    await stream.closeWrite();
    const answer = await stream.read();
    assert.ok(answer !== null);
    assert.deepEqual(decodePayloadResponse(answer), { type: 'end', code: 'BAD_REQUEST' });
    const after = structuredClone(hospital.stats.sender);
    assert.deepEqual(
      [after.completed, after.refused.PAYLOAD_UNAVAILABLE ?? 0, after.refused.BAD_REQUEST ?? 0],
      [
        before.completed,
        (before.refused.PAYLOAD_UNAVAILABLE ?? 0) + 1,
        (before.refused.BAD_REQUEST ?? 0) + 1,
      ],
    );
    // A stream closed before any request: no answer, and nothing counted.
    const silent = await recipient.net.openStream(HOSPITAL, PROTOCOL.payload, {
      maxMessageBytes: MAX_RESPONSE_BYTES,
    });
    await silent.closeWrite();
    assert.equal(
      await silent.read({ signal: AbortSignal.timeout(10_000) }),
      null,
      'the hospital closed its side',
    );
    assert.deepEqual(hospital.stats.sender, after);
    for (const code of ['PAYLOAD_UNAVAILABLE', 'BAD_REQUEST'])
      assert.ok(
        hospital.lines.some((line) => line.msg === 'payload request not served' && line.code === code),
        code,
      );
  });

  it('the hospital cuts a stream when the consent is revoked on its own chain mid-stream', async () => {
    // Four times the stream window, so most of it is still to be sent when the revocation lands.
    const { sealed } = await sealItems('revoked-at-hospital', [4 * LIMITS.maxStreamWindowBytes]);
    const consent = grantConsent(net, { patient: 'revoked-at-hospital' });
    const declaration = declare(consent, sealed, itemsOf(sealed, ['imaging-study']));
    ledger.block(consent);
    ledger.block(declaration);
    const id = toHex(declaration.objectId);
    const sentBefore = hospital.stats.sender.chunksSent;
    // A raw request, which checks nothing itself: only the hospital can stop what it sends.
    const stream = await recipient.net.openStream(HOSPITAL, PROTOCOL.payload, {
      maxMessageBytes: MAX_RESPONSE_BYTES,
    });
    await stream.write(encodePayloadRequest({ transferId: declaration.objectId, fromChunk: 0 }));
    await stream.closeWrite();
    let chunks = 0;
    let endCode: string | undefined;
    let readError: unknown;
    try {
      for (let frame = await stream.read(); frame !== null; frame = await stream.read()) {
        const message: PayloadResponse = decodePayloadResponse(frame);
        if (message.type === 'end') endCode = message.code;
        if (message.type !== 'chunk') continue;
        if (++chunks === 1)
          ledger.block(revokeConsent(net, { consentId: consent.objectId, patient: 'revoked-at-hospital' }));
      }
    } catch (error) {
      readError = error; // the abort, as the recipient's side of the stream sees it
    }
    assert.equal(endCode, undefined, `the stream was cut, not ended (${String(readError)})`);
    assert.ok(
      chunks < sealed.commitment.chunkCount,
      `${chunks} of ${sealed.commitment.chunkCount} chunks came`,
    );
    // Stopped at the next chunk it wrote, not after sending the rest into the stream's buffers.
    const sent = hospital.stats.sender.chunksSent - sentBefore;
    assert.ok(sent < sealed.commitment.chunkCount, `${sent} of ${sealed.commitment.chunkCount} chunks sent`);
    await waitFor('the hospital logged the cut', () =>
      hospital.lines.some(
        (line) => line.msg === 'payload stream stopped: no longer approved' && line.transferId === id,
      ),
    );
  });

  it('the same fetcher retries after the connection drops mid-stream and resumes where it stopped', async () => {
    const { files, declaration, id } = await approvedImaging('dropped', 1_500_000);
    const linesBefore = recipient.lines.length;
    // The hospital hangs up on the recipient after the 40th verified chunk; both stay up, and the
    // network dials again by itself, so only the fetcher's own retry can finish the transfer.
    const hook = afterChunk(40, () => {
      void libp2pOf(hospital.net).hangUp(libp2pOf(recipient.net).peerId);
    });
    try {
      considerById(newFetcher(), declaration.objectId);
      await waitFor('the receipt', () => receipts.some((r) => toHex(r.transferId) === id), {
        timeoutMs: 60_000,
      });
    } finally {
      hook.restore();
    }
    const interrupted = recipient.lines
      .slice(linesBefore)
      .filter((line) => line.msg === 'payload fetch interrupted' && line.transferId === id);
    assert.ok(interrupted.length >= 1, 'the fetch was interrupted');
    const resumed = hospital.lines.filter(
      (line) =>
        line.msg === 'payload stream served' && line.transferId === id && (line.fromChunk as number) > 0,
    );
    assert.ok(resumed.length >= 1, 'a later stream started after the durable checkpoints');
    const receipt = receipts.find((r) => toHex(r.transferId) === id)!;
    assert.deepEqual([receipt.accepted, receipt.reason], [true, 'OK']);
    const filed = path.join(inboxDir, toHex(net.patient('dropped').publicKey), id, 'item-00.bin');
    assert.equal(
      sha256Hex(new Uint8Array(await readFile(filed))),
      sha256Hex(new Uint8Array(await readFile(files[0]!))),
    );
  });

  it('refuses a payload that does not match its declaration: rejected receipt, nothing filed', async () => {
    const { sealed } = await sealItems('mismatch', [200_000]);
    const consent = grantConsent(net, { patient: 'mismatch' });
    const items = itemsOf(sealed, ['imaging-study']).map((item) => ({
      ...item,
      digest: sha256(utf8('another file')),
    }));
    const declaration = declare(consent, sealed, items);
    ledger.block(consent);
    ledger.block(declaration);
    const id = toHex(declaration.objectId);
    considerById(newFetcher(), declaration.objectId);
    await waitFor('the receipt', () => receipts.some((r) => toHex(r.transferId) === id), {
      timeoutMs: 30_000,
    });
    const receipt = receipts.find((r) => toHex(r.transferId) === id)!;
    assert.deepEqual([receipt.accepted, receipt.reason], [false, 'DIGEST_MISMATCH']);
    const transfer = getTransfer(ledger.state, declaration.objectId)!;
    assert.deepEqual([transfer.status, transfer.reasons], ['receipt-mismatch', ['RECEIPT_REJECTED']]);
    assert.ok(!(await inboxEntries()).some((entry) => entry.includes(id)), 'neither filed nor kept');
  });
});
