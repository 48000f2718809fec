// How decrypted container bytes are split among the items they cover (src/node/transfer/
// item-pieces.ts), the same on the main thread and in the item-writing worker: each item gets the
// views that fall inside it, in order, from its offset, and never an empty view.
import { strict as assert } from 'node:assert';
import { piecesByItem } from '../../src/node/transfer/item-pieces.js';

/** The pieces as plain numbers, so a wrong split shows which bytes went where. */
function shown(
  pieces: ReturnType<typeof piecesByItem>,
): { item: number; offset: number; bytes: number[][] }[] {
  return pieces.map(({ item, offset, pieces: views }) => ({
    item,
    offset,
    bytes: views.map((view) => [...view]),
  }));
}

describe('payload: container bytes split by item', () => {
  // Items [0, 4), [4, 9), an empty one at 9, then [9, 12).
  const spans = [
    { start: 0, sizeBytes: 4 },
    { start: 4, sizeBytes: 5 },
    { start: 9, sizeBytes: 0 },
    { start: 9, sizeBytes: 3 },
  ];
  const container = Uint8Array.from({ length: 12 }, (_, i) => i);

  it('gives each item the views of the parts inside it, from its offset', () => {
    const parts = [container.subarray(2, 6), container.subarray(6, 11)];
    assert.deepEqual(shown(piecesByItem(spans, 2, parts)), [
      { item: 0, offset: 2, bytes: [[2, 3]] },
      {
        item: 1,
        offset: 0,
        bytes: [
          [4, 5],
          [6, 7, 8],
        ],
      },
      { item: 3, offset: 0, bytes: [[9, 10]] },
    ]);
  });

  it('gives no item an empty view: not at a part boundary on an item boundary, not an empty item', () => {
    const parts = [container.subarray(0, 4), container.subarray(4, 9), container.subarray(9, 12)];
    assert.deepEqual(shown(piecesByItem(spans, 0, parts)), [
      { item: 0, offset: 0, bytes: [[0, 1, 2, 3]] },
      { item: 1, offset: 0, bytes: [[4, 5, 6, 7, 8]] },
      { item: 3, offset: 0, bytes: [[9, 10, 11]] },
    ]);
  });
});
