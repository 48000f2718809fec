// Key layout of the node's one LevelDB (design section 6): every key starts with a one-byte bucket
// prefix from this one enum, so buckets never overlap and each can be scanned as a key range.
// Integers in keys are big-endian so LevelDB's bytewise order is numeric order.
import { concatBytes, utf8 } from '../../core/bytes.js';
import { assert } from '../../core/errors.js';
import { STATE_BUCKETS, type StateBucket } from '../../core/ledger/state-kv.js';

export enum Bucket {
  /**
   * 'head' -> the chain tip; 'genesis' -> the genesis file this store belongs to; 'format' -> the
   * key layout version (STORE_FORMAT).
   */
  Meta = 0x01,
  /** height -> { header, blockHash, txIds } */
  Block = 0x02,
  /** height -> commit certificate */
  Certificate = 0x03,
  /**
   * Store format 1 only: txId -> { height, index, leafIndex, envelope }. Format 2 never writes it;
   * the prefix stays reserved so an old store is never misread.
   */
  Tx = 0x04,
  /** (level, index) -> root of a complete perfect subtree of the log (RFC 9162 2.1.1) */
  MerkleNode = 0x05,
  /**
   * (height, sequence) -> one consensus WAL record, as builds before the WAL file (wal.ts) kept
   * them; opening a store moves any such records into the file, and nothing writes here since.
   */
  Wal = 0x06,
  /**
   * leaf index -> the canonical envelope bytes of that transaction. Keys follow the log's order, so
   * a block's transactions are one contiguous key range, read with one sequential scan.
   */
  TxLog = 0x07,
  /** txId -> { height, index, leafIndex }: the by-id lookup into TxLog (and the replay check). */
  TxIndex = 0x08,
  /**
   * Node-local equivocation evidence, not replicated and outside the state hash: (height, slot) ->
   * { evidence, receivedAtSeconds }; the bucket's bare prefix holds the count of records dropped.
   */
  Evidence = 0x09,
  /** First of the state buckets: STATE_BUCKETS[i] uses prefix StateBase + i. */
  StateBase = 0x10,
}

/**
 * The key layout this build reads and writes. Format 1 kept each transaction under its id; format 2
 * keeps them in log order (TxLog) with an id index (TxIndex).
 */
export const STORE_FORMAT = 2;

const HEIGHT_BYTES = 8;
const TWO_POW_32 = 2 ** 32;

/**
 * A key buffer of `length` bytes, every one of which the caller writes. Keys come from Node's
 * shared allocation pool (Buffer.allocUnsafe) rather than a zeroed Uint8Array of their own: a
 * committed block builds about ten keys per transaction, and the allocation was most of their
 * cost. LevelDB copies a key when it is written, and no key is kept past its call.
 */
function newKey(length: number): Buffer {
  return Buffer.allocUnsafe(length);
}

/** The key as a plain Uint8Array view (callers and tests compare keys as Uint8Array). */
function asKey(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Writes a non-negative safe integer as 8 big-endian bytes at `offset` of `out`. */
function writeUint64(out: Buffer, offset: number, value: number): void {
  assert(
    Number.isSafeInteger(value) && value >= 0,
    `key integer ${value} is not a non-negative safe integer`,
  );
  // Two 32-bit halves instead of a BigInt: the BigInt conversion was the costliest part of
  // building an integer key.
  out.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  out.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

export function readUint64(key: Uint8Array, offset: number): number {
  const value = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(offset);
  return Number(value);
}

/** A key of the bucket byte followed by integers, each 8 bytes big-endian. */
function integerKey(bucket: number, ...values: number[]): Uint8Array {
  const out = newKey(1 + HEIGHT_BYTES * values.length);
  out[0] = bucket;
  for (const [i, value] of values.entries()) writeUint64(out, 1 + HEIGHT_BYTES * i, value);
  return asKey(out);
}

/** Any UTF-16 code unit outside ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The bucket byte followed by the UTF-8 bytes of `text`. Keys the ledger writes are ASCII, where
 * UTF-8 is one byte per code unit, written by Buffer's native latin1 writer (the same bytes for
 * code units below 0x80); a state read and a committed state write each build one of these.
 */
function textKey(bucket: number, text: string): Uint8Array {
  if (NON_ASCII.test(text)) return concatBytes(Uint8Array.of(bucket), utf8(text));
  const out = newKey(1 + text.length);
  out[0] = bucket;
  out.write(text, 1, 'latin1');
  return asKey(out);
}

export function metaKey(name: 'head' | 'genesis' | 'format'): Uint8Array {
  return textKey(Bucket.Meta, name);
}

export function blockKey(height: number): Uint8Array {
  return integerKey(Bucket.Block, height);
}

export function certificateKey(height: number): Uint8Array {
  return integerKey(Bucket.Certificate, height);
}

/** The TxIndex key of a transaction id. */
export function txIndexKey(txId: Uint8Array): Uint8Array {
  const out = newKey(1 + txId.byteLength);
  out[0] = Bucket.TxIndex;
  out.set(txId, 1);
  return asKey(out);
}

/** The TxLog key of the transaction at one leaf index of the log. */
export function txLogKey(leafIndex: number): Uint8Array {
  return integerKey(Bucket.TxLog, leafIndex);
}

/** [gte, lt) bounds of the TxLog entries of leaves from..to-1: one block's transactions. */
export function txLogRange(fromLeaf: number, toLeaf: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: txLogKey(fromLeaf), lt: txLogKey(toLeaf) };
}

export function merkleNodeKey(level: number, index: number): Uint8Array {
  assert(Number.isInteger(level) && level >= 0 && level < 64, `tree level ${level} out of range`);
  const out = newKey(2 + HEIGHT_BYTES);
  out[0] = Bucket.MerkleNode;
  out[1] = level;
  writeUint64(out, 2, index);
  return asKey(out);
}

export function walKey(height: number, sequence: number): Uint8Array {
  return integerKey(Bucket.Wal, height, sequence);
}

/** Each state bucket's key prefix, looked up once per key instead of searched for. */
const STATE_BUCKET_PREFIX = new Map<string, number>(
  STATE_BUCKETS.map((bucket, position) => [bucket, Bucket.StateBase + position]),
);

export function stateBucketPrefix(bucket: StateBucket): number {
  const prefix = STATE_BUCKET_PREFIX.get(bucket);
  assert(prefix !== undefined, `unknown state bucket ${bucket}`);
  return prefix;
}

export function stateKey(bucket: StateBucket, key: string): Uint8Array {
  return textKey(stateBucketPrefix(bucket), key);
}

/**
 * [gte, lt) bounds of the state entries of one bucket whose keys start with `keyPrefix` (all of
 * the bucket when it is empty). The upper bound is the lower one with its last byte raised: no
 * UTF-8 text holds the byte 0xff (RFC 3629 section 1), and the last byte of an empty prefix's key
 * is the bucket's own small number, so that byte can always be raised.
 */
export function stateRange(bucket: StateBucket, keyPrefix = ''): { gte: Uint8Array; lt: Uint8Array } {
  const gte = stateKey(bucket, keyPrefix);
  const lt = gte.slice();
  const last = lt.byteLength - 1;
  assert(lt[last]! < 0xff, 'a state key ends in 0xff');
  lt[last]! += 1;
  return { gte, lt };
}

/** [gte, lt) bounds that select exactly one bucket. */
export function bucketRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: new Uint8Array([prefix]), lt: new Uint8Array([prefix + 1]) };
}

/** The key of the evidence record of one slot (evidenceSlot) at one height. */
export function evidenceKey(height: number, slot: string): Uint8Array {
  return concatBytes(integerKey(Bucket.Evidence, height), utf8(slot));
}

/** The key holding how many evidence records were dropped (it sorts before every record). */
export function evidenceDroppedKey(): Uint8Array {
  return new Uint8Array([Bucket.Evidence]);
}

/** [gte, lt) bounds of every evidence record (the dropped count excluded). */
export function evidenceRange(): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: integerKey(Bucket.Evidence, 0), lt: bucketRange(Bucket.Evidence).lt };
}
