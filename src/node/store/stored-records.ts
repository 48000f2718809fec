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
export function decodeStored<T>(encoded: Uint8Array, parse: (value: unknown) => T, where: string): T {
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

/** decodeTxPosition, or undefined for bytes it refuses (for callers that report the fault themselves). */
export function decodeTxPositionOrUndefined(encoded: Uint8Array): TxPosition | undefined {
  try {
    return decodeTxPosition(encoded, 'tx position');
  } catch (error) {
    if (error instanceof BayledgerError) return undefined;
    throw error;
  }
}

// The canonical encoding of a position is the map head, then its keys in RFC 8949 section 4.2.1
// order ("index", "height", "leafIndex"), each followed by an unsigned integer in shortest form.
const POSITION_KEYS: readonly Uint8Array[] = ['index', 'height', 'leafIndex'].map((key) =>
  encodeCanonical(key),
);
const MAP_OF_THREE = 0xa3;

/** A shortest-form unsigned integer at `at` (RFC 8949 section 4.2.1), or undefined. */
function shortestUint(bytes: Uint8Array, at: number): { value: number; end: number } | undefined {
  const initial = bytes[at];
  if (initial === undefined || initial >> 5 !== 0) return undefined;
  const info = initial & 31;
  if (info < 24) return { value: info, end: at + 1 };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0 || at + 1 + size > bytes.byteLength) return undefined;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + bytes[at + i]!;
  const smallest = size === 1 ? 24 : 2 ** (8 * (size / 2));
  if (value < smallest || value > Number.MAX_SAFE_INTEGER) return undefined;
  return { value, end: at + 1 + size };
}

/**
 * decodeTxPosition for the one shape the store writes, without building a CBOR tree: chain verify
 * reads a million of them. Returns undefined for anything else (the caller then decodes the
 * general way, which names the problem); for every input it accepts, it returns what
 * decodeTxPosition returns.
 */
export function decodeTxPositionFast(encoded: Uint8Array): TxPosition | undefined {
  if (encoded[0] !== MAP_OF_THREE) return undefined;
  const values: number[] = [];
  let at = 1;
  for (const key of POSITION_KEYS) {
    for (let i = 0; i < key.byteLength; i++) if (encoded[at + i] !== key[i]) return undefined;
    const parsed = shortestUint(encoded, at + key.byteLength);
    if (parsed === undefined) return undefined;
    values.push(parsed.value);
    at = parsed.end;
  }
  const [index, height, leafIndex] = values as [number, number, number];
  if (at !== encoded.byteLength || index > LIMITS.maxTxsPerBlock - 1) return undefined;
  return { height, index, leafIndex };
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
