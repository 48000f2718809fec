// Block sync's client side (src/node/block-sync.ts) against scripted peers: which peer it asks,
// when it starts, what it does with failures, garbage and invalid blocks, the range it fetches
// ahead, when it gives up, what it announces, and closing mid-run. The node's store, chain and
// verification are real; the network is an in-memory stand-in whose peers answer as each test says
// (test/unit/block-sync.test.ts runs the same code between real libp2p peers).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { BlockSync } from '../../src/node/block-sync.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import type { MessageProtocol, PeerEvent, PeerNetwork, RequestHandler } from '../../src/node/net/types.js';
import { NodeChain } from '../../src/node/node-chain.js';
import type { NodeMetrics } from '../../src/node/node-metrics.js';
import {
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
  PROTOCOL,
  type StatusMessage,
  type SyncedBlock,
} from '../../src/node/protocols.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { buildChain, certify, genesisRecordOf, type TestChain } from '../helpers/chain.js';
import { testDigest, testGenesis } from '../helpers/fixtures.js';
import { idleNodeMetrics } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

const network = testGenesis();
const [PEER_A, PEER_B, PEER_C] = ['sz-cac', 'sz-health', 'qianhai'] as const;
const ZERO_HASH = new Uint8Array(32);

interface Asked {
  readonly peer: string;
  readonly fromHeight: number;
  readonly maxBlocks: number;
  /** Our committed height when we asked. */
  readonly ownHeight: number;
}

type Answer = (peer: string, fromHeight: number) => Promise<Uint8Array>;

interface Rig {
  readonly chain: NodeChain;
  readonly sync: BlockSync;
  readonly metrics: NodeMetrics;
  readonly lines: Array<Record<string, unknown>>;
  readonly asked: Asked[];
  /** Status messages we sent: to a peer, or '*' for a broadcast. */
  readonly told: Array<{ to: string; height: number }>;
  readonly penalties: Array<{ peer: string; code: string; reason: string }>;
  readonly connected: Set<string>;
  /** How peers answer a sync request (by default: no answer until the test says). */
  answer: Answer;
  /** A status message from `peer`. */
  status(peer: string, height: number): void;
  peerEvent(event: PeerEvent): void;
  /** A peer's request for a range, as the network hands it to the handler sync registered. */
  serve(peer: string, request: Uint8Array): Promise<Uint8Array>;
}

/** What an honest peer holding `chain` up to `tipHeight` sends for a range, `perResponse` blocks at most. */
function served(chain: TestChain, fromHeight: number, tipHeight: number, perResponse = 64): Uint8Array {
  const last = Math.min(tipHeight, fromHeight + perResponse - 1);
  const blocks: SyncedBlock[] = chain.blocks.slice(fromHeight - 1, last);
  return encodeSyncResponse({ tipHeight, blocks });
}

describe('block sync: the catching-up side, against scripted peers', function () {
  this.timeout(20_000);
  let built: TestChain;
  const cleanups: Array<() => Promise<void>> = [];

  before(() => {
    // Empty blocks: what is synced does not matter here, only which and from whom.
    built = buildChain({
      genesis: network.genesis,
      signers: network.signers,
      blocks: Array.from({ length: 12 }, () => []),
    });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startRig(ownBlocks = 0): Promise<Rig> {
    const directory = await mkdtemp(join(tmpdir(), 'bayledger-sync-client-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const store = await LedgerStore.open(join(directory, 'data'), { createIfMissing: true });
    cleanups.push(() => store.close());
    await store.initGenesis(genesisRecordOf(network.genesis));
    for (const [i, committed] of built.blocks.slice(0, ownBlocks).entries()) {
      await store.commitBlock(committed.block, committed.certificate, built.applied[i]!);
    }
    const chain = new NodeChain(store, built.params);
    const asked: Asked[] = [];
    const told: Rig['told'] = [];
    const penalties: Rig['penalties'] = [];
    const connected = new Set<string>([PEER_A, PEER_B, PEER_C]);
    let statusProtocol: MessageProtocol<StatusMessage> | undefined;
    let peerListener: ((event: PeerEvent) => void) | undefined;
    // By default no peer answers until the test says how.
    let answer: Answer = () => new Promise(() => {});
    let serve: RequestHandler | undefined;
    const fake: Partial<PeerNetwork> = {
      registerRequestHandler: async (name, handler) => {
        assert.equal(name, PROTOCOL.blockSync);
        serve = handler;
      },
      registerProtocol: async <T>(protocol: MessageProtocol<T>) => {
        assert.equal(protocol.name, PROTOCOL.status);
        statusProtocol = protocol as unknown as MessageProtocol<StatusMessage>;
      },
      onPeerEvent: (listener) => {
        peerListener = listener;
        return () => {};
      },
      isConnected: (peer) => connected.has(peer),
      send: (to, protocol, bytes) => {
        if (protocol === PROTOCOL.status) told.push({ to, height: decodeStatus(bytes).height });
        return 'queued';
      },
      broadcast: (protocol, bytes) => {
        if (protocol === PROTOCOL.status) told.push({ to: '*', height: decodeStatus(bytes).height });
      },
      request: (peer, protocol, requestBytes) => {
        assert.equal(protocol, PROTOCOL.blockSync);
        const request = decodeSyncRequest(requestBytes);
        asked.push({ peer, ...request, ownHeight: chain.height });
        return answer(peer, request.fromHeight);
      },
      penalise: (peer, code, reason) => {
        penalties.push({ peer, code, reason });
      },
    };
    const metrics = idleNodeMetrics({ peers: () => connected.size });
    const { logger, lines } = createMemoryLogger('debug');
    const sync = new BlockSync(chain, fake as PeerNetwork, logger, metrics);
    await sync.register();
    cleanups.push(() => sync.close());
    return {
      chain,
      sync,
      metrics,
      lines,
      asked,
      told,
      penalties,
      connected,
      get answer() {
        return answer;
      },
      set answer(next: Answer) {
        answer = next;
      },
      status(peer, height) {
        // Through the protocol's own decoder, as the network would deliver it.
        statusProtocol!.onMessage(
          peer,
          statusProtocol!.decode(encodeStatus({ height, blockHash: ZERO_HASH })),
        );
      },
      peerEvent(event) {
        peerListener!(event);
      },
      serve(peer, request) {
        return serve!(peer, request);
      },
    };
  }

  /**
   * Starts a run: `peer` announces `height` and is asked for its first range, whose answer is held
   * until the returned function gives it (bytes, or an error for a failed request).
   */
  function holdRun(rig: Rig, peer: string, height: number): (answer: Uint8Array | Error) => void {
    const held = Promise.withResolvers<Uint8Array>();
    rig.answer = () => held.promise;
    rig.status(peer, height);
    return (answer) => (answer instanceof Error ? held.reject(answer) : held.resolve(answer));
  }

  /** Peers serving the built chain up to `tip`, `perResponse` blocks at a time. */
  const honestUpTo =
    (tip: number, perResponse?: number): Answer =>
    async (_peer, from) =>
      served(built, from, tip, perResponse);

  const reaches = (rig: Rig, height: number) =>
    waitFor(`height ${height}`, () => rig.chain.height === height || undefined);

  const askedOf = (rig: Rig): string[] => rig.asked.map((asked) => `${asked.peer}@${asked.fromHeight}`);

  it('starts at once for a peer two blocks ahead, not for one block ahead (the race with consensus)', async () => {
    const rig = await startRig();
    rig.answer = honestUpTo(2);
    rig.status(PEER_A, 1);
    assert.equal(rig.asked.length, 0, 'one block ahead: left to consensus and the periodic check');
    rig.status(PEER_A, 2);
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`], 'asked at once');
    assert.equal(rig.asked[0]!.maxBlocks, LIMITS.maxBlocksPerSyncResponse);
    await reaches(rig, 2);
    assert.equal(rig.metrics.syncedBlocks.value(), 2);
  });

  it('starts at once for a peer one block ahead in the status it sends as it connects (a restart one block behind)', async () => {
    const rig = await startRig();
    rig.answer = honestUpTo(1);
    rig.peerEvent({ kind: 'connect', orgId: PEER_A });
    rig.status(PEER_A, 1);
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`], 'asked at once');
    await reaches(rig, 1);
    // Its next status is an announcement after a commit: one ahead is the race with consensus.
    rig.status(PEER_A, 2);
    assert.equal(rig.asked.length, 1);
    // A peer that disconnects before its status is no longer counted as just connected.
    rig.peerEvent({ kind: 'connect', orgId: PEER_B });
    rig.peerEvent({ kind: 'disconnect', orgId: PEER_B });
    rig.status(PEER_B, 2);
    assert.equal(rig.asked.length, 1);
  });

  it('a lower height a peer announces later does not lower what it is known to hold', async () => {
    const rig = await startRig();
    const first = holdRun(rig, PEER_C, 2);
    rig.status(PEER_A, 5);
    rig.status(PEER_B, 6);
    rig.status(PEER_B, 4);
    rig.answer = honestUpTo(6);
    first(served(built, 1, 2));
    await reaches(rig, 6);
    assert.deepEqual(askedOf(rig), [`${PEER_C}@1`, `${PEER_B}@3`]);
  });

  it('asks the highest connected peer, and forgets the height of one that disconnects', async () => {
    const rig = await startRig();
    const first = holdRun(rig, PEER_C, 2);
    // While C's range is on its way, A and B announce; B, the highest, disconnects.
    rig.status(PEER_A, 5);
    rig.status(PEER_B, 9);
    rig.connected.delete(PEER_B);
    rig.peerEvent({ kind: 'disconnect', orgId: PEER_B });
    rig.answer = honestUpTo(5);
    first(served(built, 1, 2));
    await reaches(rig, 5);
    assert.deepEqual(askedOf(rig), [`${PEER_C}@1`, `${PEER_A}@3`]);
    // Back, B has said nothing since: nobody is known to be ahead.
    rig.connected.add(PEER_B);
    rig.peerEvent({ kind: 'connect', orgId: PEER_B });
    rig.sync.kick();
    await rig.sync.close();
    assert.deepEqual(askedOf(rig), [`${PEER_C}@1`, `${PEER_A}@3`]);
  });

  it('prefers the higher of two connected peers', async () => {
    const rig = await startRig();
    const first = holdRun(rig, PEER_C, 2);
    rig.status(PEER_A, 9);
    rig.status(PEER_B, 7);
    rig.answer = honestUpTo(9);
    first(served(built, 1, 2));
    await reaches(rig, 9);
    assert.deepEqual(askedOf(rig), [`${PEER_C}@1`, `${PEER_A}@3`]);
  });

  it('after a failed request it forgets that peer and goes on with another', async () => {
    const rig = await startRig();
    const failing = holdRun(rig, PEER_A, 5);
    rig.status(PEER_B, 4);
    rig.answer = honestUpTo(4);
    failing(new Error('stream reset'));
    await reaches(rig, 4);
    await rig.sync.close();
    // A is not asked again: its height was forgotten with the failure.
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`, `${PEER_B}@1`]);
    assert.ok(rig.lines.some((line) => line.msg === 'block sync request failed' && line.peer === PEER_A));
    assert.deepEqual(rig.penalties, [], 'a failure is not misbehaviour');
  });

  it('penalises a peer that answers garbage, with the decoding error, and syncs from another', async () => {
    const rig = await startRig();
    const garbage = holdRun(rig, PEER_A, 5);
    rig.status(PEER_B, 3);
    rig.answer = honestUpTo(3);
    garbage(new Uint8Array([0xa1, 0x61]));
    await reaches(rig, 3);
    assert.equal(rig.penalties.length, 1);
    const [penalty] = rig.penalties;
    assert.equal(penalty!.peer, PEER_A);
    assert.equal(penalty!.code, 'CBOR_MALFORMED');
    assert.match(penalty!.reason, /^malformed sync response: byte 1: string runs past the end/);
    assert.deepEqual(
      rig.lines.filter((line) => line.level === 'error'),
      [],
      "the peer's garbage, not a bug of ours",
    );
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`, `${PEER_B}@1`]);
  });

  it('penalises a peer that serves a block that does not verify, commits nothing after it, and syncs from another', async () => {
    const rig = await startRig();
    const forged = holdRun(rig, PEER_A, 4);
    rig.status(PEER_B, 4);
    rig.answer = honestUpTo(4);
    // Block 2 with a certificate for another block: the rest of A's range is not even looked at.
    const [one, two, three] = built.blocks;
    const badCertificate = certify(
      built.params,
      network.signers,
      testDigest('another block'),
      two!.block.header,
    );
    forged(
      encodeSyncResponse({ tipHeight: 4, blocks: [one!, { ...two!, certificate: badCertificate }, three!] }),
    );
    await reaches(rig, 4);
    assert.equal(rig.penalties.length, 1);
    assert.equal(rig.penalties[0]!.peer, PEER_A);
    assert.equal(rig.penalties[0]!.reason, 'served an invalid block 2');
    // A's next range was asked for before its block 2 failed; that answer is never used.
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`, `${PEER_A}@4`, `${PEER_B}@2`]);
    const warning = rig.lines.find((line) => line.msg === 'peer served an invalid block');
    assert.equal(warning?.height, 2);
    assert.equal(rig.metrics.syncedBlocks.value(), 4);
  });

  it('asks for the next range before committing the current one, and uses that answer', async () => {
    const rig = await startRig();
    // A peer that sends two blocks at a time.
    rig.answer = honestUpTo(7, 2);
    rig.status(PEER_A, 7);
    await reaches(rig, 7);
    await rig.sync.close();
    // Each range once: the prefetched answer is the one used.
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`, `${PEER_A}@3`, `${PEER_A}@5`, `${PEER_A}@7`]);
    // Each next range asked for while the one before it was still uncommitted.
    assert.deepEqual(
      rig.asked.map((asked) => asked.ownHeight),
      [0, 0, 2, 4],
    );
  });

  it('skips blocks of a range it already holds', async () => {
    const rig = await startRig(2);
    // A peer that ignores fromHeight and sends from block 1.
    rig.answer = async () => served(built, 1, 5);
    rig.status(PEER_A, 5);
    await reaches(rig, 5);
    assert.deepEqual(rig.penalties, []);
    assert.equal(rig.metrics.syncedBlocks.value(), 3);
  });

  it('gives up after LIMITS.maxSyncAttempts answers that bring nothing', async () => {
    const rig = await startRig();
    const ended = Promise.withResolvers<void>();
    rig.answer = async () => {
      if (rig.asked.length === LIMITS.maxSyncAttempts) setImmediate(() => ended.resolve());
      return encodeSyncResponse({ tipHeight: 9, blocks: [] });
    };
    rig.status(PEER_A, 9);
    await ended.promise;
    // A new run would ask again at once (kick is synchronous up to the request): none was asked.
    assert.equal(rig.asked.length, LIMITS.maxSyncAttempts);
    rig.sync.kick();
    assert.equal(rig.asked.length, LIMITS.maxSyncAttempts + 1, 'the run had ended: a new one starts');
    assert.equal(rig.chain.height, 0);
  });

  it('tells a peer that connects its tip, and announces commits at most once per interval', async () => {
    const rig = await startRig(1);
    rig.peerEvent({ kind: 'connect', orgId: PEER_A });
    assert.deepEqual(rig.told, [{ to: PEER_A, height: 1 }]);
    for (const [i, committed] of built.blocks.slice(1, 4).entries()) {
      assert.equal(
        await rig.chain.commit(committed.block, committed.certificate, 'sync'),
        true,
        `block ${i + 2}`,
      );
    }
    // The first commit is announced at once; the next two wait for the interval, then go as one.
    assert.deepEqual(rig.told.slice(1), [{ to: '*', height: 2 }]);
    await waitFor('the second announcement', () => rig.told.length === 3 || undefined, { timeoutMs: 5_000 });
    // One more commit waits for the next interval; nothing else goes out before it (one timer at a time).
    const five = built.blocks[4]!;
    assert.equal(await rig.chain.commit(five.block, five.certificate, 'sync'), true);
    await waitFor('the third announcement', () => rig.told.some((told) => told.height === 5) || undefined, {
      timeoutMs: 5_000,
    });
    assert.deepEqual(rig.told.slice(1), [
      { to: '*', height: 2 },
      { to: '*', height: 4 },
      { to: '*', height: 5 },
    ]);
  });

  it('a close during a run waits for it and commits nothing that arrives afterwards', async () => {
    const rig = await startRig();
    const late = holdRun(rig, PEER_A, 4);
    const closed = rig.sync.close();
    late(served(built, 1, 4));
    await closed;
    assert.equal(rig.chain.height, 0);
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`], 'and no range was asked for afterwards');
    rig.status(PEER_A, 8);
    assert.deepEqual(askedOf(rig), [`${PEER_A}@1`], 'a closed sync starts no run');
  });

  it('a close waits for the ranges it is reading for peers, and refuses requests once closing', async () => {
    const rig = await startRig();
    rig.answer = honestUpTo(4);
    rig.status(PEER_A, 4);
    await reaches(rig, 4);
    // The store's reads of a certificate are held until the test lets them go: a peer's request is
    // then mid-read when the node starts to close (it closes the store once sync is closed).
    const store = rig.chain.store;
    const readCertificate = store.readCertificate.bind(store);
    const held = Promise.withResolvers<void>();
    store.readCertificate = async (height: number) => {
      await held.promise;
      return readCertificate(height);
    };
    const request = encodeSyncRequest({ fromHeight: 1, maxBlocks: 4 });
    const answered = rig.serve(PEER_B, request);
    let closed = false;
    const closing = rig.sync.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close waits for the range being read');
    await assert.rejects(rig.serve(PEER_C, request), (error) => isBayledgerError(error, 'CLOSED'));
    held.resolve();
    const response = decodeSyncResponse(await answered);
    assert.equal(response.blocks.length, 4);
    await closing;
    assert.equal(closed, true);
  });
});
