// The node's evidence store (design section 7, "kept"): one durable record per convicted slot and
// height, surviving a reopen, paged lowest height first, bounded with the oldest dropped and
// counted, and outside the replicated state.
import assert from 'node:assert/strict';
import path from 'node:path';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import {
  type EquivocationEvidence,
  proposalEvidence,
  voteEvidence,
} from '../../src/core/consensus/evidence.js';
import { decodeEvidence } from '../../src/core/consensus/evidence-codec.js';
import { verifyEvidence } from '../../src/core/consensus/evidence-verify.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { STATE_BUCKETS } from '../../src/core/ledger/state-kv.js';
import { LIMITS } from '../../src/core/limits.js';
import { Bucket, evidenceDroppedKey, evidenceKey } from '../../src/node/store/buckets.js';
import { EvidenceStore } from '../../src/node/store/evidence-store.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { openByteDb } from '../../src/node/store/open-db.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { makeBlock, makeProposal, makeTableFixture, makeVote } from '../sim/fixtures.js';

const { fx, A, B } = makeTableFixture();

/** Validator 3 double-prevoting at `height`, round `round`. */
function doubleVoteAt(height: number, round = 0): EquivocationEvidence {
  return voteEvidence(
    makeVote(fx, 3, 'prevote', round, A, height),
    makeVote(fx, 3, 'prevote', round, B, height),
  );
}

describe('store: equivocation evidence', () => {
  const temp = useTempDir('bayledger-evidence-', 'each');

  it('keeps each slot once, durably, and reads back what verifies', async () => {
    const dir = path.join(temp.path, 'db');
    const proposal = proposalEvidence(makeProposal(fx, 1, 0, A), makeProposal(fx, 1, 0, makeBlock(fx, 1, 7)));
    let store = await LedgerStore.open(dir);
    try {
      assert.equal(await store.evidence.add(doubleVoteAt(1), 1_800_000_000), true);
      assert.equal(await store.evidence.add(proposal, 1_800_000_001), true);
      // The same slot again, even with another conflicting pair: already kept.
      const again = voteEvidence(makeVote(fx, 3, 'prevote', 0, A), makeVote(fx, 3, 'prevote', 0, null));
      assert.equal(await store.evidence.add(again, 1_800_000_002), false);
      assert.equal(store.evidence.count, 2);
    } finally {
      await store.close();
    }
    store = await LedgerStore.open(dir);
    try {
      assert.equal(store.evidence.count, 2);
      const page = await store.evidence.list();
      assert.equal(page.next, null);
      assert.deepEqual(
        page.entries.map((entry) => [entry.evidence.kind, entry.evidence.validator, entry.receivedAtSeconds]),
        [
          ['vote', 'v3', 1_800_000_000],
          ['proposal', 'v1', 1_800_000_001],
        ],
      );
      for (const entry of page.entries) {
        assert.deepEqual(decodeEvidence(entry.encoded), entry.evidence);
        assert.deepEqual(verifyEvidence(entry.evidence, fx.validators, fx.chain.chainId), { ok: true });
      }
      assert.deepEqual(page.entries[0]!.evidence, doubleVoteAt(1));
    } finally {
      await store.close();
    }
  });

  it('pages lowest height first and refuses a cursor from outside its bucket', async () => {
    const db = await openByteDb(path.join(temp.path, 'db'), { createIfMissing: true });
    try {
      const store = await EvidenceStore.open(db);
      for (const height of [5, 2, 9, 7, 3]) await store.add(doubleVoteAt(height), 1);
      const heights: number[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ after, limit: 2 });
        heights.push(...page.entries.map((entry) => entry.evidence.height));
        after = page.next ?? undefined;
        pages++;
      } while (after !== undefined);
      assert.deepEqual(heights, [2, 3, 5, 7, 9]);
      assert.equal(pages, 3);
      // A page that takes exactly the records left is the last one.
      const whole = await store.list({ limit: 5 });
      assert.deepEqual([whole.entries.length, whole.next], [5, null]);
      // A cursor is the bucket byte, the 8-byte height and a slot of at least one byte.
      const bucket = Bucket.Evidence.toString(16).padStart(2, '0');
      const headOnly = `${bucket}${'00'.repeat(8)}`;
      for (const cursor of ['zz', '08', `07${'00'.repeat(12)}`, '09', headOnly]) {
        await rejectsWith(
          store.list({ after: cursor }),
          'REQUEST_MALFORMED',
          'after: not an evidence cursor',
        );
      }
      assert.equal((await store.list({ after: `${headOnly}00` })).entries.length, 5);
    } finally {
      await db.close();
    }
  });

  it('drops the lowest height past its bound and counts the drops across a reopen', async () => {
    const dir = path.join(temp.path, 'db');
    let db = await openByteDb(dir, { createIfMissing: true });
    try {
      const store = await EvidenceStore.open(db, 3);
      for (const height of [4, 1, 6, 2, 8]) await store.add(doubleVoteAt(height), 1);
      assert.equal(store.count, 3);
      assert.equal(store.dropped, 2);
      const kept = (await store.list()).entries.map((entry) => entry.evidence.height);
      assert.deepEqual(kept, [4, 6, 8]);
    } finally {
      await db.close();
    }
    db = await openByteDb(dir, { createIfMissing: false });
    try {
      const store = await EvidenceStore.open(db, 3);
      assert.equal(store.count, 3);
      assert.equal(store.dropped, 2);
    } finally {
      await db.close();
    }
  });

  it('refuses to open over a dropped-evidence count that is not a count (DATABASE_CORRUPT)', async () => {
    const dir = path.join(temp.path, 'db');
    const db = await openByteDb(dir, { createIfMissing: true });
    try {
      // Negative, a string, and bytes that are not CBOR at all.
      for (const bad of [encodeCanonical(-1), encodeCanonical('2'), Uint8Array.of(0xff, 0x00)]) {
        await db.put(evidenceDroppedKey(), bad);
        await assert.rejects(EvidenceStore.open(db, 3), (error: unknown) =>
          isBayledgerError(error, 'DATABASE_CORRUPT'),
        );
      }
      await db.put(evidenceDroppedKey(), encodeCanonical(0));
      assert.equal((await EvidenceStore.open(db, 3)).dropped, 0, 'zero is a count');
    } finally {
      await db.close();
    }
  });

  it('opens over exactly LIMITS.maxStoredEvidence records, and refuses one more (DATABASE_CORRUPT)', async () => {
    const db = await openByteDb(path.join(temp.path, 'db'), { createIfMissing: true });
    try {
      // The open counts keys only, so any value stands in for a record here.
      const batch = db.batch();
      for (let height = 1; height <= LIMITS.maxStoredEvidence; height++)
        batch.put(evidenceKey(height, 'v1/prevote/0'), Uint8Array.of(0));
      await batch.write({ sync: false });
      assert.equal((await EvidenceStore.open(db)).count, LIMITS.maxStoredEvidence);
      await db.put(evidenceKey(LIMITS.maxStoredEvidence + 1, 'v1/prevote/0'), Uint8Array.of(0));
      await rejectsWith(
        EvidenceStore.open(db),
        'DATABASE_CORRUPT',
        `evidence: more than ${LIMITS.maxStoredEvidence} evidence records`,
      );
    } finally {
      await db.close();
    }
  });

  it('is not part of the committed chain: it writes only its own bucket, never a block or the state', async () => {
    const dir = path.join(temp.path, 'db');
    let store = await LedgerStore.open(dir);
    await store.close();
    const before = await keysOutsideEvidence(dir);
    store = await LedgerStore.open(dir);
    try {
      assert.equal(await store.evidence.add(doubleVoteAt(1), 1), true);
    } finally {
      await store.close();
    }
    // Every key the evidence added is in the node-local Evidence bucket: no meta head, block,
    // certificate or state key (the replicated state has an 'evidence' bucket of its own).
    assert.deepEqual(await keysOutsideEvidence(dir), before);
    store = await LedgerStore.open(dir);
    try {
      assert.equal(store.evidence.count, 1);
      assert.equal(store.height, 0);
      assert.equal(store.tip, undefined);
      for (const bucket of STATE_BUCKETS) {
        for await (const entry of store.stateEntriesIn(bucket)) assert.fail(`state ${bucket}/${entry.key}`);
      }
    } finally {
      await store.close();
    }
  });
});

/** Every key of the database at `dir` outside the Evidence bucket, as hex. */
async function keysOutsideEvidence(dir: string): Promise<string[]> {
  const db = await openByteDb(dir, { createIfMissing: false });
  try {
    const keys = await db.keys().all();
    return keys.filter((key) => key[0] !== Bucket.Evidence).map((key) => Buffer.from(key).toString('hex'));
  } finally {
    await db.close();
  }
}
