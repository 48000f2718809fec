// Payload files share the disk with the ledger. A hospital seals uploads into its outbox and a
// recipient writes what it fetches into its inbox, and either can be gigabytes; were one to fill
// the disk, the next block's write would fail and the node would stop (store/write-fault.ts), and
// a recipient would resume the same fetch at its next start and stop again. So a payload write
// first asks for room: what it will write, plus a reserve kept free for the ledger
// (LIMITS.diskReserveBytes, or node.json's `diskReserveBytes`). Free space is read with statfs
// (blocks available to unprivileged users), at the moment of asking: other writers may take room
// afterwards, which the reserve absorbs. Payload fetches run side by side (two at a time), and
// each would find room for itself where there is room for only one: a fetch claims its room for
// as long as it runs, and every check counts the claims of the others as taken. (Until the
// claimant releases, the room it has filled counts twice: a later fetch may wait a little longer
// than it had to, never start where it cannot finish.)
import { statfs } from 'node:fs/promises';
import { fail } from '../../core/errors.js';

export interface RoomVerdict {
  readonly ok: boolean;
  /** Free bytes on the disk when asked. */
  readonly freeBytes: number;
  /** What a refusal says: the bytes asked for, those free, and the reserve. */
  readonly reason: string;
}

/** Room a payload write holds until it ends; `release` is idempotent. */
export interface RoomClaim {
  readonly verdict: RoomVerdict;
  release(): void;
}

export class DiskRoom {
  readonly directory: string;
  readonly reserveBytes: number;
  /** Bytes claimed by writes under way (claim), taken as gone by every check. */
  #claimedBytes = 0;

  /** @param directory a folder on the disk the payloads are written to */
  constructor(directory: string, reserveBytes: number) {
    this.directory = directory;
    this.reserveBytes = reserveBytes;
  }

  /** Bytes free on the disk for an unprivileged writer. */
  async freeBytes(): Promise<number> {
    const stats = await statfs(this.directory, { bigint: false });
    return stats.bavail * stats.bsize;
  }

  /** Bytes claimed by writes under way. */
  get claimedBytes(): number {
    return this.#claimedBytes;
  }

  /** Whether `bytes` more leave the reserve free, beside what writes under way have claimed. */
  async check(bytes: number): Promise<RoomVerdict> {
    const freeBytes = await this.freeBytes();
    // Read after the await: a claim made meanwhile is counted.
    return this.#verdict(bytes, freeBytes);
  }

  /**
   * Checks for `bytes` and, when there is room, claims it until `release()`: checks made meanwhile
   * count it as taken. A refused claim holds nothing.
   */
  async claim(bytes: number): Promise<RoomClaim> {
    const freeBytes = await this.freeBytes();
    // Verdict and claim in one synchronous step, so two claims cannot both count the same room.
    const verdict = this.#verdict(bytes, freeBytes);
    if (!verdict.ok) return { verdict, release: () => undefined };
    this.#claimedBytes += bytes;
    let released = false;
    return {
      verdict,
      release: () => {
        if (released) return;
        released = true;
        this.#claimedBytes -= bytes;
      },
    };
  }

  #verdict(bytes: number, freeBytes: number): RoomVerdict {
    const claimed = this.#claimedBytes;
    const others = claimed > 0 ? ` and ${claimed} are claimed by payload fetches under way` : '';
    return {
      ok: freeBytes - claimed - bytes >= this.reserveBytes,
      freeBytes,
      reason: `needs ${bytes} bytes; the node's disk has ${freeBytes} free, of which ${this.reserveBytes} are kept for its ledger${others}`,
    };
  }

  /** Refuses with INSUFFICIENT_STORAGE unless `bytes` more leave the reserve free. */
  async require(bytes: number, what: string): Promise<void> {
    const verdict = await this.check(bytes);
    if (!verdict.ok)
      fail('INSUFFICIENT_STORAGE', `${what} ${verdict.reason}: free space on the node and try again`);
  }
}
