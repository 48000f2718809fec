// The store's bounded cache (two generations, lru-cache.ts): never holds more than its capacity,
// keeps whatever was used within the last capacity/2 insertions, finds cached null values
// (the state reader caches absent keys as null), and refreshes an old entry on use.
import { strict as assert } from 'node:assert';
import { LruCache } from '../../src/node/store/lru-cache.js';

describe('store: two-generation LRU cache', () => {
  it('never holds more than its capacity', () => {
    const cache = new LruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i);
      assert.ok(cache.size <= 100, `size ${cache.size} after ${i + 1} sets`);
    }
  });

  it('keeps every entry set or used within the last capacity/2 insertions', () => {
    const cache = new LruCache<string, number>(100);
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, i);
      for (let back = 0; back < 50 && back <= i; back++) assert.equal(cache.get(`k${i - back}`), i - back);
    }
  });

  it('refreshes an old entry on use, so a hot entry survives a stream of new ones', () => {
    const cache = new LruCache<string, string>(10);
    cache.set('hot', 'value');
    for (let i = 0; i < 1000; i++) {
      cache.set(`cold${i}`, 'x');
      assert.equal(cache.get('hot'), 'value', `lost after ${i + 1} insertions`);
    }
    assert.equal(cache.get('cold0'), undefined, 'an unused old entry is dropped');
  });

  it('tells a cached null from a miss, and replaces values', () => {
    const cache = new LruCache<string, Uint8Array | null>(4);
    cache.set('absent', null);
    assert.equal(cache.get('absent'), null);
    assert.equal(cache.has('absent'), true);
    assert.equal(cache.get('missing'), undefined);
    assert.equal(cache.has('missing'), false);
    cache.set('absent', new Uint8Array([1]));
    assert.deepEqual(cache.get('absent'), new Uint8Array([1]));
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it('refuses a capacity below two', () => {
    assert.throws(() => new LruCache(1));
  });
});
