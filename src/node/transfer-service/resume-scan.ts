// At start, the receiving node queues every approved transfer to it that has no receipt yet: one
// scan of the state's transfer bucket, waiting for room in the fetcher's bounded queue as it goes,
// and again while transfers were turned away meanwhile (by new blocks arriving during a full
// queue). Blocks committed from then on reach the fetcher through the service's block listener.
//
// The scan has each record in hand, so the record alone rules out what it can (transfers to other
// recipients, delivered, not approved: nearly all of a long chain's), and only the rest go to the
// fetcher's gate, which reads the transfer and its consent back. Asking the gate for every entry
// read each record a second time through the state reader's cache, so a scan of a long chain also
// pushed out of that cache the entries the blocks being applied meanwhile read.
import { storedTransfer } from '../../core/ledger/views.js';
import type { StoredStateEntry } from '../store/ledger-store.js';
import { decodeStateValue } from '../store/state-reader.js';
import { couldAccept } from './gates.js';

/** What the scan needs of the payload fetcher. */
export interface ResumeTarget {
  waitForRoom(): Promise<void>;
  consider(transferId: Uint8Array): void;
  takeTurnedAway(): boolean;
}

export async function resumeOpenTransfers(
  scanTransfers: () => AsyncIterable<StoredStateEntry>,
  fetcher: ResumeTarget,
  self: string,
  signal: AbortSignal,
): Promise<void> {
  do {
    for await (const entry of scanTransfers()) {
      if (signal.aborted) return;
      const transfer = storedTransfer(entry.key, decodeStateValue('transfer', entry.key, entry.encoded));
      if (!couldAccept(transfer, self)) continue;
      await fetcher.waitForRoom();
      if (signal.aborted) return;
      fetcher.consider(transfer.transferId);
    }
  } while (fetcher.takeTurnedAway() && !signal.aborted);
}
