// Rate measurement. Every figure is the median of several samples, each at least `sampleMs`
// long, after a warm-up (JIT, caches): a noisy shared machine moves single samples a lot.
import { setTimeout as delay } from 'node:timers/promises';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100), for the latency benchmarks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Calls `chunk` (does some operations, returns how many) until `sampleMs` pass, `samples` times
 * after a warm-up of a quarter sample; returns operations per second of each sample. `chunk`
 * should take well under a millisecond so the clock is read rarely compared to the work.
 */
export function measureRate(chunk: () => number, sampleMs: number, samples: number): number[] {
  runFor(chunk, sampleMs / 4);
  const rates: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const { operations, elapsedMs } = runFor(chunk, sampleMs);
    rates.push((operations * 1000) / elapsedMs);
  }
  return rates;
}

function runFor(chunk: () => number, durationMs: number): { operations: number; elapsedMs: number } {
  const startMs = performance.now();
  let operations = 0;
  let nowMs = startMs;
  while (nowMs - startMs < durationMs) {
    operations += chunk();
    nowMs = performance.now();
  }
  return { operations, elapsedMs: nowMs - startMs };
}

interface Completion {
  readonly atMs: number;
  readonly operations: number;
}

/**
 * Keeps `inFlight` calls of `submit` (resolves to the operations it completed) running back to
 * back, and measures the steady-state rate in `samples` windows after a warm-up. A window opens at
 * a completion and closes at the first completion at least `sampleMs` later; its rate is the
 * operations completed after the opening one, up to and including the closing one, over the time
 * between the two. Counting whole batches between completion instants keeps large batches from
 * skewing short windows, and completions that arrive in bursts from several workers cancel out
 * between the two ends.
 */
export async function measurePipelineRate(
  submit: () => Promise<number>,
  inFlight: number,
  sampleMs: number,
  samples: number,
  signal: AbortSignal,
): Promise<number[]> {
  const completions: Completion[] = [];
  let wakeUp: (() => void) | undefined;
  let stopping = false;
  const lane = async (): Promise<void> => {
    while (!stopping) {
      const operations = await submit();
      completions.push({ atMs: performance.now(), operations });
      wakeUp?.();
    }
  };
  const lanes = Promise.all(Array.from({ length: inFlight }, lane));
  // Until `stopping`, `lanes` can only reject: racing it surfaces a failing submit at once.
  const unlessLanesFail = (waiting: Promise<unknown>) => Promise.race([waiting, lanes]);
  /** Index of the first completion at or after `atMs`, waiting for it if need be. */
  const completionAtOrAfter = async (atMs: number): Promise<number> => {
    for (;;) {
      const index = completions.findIndex((completion) => completion.atMs >= atMs);
      if (index >= 0) return index;
      await unlessLanesFail(new Promise<void>((resolve) => (wakeUp = resolve)));
    }
  };
  const rates: number[] = [];
  try {
    await unlessLanesFail(delay(sampleMs / 4, undefined, { signal }));
    let opening = await completionAtOrAfter(performance.now());
    for (let sample = 0; sample < samples; sample++) {
      const closesAtMs = completions[opening]!.atMs + sampleMs;
      await unlessLanesFail(delay(Math.max(0, closesAtMs - performance.now()), undefined, { signal }));
      const closing = await completionAtOrAfter(closesAtMs);
      rates.push(windowRate(completions.slice(opening, closing + 1)));
      opening = closing;
    }
  } finally {
    stopping = true;
  }
  await lanes;
  return rates;
}

function windowRate(window: readonly Completion[]): number {
  let operations = 0;
  for (const completion of window.slice(1)) operations += completion.operations;
  return (operations * 1000) / (window[window.length - 1]!.atMs - window[0]!.atMs);
}
