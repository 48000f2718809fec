// The upper levels of the log's tree, cached densely: one off-heap Buffer per level holding node
// i at bytes [32i, 32i + 32), and a bitmap of the nodes present. Tree nodes never change once
// complete (RFC 9162 2.1.1), so a cached node is valid forever.
//
// Why: an inclusion or consistency proof reads one node per level (RFC 9162 2.1.3, 2.1.4). Kept
// as Map entries, a node cost about 200 bytes of V8 heap; here it costs 32 bytes and no object,
// so the levels above `fromLevel` fit in a few megabytes at a million leaves and a proof reads
// only its lowest levels from LevelDB. That matters for memory as much as for latency: every
// table file a read touches is mapped into the process, so fewer touched tables means both a
// smaller resident set and fewer table opens when LIMITS.storeMaxOpenFiles bounds them.
//
// The budget (bytes) decides the levels: the cache holds every level from the lowest one whose
// nodes, with all the levels above, fit in it. As the log grows, that level rises and the lowest
// cached level is dropped.
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { assert } from '../../core/errors.js';

/**
 * Bytes needed for every complete node at levels >= `level` of a tree with `leafCount` leaves. A
 * safe integer count stops the loop by level 53.
 */
function bytesFrom(level: number, leafCount: number): number {
  let nodes = 0;
  for (let at = level; 2 ** at <= leafCount; at++) nodes += Math.floor(leafCount / 2 ** at);
  return nodes * HASH_BYTES;
}

interface DenseLevel {
  hashes: Buffer;
  present: Uint8Array;
}

export class DenseNodeCache {
  readonly #budgetBytes: number;
  readonly #levels = new Map<number, DenseLevel>();
  /** Nothing is cached before the first resize. */
  #fromLevel = Number.POSITIVE_INFINITY;

  constructor(budgetBytes: number) {
    assert(Number.isSafeInteger(budgetBytes) && budgetBytes >= 0, 'cache budget must be a byte count');
    this.#budgetBytes = budgetBytes;
  }

  /** The lowest level cached. */
  get fromLevel(): number {
    return this.#fromLevel;
  }

  /** Re-fits the cached levels to a log of `leafCount` leaves (call as the log grows). */
  resize(leafCount: number): void {
    assert(Number.isSafeInteger(leafCount) && leafCount >= 0, 'a log size is a whole count');
    let level = 0;
    // Ends by level 54 at the latest, where no node is complete and 0 bytes fit any budget.
    while (bytesFrom(level, leafCount) > this.#budgetBytes) level++;
    this.#fromLevel = level;
    for (const cached of [...this.#levels.keys()]) if (cached < level) this.#levels.delete(cached);
  }

  /** The cached node (a copy), or undefined. */
  get(level: number, index: number): Uint8Array | undefined {
    // A level below fromLevel has no entry: set refuses it and resize deletes it.
    const cached = this.#levels.get(level);
    if (cached === undefined || index >= cached.present.length * 8) return undefined;
    if ((cached.present[index >>> 3]! & (1 << (index & 7))) === 0) return undefined;
    return Uint8Array.from(cached.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES));
  }

  /** Caches a complete node if its level is cached; false when it is not. */
  set(level: number, index: number, hash: Uint8Array): boolean {
    if (level < this.#fromLevel || hash.byteLength !== HASH_BYTES) return false;
    let cached = this.#levels.get(level);
    if (cached === undefined || index >= cached.present.length * 8) cached = this.#grow(level, index);
    cached.hashes.set(hash, index * HASH_BYTES);
    cached.present[index >>> 3]! |= 1 << (index & 7);
    return true;
  }

  #grow(level: number, index: number): DenseLevel {
    const old = this.#levels.get(level);
    const nodes = Math.max(1024, 2 ** Math.ceil(Math.log2(index + 1)));
    const grown: DenseLevel = {
      hashes: Buffer.alloc(nodes * HASH_BYTES),
      present: new Uint8Array(nodes / 8),
    };
    if (old !== undefined) {
      grown.hashes.set(old.hashes);
      grown.present.set(old.present);
    }
    this.#levels.set(level, grown);
    return grown;
  }
}
