// The key builders write each key into one buffer (integers as two 32-bit halves, ASCII text byte
// by byte); these checks hold them to the layout the store has always had: the bucket byte, then
// big-endian 64-bit integers, then UTF-8 text.
import { strict as assert } from 'node:assert';
import {
  Bucket,
  blockKey,
  certificateKey,
  evidenceKey,
  merkleNodeKey,
  metaKey,
  readUint64,
  stateBucketPrefix,
  stateKey,
  stateRange,
  txIndexKey,
  txLogKey,
  walKey,
} from '../../src/node/store/buckets.js';

function reference(bucket: number, ...parts: (number | string | Uint8Array)[]): Uint8Array {
  const chunks: Buffer[] = [Buffer.of(bucket)];
  for (const part of parts) {
    if (typeof part === 'number') {
      const integer = Buffer.alloc(8);
      integer.writeBigUInt64BE(BigInt(part));
      chunks.push(integer);
    } else if (typeof part === 'string') chunks.push(Buffer.from(part, 'utf8'));
    else chunks.push(Buffer.from(part));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

const INTEGERS = [
  0,
  1,
  255,
  256,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 40 + 12345,
  Number.MAX_SAFE_INTEGER,
];

describe('store key layout', () => {
  it('writes integers as 8 big-endian bytes and reads them back', () => {
    for (const value of INTEGERS) {
      assert.deepEqual(blockKey(value), reference(Bucket.Block, value), `block ${value}`);
      assert.deepEqual(certificateKey(value), reference(Bucket.Certificate, value), `certificate ${value}`);
      assert.deepEqual(txLogKey(value), reference(Bucket.TxLog, value), `tx log ${value}`);
      assert.deepEqual(walKey(value, 7), reference(Bucket.Wal, value, 7), `wal ${value}`);
      assert.deepEqual(walKey(3, value), reference(Bucket.Wal, 3, value), `wal sequence ${value}`);
      assert.equal(readUint64(txLogKey(value), 1), value);
    }
  });

  it('puts the level between bucket and index in tree node keys', () => {
    for (const value of INTEGERS) {
      const expected = reference(Bucket.MerkleNode, Uint8Array.of(9), value);
      assert.deepEqual(merkleNodeKey(9, value), expected, `node ${value}`);
      assert.equal(readUint64(merkleNodeKey(9, value), 2), value);
    }
  });

  it('refuses integers that are negative, fractional or beyond 2^53', () => {
    for (const value of [-1, 1.5, 2 ** 53, Number.NaN]) {
      assert.throws(() => blockKey(value), /not a non-negative safe integer/);
    }
  });

  it('writes text keys as UTF-8, ASCII and not', () => {
    for (const text of ['', 'abc/2026', 'caf\u00e9', '\u6df1\u5733', '\u{1f600}x']) {
      assert.deepEqual(stateKey('consent', text), reference(stateBucketPrefix('consent'), text), text);
      assert.deepEqual(evidenceKey(4, text), reference(Bucket.Evidence, 4, text), `evidence ${text}`);
    }
    assert.deepEqual(metaKey('head'), reference(Bucket.Meta, 'head'));
  });

  it('gives each state bucket its own prefix after StateBase', () => {
    assert.equal(stateBucketPrefix('consent'), Bucket.StateBase);
    assert.equal(stateBucketPrefix('outcome'), Bucket.StateBase + 8);
    assert.throws(() => stateBucketPrefix('nope' as 'consent'), /unknown state bucket nope/);
  });

  it('bounds a state prefix scan by the prefix with its last byte raised', () => {
    const consent = Bucket.StateBase;
    assert.deepEqual(stateRange('consent'), {
      gte: Uint8Array.of(consent),
      lt: Uint8Array.of(consent + 1),
    });
    assert.deepEqual(stateRange('consent', 'ab'), {
      gte: reference(consent, 'ab'),
      lt: reference(consent, 'ac'),
    });
    // A prefix ending in a multi-byte character: its last UTF-8 byte (0xa9 of U+00E9) is raised.
    assert.deepEqual(stateRange('consent', 'x\u00e9'), {
      gte: reference(consent, 'x\u00e9'),
      lt: Uint8Array.of(consent, 0x78, 0xc3, 0xaa),
    });
  });

  it('puts the raw id after the bucket in tx index keys', () => {
    const txId = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    assert.deepEqual(txIndexKey(txId), reference(Bucket.TxIndex, txId));
  });
});
