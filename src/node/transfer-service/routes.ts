// The transfer workflow's API routes (issue 6 items 1, 2, 5), registered on the node's API next
// to its chain routes. Writes need the node's bearer token (the server enforces it for POST).
//
//   POST /consents               a patient-signed consent.grant ({ "tx": hex } or CBOR); the
//                                hospital countersigns and submits -> { consentId, txId, height, ... }
//   POST /uploads                one item file, streamed to disk -> { upload, sizeBytes, digest }
//   POST /uploads/sealed?recipient=ORG&sizes=N1,N2,...
//                                every item back to back in one body, sealed for ORG as it arrives
//                                -> { sealedUpload, recipient, items: [{ sizeBytes, digest }] }
//   POST /transfers              declare: { consentId, recipient, route, sealedUpload?, items: [{
//                                category, documentType, upload?, uid? }] } (a sealed upload, or one
//                                upload per item) -> { transferId, txId, height, status, reasons }
//   POST /transfers/:id/assess   on a regulator's node: { decision, reason } -> the verdict
//   GET  /audit/transfers/:id    the transfer's timeline
//   GET  /audit/patients/:key    one patient's consents and transfers
//   GET  /payload/stats          this node's payload channel counters
import { randomBytes } from 'node:crypto';
import { toHex } from '../../core/bytes.js';
import { literal, object } from '../../core/codec/schema.js';
import type { Ed25519Signer } from '../../core/crypto/ed25519.js';
import { fail } from '../../core/errors.js';
import { getTransfer } from '../../core/ledger/views.js';
import { LIMITS } from '../../core/limits.js';
import { encodeTxEnvelope } from '../../core/records/codec.js';
import { NONCE_BYTES, reasonCodeSchema } from '../../core/records/fields.js';
import { signTx } from '../../core/records/sign.js';
import type { TransferAssessBody } from '../../core/records/transfer-assess.js';
import { parseJsonBodyAs, readTransactionBody } from '../api/body.js';
import { digestParam, idParam } from '../api/params.js';
import type { ApiRequest, ApiResponse, HttpMethod, RouteOptions } from '../api/types.js';
import type { NodeRuntime } from '../node-runtime.js';
import { removeOutboxPayload } from '../transfer/outbox.js';
import type { AuditViews } from './audit.js';
import { countersignGrant } from './countersign.js';
import { type Declarer, declareRequestSchema, payloadKeyFor, prepareDeclaration } from './declare.js';
import type { DiskRoom } from './disk-room.js';
import type { PayloadStats } from './payload-stats.js';
import { type Submitted, submitAndWait } from './submit.js';
import { itemDigestsJson, stageSealedUpload, stageUpload } from './uploads.js';

export type RouteFunction = (
  method: HttpMethod,
  pattern: string,
  handler: (request: ApiRequest) => ApiResponse | Promise<ApiResponse>,
  options?: RouteOptions,
) => void;

export interface TransferRoutesContext {
  readonly node: Pick<NodeRuntime, 'chain' | 'submit' | 'waitForCommit' | 'txStatus'>;
  readonly role: string;
  readonly declarer: Declarer;
  readonly signer: Ed25519Signer;
  readonly audit: AuditViews;
  readonly stats: PayloadStats;
  /** Asked before an upload is staged or sealed (disk-room.ts). */
  readonly room: DiskRoom;
}

const assessRequestSchema = object({ decision: literal('approve', 'reject'), reason: reasonCodeSchema });

/** "N1,N2,...": item sizes in bytes, as decimal integers without signs or leading zeros. */
export function parseSizes(text: string | null): number[] {
  const parts = text === null || text === '' ? [] : text.split(',');
  if (parts.length < 1 || parts.length > LIMITS.maxItemsPerTransfer) {
    fail('REQUEST_MALFORMED', `sizes: from 1 to ${LIMITS.maxItemsPerTransfer} item sizes`, 'sizes');
  }
  return parts.map((part) => {
    const size = /^[1-9][0-9]{0,15}$/.test(part) ? Number(part) : Number.NaN;
    if (!Number.isSafeInteger(size)) fail('REQUEST_MALFORMED', `sizes: ${part} is not a byte count`, 'sizes');
    return size;
  });
}

function requireRole(context: TransferRoutesContext, role: string, what: string): void {
  if (context.role !== role)
    fail('CONFLICT', `${what} is done on a ${role} node; this node is a ${context.role}`);
}

/** 200 with the verdict once committed, 202 "pending" when the wait ran out. */
function verdictAnswer(submitted: Submitted, fields: Record<string, unknown>): ApiResponse {
  const { view } = submitted;
  if (view.status !== 'committed')
    return { status: 202, json: { ...fields, txId: submitted.txId, status: 'pending' } };
  return {
    json: {
      ...fields,
      txId: submitted.txId,
      height: view.height,
      accepted: view.accepted,
      reasons: view.reasons ?? [],
    },
  };
}

export function registerTransferRoutes(route: RouteFunction, context: TransferRoutesContext): void {
  const { node, declarer } = context;

  route(
    'POST',
    '/consents',
    async (request) => {
      requireRole(context, 'submitter', 'countersigning a consent');
      const envelope = countersignGrant(readTransactionBody(request), {
        org: declarer.org,
        chainId: declarer.genesis.chainId,
        signer: context.signer,
      });
      const bytes = encodeTxEnvelope(envelope);
      const submitted = await submitAndWait(node, bytes);
      const consentId = submitted.view.objectId ?? null;
      return verdictAnswer(submitted, { consentId });
    },
    { accepts: ['application/cbor', 'application/json'] },
  );

  route(
    'POST',
    '/uploads',
    async (request) => {
      requireRole(context, 'submitter', 'uploading an item');
      if (request.bodyStream === undefined)
        fail('REQUEST_MALFORMED', 'send the item file as the request body');
      const staged = await stageUpload(declarer.folders.uploadsDir, request.bodyStream, context.room);
      return {
        status: 201,
        json: { upload: staged.id, sizeBytes: staged.sizeBytes, digest: toHex(staged.digest) },
      };
    },
    { streamBody: true, maxBodyBytes: LIMITS.maxPayloadUploadBytes, accepts: ['application/octet-stream'] },
  );

  route(
    'POST',
    '/uploads/sealed',
    async (request) => {
      requireRole(context, 'submitter', 'uploading items');
      if (request.bodyStream === undefined)
        fail('REQUEST_MALFORMED', 'send the item files, back to back, as the request body');
      const recipient = idParam(request.query.get('recipient'), 'recipient');
      const sizes = parseSizes(request.query.get('sizes'));
      const sealed = await stageSealedUpload({
        uploadsDir: declarer.folders.uploadsDir,
        outboxDir: declarer.folders.outboxDir,
        key: payloadKeyFor(declarer.genesis, recipient),
        sizes,
        body: request.bodyStream,
        room: context.room,
      });
      return {
        status: 201,
        json: {
          sealedUpload: sealed.id,
          recipient: sealed.recipient,
          items: itemDigestsJson(sealed.items),
        },
      };
    },
    { streamBody: true, maxBodyBytes: LIMITS.maxPayloadUploadBytes, accepts: ['application/octet-stream'] },
  );

  route('POST', '/transfers', async (request) => {
    requireRole(context, 'submitter', 'declaring a transfer');
    const parsed = parseJsonBodyAs(request, declareRequestSchema);
    const prepared = await prepareDeclaration(declarer, parsed);
    const submitted = await submitAndWait(node, prepared.envelopeBytes);
    const transferId = toHex(prepared.transferId);
    if (submitted.view.status !== 'committed') return verdictAnswer(submitted, { transferId });
    const record = getTransfer(node.chain.store.state, prepared.transferId);
    const status = record?.status ?? 'rejected';
    if (status === 'rejected')
      await removeOutboxPayload(declarer.folders.outboxDir, prepared.body.payload.root);
    return {
      json: {
        transferId,
        txId: submitted.txId,
        height: submitted.view.height,
        status,
        reasons: record?.reasons ?? submitted.view.reasons ?? [],
      },
    };
  });

  route('POST', '/transfers/:id/assess', async (request) => {
    requireRole(context, 'validator', 'assessing a transfer');
    const transferId = digestParam(request.params.id, 'id');
    const parsed = parseJsonBodyAs(request, assessRequestSchema);
    const body: TransferAssessBody = {
      transferId,
      assessor: declarer.org,
      decision: parsed.decision,
      reason: parsed.reason,
      // A fresh nonce makes a retry a new transaction (records/fields.ts, "Retries").
      nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
    };
    const bytes = encodeTxEnvelope(
      signTx('transfer.assess', body, [context.signer], declarer.genesis.chainId),
    );
    const submitted = await submitAndWait(node, bytes);
    const answer = verdictAnswer(submitted, { transferId: toHex(transferId) });
    const record = getTransfer(node.chain.store.state, transferId);
    if (!('json' in answer) || submitted.view.status !== 'committed') return answer;
    return {
      json: {
        ...(answer.json as object),
        status: record?.status ?? null,
        transferReasons: record?.reasons ?? [],
      },
    };
  });

  route('GET', '/audit/transfers/:id', async (request) => ({
    json: await context.audit.transfer(digestParam(request.params.id, 'id')),
  }));

  route('GET', '/audit/patients/:key', async (request) => ({
    json: await context.audit.patient(digestParam(request.params.key, 'key')),
  }));

  route('GET', '/payload/stats', () => ({ json: context.stats.toJson() }));
}
