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
// by the organisation's place among the genesis organisations make each node flush on its own
// schedule. The places alternate validators and the other nodes (each group sorted by id, so every
// node agrees and a restart keeps its size): a stall matters most when it hits validators, whose
// quorum every height waits for, so no two validators are neighbours in size while there are other
// nodes to put between them (with the sample network's 4 + 3, validators are 2/7 of the spread
// apart, not 1/7: sorted by id alone, three of them were neighbours).
import type { Organisation } from '../../core/config/genesis.js';
import { LIMITS } from '../../core/limits.js';

/** LevelDB writes its memtable in whole blocks; keep sizes on 64 KiB boundaries. */
const SIZE_STEP_BYTES = 64 * 1024;

/**
 * The organisations in memtable order: validators and the others alternate, each sorted by id
 * (ids are unique in a genesis: network-checks.ts).
 */
export function memtableOrder(organisations: readonly Pick<Organisation, 'id' | 'role'>[]): string[] {
  const idsWhere = (isValidator: boolean) =>
    organisations
      .filter((organisation) => (organisation.role === 'validator') === isValidator)
      .map((organisation) => organisation.id)
      .sort();
  const validators = idsWhere(true);
  const others = idsWhere(false);
  const order: string[] = [];
  for (let i = 0; i < Math.max(validators.length, others.length); i++) {
    if (i < validators.length) order.push(validators[i]!);
    if (i < others.length) order.push(others[i]!);
  }
  return order;
}

/**
 * Memtable bytes for organisation `orgId`: storeWriteBufferBytes plus its share of
 * storeWriteBufferSpreadBytes by its place in memtableOrder (the base size when it is not there).
 */
export function memtableBytesFor(
  orgId: string,
  organisations: readonly Pick<Organisation, 'id' | 'role'>[],
): number {
  const order = memtableOrder(organisations);
  const place = order.indexOf(orgId);
  if (place <= 0) return LIMITS.storeWriteBufferBytes;
  const extraBytes = (LIMITS.storeWriteBufferSpreadBytes * place) / order.length;
  return LIMITS.storeWriteBufferBytes + Math.floor(extraBytes / SIZE_STEP_BYTES) * SIZE_STEP_BYTES;
}
