// The node's HTTP routes (design section 10, issue 5 item 4). Reads answer without a token;
// writes need the bearer token (the server enforces that). Chain views are the same objects the
// `chain` CLI prints against a data directory, so `--api URL` and `--data-dir DIR` agree.
import { toHex } from '../core/bytes.js';
import type { CborValue } from '../core/codec/canonical.js';
import { fail } from '../core/errors.js';
import { consentStatusAt, getConsent, getOutcome, getTransfer } from '../core/ledger/views.js';
import { LIMITS } from '../core/limits.js';
import { readTransactionBatchBody, readTransactionBody } from './api/body.js';
import { digestParam } from './api/params.js';
import type { ApiServer } from './api/server.js';
import type { ChainReader } from './chain/chain-reader.js';
import { cborToJson } from './chain/json-views.js';
import { evidencePage } from './evidence/evidence-view.js';
import { addMetricsRoute } from './metrics/route.js';
import type { NodeRuntime } from './node-runtime.js';

function integerParam(text: string | null | undefined, name: string): number | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) fail('REQUEST_MALFORMED', 'expected a non-negative integer', name);
  return Number(text);
}

export function registerNodeRoutes(server: ApiServer, runtime: NodeRuntime, reader: ChainReader): void {
  server.route('GET', '/status', () => ({ json: runtime.status() }));

  server.route(
    'POST',
    '/tx',
    async (request) => {
      const bytes = readTransactionBody(request);
      const result = runtime.submit(bytes);
      const wait = request.query.get('wait');
      if (wait === 'commit') {
        const timeoutMs = Math.min(
          integerParam(request.query.get('timeoutMs'), 'timeoutMs') ?? 10_000,
          LIMITS.maxApiCommitWaitMs,
        );
        const committed = await runtime.waitForCommit(result.txIdHex, timeoutMs);
        return { status: committed ? 200 : 202, json: runtime.txStatus(result.txIdHex) };
      }
      return { status: 202, json: { txId: result.txIdHex, status: 'pending', duplicate: result.duplicate } };
    },
    { accepts: ['application/cbor', 'application/json'] },
  );

  server.route(
    'POST',
    '/txs',
    (request) => {
      const results = runtime.submitMany(readTransactionBatchBody(request));
      const refused = results.filter((result) => result.status === 'refused').length;
      const duplicates = results.filter((result) => result.status === 'pending' && result.duplicate).length;
      return {
        status: 202,
        json: { accepted: results.length - refused - duplicates, duplicates, refused, results },
      };
    },
    { accepts: ['application/cbor', 'application/json'], maxBodyBytes: LIMITS.maxTxBatchBodyBytes },
  );

  server.route('GET', '/tx/:id', (request) => {
    const txIdHex = toHex(digestParam(request.params.id, 'id'));
    return { json: runtime.txStatus(txIdHex) };
  });

  server.route('GET', '/chain/status', async () => ({ json: await reader.status() }));
  // `?waitMs=N` holds the request until the block is committed (at most N ms, capped at
  // LIMITS.maxApiCommitWaitMs), then answers as without it: the block, or 404 if it is still not
  // there. A client tails the chain with one request per block instead of polling /status.
  server.route('GET', '/chain/blocks/:height', async (request) => {
    const height = integerParam(request.params.height, 'height') ?? 0;
    const waitMs = integerParam(request.query.get('waitMs'), 'waitMs');
    if (waitMs !== undefined)
      await runtime.waitForHeight(height, Math.min(waitMs, LIMITS.maxApiCommitWaitMs));
    return { json: await reader.block(height) };
  });
  server.route('GET', '/chain/txs/:id', async (request) => ({
    json: await reader.tx(toHex(digestParam(request.params.id, 'id'))),
  }));
  server.route('GET', '/chain/proof/:id', async (request) => ({
    json: await reader.inclusionProof(
      toHex(digestParam(request.params.id, 'id')),
      integerParam(request.query.get('size'), 'size'),
    ),
  }));
  server.route('GET', '/chain/bundle/:id', async (request) => ({
    contentType: 'application/cbor',
    body: await reader.proofBundle(toHex(digestParam(request.params.id, 'id'))),
  }));
  server.route('GET', '/chain/consistency', async (request) => {
    const oldSize = integerParam(request.query.get('old'), 'old');
    const newSize = integerParam(request.query.get('new'), 'new');
    if (oldSize === undefined || newSize === undefined) fail('REQUEST_MALFORMED', 'give ?old=N&new=M');
    return { json: await reader.consistencyProof(oldSize, newSize) };
  });
  server.route('GET', '/chain/checkpoint', async (request) => ({
    json: await reader.checkpoint(integerParam(request.query.get('height'), 'height')),
  }));

  server.route('GET', '/consents/:id', (request) => {
    const consentId = digestParam(request.params.id, 'id');
    const record = getConsent(runtime.chain.store.state, consentId);
    if (record === undefined) fail('NOT_FOUND', `no consent ${toHex(consentId)}`);
    const timeSeconds = Math.floor(runtime.chain.tip().timeMs / 1000);
    return {
      json: {
        ...(cborToJson(record as unknown as CborValue) as Record<string, unknown>),
        statusNow: consentStatusAt(record, timeSeconds),
      },
    };
  });

  server.route('GET', '/transfers/:id', (request) => {
    const transferId = digestParam(request.params.id, 'id');
    const record = getTransfer(runtime.chain.store.state, transferId);
    if (record === undefined) fail('NOT_FOUND', `no transfer ${toHex(transferId)}`);
    return { json: cborToJson(record as unknown as CborValue) };
  });

  server.route('GET', '/outcomes/:id', (request) => {
    const txId = digestParam(request.params.id, 'id');
    const outcome = getOutcome(runtime.chain.store.state, txId);
    if (outcome === undefined) fail('NOT_FOUND', `no committed transaction ${toHex(txId)}`);
    return { json: cborToJson(outcome as unknown as CborValue) };
  });

  // Equivocation evidence this node kept (design section 7), lowest height first, a bounded page.
  server.route('GET', '/evidence', async (request) => {
    const limit = integerParam(request.query.get('limit'), 'limit');
    if (limit !== undefined && (limit < 1 || limit > LIMITS.maxEvidencePage))
      fail('REQUEST_MALFORMED', `expected 1 to ${LIMITS.maxEvidencePage}`, 'limit');
    const after = request.query.get('after') ?? undefined;
    return { json: await evidencePage(runtime.chain.store.evidence, runtime.chain.params, { after, limit }) };
  });

  addMetricsRoute(server, runtime.metrics.registry);
}
