// The node's wire protocols (design section 8), each on direct, length-prefixed, batched
// streams to every allowed peer, each message decoded with validation before it is used:
//  - consensus: proposals (with their blocks), votes and requests for a missed proposal,
//    canonical CBOR (core/consensus/codec.ts);
//  - tx relay: one canonical transaction envelope per message, checked by mempool admission;
//  - status: a peer's committed height, announced after every commit, so laggards know to sync;
//  - block sync: request/response for ranges of committed blocks with their certificates.
import { decodeCanonical, encodeCanonical } from '../core/codec/canonical.js';
import { array, bytes, object, type Schema, uint } from '../core/codec/schema.js';
import { HASH_BYTES } from '../core/crypto/hash.js';
import type { Block } from '../core/ledger/block.js';
import { blockFromCbor, blockToCbor } from '../core/ledger/block-codec.js';
import type { CommitCertificate } from '../core/ledger/certificate.js';
import { certificateFromCbor, certificateToCbor } from '../core/ledger/certificate-codec.js';
import { LIMITS } from '../core/limits.js';

export const PROTOCOL = {
  consensus: '/bayledger/consensus/1',
  txRelay: '/bayledger/tx/1',
  status: '/bayledger/status/1',
  blockSync: '/bayledger/sync/1',
  payload: '/bayledger/payload/1',
} as const;

export interface StatusMessage {
  readonly height: number;
  readonly blockHash: Uint8Array;
}

const STATUS_SCHEMA: Schema<StatusMessage> = object({ height: uint(), blockHash: bytes(HASH_BYTES) });
const MAX_STATUS_BYTES = 128;

export function encodeStatus(status: StatusMessage): Uint8Array {
  return encodeCanonical({ height: status.height, blockHash: status.blockHash });
}

export function decodeStatus(encoded: Uint8Array): StatusMessage {
  return STATUS_SCHEMA.parse(decodeCanonical(encoded, MAX_STATUS_BYTES), 'status');
}

export interface SyncRequest {
  readonly fromHeight: number;
  readonly maxBlocks: number;
}

const SYNC_REQUEST_SCHEMA: Schema<SyncRequest> = object({
  fromHeight: uint(Number.MAX_SAFE_INTEGER, 1),
  maxBlocks: uint(LIMITS.maxBlocksPerSyncResponse, 1),
});

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  return encodeCanonical({ fromHeight: request.fromHeight, maxBlocks: request.maxBlocks });
}

export function decodeSyncRequest(encoded: Uint8Array): SyncRequest {
  return SYNC_REQUEST_SCHEMA.parse(decodeCanonical(encoded, 64), 'sync request');
}

export interface SyncedBlock {
  readonly block: Block;
  readonly certificate: CommitCertificate;
}

export interface SyncResponse {
  /** The responder's committed height, so the requester knows whether to ask again. */
  readonly tipHeight: number;
  readonly blocks: readonly SyncedBlock[];
}

const SYNCED_BLOCK_SCHEMA: Schema<SyncedBlock> = object({
  block: { description: 'block', parse: (value, path) => blockFromCbor(value, path) },
  certificate: { description: 'certificate', parse: (value, path) => certificateFromCbor(value, path) },
});

const SYNC_RESPONSE_SCHEMA: Schema<SyncResponse> = object({
  tipHeight: uint(),
  blocks: array(SYNCED_BLOCK_SCHEMA, LIMITS.maxBlocksPerSyncResponse),
});

export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  return encodeCanonical({
    tipHeight: response.tipHeight,
    blocks: response.blocks.map((entry) => ({
      block: blockToCbor(entry.block),
      certificate: certificateToCbor(entry.certificate),
    })),
  });
}

export function decodeSyncResponse(encoded: Uint8Array): SyncResponse {
  return SYNC_RESPONSE_SCHEMA.parse(decodeCanonical(encoded, LIMITS.maxMessageBytes), 'sync response');
}
