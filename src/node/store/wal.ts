// The consensus write-ahead log (design section 7): a validator appends each proposal and vote it
// signs, durably (sync), before sending it, and replays the log on restart, so it never signs two
// different values for one height and round. Records are opaque bytes to the store (the consensus
// shell encodes them); keys are (height, sequence), so replay returns them in append order and
// clearing a finished height is one range of keys.
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { Bucket, bucketRange, readUint64, walKey } from './buckets.js';
import type { ByteDb } from './open-db.js';

export interface WalRecord {
  readonly height: number;
  readonly sequence: number;
  readonly record: Uint8Array;
}

const SEQUENCE_OFFSET = 1 + 8;

export class ConsensusWal {
  readonly #db: ByteDb;
  #nextSequence = 0;
  /**
   * Keys of the records in the log, oldest append first. Only this object writes the WAL bucket
   * (LevelDB's lock keeps other processes out), so clearing deletes these keys directly instead of
   * opening an iterator over the bucket once per block.
   */
  #keys: Array<{ readonly height: number; readonly key: Uint8Array }> = [];

  private constructor(db: ByteDb) {
    this.#db = db;
  }

  static async open(db: ByteDb): Promise<ConsensusWal> {
    const wal = new ConsensusWal(db);
    // Keys sort by height first, so the largest sequence need not be last: scan the (small) log.
    for await (const key of db.keys({ ...bucketRange(Bucket.Wal), limit: LIMITS.maxWalRecords })) {
      wal.#nextSequence = Math.max(wal.#nextSequence, readUint64(key, SEQUENCE_OFFSET) + 1);
      wal.#keys.push({ height: readUint64(key, 1), key });
    }
    return wal;
  }

  /** Appends one record for `height` and returns once it is on disk (fsync). */
  async append(height: number, record: Uint8Array): Promise<void> {
    if (record.byteLength > LIMITS.maxWalRecordBytes) {
      fail(
        'MESSAGE_TOO_LARGE',
        `WAL record of ${record.byteLength} bytes exceeds ${LIMITS.maxWalRecordBytes}`,
      );
    }
    const sequence = this.#nextSequence++;
    const key = walKey(height, sequence);
    this.#keys.push({ height, key });
    await this.#db.put(key, record, { sync: true });
  }

  /** Every record still in the log, oldest height first, in append order within a height. */
  async read(): Promise<WalRecord[]> {
    const records: WalRecord[] = [];
    for await (const [key, value] of this.#db.iterator(bucketRange(Bucket.Wal))) {
      if (records.length >= LIMITS.maxWalRecords) {
        fail('DATABASE_CORRUPT', `more than ${LIMITS.maxWalRecords} WAL records`, 'wal');
      }
      records.push({ height: readUint64(key, 1), sequence: readUint64(key, SEQUENCE_OFFSET), record: value });
    }
    return records;
  }

  /**
   * Removes every record of heights up to and including `height` (they are decided). Not synced:
   * a deletion lost in a crash leaves records of decided heights, which replay ignores (it reads
   * only the height after the committed tip) and the next clear removes; an fsync here cost every
   * validator one more disk flush per block (about 0.5 ms CPU and 3 ms here).
   */
  async clear(height: number): Promise<void> {
    const decided = this.#keys.filter((entry) => entry.height <= height);
    if (decided.length === 0) return;
    this.#keys = this.#keys.filter((entry) => entry.height > height);
    const batch = this.#db.batch();
    for (const entry of decided) batch.del(entry.key);
    await batch.write({ sync: false });
  }
}
