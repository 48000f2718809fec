// The node's own record of equivocation evidence (design section 7: "kept and reported"). It lives
// in the node's LevelDB but outside the replicated state: no block writes it, the state hash does
// not cover it, and each node keeps what it saw. One record per convicted slot and height, keyed
// (height, evidenceSlot), so evidence found again (another copy, a restart) is stored once. Each
// record holds the canonical CBOR of the two signed messages (encodeEvidence), so anyone can
// re-check it with the genesis keys (verifyEvidence). Bounded by LIMITS.maxStoredEvidence: past
// it the record of the lowest height is dropped, in the same synced batch, and counted.

import { parseHex, toHex } from '../../core/bytes.js';
import { type CborMap, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { bytes, object, type Schema, uint } from '../../core/codec/schema.js';
import { type EquivocationEvidence, evidenceSlot } from '../../core/consensus/evidence.js';
import { decodeEvidence, encodeEvidence, MAX_EVIDENCE_BYTES } from '../../core/consensus/evidence-codec.js';
import { assert, BayledgerError, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { evidenceDroppedKey, evidenceKey, evidenceRange } from './buckets.js';
import type { ByteDb } from './open-db.js';
import { decodeStored } from './stored-records.js';

/** A record key's bucket byte and 8-byte height (evidenceKey); a slot of at least a byte follows. */
const EVIDENCE_KEY_HEAD_BYTES = 1 + 8;

export interface StoredEvidence {
  /** Opaque page cursor: the record's key, as hex. */
  readonly cursor: string;
  readonly evidence: EquivocationEvidence;
  /** encodeEvidence(evidence): the two signed messages, canonical CBOR. */
  readonly encoded: Uint8Array;
  /** Local clock when this node first stored it, integer seconds since the Unix epoch. */
  readonly receivedAtSeconds: number;
}

export interface EvidencePage {
  readonly entries: readonly StoredEvidence[];
  /** Cursor for the next page, or null when this page reached the end. */
  readonly next: string | null;
}

const RECORD: Schema<{ evidence: Uint8Array; receivedAtSeconds: number }> = object({
  evidence: bytes(undefined, MAX_EVIDENCE_BYTES),
  receivedAtSeconds: uint(),
});

function decodeRecord(key: Uint8Array, value: Uint8Array): StoredEvidence {
  const where = `evidence ${toHex(key)}`;
  try {
    const record = RECORD.parse(decodeCanonical(value), '$');
    return {
      cursor: toHex(key),
      evidence: decodeEvidence(record.evidence),
      encoded: record.evidence,
      receivedAtSeconds: record.receivedAtSeconds,
    };
  } catch (error) {
    if (error instanceof BayledgerError) fail('DATABASE_CORRUPT', error.message, where);
    throw error;
  }
}

const DROPPED_COUNT: Schema<number> = uint();

function decodeDropped(value: Uint8Array | undefined): number {
  if (value === undefined) return 0;
  return decodeStored(value, (count) => DROPPED_COUNT.parse(count, 'dropped'), 'evidence dropped count');
}

export class EvidenceStore {
  readonly #db: ByteDb;
  readonly #maxRecords: number;
  #count = 0;
  #dropped = 0;
  /** Writes one at a time, so the count and the choice of the record to drop stay exact. */
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(db: ByteDb, maxRecords: number) {
    this.#db = db;
    this.#maxRecords = maxRecords;
  }

  /** `maxRecords` is LIMITS.maxStoredEvidence except in tests of the bound. */
  static async open(db: ByteDb, maxRecords: number = LIMITS.maxStoredEvidence): Promise<EvidenceStore> {
    assert(Number.isSafeInteger(maxRecords) && maxRecords > 0, `evidence bound ${maxRecords}`);
    const store = new EvidenceStore(db, maxRecords);
    store.#dropped = decodeDropped(await db.get(evidenceDroppedKey()));
    // Bounded scan of keys only: the bucket never holds more than maxStoredEvidence records.
    // A store written under a larger bound keeps its extra records until new evidence drops them.
    const keys = await db.keys({ ...evidenceRange(), limit: LIMITS.maxStoredEvidence + 1 }).all();
    if (keys.length > LIMITS.maxStoredEvidence)
      fail('DATABASE_CORRUPT', `more than ${LIMITS.maxStoredEvidence} evidence records`, 'evidence');
    store.#count = keys.length;
    return store;
  }

  /** Records kept now. */
  get count(): number {
    return this.#count;
  }

  /** Records dropped (oldest first) to stay within LIMITS.maxStoredEvidence, ever. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Keeps `evidence` durably (sync); false when its slot at its height is already kept. */
  add(evidence: EquivocationEvidence, receivedAtSeconds: number): Promise<boolean> {
    const written = this.#writing.then(() => this.#add(evidence, receivedAtSeconds));
    this.#writing = written.catch(() => undefined);
    return written;
  }

  async #add(evidence: EquivocationEvidence, receivedAtSeconds: number): Promise<boolean> {
    const key = evidenceKey(evidence.height, evidenceSlot(evidence));
    if ((await this.#db.get(key)) !== undefined) return false;
    const record: CborMap = { evidence: encodeEvidence(evidence), receivedAtSeconds };
    const batch = this.#db.batch().put(key, encodeCanonical(record));
    const excess = Math.max(0, this.#count + 1 - this.#maxRecords);
    if (excess > 0) {
      const oldest = await this.#db.keys({ ...evidenceRange(), limit: excess }).all();
      assert(oldest.length === excess, 'the evidence count is more than the bucket holds');
      for (const key of oldest) batch.del(key);
      batch.put(evidenceDroppedKey(), encodeCanonical(this.#dropped + excess));
    }
    await batch.write({ sync: true });
    this.#count += 1 - excess;
    this.#dropped += excess;
    return true;
  }

  /** Up to `limit` records (at most LIMITS.maxEvidencePage), lowest height first, after `cursor`. */
  async list(options: { after?: string; limit?: number } = {}): Promise<EvidencePage> {
    const limit = Math.min(options.limit ?? LIMITS.maxEvidencePage, LIMITS.maxEvidencePage);
    assert(Number.isSafeInteger(limit) && limit > 0, `evidence page of ${limit} records`);
    const range = evidenceRange();
    const after = options.after === undefined ? undefined : parseHex(options.after);
    // A cursor is a record key: anything outside the bucket would page through other buckets. A
    // record key is the bucket byte, the 8-byte height (evidenceKey), then a non-empty slot.
    if (
      options.after !== undefined &&
      (after === undefined || after[0] !== range.gte[0] || after.length <= EVIDENCE_KEY_HEAD_BYTES)
    )
      fail('REQUEST_MALFORMED', 'not an evidence cursor', 'after');
    const bounds = after === undefined ? { gte: range.gte, lt: range.lt } : { gt: after, lt: range.lt };
    const found = await this.#db.iterator({ ...bounds, limit: limit + 1 }).all();
    const entries = found.slice(0, limit).map(([key, value]) => decodeRecord(key, value));
    const next = found.length > limit ? entries[entries.length - 1]!.cursor : null;
    return { entries, next };
  }
}
