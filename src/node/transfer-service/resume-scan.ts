// At start, the receiving node queues every approved transfer to it that has no receipt yet: one
// scan of the state's transfer bucket, waiting for room in the fetcher's bounded queue as it goes,
// and again while transfers were turned away meanwhile (by new blocks arriving during a full
// queue). Blocks committed from then on reach the fetcher through the service's block listener.
//
// The scan has each record in hand, so the record alone rules out what it can (transfers to other
// recipients, delivered, not approved: nearly all of a long chain's) and the rest are handed over
// as records (considerWritten, as for a block's writes): the fetcher's gate, which reads the
// transfer and its consent back, runs once, before the fetch starts. Asking the gate for every
// entry read each record a second time through the state reader's cache, so a scan of a long chain
// also pushed out of that cache the entries the blocks being applied meanwhile read.
import { storedTransfer } from '../../core/ledger/views.js';
import type { StoredStateEntry } from '../store/ledger-store.js';
import { decodeStateValue } from '../store/state-reader.js';
import { couldAccept } from './gates.js';
import type { PayloadFetcher } from './payload-fetcher.js';

/** What the scan needs of the payload fetcher. */
export type ResumeTarget = Pick<PayloadFetcher, 'waitForRoom' | 'considerWritten' | 'takeTurnedAway'>;

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
      // Checked here as well, so that only a transfer that could be fetched waits for room.
      if (!couldAccept(transfer, self)) continue;
      await fetcher.waitForRoom();
      if (signal.aborted) return;
      fetcher.considerWritten(transfer);
    }
  } while (fetcher.takeTurnedAway() && !signal.aborted);
}
