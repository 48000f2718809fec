// Each organisation's memtable size (src/node/store/memtable-spread.ts): distinct for the sample
// network's seven, within the spread, validators never neighbours, the same whatever order the
// genesis lists them in.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { OrganisationRole } from '../../src/core/config/genesis.js';
import { LIMITS } from '../../src/core/limits.js';
import { memtableBytesFor, memtableOrder } from '../../src/node/store/memtable-spread.js';

const sample = (
  JSON.parse(readFileSync('network-config/gba-health.json', 'utf8')) as {
    organisations: { id: string; role: OrganisationRole }[];
  }
).organisations;
const STEP = 64 * 1024;

describe('memtable sizes spread over the organisations (memtable-spread.ts)', () => {
  it('gives each of the sample network organisations its own size, within the spread', () => {
    assert.equal(sample.length, 7);
    const sizes = sample.map((organisation) => memtableBytesFor(organisation.id, sample));
    assert.equal(new Set(sizes).size, sample.length, `sizes repeat: ${sizes}`);
    for (const size of sizes) {
      assert.ok(size >= LIMITS.storeWriteBufferBytes, `${size} below the base`);
      assert.ok(size < LIMITS.storeWriteBufferBytes + LIMITS.storeWriteBufferSpreadBytes, `${size} above`);
      assert.equal(size % STEP, 0);
    }
    // Evenly spread: neighbours are at least a seventh of the spread apart, less one 64 KiB step.
    const ordered = [...sizes].sort((a, b) => a - b);
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(ordered[i]! - ordered[i - 1]! >= LIMITS.storeWriteBufferSpreadBytes / 7 - STEP);
    }
  });

  it('puts another node between any two validators: theirs are 2/7 of the spread apart', () => {
    const validators = sample.filter((organisation) => organisation.role === 'validator');
    assert.equal(validators.length, 4);
    const sizes = validators
      .map((organisation) => memtableBytesFor(organisation.id, sample))
      .sort((a, b) => a - b);
    for (let i = 1; i < sizes.length; i++) {
      assert.ok(sizes[i]! - sizes[i - 1]! >= (2 * LIMITS.storeWriteBufferSpreadBytes) / 7 - STEP, `${sizes}`);
    }
    const order = memtableOrder(sample);
    assert.deepEqual(
      order.map((id) => sample.find((organisation) => organisation.id === id)!.role === 'validator'),
      [true, false, true, false, true, false, true],
    );
  });

  it('does not depend on the order the genesis lists the organisations in', () => {
    const reversed = [...sample].reverse();
    for (const { id } of sample) assert.equal(memtableBytesFor(id, reversed), memtableBytesFor(id, sample));
  });

  it('gives the base size to an organisation that is not listed, and to a network of one', () => {
    assert.equal(memtableBytesFor('nobody', sample), LIMITS.storeWriteBufferBytes);
    assert.equal(memtableBytesFor('solo', [{ id: 'solo', role: 'validator' }]), LIMITS.storeWriteBufferBytes);
  });

  it('alternates the groups and then lists the longer one on, whichever group is longer', () => {
    const organisations = [
      { id: 'v1', role: 'validator' as const },
      { id: 'h3', role: 'submitter' as const },
      { id: 'h1', role: 'submitter' as const },
      { id: 'r1', role: 'recipient' as const },
      { id: 'h2', role: 'submitter' as const },
    ];
    assert.deepEqual(memtableOrder(organisations), ['v1', 'h1', 'h2', 'h3', 'r1']);
    const validators = organisations.map((organisation) => ({ ...organisation, role: 'validator' as const }));
    assert.deepEqual(memtableOrder([...validators, { id: 'x', role: 'recipient' }]), [
      'h1',
      'x',
      'h2',
      'h3',
      'r1',
      'v1',
    ]);
  });
});
