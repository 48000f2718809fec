import assert from 'node:assert/strict';
import { sha256 } from '../../src/core/crypto/hash.js';
import { LIMITS } from '../../src/core/limits.js';
import { Mempool } from '../../src/node/mempool/mempool.js';

// Admission here accepts any bytes that do not start with 0xff; the real node plugs in decode +
// schema + signature checks. What is under test is the pool's own bookkeeping.
function makePool(options: { maxTxs?: number; maxBytes?: number; committed?: Set<string> } = {}) {
  let admissions = 0;
  const pool = new Mempool<Uint8Array>({
    txIdOf: sha256,
    admit: (bytes, txId) => {
      admissions++;
      assert.deepEqual(txId, sha256(bytes));
      if (bytes[0] === 0xff) return { ok: false, code: 'TX_INVALID', reason: 'starts with 0xff' };
      return { ok: true, tx: bytes };
    },
    isCommitted: (id) => options.committed?.has(id) ?? false,
    maxTxs: options.maxTxs,
    maxBytes: options.maxBytes,
  });
  return { pool, admissions: () => admissions };
}

const tx = (n: number, size = 10) => new Uint8Array(size).fill(n % 255);

describe('mempool', () => {
  it('deduplicates by transaction id and checks each transaction once', () => {
    const { pool, admissions } = makePool();
    const first = pool.add(tx(1));
    const second = pool.add(tx(1));
    assert.equal(first.ok && !first.duplicate, true);
    assert.equal(second.ok && second.duplicate, true);
    assert.equal(pool.size, 1);
    assert.equal(pool.bytes, 10);
    assert.equal(admissions(), 1, 'the duplicate is recognised by its id, not checked again');
    assert.deepEqual(first.ok && pool.admitted(first.txIdHex), tx(1), 'the admission result is kept');
  });

  it('takes a transaction id the caller already computed instead of hashing again', () => {
    let hashed = 0;
    const pool = new Mempool<Uint8Array>({
      txIdOf: (bytes) => {
        hashed++;
        return sha256(bytes);
      },
      admit: (bytes) => ({ ok: true, tx: bytes }),
      isCommitted: () => false,
    });
    const added = pool.add(tx(3), sha256(tx(3)));
    assert.equal(hashed, 0);
    assert.equal(added.ok && pool.get(added.txIdHex)?.txIdHex, added.ok && added.txIdHex);
    pool.add(tx(4));
    assert.equal(hashed, 1, 'without an id the pool hashes the bytes itself');
  });

  it('rejects invalid, committed and oversize transactions with codes', () => {
    const committedId = Buffer.from(sha256(tx(7))).toString('hex');
    const { pool, admissions } = makePool({ committed: new Set([committedId]) });
    assert.deepEqual(pool.add(new Uint8Array([0xff])), {
      ok: false,
      code: 'TX_INVALID',
      reason: 'starts with 0xff',
    });
    const committed = pool.add(tx(7));
    assert.equal(committed.ok, false);
    assert.equal(!committed.ok && committed.code, 'ALREADY_COMMITTED');
    assert.equal(admissions(), 1, 'a committed transaction is refused by its id before any check');
    const huge = pool.add(new Uint8Array(70 * 1024));
    assert.equal(!huge.ok && huge.code, 'TX_TOO_LARGE');
    assert.equal(pool.size, 0);
    // The limit itself is allowed: exactly LIMITS.maxTxBytes goes on to admission.
    assert.equal(pool.add(new Uint8Array(LIMITS.maxTxBytes).fill(1)).ok, true);
    const oneMore = pool.add(new Uint8Array(LIMITS.maxTxBytes + 1).fill(1));
    assert.equal(!oneMore.ok && oneMore.code, 'TX_TOO_LARGE');
  });

  it('is bounded in count and bytes', () => {
    const byCount = makePool({ maxTxs: 3 }).pool;
    for (let i = 0; i < 3; i++) assert.equal(byCount.add(tx(i)).ok, true);
    const full = byCount.add(tx(3));
    assert.equal(!full.ok && full.code, 'MEMPOOL_FULL');
    const byBytes = makePool({ maxBytes: 25 }).pool;
    assert.equal(byBytes.add(tx(1)).ok, true);
    assert.equal(byBytes.add(tx(2)).ok, true);
    assert.equal(byBytes.add(tx(3)).ok, false);
    // Filled to exactly maxBytes is allowed.
    const exact = makePool({ maxBytes: 30 }).pool;
    for (let i = 0; i < 3; i++) assert.equal(exact.add(tx(i)).ok, true, `transaction ${i}`);
    assert.equal(exact.bytes, 30);
  });

  it('fills blocks oldest first within count and byte limits and prunes committed ones', () => {
    const { pool } = makePool();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const result = pool.add(tx(i, 10 + i));
      assert.ok(result.ok);
      ids.push(result.txIdHex);
    }
    assert.deepEqual(
      pool.takeForBlock(3, 1000).map((entry) => entry.txIdHex),
      ids.slice(0, 3),
    );
    assert.deepEqual(
      pool.takeForBlock(100, 10 + 11 + 12).map((entry) => entry.txIdHex),
      ids.slice(0, 3),
    );
    assert.equal(pool.removeCommitted(ids.slice(0, 4)), 4);
    assert.equal(pool.size, 6);
    assert.equal(pool.takeForBlock(1, 1000)[0]!.txIdHex, ids[4]);
  });
});
