// The context one benchmark runs in: the run's shared facts and ceiling, plus its own abort signal,
// temporary folders and cleanups, which the harness runs when the benchmark ends however it ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Ceiling, MachineFacts } from '../types.js';

export interface SharedRunState {
  readonly machine: MachineFacts;
  readonly sampleMs: number;
  readonly samples: number;
  readonly ceiling: () => Promise<Ceiling>;
  readonly log: (line: string) => void;
}

export interface BenchmarkScope {
  readonly context: BenchContext;
  /** Runs the cleanups, last registered first; returns the messages of those that failed. */
  cleanUp(): Promise<string[]>;
}

export function createBenchmarkScope(shared: SharedRunState, signal: AbortSignal): BenchmarkScope {
  const cleanups: Array<() => Promise<void> | void> = [];
  const context: BenchContext = {
    machine: shared.machine,
    sampleMs: shared.sampleMs,
    samples: shared.samples,
    signal,
    ceiling: shared.ceiling,
    log: shared.log,
    onCleanup: (cleanup) => {
      cleanups.push(cleanup);
    },
    tempDir: async (label) => {
      const path = await mkdtemp(join(tmpdir(), `bayledger-bench-${label}-`));
      cleanups.push(() => rm(path, { recursive: true, force: true }));
      return path;
    },
  };
  const cleanUp = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    return failures;
  };
  return { context, cleanUp };
}

/** Memoises one measurement for the whole run: the first benchmark that asks pays for it. */
export function once<T>(measure: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= measure();
    return result;
  };
}
