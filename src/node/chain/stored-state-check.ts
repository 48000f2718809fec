// The last step of chain verify on a data directory: every stored state entry must be exactly the
// value the re-derived chain last wrote there, and every re-derived entry must be stored. The
// stored state is scanned once, in batches, with raw keys (DerivedState.compareStored hashes the
// key bytes, so no key text is decoded unless an entry differs). A mismatch is attributed to the
// height that last wrote the entry; an entry no block wrote, to the tip.
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
    for await (const batch of stored.stateEntryBatches(bucket)) {
      for (const entry of batch) {
        compared++;
        const found = derived.compareStored(entry.bucket, entry.key, entry.encoded);
        if (found === 'missing') {
          const reason = `state entry ${entry.bucket}/${keyText(entry.key)} exists but no block wrote it`;
          lowest.note(tipHeight, 'STATE_MISMATCH', reason);
          continue;
        }
        matched++;
        if (!found.same) {
          const name = `${entry.bucket}/${keyText(entry.key)}`;
          lowest.note(
            found.height,
            'STATE_MISMATCH',
            `state entry ${name} differs from the value block ${found.height} wrote`,
          );
        }
      }
    }
  };
  await inParallel(
    STATE_BUCKETS.map((bucket) => () => scanBucket(bucket)),
    LIMITS.maxConcurrentVerifyScans,
  );
  if (matched < derived.size) await noteMissing(stored, derived, lowest);
  const fault = lowest.fault;
  return fault === undefined ? { compared } : { fault, compared };
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
