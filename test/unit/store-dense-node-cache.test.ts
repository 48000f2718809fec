// The store's dense cache of the tree's upper levels (dense-node-cache.ts): it caches exactly the
// levels that fit its byte budget at the current log size, returns what was set (copies), forgets
// the lowest level when the log outgrows the budget, and never answers for a node it was not given.
import { strict as assert } from 'node:assert';
import { sha256 } from '../../src/core/crypto/hash.js';
import { DenseNodeCache } from '../../src/node/store/dense-node-cache.js';

const hashOf = (level: number, index: number): Uint8Array =>
  sha256(Uint8Array.of(level, index & 0xff, index >> 8));

describe('store: dense cache of the upper tree levels', () => {
  it('caches the levels that fit the budget and answers only for nodes it was given', () => {
    // 1,024 leaves: levels >= 3 hold 128 + 64 + ... + 1 = 255 nodes (8,160 bytes), level 2 adds 256.
    const cache = new DenseNodeCache(255 * 32);
    cache.resize(1024);
    assert.equal(cache.fromLevel, 3);
    assert.equal(cache.set(2, 5, hashOf(2, 5)), false, 'below the cached levels');
    for (let index = 0; index < 128; index += 3) assert.equal(cache.set(3, index, hashOf(3, index)), true);
    for (let index = 0; index < 128; index++) {
      assert.deepEqual(cache.get(3, index), index % 3 === 0 ? hashOf(3, index) : undefined);
    }
    assert.equal(cache.get(3, 5_000), undefined, 'beyond what was set');
    assert.equal(cache.get(2, 5), undefined);
  });

  it("counts the root's level in the budget when the log is a power of two", () => {
    // 1,024 leaves: levels >= 5 are 32 + 16 + 8 + 4 + 2 + 1 = 63 nodes, the root included.
    const fits = new DenseNodeCache(63 * 32);
    fits.resize(1024);
    assert.equal(fits.fromLevel, 5);
    const oneByteShort = new DenseNodeCache(63 * 32 - 1);
    oneByteShort.resize(1024);
    assert.equal(oneByteShort.fromLevel, 6);
  });

  it('keeps the nodes it holds when a level grows past its first 1,024', () => {
    const cache = new DenseNodeCache(1 << 20);
    cache.resize(1 << 14);
    assert.equal(cache.get(3, 0), undefined, 'nothing given yet');
    cache.set(3, 0, hashOf(3, 0));
    cache.set(3, 1023, hashOf(3, 1023));
    cache.set(3, 1500, hashOf(3, 1500));
    assert.deepEqual(
      [cache.get(3, 0), cache.get(3, 1023), cache.get(3, 1500), cache.get(3, 1024)],
      [hashOf(3, 0), hashOf(3, 1023), hashOf(3, 1500), undefined],
    );
  });

  it('hands out copies, so a caller cannot alter the cached node', () => {
    const cache = new DenseNodeCache(1 << 20);
    cache.resize(8);
    cache.set(1, 2, hashOf(1, 2));
    cache.get(1, 2)![0]! ^= 0xff;
    assert.deepEqual(cache.get(1, 2), hashOf(1, 2));
  });

  it('drops the lowest cached level when the log outgrows the budget, keeping the others', () => {
    const cache = new DenseNodeCache(255 * 32);
    cache.resize(1024);
    cache.set(3, 1, hashOf(3, 1));
    cache.set(4, 1, hashOf(4, 1));
    cache.resize(2048);
    assert.equal(cache.fromLevel, 4);
    assert.equal(cache.get(3, 1), undefined);
    assert.deepEqual(cache.get(4, 1), hashOf(4, 1));
    // Growing back does not resurrect what was dropped.
    cache.resize(1024);
    assert.equal(cache.fromLevel, 3);
    assert.equal(cache.get(3, 1), undefined);
  });

  it('caches nothing with a zero budget', () => {
    const cache = new DenseNodeCache(0);
    cache.resize(1_000_000);
    assert.equal(cache.set(19, 0, hashOf(19, 0)), false);
    assert.equal(cache.get(19, 0), undefined);
  });
});
