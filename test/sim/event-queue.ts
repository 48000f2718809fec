// A binary min-heap of simulated events ordered by (time, insertion sequence): events at the same
// simulated millisecond run in the order they were scheduled, so a run is deterministic.

interface Entry<T> {
  readonly timeMs: number;
  readonly sequence: number;
  readonly event: T;
}

export class EventQueue<T> {
  readonly #heap: Entry<T>[] = [];
  #sequence = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(timeMs: number, event: T): void {
    const heap = this.#heap;
    heap.push({ timeMs, sequence: this.#sequence++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): { timeMs: number; event: T } | undefined {
    const heap = this.#heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return { timeMs: top.timeMs, event: top.event };
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.sequence < b.sequence);
}
