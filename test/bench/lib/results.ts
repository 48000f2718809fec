// What a run produced, as written to bench-results.json: the machine, the settings, and per
// benchmark its figures with their ratio to the ceiling and whether the target was met.
import { writeFile } from 'node:fs/promises';
import type { Figure, MachineFacts, Target } from '../types.js';

export interface ScoredFigure extends Figure {
  /** value / ceiling.value, when the figure has a ceiling. */
  readonly ratio?: number;
  /** Whether the target holds, when the figure has one. */
  readonly met?: boolean;
}

export interface BenchmarkResult {
  readonly name: string;
  readonly description: string;
  readonly target: string;
  readonly status: 'ok' | 'failed' | 'timed-out';
  readonly error?: string;
  readonly durationMs: number;
  readonly figures: readonly ScoredFigure[];
}

export interface RunResults {
  readonly machine: MachineFacts;
  readonly settings: { readonly sampleMs: number; readonly samples: number };
  /** Load averages when the run ended (see MachineFacts.loadAverage for the start). */
  readonly loadAverageAtEnd: readonly number[];
  readonly benchmarks: readonly BenchmarkResult[];
}

function targetHolds(target: Target, measured: number): boolean {
  return target.comparison === '>=' ? measured >= target.bound : measured <= target.bound;
}

export function scoreFigure(figure: Figure): ScoredFigure {
  const ratio = figure.ceiling === undefined ? undefined : figure.value / figure.ceiling.value;
  let met: boolean | undefined;
  if (figure.target !== undefined) {
    const measured = figure.target.on === 'value' ? figure.value : ratio;
    if (measured === undefined) throw new Error(`figure ${figure.name} has a ratio target but no ceiling`);
    met = targetHolds(figure.target, measured);
  }
  return { ...figure, ratio, met };
}

export async function writeResults(path: string, results: RunResults): Promise<void> {
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}
