// Each node's LevelDB memtable gets its own size, so the nodes of a network do not flush and
// compact at the same moment.
//
// Every node commits the same blocks, so with one memtable size every node's memtable filled at
// the same instant: the LevelDB logs of the seven bench nodes show each level-0 flush (0.3-0.4 s
// of a background thread) and each compaction that followed starting within the same second on all
// seven (2026-11-27, 545 tx/s), and the slowest heights of the run (160-280 ms against a 67 ms
// median) were exactly those seconds. On one machine the seven bursts competed for two cores; on
// separate machines they would still all land at once, and consensus waits for a quorum of
// validators, so a stall of every validator at once is a stall of the chain. Sizes spread evenly
// by the organisation's place among the genesis organisations (sorted by id, so every node agrees
// and a restart keeps its size) make each node flush on its own schedule.
import { LIMITS } from '../../core/limits.js';

/** LevelDB writes its memtable in whole blocks; keep sizes on 64 KiB boundaries. */
const SIZE_STEP_BYTES = 64 * 1024;

/**
 * Memtable bytes for organisation `orgId` among `orgIds`: storeWriteBufferBytes plus its share of
 * storeWriteBufferSpreadBytes by its place in the sorted ids (the base size when it is not there).
 */
export function memtableBytesFor(orgId: string, orgIds: readonly string[]): number {
  const sorted = [...new Set(orgIds)].sort();
  const place = sorted.indexOf(orgId);
  if (place <= 0) return LIMITS.storeWriteBufferBytes;
  const extraBytes = (LIMITS.storeWriteBufferSpreadBytes * place) / sorted.length;
  return LIMITS.storeWriteBufferBytes + Math.floor(extraBytes / SIZE_STEP_BYTES) * SIZE_STEP_BYTES;
}
