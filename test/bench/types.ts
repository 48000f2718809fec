// The contract between the harness (run.ts) and each benchmark (benchmarks/<name>.ts). A benchmark
// reports figures; each figure may name the ceiling it is compared with (measured in the same run,
// so the ratio holds on a noisy shared machine) and a target from issue 7.

/** A bound a figure must meet: on the figure itself, or on its ratio to its ceiling. */
export interface Target {
  readonly on: 'value' | 'ratio';
  readonly comparison: '>=' | '<=';
  readonly bound: number;
}

export interface Figure {
  /** Dotted name, unique within its benchmark: 'verify.allCores', 'pool.batch256'. */
  readonly name: string;
  readonly value: number;
  /** Unit of `value`, e.g. 'verifies/s', 'tx/s', 'ms', 'MB/s', 'bytes'. */
  readonly unit: string;
  /** What `value` is compared with, in the same unit (already scaled, e.g. verify ceiling / 4). */
  readonly ceiling?: { readonly name: string; readonly value: number };
  readonly target?: Target;
  /** One short sentence: what limits it, or how it was measured. */
  readonly note?: string;
}

export type Figures = readonly Figure[];

export interface MachineFacts {
  readonly cpuModel: string;
  /** Logical cores the OS reports (os.cpus().length). */
  readonly cores: number;
  /** Cores this process may use (os.availableParallelism()): worker pools size themselves by it. */
  readonly availableParallelism: number;
  readonly memoryBytes: number;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
  /** ISO 8601 start time of the run. */
  readonly date: string;
  /**
   * The benchmark process's GLIBC_TUNABLES (null when unset). The nodes that move payloads run with
   * malloc on huge pages whatever it says, unless it makes a huge-page choice of its own
   * (src/node/malloc-tuning.ts); validators run with it as it is.
   */
  readonly glibcTunables: string | null;
  /**
   * 1, 5 and 15-minute load averages when the run started. Above the core count, other work
   * competed for the cores and even the ratios are unreliable: rerun on a quieter machine.
   */
  readonly loadAverage: readonly number[];
}

/** The machine's raw rates, measured once per run and shared by every benchmark that needs them. */
export interface Ceiling {
  readonly cores: number;
  readonly verifyAllCoresPerSecond: number;
  readonly verifyOneCorePerSecond: number;
  readonly sha256LeafAllCoresPerSecond: number;
  readonly sha256LeafOneCorePerSecond: number;
  readonly leafBytes: number;
  readonly encodeRecordPerSecond: number;
  readonly decodeRecordPerSecond: number;
  readonly recordBytes: number;
}

export interface BenchContext {
  readonly machine: MachineFacts;
  /** Length of one measurement sample; figures are medians over `samples` samples. */
  readonly sampleMs: number;
  readonly samples: number;
  /** Aborted when the benchmark's time limit passes: long loops should check it. */
  readonly signal: AbortSignal;
  /** The machine's ceiling, measured on first use in this run. */
  ceiling(): Promise<Ceiling>;
  /** A fresh temporary folder, removed (recursively) when the benchmark ends. */
  tempDir(label: string): Promise<string>;
  /** Runs after the benchmark ends, even when it failed or timed out; last registered runs first. */
  onCleanup(cleanup: () => Promise<void> | void): void;
  /** A progress line on stderr (stdout carries only the table). */
  log(line: string): void;
}

export interface Benchmark {
  /** Kebab-case, used by `--only`. */
  readonly name: string;
  readonly description: string;
  /** The target from issue 7, in words; the figures carry it as numbers. */
  readonly target: string;
  /** Wall-clock bound; past it the harness aborts the benchmark, cleans up and moves on. */
  readonly timeLimitMs: number;
  run(context: BenchContext): Promise<Figures>;
}
