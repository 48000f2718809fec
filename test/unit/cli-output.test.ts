// cli/output.ts: --json prints JSON with bytes as lowercase hex; otherwise a readable table.
import { strict as assert } from 'node:assert';
import { formatCell, printResult, renderTable } from '../../cli/output.js';

function capture(value: unknown, json: boolean): string {
  let text = '';
  printResult(value, { json, write: (chunk) => (text += chunk) });
  return text;
}

describe('cli: printResult', () => {
  const rows = [
    { id: 'sz-cac', hash: new Uint8Array([0xab, 0x01]), height: 12 },
    { id: 'hk-health', hash: new Uint8Array([0xff]), height: 3, note: null },
  ];

  it('prints JSON with bytes as lowercase hex', () => {
    const parsed = JSON.parse(capture(rows, true));
    assert.deepStrictEqual(parsed, [
      { id: 'sz-cac', hash: 'ab01', height: 12 },
      { id: 'hk-health', hash: 'ff', height: 3, note: null },
    ]);
    assert.equal(JSON.parse(capture({ big: 2n ** 70n }, true)).big, '1180591620717411303424');
  });

  it('prints a list of records as an aligned table with one row each', () => {
    assert.equal(
      capture(rows, false),
      ['id         hash  height  note', 'sz-cac     ab01  12      -', 'hk-health  ff    3       -', ''].join(
        '\n',
      ),
    );
  });

  it('prints a single record as field/value rows', () => {
    assert.equal(
      capture({ chainId: 'gba', root: new Uint8Array([1]) }, false),
      'field    value\nchainId  gba\nroot     01\n',
    );
  });

  it('formats cells: lists, nested objects, scalars', () => {
    assert.equal(formatCell(['a', 'b']), 'a, b');
    assert.equal(formatCell([]), '-');
    assert.equal(formatCell({ k: new Uint8Array([2]) }), '{"k":"02"}');
    assert.equal(formatCell(false), 'false');
    assert.equal(renderTable(['a'], []), 'a');
  });

  it('prints a map as an object in JSON', () => {
    assert.deepEqual(JSON.parse(capture({ counts: new Map([['sz-cac', 2]]) }, true)), {
      counts: { 'sz-cac': 2 },
    });
  });

  it('prints a value that is not a record, or a list of them, as one cell', () => {
    assert.equal(capture([], false), '-\n');
    assert.equal(capture(['a', 'b'], false), 'a, b\n');
    assert.equal(capture(new Uint8Array([0xab, 0x01]), false), 'ab01\n');
    assert.equal(capture(null, false), '-\n');
    assert.equal(capture('OK', false), 'OK\n');
  });
});
