// Payload files share the disk with the ledger. A hospital seals uploads into its outbox and a
// recipient writes what it fetches into its inbox, and either can be gigabytes; were one to fill
// the disk, the next block's write would fail and the node would stop (store/write-fault.ts), and
// a recipient would resume the same fetch at its next start and stop again. So a payload write
// first asks for room: what it will write, plus a reserve kept free for the ledger
// (LIMITS.diskReserveBytes, or node.json's `diskReserveBytes`). Free space is read with statfs
// (blocks available to unprivileged users), at the moment of asking: other writers may take room
// afterwards, which the reserve absorbs.
import { statfs } from 'node:fs/promises';
import { fail } from '../../core/errors.js';

export interface RoomVerdict {
  readonly ok: boolean;
  /** Free bytes on the disk when asked. */
  readonly freeBytes: number;
  /** What a refusal says: the bytes asked for, those free, and the reserve. */
  readonly reason: string;
}

export class DiskRoom {
  readonly directory: string;
  readonly reserveBytes: number;

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

  /** Whether `bytes` more leave the reserve free. */
  async check(bytes: number): Promise<RoomVerdict> {
    const freeBytes = await this.freeBytes();
    return {
      ok: freeBytes - bytes >= this.reserveBytes,
      freeBytes,
      reason: `needs ${bytes} bytes; the node's disk has ${freeBytes} free, of which ${this.reserveBytes} are kept for its ledger`,
    };
  }

  /** Refuses with INSUFFICIENT_STORAGE unless `bytes` more leave the reserve free. */
  async require(bytes: number, what: string): Promise<void> {
    const verdict = await this.check(bytes);
    if (!verdict.ok)
      fail('INSUFFICIENT_STORAGE', `${what} ${verdict.reason}: free space on the node and try again`);
  }
}
