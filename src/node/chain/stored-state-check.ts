// The last step of chain verify on a data directory: every stored state entry must be exactly the
// value the re-derived chain last wrote there, and every re-derived entry must be stored. The
// stored state is scanned once, in batches, keys decoded as text by LevelDB's binding (cheaper
// than a Buffer per key); a bucket with a key that is not UTF-8 is scanned again with raw keys,
// where the key is named exactly. A mismatch is attributed to the height that last wrote the
// entry; an entry no block wrote, to the tip.
import { STATE_BUCKETS, type StateBucket } from '../../core/ledger/state-kv.js';
import { LIMITS } from '../../core/limits.js';
import type { DerivedState } from './derived-state.js';
import { LowestFault, type StoredChainData, type StoredFault } from './stored-chain-data.js';

const keyDecoder = new TextDecoder('utf-8', { fatal: true });

/** The key as text for a message; hex when it is not UTF-8 (no block writes such a key). */
function keyText(key: Uint8Array): string {
  try {
    return keyDecoder.decode(key);
  } catch {
    return `0x${Buffer.from(key).toString('hex')}`;
  }
}

/** Runs `tasks` with at most `concurrency` of them in flight. */
async function inParallel(tasks: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
}

/**
 * Compares the stored state with the re-derived one; the mismatch with the lowest height. Matches
 * are only counted: when as many stored entries matched as were derived, none is missing, and the
 * names of the stored ones are collected (second scan) only to report which one is.
 *
 * Buckets are scanned concurrently (LIMITS.maxConcurrentVerifyScans): most of a scan's cost is
 * LevelDB's iteration on the thread pool (about 4 microseconds an entry here), which then overlaps
 * the comparisons on this thread.
 */
export async function compareStoredState(
  stored: StoredChainData,
  derived: DerivedState,
  tipHeight: number,
): Promise<{ fault?: StoredFault; compared: number }> {
  const lowest = new LowestFault();
  let matched = 0;
  let compared = 0;
  const scanBucket = async (bucket: StateBucket): Promise<void> => {
    const tally =
      (await compareBucketAsText(stored, derived, bucket, tipHeight)) ??
      (await compareBucketRaw(stored, derived, bucket, tipHeight));
    matched += tally.matched;
    compared += tally.compared;
    const fault = tally.lowest.fault;
    if (fault !== undefined) lowest.note(fault.height, fault.code, fault.reason);
  };
  await inParallel(
    STATE_BUCKETS.map((bucket) => () => scanBucket(bucket)),
    LIMITS.maxConcurrentVerifyScans,
  );
  if (matched < derived.size) await noteMissing(stored, derived, lowest);
  const fault = lowest.fault;
  return fault === undefined ? { compared } : { fault, compared };
}

/** What one bucket's scan found: counts, and its fault with the lowest height. */
interface BucketTally {
  matched: number;
  compared: number;
  readonly lowest: LowestFault;
}

function emptyTally(): BucketTally {
  return { matched: 0, compared: 0, lowest: new LowestFault() };
}

/** Records one stored entry's comparison in `tally`. */
function tallyEntry(
  tally: BucketTally,
  name: () => string,
  found: ReturnType<DerivedState['compare']>,
  tipHeight: number,
): void {
  tally.compared++;
  if (found === 'missing') {
    tally.lowest.note(tipHeight, 'STATE_MISMATCH', `state entry ${name()} exists but no block wrote it`);
    return;
  }
  tally.matched++;
  if (!found.same) {
    const reason = `state entry ${name()} differs from the value block ${found.height} wrote`;
    tally.lowest.note(found.height, 'STATE_MISMATCH', reason);
  }
}

/**
 * The bucket compared with keys read as text (cheaper); undefined when a key was not UTF-8, so
 * that the bucket is compared again with raw keys, where such a key is named exactly.
 */
async function compareBucketAsText(
  stored: StoredChainData,
  derived: DerivedState,
  bucket: StateBucket,
  tipHeight: number,
): Promise<BucketTally | undefined> {
  const tally = emptyTally();
  for await (const batch of stored.stateEntryTextBatches(bucket)) {
    for (const [key, encoded] of batch) {
      if (key.includes('\uFFFD')) return undefined;
      tallyEntry(tally, () => `${bucket}/${key}`, derived.compare(bucket, key, encoded), tipHeight);
    }
  }
  return tally;
}

async function compareBucketRaw(
  stored: StoredChainData,
  derived: DerivedState,
  bucket: StateBucket,
  tipHeight: number,
): Promise<BucketTally> {
  const tally = emptyTally();
  for await (const batch of stored.stateEntryBatches(bucket)) {
    for (const entry of batch) {
      const found = derived.compareStored(bucket, entry.key, entry.encoded);
      tallyEntry(tally, () => `${bucket}/${keyText(entry.key)}`, found, tipHeight);
    }
  }
  return tally;
}

async function noteMissing(
  stored: StoredChainData,
  derived: DerivedState,
  lowest: LowestFault,
): Promise<void> {
  const present = new Set<string>();
  for (const bucket of STATE_BUCKETS) {
    for await (const batch of stored.stateEntryBatches(bucket)) {
      for (const entry of batch) present.add(`${entry.bucket}/${keyText(entry.key)}`);
    }
  }
  for (const entry of derived.entries()) {
    const name = `${entry.bucket}/${entry.key}`;
    if (!present.has(name)) {
      lowest.note(
        entry.height,
        'STATE_MISMATCH',
        `state entry ${name} written by block ${entry.height} is missing`,
      );
    }
  }
}
