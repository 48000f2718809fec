// The table `npm run bench` prints: one row per figure.
import type { Target } from '../types.js';
import type { BenchmarkResult, ScoredFigure } from './results.js';

const HEADINGS = ['benchmark', 'figure', 'value', 'unit', 'ceiling', 'ratio', 'target', 'met'];

/** Thousands as whole numbers with separators; small values with three significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

function formatTarget(target: Target | undefined): string {
  if (target === undefined) return '-';
  const bound = target.on === 'ratio' ? target.bound.toFixed(2) : formatNumber(target.bound);
  return `${target.on === 'ratio' ? 'ratio ' : ''}${target.comparison} ${bound}`;
}

function figureRow(benchmark: string, figure: ScoredFigure): string[] {
  return [
    benchmark,
    figure.name,
    formatNumber(figure.value),
    figure.unit,
    figure.ceiling === undefined ? '-' : `${formatNumber(figure.ceiling.value)} (${figure.ceiling.name})`,
    figure.ratio === undefined ? '-' : figure.ratio.toFixed(2),
    formatTarget(figure.target),
    figure.met === undefined ? '-' : figure.met ? 'yes' : 'NO',
  ];
}

export function formatTable(results: readonly BenchmarkResult[]): string {
  const rows: string[][] = [];
  for (const result of results) {
    for (const figure of result.figures) rows.push(figureRow(result.name, figure));
    if (result.status !== 'ok')
      rows.push([result.name, result.status, '-', '-', '-', '-', '-', result.error ?? '']);
  }
  const widths = HEADINGS.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 2 || column === 5 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [line(HEADINGS), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
