// Where decrypted container bytes go: the pieces of consecutive parts that fall in each item, for
// one vectored write per item. Used by the receiving sink on the main thread and by the item
// writing worker (item-write-worker.ts), so both split the container the same way.

/** An item's place in the container. */
export interface ItemSpan {
  /** Offset of the item's first byte in the container. */
  readonly start: number;
  readonly sizeBytes: number;
}

export interface ItemPieces {
  /** The item's index among the spans. */
  readonly item: number;
  /** Offset in the item of the first piece. */
  readonly offset: number;
  /** Views of the parts, back to back, in container order. */
  readonly pieces: Uint8Array[];
}

/** Splits container[position, ...) given as consecutive `parts` into the items it covers. */
export function piecesByItem(
  spans: readonly ItemSpan[],
  position: number,
  parts: readonly Uint8Array[],
): ItemPieces[] {
  const byItem = new Map<number, ItemPieces>();
  let at = position;
  for (const part of parts) {
    const end = at + part.byteLength;
    for (const [item, span] of spans.entries()) {
      const from = Math.max(at, span.start);
      const to = Math.min(end, span.start + span.sizeBytes);
      if (from >= to) continue;
      const piece = part.subarray(from - at, to - at);
      const pending = byItem.get(item);
      if (pending === undefined) byItem.set(item, { item, offset: from - span.start, pieces: [piece] });
      else pending.pieces.push(piece);
    }
    at = end;
  }
  return [...byItem.values()];
}
