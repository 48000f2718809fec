// How every command prints results: `--json` gives JSON for scripts, otherwise a table for
// people. Bytes (hashes, keys) are lowercase hex in both (chain CLI contract, src/core/bytes.ts).
import { toHex } from '../src/core/bytes.js';

export interface OutputOptions {
  /** Print JSON instead of a table. */
  readonly json?: boolean;
  /** Where to write; process.stdout by default. */
  readonly write?: (text: string) => void;
}

/** JSON.stringify replacer: Uint8Array -> hex, bigint -> decimal string, Map -> object. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

/** One table cell: scalars as text, bytes as hex, lists comma-separated, objects as compact JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatCell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** Columns padded to their widest cell; no line ends in spaces (long hex in the last column stays copyable). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A list of records becomes a table with one row each; a record becomes a field/value table. */
export function formatTable(value: unknown): string {
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainRecord)) {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row)))];
    return renderTable(
      columns,
      value.map((row) => columns.map((column) => formatCell(row[column]))),
    );
  }
  if (isPlainRecord(value)) {
    return renderTable(
      ['field', 'value'],
      Object.entries(value).map(([key, cell]) => [key, formatCell(cell)]),
    );
  }
  return formatCell(value);
}

export function printResult(value: unknown, options: OutputOptions = {}): void {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(`${options.json ? toJsonText(value) : formatTable(value)}\n`);
}
