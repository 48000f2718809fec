// The log's tree nodes as a MerkleNodeSource over LevelDB (getSync), so the pure proof code of
// src/core/merkle answers any inclusion or consistency proof in O(log n) reads (RFC 9162 2.1.3,
// 2.1.4) and block application finds the left siblings it needs. Nodes never change once
// complete, so caching them is always safe. Two bounded caches (LIMITS): the upper levels densely
// (dense-node-cache.ts: 32 bytes a node, so a proof reads only its lowest levels from disk), and a
// small recently-used cache for the lower levels (the frontier that block application reads).
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { MerkleNode, MerkleNodeSource } from '../../core/merkle/index.js';
import { merkleNodeKey } from './buckets.js';
import { DenseNodeCache } from './dense-node-cache.js';
import { LruCache } from './lru-cache.js';
import type { ByteDb } from './open-db.js';

export class StoreMerkleSource implements MerkleNodeSource {
  readonly #db: ByteDb;
  readonly #dense = new DenseNodeCache(LIMITS.maxMerkleDenseCacheBytes);
  readonly #recent = new LruCache<string, Uint8Array>(LIMITS.maxMerkleCacheEntries);
  /** Leaves committed so far; a node beyond them is a caller's mistake, not corruption. */
  #leafCount = 0;

  constructor(db: ByteDb) {
    this.#db = db;
  }

  set leafCount(count: number) {
    this.#leafCount = count;
    this.#dense.resize(count);
  }

  getNode(level: number, index: number): Uint8Array {
    const cached =
      level >= this.#dense.fromLevel ? this.#dense.get(level, index) : this.#recent.get(`${level}/${index}`);
    if (cached !== undefined) return cached;
    const width = 2 ** level;
    if ((index + 1) * width > this.#leafCount) {
      fail('NOT_FOUND', `no complete subtree at level ${level}, index ${index}`, 'merkle');
    }
    const stored = this.#db.getSync(merkleNodeKey(level, index));
    if (stored === undefined) {
      fail('DATABASE_CORRUPT', 'tree node missing', `merkle node ${level}/${index}`);
    }
    if (stored.byteLength !== HASH_BYTES) {
      fail('DATABASE_CORRUPT', `tree node has ${stored.byteLength} bytes`, `merkle node ${level}/${index}`);
    }
    const hash = Uint8Array.from(stored);
    this.#remember(level, index, hash);
    return hash;
  }

  #remember(level: number, index: number, hash: Uint8Array): void {
    if (!this.#dense.set(level, index, hash)) this.#recent.set(`${level}/${index}`, hash);
  }

  /** Called after a block's batch is durable. */
  committed(nodes: readonly MerkleNode[], leafCount: number): void {
    this.leafCount = leafCount;
    for (const node of nodes) this.#remember(node.level, node.index, node.hash);
  }
}
