// Key layout of the node's one LevelDB (design section 6): every key starts with a one-byte bucket
// prefix from this one enum, so buckets never overlap and each can be scanned as a key range.
// Integers in keys are big-endian so LevelDB's bytewise order is numeric order.
import { concatBytes, utf8 } from '../../core/bytes.js';
import { assert } from '../../core/errors.js';
import { STATE_BUCKETS, type StateBucket } from '../../core/ledger/state-kv.js';

export enum Bucket {
  /** 'head' -> the chain tip; 'genesis' -> the genesis file this store belongs to. */
  Meta = 0x01,
  /** height -> { header, blockHash, txIds } */
  Block = 0x02,
  /** height -> commit certificate */
  Certificate = 0x03,
  /** txId -> { height, index, leafIndex, envelope } */
  Tx = 0x04,
  /** (level, index) -> root of a complete perfect subtree of the log (RFC 9162 2.1.1) */
  MerkleNode = 0x05,
  /** (height, sequence) -> one consensus WAL record */
  Wal = 0x06,
  /** First of the state buckets: STATE_BUCKETS[i] uses prefix StateBase + i. */
  StateBase = 0x10,
}

const HEIGHT_BYTES = 8;

function uint64(value: number): Uint8Array {
  assert(
    Number.isSafeInteger(value) && value >= 0,
    `key integer ${value} is not a non-negative safe integer`,
  );
  const out = new Uint8Array(HEIGHT_BYTES);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

export function readUint64(key: Uint8Array, offset: number): number {
  const value = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(offset);
  return Number(value);
}

function prefixed(bucket: number, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(new Uint8Array([bucket]), ...parts);
}

export function metaKey(name: 'head' | 'genesis'): Uint8Array {
  return prefixed(Bucket.Meta, utf8(name));
}

export function blockKey(height: number): Uint8Array {
  return prefixed(Bucket.Block, uint64(height));
}

export function certificateKey(height: number): Uint8Array {
  return prefixed(Bucket.Certificate, uint64(height));
}

export function txKey(txId: Uint8Array): Uint8Array {
  return prefixed(Bucket.Tx, txId);
}

export function merkleNodeKey(level: number, index: number): Uint8Array {
  assert(Number.isInteger(level) && level >= 0 && level < 64, `tree level ${level} out of range`);
  return prefixed(Bucket.MerkleNode, new Uint8Array([level]), uint64(index));
}

export function walKey(height: number, sequence: number): Uint8Array {
  return prefixed(Bucket.Wal, uint64(height), uint64(sequence));
}

export function stateBucketPrefix(bucket: StateBucket): number {
  const position = STATE_BUCKETS.indexOf(bucket);
  assert(position >= 0, `unknown state bucket ${bucket}`);
  return Bucket.StateBase + position;
}

export function stateKey(bucket: StateBucket, key: string): Uint8Array {
  return prefixed(stateBucketPrefix(bucket), utf8(key));
}

/** [gte, lt) bounds that select exactly one bucket. */
export function bucketRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: new Uint8Array([prefix]), lt: new Uint8Array([prefix + 1]) };
}

/** [gte, lt) bounds of the WAL records at heights from..to inclusive. */
export function walRange(fromHeight: number, toHeight: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: walKey(fromHeight, 0), lt: walKey(toHeight + 1, 0) };
}
