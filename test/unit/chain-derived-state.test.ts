// DerivedState (chain verify's re-derived state, off-heap hash table): it must answer exactly as
// a plain Map of the same writes would, through growth, overwrites, deletes and colliding keys, and
// compare stored bytes (by key text or raw key bytes) naming the height of the last write.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { utf8 } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { STATE_BUCKETS, type StateBucket, type StateWrite } from '../../src/core/ledger/state-kv.js';
import { DerivedState } from '../../src/node/chain/derived-state.js';

interface ModelEntry {
  readonly encoded: Uint8Array;
  readonly height: number;
}

const bucketArb = fc.constantFrom(...STATE_BUCKETS);
// Few distinct keys (so writes overwrite and delete each other), some non-ASCII.
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((n) => `k${n}`),
  fc.constantFrom('', 'é/ü', '中文', 'a'.repeat(300)),
);
const valueArb = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.record({ status: fc.constantFrom('active', 'revoked'), n: fc.nat(1000) }).map((r) => ({ ...r })),
  fc.uint8Array({ maxLength: 64 }),
);
const blockArb = fc.array(
  fc.record({ bucket: bucketArb, key: keyArb, value: valueArb }).map((write) => ({ ...write }) as StateWrite),
  { maxLength: 30 },
);

function applyToModel(model: Map<string, ModelEntry>, writes: readonly StateWrite[], height: number): void {
  for (const write of writes) {
    const name = `${write.bucket}\u0000${write.key}`;
    if (write.value === null) model.delete(name);
    else model.set(name, { encoded: encodeCanonical(write.value), height });
  }
}

describe('DerivedState', () => {
  it('answers like a Map of the same writes (property)', () => {
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 12 }), fc.integer(), fc.integer(), (blocks, a, b) => {
        // Two-bit tags: different keys share tags, so lookups must compare the key bytes.
        const derived = new DerivedState({ seed: [a, b], tagMask: 0b11 });
        const model = new Map<string, ModelEntry>();
        blocks.forEach((writes, i) => {
          derived.apply(writes, i + 1);
          applyToModel(model, writes, i + 1);
        });
        assert.equal(derived.size, model.size);
        for (const bucket of STATE_BUCKETS) {
          for (const key of ['k0', 'k1', 'k7', 'k40', '', 'é/ü', '中文', 'a'.repeat(300), 'absent']) {
            const expected = model.get(`${bucket}\u0000${key}`);
            assert.equal(derived.has(bucket, key), expected !== undefined);
            const entry = derived.entry(bucket, key);
            assert.deepEqual(entry?.encoded, expected?.encoded);
            assert.equal(entry?.height, expected?.height);
            if (expected !== undefined) {
              assert.deepEqual(derived.compare(bucket, key, expected.encoded), {
                height: expected.height,
                same: true,
              });
              assert.deepEqual(derived.compareStored(bucket, utf8(key), expected.encoded), {
                height: expected.height,
                same: true,
              });
            } else {
              assert.equal(derived.compare(bucket, key, new Uint8Array([0xf6])), 'missing');
            }
          }
        }
        const listed = [...derived.entries()].map((e) => `${e.bucket}\u0000${e.key}@${e.height}`).sort();
        const expected = [...model].map(([name, e]) => `${name}@${e.height}`).sort();
        assert.deepEqual(listed, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('grows past many entries and keeps every one (full and one-bit tags)', () => {
    for (const tagMask of [0xffff_ffff, 1]) {
      const derived = new DerivedState({ seed: [1, 2], tagMask });
      const count = 50_000;
      for (let height = 1; height <= 10; height++) {
        const writes: StateWrite[] = [];
        for (let i = (height - 1) * (count / 10); i < height * (count / 10); i++) {
          writes.push({ bucket: 'outcome', key: i.toString(16).padStart(64, '0'), value: i });
        }
        derived.apply(writes, height);
      }
      assert.equal(derived.size, count);
      for (let i = 0; i < count; i += 997) {
        const key = i.toString(16).padStart(64, '0');
        assert.equal(derived.get('outcome', key), i);
        assert.equal(derived.get('seen', key), undefined, 'same key, other bucket');
      }
    }
  });

  it('counts and deletes every entry through overwrites, wherever in the table it sits (the first slot too)', () => {
    // A table filled to just under its growth load (0.7 of the initial 4,096 slots) under six seeds:
    // the first slot is taken in nearly every one, and every slot is treated alike.
    const keys = Array.from({ length: 2_860 }, (_, i) => i.toString(16).padStart(64, '0'));
    for (let seed = 1; seed <= 6; seed++) {
      const derived = new DerivedState({ seed: [seed, seed + 100] });
      const writeAll = (value: number | null, height: number) =>
        derived.apply(
          keys.map((key) => ({ bucket: 'outcome', key, value }) as StateWrite),
          height,
        );
      writeAll(1, 1);
      writeAll(2, 2);
      assert.equal(derived.size, keys.length, `seed ${seed}: an overwrite is not a new entry`);
      writeAll(null, 3);
      assert.equal(derived.size, 0, `seed ${seed}`);
      assert.equal(keys.filter((key) => derived.get('outcome', key) !== undefined).length, 0, `seed ${seed}`);
      assert.deepEqual([...derived.entries()], []);
    }
  });

  it('compares stored bytes: same, different (with the writing height) or missing', () => {
    const derived = new DerivedState();
    const bucket: StateBucket = 'consent';
    derived.apply([{ bucket, key: 'c1', value: { status: 'active' } }], 3);
    derived.apply([{ bucket, key: 'c1', value: { status: 'revoked' } }], 9);
    derived.apply([{ bucket, key: 'c2', value: 1 }], 9);
    derived.apply([{ bucket, key: 'c2', value: null }], 10);
    assert.deepEqual(derived.compare(bucket, 'c1', encodeCanonical({ status: 'revoked' })), {
      height: 9,
      same: true,
    });
    assert.deepEqual(derived.compare(bucket, 'c1', encodeCanonical({ status: 'active' })), {
      height: 9,
      same: false,
    });
    assert.equal(derived.compare(bucket, 'c2', encodeCanonical(1)), 'missing');
    assert.equal(derived.size, 1);
  });

  it('returns values no caller can alter inside the state', () => {
    const derived = new DerivedState();
    derived.apply([{ bucket: 'seen', key: 's', value: new Uint8Array([1, 2, 3]) }], 1);
    const entry = derived.entry('seen', 's')!;
    entry.encoded[1] = 0xff;
    assert.deepEqual(derived.get('seen', 's'), new Uint8Array([1, 2, 3]));
  });
});
