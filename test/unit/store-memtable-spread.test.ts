// Each organisation's memtable size (src/node/store/memtable-spread.ts): distinct for the sample
// network's seven, within the spread, the same whatever order the genesis lists them in.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { LIMITS } from '../../src/core/limits.js';
import { memtableBytesFor } from '../../src/node/store/memtable-spread.js';

const sampleIds = (
  JSON.parse(readFileSync('network-config/gba-health.json', 'utf8')) as { organisations: { id: string }[] }
).organisations.map((organisation) => organisation.id);

describe('memtable sizes spread over the organisations (memtable-spread.ts)', () => {
  it('gives each of the sample network organisations its own size, within the spread', () => {
    assert.equal(sampleIds.length, 7);
    const sizes = sampleIds.map((id) => memtableBytesFor(id, sampleIds));
    assert.equal(new Set(sizes).size, sampleIds.length, `sizes repeat: ${sizes}`);
    for (const size of sizes) {
      assert.ok(size >= LIMITS.storeWriteBufferBytes, `${size} below the base`);
      assert.ok(size < LIMITS.storeWriteBufferBytes + LIMITS.storeWriteBufferSpreadBytes, `${size} above`);
      assert.equal(size % (64 * 1024), 0);
    }
    // Evenly spread: neighbours are at least a seventh of the spread apart, less one 64 KiB step.
    const ordered = [...sizes].sort((a, b) => a - b);
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(ordered[i]! - ordered[i - 1]! >= LIMITS.storeWriteBufferSpreadBytes / 7 - 64 * 1024);
    }
  });

  it('does not depend on the order the genesis lists the organisations in', () => {
    const reversed = [...sampleIds].reverse();
    for (const id of sampleIds) assert.equal(memtableBytesFor(id, reversed), memtableBytesFor(id, sampleIds));
  });

  it('gives the base size to an organisation that is not listed, and to a network of one', () => {
    assert.equal(memtableBytesFor('nobody', sampleIds), LIMITS.storeWriteBufferBytes);
    assert.equal(memtableBytesFor('solo', ['solo']), LIMITS.storeWriteBufferBytes);
  });
});
