// The values the store writes, each canonical CBOR through a closed schema, so what is read back
// is checked as strictly as what a peer sends. Each carries what is needed to re-derive and check
// it on read: a block record its hash, a transaction position its height, index and leaf index.
// Transactions themselves are stored as their raw canonical envelope bytes (the log's leaves),
// checked on read against the ids their block record lists.
import { type CborMap, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { array, bytes, object, text, uint } from '../../core/codec/schema.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { BayledgerError, fail } from '../../core/errors.js';
import type { BlockHeader } from '../../core/ledger/block.js';
import { BLOCK_HEADER_SCHEMA, headerToCbor } from '../../core/ledger/block-codec.js';
import type { ChainTip } from '../../core/ledger/chain-tip.js';
import { LIMITS } from '../../core/limits.js';

const hash = bytes(HASH_BYTES);

export interface BlockRecord {
  readonly header: BlockHeader;
  readonly blockHash: Uint8Array;
  readonly txIds: readonly Uint8Array[];
}

const BLOCK_RECORD_SCHEMA = object({
  header: BLOCK_HEADER_SCHEMA,
  blockHash: hash,
  txIds: array(hash, LIMITS.maxTxsPerBlock),
});

/** Where a transaction is: what the TxIndex bucket holds under its id. */
export interface TxPosition {
  readonly height: number;
  /** Position inside its block. */
  readonly index: number;
  /** Position in the whole log (RFC 9162 leaf index): its TxLog key. */
  readonly leafIndex: number;
}

/** A transaction with its position, as the store serves it. */
export interface TxRecord extends TxPosition {
  /** The canonical signed envelope: the leaf bytes. */
  readonly envelope: Uint8Array;
}

const TX_POSITION_SCHEMA = object({
  height: uint(),
  index: uint(LIMITS.maxTxsPerBlock - 1),
  leafIndex: uint(),
});

const TIP_SCHEMA = object({
  height: uint(),
  blockHash: hash,
  timeMs: uint(),
  logSize: uint(),
  logRoot: hash,
  stateHash: hash,
});

export interface GenesisRecord {
  /** genesisHash of the network this store belongs to. */
  readonly hash: Uint8Array;
  /** The genesis file's text as it was given, so verification can run from the data dir alone. */
  readonly json: string;
}

const GENESIS_RECORD_SCHEMA = object({ hash, json: text(LIMITS.maxConfigBytes) });

/** Decodes a stored value; any failure is corruption of the named entry, not a peer's fault. */
function decodeStored<T>(encoded: Uint8Array, parse: (value: unknown) => T, where: string): T {
  try {
    return parse(decodeCanonical(encoded));
  } catch (error) {
    if (error instanceof BayledgerError)
      fail('DATABASE_CORRUPT', `stored value unreadable: ${error.message}`, where);
    throw error;
  }
}

export function encodeBlockRecord(record: BlockRecord): Uint8Array {
  return encodeCanonical({
    header: headerToCbor(record.header),
    blockHash: record.blockHash,
    txIds: [...record.txIds],
  });
}

export function decodeBlockRecord(encoded: Uint8Array, where: string): BlockRecord {
  return decodeStored(encoded, (value) => BLOCK_RECORD_SCHEMA.parse(value, 'block'), where);
}

export function encodeTxPosition(position: TxPosition): Uint8Array {
  return encodeCanonical({
    height: position.height,
    index: position.index,
    leafIndex: position.leafIndex,
  } satisfies CborMap);
}

export function decodeTxPosition(encoded: Uint8Array, where: string): TxPosition {
  return decodeStored(encoded, (value) => TX_POSITION_SCHEMA.parse(value, 'tx position'), where);
}

export function encodeStoreFormat(format: number): Uint8Array {
  return encodeCanonical(format);
}

export function decodeStoreFormat(encoded: Uint8Array, where: string): number {
  return decodeStored(encoded, (value) => uint().parse(value, 'format'), where);
}

export function encodeTip(tip: ChainTip): Uint8Array {
  return encodeCanonical({ ...tip } satisfies CborMap);
}

export function decodeTip(encoded: Uint8Array, where: string): ChainTip {
  return decodeStored(encoded, (value) => TIP_SCHEMA.parse(value, 'head'), where);
}

export function encodeGenesisRecord(record: GenesisRecord): Uint8Array {
  return encodeCanonical({ hash: record.hash, json: record.json });
}

export function decodeGenesisRecord(encoded: Uint8Array, where: string): GenesisRecord {
  return decodeStored(encoded, (value) => GENESIS_RECORD_SCHEMA.parse(value, 'genesis'), where);
}
