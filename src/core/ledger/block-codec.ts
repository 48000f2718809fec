// Wire and storage form of headers and blocks: canonical CBOR (RFC 8949 section 4.2.1) decoded
// through closed schemas, so a peer can neither add fields nor send a second encoding of one
// block. Sizes are checked before decoding (the CBOR limit) and after (transaction count and
// bytes), so a block that decodes is within LIMITS.
import { type CborMap, decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { array, bytes, identifier, object, type Schema, uint } from '../codec/schema.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Block, BlockHeader } from './block.js';

const hash = bytes(HASH_BYTES);

export const BLOCK_HEADER_SCHEMA: Schema<BlockHeader> = object({
  chainId: identifier(LIMITS.maxIdentifierChars),
  height: uint(),
  timeMs: uint(),
  proposer: identifier(LIMITS.maxIdentifierChars),
  previousHash: hash,
  txRoot: hash,
  txCount: uint(LIMITS.maxTxsPerBlock),
  logSize: uint(),
  logRoot: hash,
  stateHash: hash,
  validatorsHash: hash,
});

const BLOCK_SCHEMA = object({
  header: BLOCK_HEADER_SCHEMA,
  txs: array(bytes(undefined, LIMITS.maxTxBytes), LIMITS.maxTxsPerBlock),
});

/**
 * The header as a CBOR map with exactly the contract fields, so an object that happens to carry
 * extra properties can never change a block hash.
 */
export function headerToCbor(header: BlockHeader): CborMap {
  return {
    chainId: header.chainId,
    height: header.height,
    timeMs: header.timeMs,
    proposer: header.proposer,
    previousHash: header.previousHash,
    txRoot: header.txRoot,
    txCount: header.txCount,
    logSize: header.logSize,
    logRoot: header.logRoot,
    stateHash: header.stateHash,
    validatorsHash: header.validatorsHash,
  };
}

export function encodeHeader(header: BlockHeader): Uint8Array {
  return encodeCanonical(headerToCbor(header));
}

export function decodeHeader(encoded: Uint8Array, where = 'header'): BlockHeader {
  return BLOCK_HEADER_SCHEMA.parse(decodeCanonical(encoded, LIMITS.maxHeaderBytes), where);
}

export function blockToCbor(block: Block): CborMap {
  return { header: headerToCbor(block.header), txs: [...block.txs] };
}

export function encodeBlock(block: Block): Uint8Array {
  checkBlockSizes(block, 'block');
  return encodeCanonical(blockToCbor(block));
}

/** Parses an already decoded CBOR value as a block (used inside exports and bundles). */
export function blockFromCbor(value: unknown, where = 'block'): Block {
  const block = BLOCK_SCHEMA.parse(value, where);
  checkBlockSizes(block, where);
  return block;
}

export function decodeBlock(encoded: Uint8Array, where = 'block'): Block {
  return blockFromCbor(decodeCanonical(encoded, LIMITS.maxEncodedBlockBytes), where);
}

/** Sum of the transaction bytes of a block: what LIMITS.maxBlockTxBytes bounds. */
export function blockTxBytes(block: Block): number {
  let total = 0;
  for (const tx of block.txs) total += tx.byteLength;
  return total;
}

function checkBlockSizes(block: Block, where: string): void {
  if (block.txs.length > LIMITS.maxTxsPerBlock) {
    fail('BLOCK_INVALID', `${block.txs.length} transactions, the limit is ${LIMITS.maxTxsPerBlock}`, where);
  }
  const txBytes = blockTxBytes(block);
  if (txBytes > LIMITS.maxBlockTxBytes) {
    fail('BLOCK_INVALID', `${txBytes} transaction bytes, the limit is ${LIMITS.maxBlockTxBytes}`, where);
  }
}
