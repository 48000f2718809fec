// `npm run bench -- [--only NAME[,NAME]] [--list] [--sample-ms MS] [--samples N] [--out FILE]`
// Runs the registered benchmarks one after another, each bounded by its time limit and cleaned up
// however it ends, prints the table on stdout (progress goes to stderr) and writes the figures with
// the machine facts to bench-results.json. Figures are never asserted here: a missed target is
// reported, not failed (issue 7: "no figure is asserted by a timed unit test").
import '../../src/polyfill.js';
import { availableParallelism } from 'node:os';
import { parseArgs, USAGE } from './lib/args.js';
import { measureCeiling } from './lib/ceiling.js';
import { createBenchmarkScope, once, type SharedRunState } from './lib/context.js';
import { loadWarning, machineFacts, roundedLoadAverage } from './lib/machine.js';
import { type BenchmarkResult, scoreFigure, writeResults } from './lib/results.js';
import { formatTable } from './lib/table.js';
import { BENCHMARKS } from './registry.js';
import type { Benchmark } from './types.js';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Cleanups of the benchmark running now, so Ctrl-C still stops its processes and removes its folders. */
let cleanUpCurrent: (() => Promise<string[]>) | undefined;

function selectBenchmarks(only: readonly string[]): Benchmark[] {
  if (only.length === 0) return [...BENCHMARKS];
  const known = new Set(BENCHMARKS.map((benchmark) => benchmark.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return BENCHMARKS.filter((benchmark) => only.includes(benchmark.name));
}

async function runOne(benchmark: Benchmark, shared: SharedRunState): Promise<BenchmarkResult> {
  const controller = new AbortController();
  const scope = createBenchmarkScope(shared, controller.signal);
  cleanUpCurrent = scope.cleanUp;
  const startMs = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeLimit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${benchmark.timeLimitMs} ms`));
    }, benchmark.timeLimitMs);
  });
  log(`bench: ${benchmark.name}: ${benchmark.description}`);
  const running = benchmark.run(scope.context);
  running.catch(() => undefined); // after a timeout its late failure (workers killed) is expected
  let result: Omit<BenchmarkResult, 'durationMs'>;
  try {
    const figures = (await Promise.race([running, timeLimit])).map(scoreFigure);
    result = { ...describe(benchmark), status: 'ok', figures };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = {
      ...describe(benchmark),
      status: controller.signal.aborted ? 'timed-out' : 'failed',
      error: message,
      figures: [],
    };
  } finally {
    clearTimeout(timer);
    for (const failure of await scope.cleanUp()) log(`bench: ${benchmark.name}: cleanup failed: ${failure}`);
    cleanUpCurrent = undefined;
  }
  return { ...result, durationMs: Math.round(performance.now() - startMs) };
}

function describe(benchmark: Benchmark): Pick<BenchmarkResult, 'name' | 'description' | 'target'> {
  return { name: benchmark.name, description: benchmark.description, target: benchmark.target };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.list) {
    for (const benchmark of BENCHMARKS) process.stdout.write(`${benchmark.name}: ${benchmark.description}\n`);
    return 0;
  }
  const selected = selectBenchmarks(args.only);
  const machine = machineFacts(new Date());
  log(`bench: ${machine.cpuModel}, ${machine.availableParallelism} cores, Node ${machine.nodeVersion}`);
  const warningAtStart = loadWarning(machine.loadAverage, machine.availableParallelism);
  if (warningAtStart !== undefined) log(`bench: warning: ${warningAtStart}`);
  const shared: SharedRunState = {
    machine,
    sampleMs: args.sampleMs,
    samples: args.samples,
    log,
    ceiling: once(() =>
      measureCeiling({ cores: availableParallelism(), sampleMs: args.sampleMs, samples: args.samples, log }),
    ),
  };
  const results: BenchmarkResult[] = [];
  for (const benchmark of selected) results.push(await runOne(benchmark, shared));
  process.stdout.write(`${formatTable(results)}\n`);
  const loadAverageAtEnd = roundedLoadAverage();
  const warningAtEnd = loadWarning(loadAverageAtEnd, machine.availableParallelism);
  if (warningAtEnd !== undefined) log(`bench: warning: ${warningAtEnd}`);
  await writeResults(args.outputPath, {
    machine,
    settings: { sampleMs: args.sampleMs, samples: args.samples },
    loadAverageAtEnd,
    benchmarks: results,
  });
  log(`bench: figures written to ${args.outputPath}`);
  return results.every((result) => result.status === 'ok') ? 0 : 1;
}

process.once('SIGINT', () => {
  log('bench: interrupted, cleaning up');
  void (cleanUpCurrent?.() ?? Promise.resolve([])).finally(() => process.exit(130));
});

// Exit explicitly: a benchmark that timed out may have left a handle behind, and the run must end.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  },
);
