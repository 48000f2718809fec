// The transfer workflow's API routes (src/node/transfer-service/routes.ts) called directly: which
// node role may do what, a verdict once committed (200) or "pending" when the wait runs out (202),
// streamed routes without a body, JSON bodies that are not JSON or not of the route's shape (400),
// and a refused declaration's sealed payload removed from the outbox. The store, chain, sealing and signatures are real; consensus is a stand-in that commits
// each submission as the next certified block (or holds it, for the pending answers).
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHex, toHex } from '../../src/core/bytes.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { getOutcome } from '../../src/core/ledger/views.js';
import { txIdOf } from '../../src/core/records/index.js';
import { httpStatusFor } from '../../src/node/api/errors.js';
import type { ApiJsonResponse, ApiRequest, ApiResponse } from '../../src/node/api/types.js';
import { StoreChainReader } from '../../src/node/chain/store-chain-reader.js';
import { MetricsRegistry } from '../../src/node/metrics/index.js';
import { NodeChain } from '../../src/node/node-chain.js';
import type { TxStatusView } from '../../src/node/node-runtime.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { AuditViews } from '../../src/node/transfer-service/audit.js';
import { DiskRoom } from '../../src/node/transfer-service/disk-room.js';
import { createServiceFolders, serviceFolders } from '../../src/node/transfer-service/folders.js';
import { PayloadStats } from '../../src/node/transfer-service/payload-stats.js';
import { registerTransferRoutes } from '../../src/node/transfer-service/routes.js';
import { commitNextBlock, genesisRecordOf } from '../helpers/chain.js';
import { grantConsent, testGenesis } from '../helpers/fixtures.js';

type Handler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

interface RoutesRig {
  /** Calls the route registered as `METHOD pattern`. */
  call(
    route: string,
    options?: {
      readonly params?: Record<string, string>;
      readonly query?: string;
      readonly json?: unknown;
      /** A raw application/json body, for text that is not JSON. */
      readonly text?: string;
      readonly cbor?: Uint8Array;
      readonly bodyStream?: AsyncIterable<Uint8Array>;
    },
  ): Promise<ApiJsonResponse>;
  /** While set, submissions wait and are not committed: the routes answer 202 pending. */
  holdCommits: boolean;
  readonly store: LedgerStore;
  readonly outboxDir: string;
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe('transfer routes', function () {
  this.timeout(30_000);
  const net = testGenesis();
  const params = chainParamsOf(net.genesis);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startRoutes(org: string, role: string, store?: LedgerStore): Promise<RoutesRig> {
    const directory = await mkdtemp(join(tmpdir(), 'bayledger-routes-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const ledger = store ?? (await LedgerStore.open(join(directory, 'data'), { createIfMissing: true }));
    if (store === undefined) {
      cleanups.push(() => ledger.close());
      await ledger.initGenesis(genesisRecordOf(net.genesis));
    }
    const folders = serviceFolders({ dataDir: join(directory, 'data') });
    await createServiceFolders(folders);
    const pending: Uint8Array[] = [];
    const handlers = new Map<string, Handler>();
    const rig: RoutesRig = {
      holdCommits: false,
      store: ledger,
      outboxDir: folders.outboxDir,
      async call(route, options = {}) {
        const handler = handlers.get(route);
        assert.ok(handler !== undefined, `no route ${route}`);
        const [method] = route.split(' ');
        const jsonText =
          options.text ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
        const body = options.cbor ?? (jsonText === undefined ? new Uint8Array(0) : Buffer.from(jsonText));
        const response = await handler({
          method: method as ApiRequest['method'],
          path: route.split(' ')[1]!,
          params: options.params ?? {},
          query: new URLSearchParams(options.query ?? ''),
          headers: {},
          contentType: options.cbor
            ? 'application/cbor'
            : jsonText === undefined
              ? undefined
              : 'application/json',
          body: new Uint8Array(body),
          bodyStream: options.bodyStream,
        });
        assert.ok('json' in response, 'a JSON answer');
        return response;
      },
    };
    const node = {
      chain: new NodeChain(ledger, params),
      submit(bytes: Uint8Array) {
        pending.push(bytes);
        return { txIdHex: toHex(txIdOf(bytes)), duplicate: false };
      },
      async waitForCommit(): Promise<boolean> {
        if (rig.holdCommits) return false;
        const txs = pending.splice(0);
        if (txs.length > 0) await commitNextBlock(ledger, { params, signers: net.signers }, txs);
        return true;
      },
      txStatus(txIdHex: string): TxStatusView {
        const outcome = getOutcome(ledger.state, parseHex(txIdHex)!);
        if (outcome === undefined) return { txId: txIdHex, status: 'pending' };
        return {
          txId: txIdHex,
          status: 'committed',
          height: outcome.height,
          accepted: outcome.accepted,
          reasons: outcome.reasons,
          objectId: toHex(outcome.objectId),
        };
      },
    };
    registerTransferRoutes(
      (method, pattern, handler) => {
        handlers.set(`${method} ${pattern}`, handler);
      },
      {
        node,
        role,
        declarer: { org, genesis: net.genesis, signer: net.signers[org]!, folders },
        signer: net.signers[org]!,
        audit: new AuditViews(ledger, new StoreChainReader(ledger, params), () => 0),
        stats: new PayloadStats(new MetricsRegistry()),
        room: new DiskRoom(folders.orgDir, 0),
      },
    );
    return rig;
  }

  const refusedWith = async (call: Promise<unknown>, code: string) =>
    assert.rejects(call, (error: unknown) => isBayledgerError(error) && error.code === code);

  /** A patient-signed grant for the hospital to countersign, as POST /consents takes it. */
  const patientGrant = (patient: string) =>
    grantConsent(net, { patient, signers: [net.patient(patient)] }).bytes;

  it('does each step only on the node role it belongs to', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    const regulator = await startRoutes('sz-cac', 'validator');
    await refusedWith(regulator.call('POST /consents', { cbor: patientGrant('roles') }), 'CONFLICT');
    await refusedWith(
      regulator.call('POST /uploads', { bodyStream: oneChunk(Uint8Array.of(1)) }),
      'CONFLICT',
    );
    await refusedWith(regulator.call('POST /transfers', { json: {} }), 'CONFLICT');
    await refusedWith(
      hospital.call('POST /transfers/:id/assess', {
        params: { id: '00'.repeat(32) },
        json: { decision: 'approve', reason: 'OK' },
      }),
      'CONFLICT',
    );
  });

  it('answers 200 with the verdict once committed, 202 pending when the wait runs out', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    const committed = await hospital.call('POST /consents', { cbor: patientGrant('committed') });
    assert.equal(committed.status ?? 200, 200);
    const json = committed.json as { consentId: string; accepted: boolean; height: number };
    assert.deepEqual([json.accepted, json.height], [true, 1]);
    assert.match(json.consentId, /^[0-9a-f]{64}$/);
    hospital.holdCommits = true;
    const pending = await hospital.call('POST /consents', { cbor: patientGrant('pending') });
    assert.equal(pending.status, 202);
    assert.equal((pending.json as { status: string }).status, 'pending');
  });

  it('refuses the streamed upload routes without a body stream', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    await refusedWith(hospital.call('POST /uploads'), 'REQUEST_MALFORMED');
    await refusedWith(
      hospital.call('POST /uploads/sealed', { query: 'recipient=ehealth-hk&sizes=1' }),
      'REQUEST_MALFORMED',
    );
  });

  it('answers a sealed upload without its query, or with a malformed recipient, as a malformed request (400)', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    for (const query of [undefined, 'sizes=1', 'recipient=&sizes=1', 'recipient=Not%20An%20Id&sizes=1']) {
      await assert.rejects(
        hospital.call('POST /uploads/sealed', { bodyStream: oneChunk(Uint8Array.of(1)), query }),
        (error: unknown) =>
          isBayledgerError(error, 'REQUEST_MALFORMED') &&
          error.where === 'recipient' &&
          httpStatusFor(error.code) === 400,
        String(query),
      );
    }
  });

  it('answers a declaration or an assessment whose body is not JSON, or not JSON of the expected shape, as a malformed request (400); an invalid transaction stays 422', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    const regulator = await startRoutes('sz-cac', 'validator', hospital.store);
    const malformed = async (call: Promise<unknown>, where: string | undefined, what: string) =>
      assert.rejects(
        call,
        (error: unknown) =>
          isBayledgerError(error, 'REQUEST_MALFORMED') &&
          error.where === where &&
          httpStatusFor(error.code) === 400,
        what,
      );
    const declaration = {
      consentId: '00'.repeat(32),
      recipient: 'ehealth-hk',
      route: { id: 'certification' },
      items: [{ category: 'lab-result', documentType: 'pdf-report', upload: '00'.repeat(16) }],
    };
    const declareBodies: Array<[unknown, string | undefined]> = [
      [null, undefined],
      [[declaration], undefined],
      [{}, 'consentId'],
      [{ ...declaration, consentId: 'XYZ' }, 'consentId'],
      [{ ...declaration, items: [] }, 'items'],
      [{ ...declaration, items: [{ category: 'lab-result' }] }, 'items[0].documentType'],
      [{ ...declaration, extra: 1 }, 'extra'],
    ];
    for (const [json, where] of declareBodies) {
      await malformed(hospital.call('POST /transfers', { json }), where, JSON.stringify(json));
    }
    await malformed(hospital.call('POST /transfers', { text: '{"consentId":' }), undefined, 'not JSON');
    const assess = (options: { json?: unknown; text?: string }) =>
      regulator.call('POST /transfers/:id/assess', { params: { id: '00'.repeat(32) }, ...options });
    await malformed(assess({ json: { decision: 'maybe', reason: 'OK' } }), 'decision', 'decision');
    await malformed(assess({ json: { decision: 'approve' } }), 'reason', 'no reason');
    await malformed(assess({ text: 'approve' }), undefined, 'not JSON');
    // A transaction that is well-formed JSON but not a valid one is still 422.
    await assert.rejects(
      hospital.call('POST /consents', { json: { tx: '01' } }),
      (error: unknown) =>
        isBayledgerError(error) && httpStatusFor(error.code) === 422 && error.code !== 'REQUEST_MALFORMED',
    );
    // Bytes that are not one CBOR item are a malformed request, named by the decoder's code, as POST /tx answers.
    await assert.rejects(
      hospital.call('POST /consents', { json: { tx: '010203' } }),
      (error: unknown) =>
        isBayledgerError(error) && error.code === 'CBOR_TRAILING_BYTES' && httpStatusFor(error.code) === 400,
    );
  });

  it('declares: the verdict when committed, pending otherwise, and a refused declaration leaves no payload in the outbox', async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    const consent = (await hospital.call('POST /consents', { cbor: patientGrant('declaring') })).json as {
      consentId: string;
    };
    const declare = async (category: string) => {
      const upload = (
        await hospital.call('POST /uploads', { bodyStream: oneChunk(new Uint8Array(5_000).fill(3)) })
      ).json as { upload: string };
      return hospital.call('POST /transfers', {
        json: {
          consentId: consent.consentId,
          recipient: 'ehealth-hk',
          route: { id: 'certification' },
          items: [{ category, documentType: 'pdf-report', upload: upload.upload }],
        },
      });
    };
    const outboxPayloads = async () =>
      (await readdir(hospital.outboxDir)).filter((name) => /^[0-9a-f]{64}$/.test(name));
    const approved = await declare('lab-result');
    assert.equal((approved.json as { status: string }).status, 'approved');
    assert.equal((await outboxPayloads()).length, 1, 'the approved payload waits in the outbox');
    // population-health-data is on the test policy's negative list: refused outright.
    const refused = await declare('population-health-data');
    const refusal = refused.json as { status: string; reasons: string[] };
    assert.equal(refusal.status, 'rejected');
    assert.ok(refusal.reasons.includes('NEGATIVE_LIST_PROHIBITED'), refusal.reasons.join());
    assert.equal((await outboxPayloads()).length, 1, 'the refused payload was removed');
    hospital.holdCommits = true;
    const pending = await declare('lab-result');
    assert.equal(pending.status, 202);
    assert.equal((pending.json as { status: string }).status, 'pending');
  });

  it("assesses on a regulator's node: the transfer's new status once committed, pending otherwise", async () => {
    const hospital = await startRoutes('hku-szh', 'submitter');
    const consent = (await hospital.call('POST /consents', { cbor: patientGrant('assessed') })).json as {
      consentId: string;
    };
    const upload = (
      await hospital.call('POST /uploads', { bodyStream: oneChunk(new Uint8Array(2_000).fill(4)) })
    ).json as { upload: string };
    const declared = (
      await hospital.call('POST /transfers', {
        json: {
          consentId: consent.consentId,
          recipient: 'ehealth-hk',
          route: { id: 'certification' },
          items: [{ category: 'genetic-test-result', documentType: 'pdf-report', upload: upload.upload }],
        },
      })
    ).json as { transferId: string; status: string };
    assert.equal(declared.status, 'awaiting-assessment');
    // The regulators' node shares the hospital's chain here (one store).
    const regulator = await startRoutes('sz-cac', 'validator', hospital.store);
    const assessed = await regulator.call('POST /transfers/:id/assess', {
      params: { id: declared.transferId },
      json: { decision: 'approve', reason: 'OK' },
    });
    const answer = assessed.json as { accepted: boolean; status: string; transferReasons: string[] };
    assert.equal(answer.accepted, true);
    assert.equal(answer.status, 'awaiting-assessment', 'sz-health has not assessed yet');
    assert.ok(Array.isArray(answer.transferReasons));
    regulator.holdCommits = true;
    const pending = await regulator.call('POST /transfers/:id/assess', {
      params: { id: declared.transferId },
      json: { decision: 'approve', reason: 'OK' },
    });
    assert.equal(pending.status, 202);
    assert.deepEqual(Object.keys(pending.json as object).sort(), ['status', 'transferId', 'txId']);
  });
});
