// npm run test:sweep -- FILE... [--tests TEST[,TEST...]] [--timeout-s N]
// FILE is under src/ or cli/; a cli/ file needs --tests (the end-to-end tests that spawn the CLI).
// An operator sweep over source files (docs/TESTING.md): every condition made false,
// every comparison, equality and boolean operator flipped, every `return true/false` inverted and
// every `+ 1` / `- 1` dropped, one at a time, each followed by the tests that reach the file
// through their imports (or --tests), stopping at the first failure. A mutation no test notices
// is printed with its line, unless equivalent.ts explains why no test can (the code around it
// makes it unobservable). Exits 1 if any survivor is unexplained.
//
// Slow by design (seconds per mutation, the simulator's ~30 s where it is among the tests), so it
// stays outside npm test: run it on the files a change touches. Like test:mutations it edits the
// file in place, refuses one with uncommitted changes, and restores it whatever happens.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isExplained } from './equivalent.js';
import { ROOT, restoreOnInterrupt, runMocha, uncommitted, withMutatedFile } from './in-place.js';

const TEST_FOLDERS = ['test/unit', 'test/vectors', 'test/property', 'test/sim'];

/** Operator flips, applied at each occurrence on a code line (spaces included: not generics). */
const FLIPS: readonly (readonly [string, string])[] = [
  [' <= ', ' < '],
  [' < ', ' <= '],
  [' >= ', ' > '],
  [' > ', ' >= '],
  [' === ', ' !== '],
  [' !== ', ' === '],
  [' && ', ' || '],
  [' || ', ' && '],
  ['return true;', 'return false;'],
  ['return false;', 'return true;'],
  [' + 1', ' + 0'],
  [' - 1', ' - 0'],
];

export interface SweepMutant {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** Which of the file's lines with this same text (trimmed) it is, from 1. */
  readonly occurrence: number;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run test:sweep -- FILE... [--tests TEST[,TEST...]] [--timeout-s N]\n`,
  );
  process.exit(2);
}

/** Lines that are comments, imports or assertions (an assertion's mutants only move a crash); see also mutantsOf. */
function skipped(trimmed: string): boolean {
  return (
    trimmed.startsWith('//') ||
    trimmed.startsWith('*') ||
    trimmed.startsWith('/*') ||
    trimmed.startsWith('import ') ||
    trimmed.includes('assert(')
  );
}

/** Outside a string literal, by a count of the quotes before it (enough for this code base). */
function inCode(line: string, index: number): boolean {
  const before = line.slice(0, index);
  return (before.split("'").length - 1) % 2 === 0 && (before.split('`').length - 1) % 2 === 0;
}

export function mutantsOf(file: string, text: string): SweepMutant[] {
  const mutants: SweepMutant[] = [];
  const lines = text.split('\n');
  let inBlockComment = false;
  // The arguments of an `assert(` call written over several lines (skipped like a one-line one).
  let inAssertion = false;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed.startsWith('/*')) inBlockComment = true;
    if (inBlockComment) {
      if (trimmed.includes('*/')) inBlockComment = false;
      return;
    }
    if (trimmed === 'assert(') inAssertion = true;
    if (inAssertion) {
      if (trimmed.startsWith(');')) inAssertion = false;
      return;
    }
    if (skipped(trimmed)) return;
    const code = line.split(' // ')[0]!;
    const occurrence = lines.slice(0, index + 1).filter((other) => other.trim() === trimmed).length;
    const add = (kind: string, to: string) => {
      if (to !== line) mutants.push({ file, line: index + 1, occurrence, kind, from: line, to });
    };
    const condition = /\bif \((.*)\)( \{| return| throw|$)/.exec(code);
    if (condition !== null && !['true', 'false'].includes(condition[1]!.trim())) {
      add('if-false', line.replace(`if (${condition[1]})`, 'if (false)'));
    }
    for (const [from, to] of FLIPS) {
      for (let at = code.indexOf(from); at >= 0; at = code.indexOf(from, at + 1)) {
        if (inCode(code, at))
          add(`${from.trim()} -> ${to.trim()}`, line.slice(0, at) + to + line.slice(at + from.length));
      }
    }
  });
  return mutants;
}

/** Relative imports of a .ts file, as project paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const imports: string[] = [];
  for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    imports.push(path.posix.join(path.posix.dirname(file), `${match[1]}.ts`));
  }
  return imports;
}

function filesUnder(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${folder}/${name}`);
}

/** Who imports each file (src/ and the test folders), read once per run. */
function importersByFile(): Map<string, string[]> {
  const importedBy = new Map<string, string[]>();
  for (const source of [...filesUnder('src'), ...TEST_FOLDERS.flatMap(filesUnder)]) {
    for (const target of importsOf(source))
      importedBy.set(target, [...(importedBy.get(target) ?? []), source]);
  }
  return importedBy;
}

/**
 * Test files that reach `file` through their imports, directly or not: the ones importing it
 * first (the likeliest to notice, and --bail stops at the first failure), the simulator last.
 */
function testsReaching(file: string, importedBy: ReadonlyMap<string, readonly string[]>): string[] {
  const distance = new Map<string, number>([[file, 0]]);
  const queue = [file];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const importer of importedBy.get(next) ?? []) {
      if (distance.has(importer)) continue;
      distance.set(importer, distance.get(next)! + 1);
      queue.push(importer);
    }
  }
  const tests = [...distance.keys()].filter((name) => name.endsWith('.test.ts'));
  const rank = (test: string) => (test.startsWith('test/sim/') ? 1_000 : 0) + distance.get(test)!;
  return tests.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

type Outcome = 'killed' | 'survived' | 'timeout';

function runTests(tests: readonly string[], timeoutMs: number): Outcome {
  const { status } = runMocha(tests, timeoutMs, true);
  if (status === null) return 'timeout';
  return status === 0 ? 'survived' : 'killed';
}

function applyAndTest(mutant: SweepMutant, tests: readonly string[], timeoutMs: number): Outcome {
  const outcome = withMutatedFile(
    mutant.file,
    (original) => {
      const lines = original.split('\n');
      if (lines[mutant.line - 1] !== mutant.from) return undefined;
      lines[mutant.line - 1] = mutant.to;
      return lines.join('\n');
    },
    () => runTests(tests, timeoutMs),
  );
  if (outcome === undefined) throw new Error(`${mutant.file}:${mutant.line} changed since the sweep read it`);
  return outcome;
}

function parse(argv: readonly string[]): { files: string[]; tests?: string[]; timeoutMs: number } {
  const files: string[] = [];
  let tests: string[] | undefined;
  let timeoutMs = 300_000;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    if (argument === '--tests') {
      const value = argv[++i];
      if (value === undefined || value === '') usage('--tests needs test files');
      tests = value.split(',');
    } else if (argument === '--timeout-s') {
      const seconds = Number(argv[++i]);
      if (!Number.isInteger(seconds) || seconds < 1) usage('--timeout-s needs a whole number of seconds');
      timeoutMs = seconds * 1000;
    } else if (argument.startsWith('--')) usage(`unknown option ${argument}`);
    else files.push(argument);
  }
  if (files.length === 0) usage('name at least one source file');
  return { files, tests, timeoutMs };
}

function main(): void {
  const { files, tests: chosen, timeoutMs } = parse(process.argv.slice(2));
  for (const file of files) {
    if (!(file.startsWith('src/') || file.startsWith('cli/')) || !file.endsWith('.ts'))
      usage(`${file}: a .ts file under src/ or cli/, from the project root`);
    // The end-to-end tests reach the CLI through the processes they spawn, which no import shows.
    if (file.startsWith('cli/') && chosen === undefined)
      usage(`${file}: name the tests that run it with --tests`);
    if (uncommitted(file)) usage(`commit or stash the changes to ${file} first`);
  }
  restoreOnInterrupt('interrupted: the mutated file is restored');
  const counts = { killed: 0, timeout: 0, explained: 0, survived: 0 };
  const importedBy = chosen === undefined ? importersByFile() : new Map<string, string[]>();
  for (const file of files) {
    const tests = chosen ?? testsReaching(file, importedBy);
    if (tests.length === 0) usage(`${file}: no test imports it; name some with --tests`);
    const mutants = mutantsOf(file, readFileSync(path.join(ROOT, file), 'utf8'));
    process.stdout.write(`${file}: ${mutants.length} mutations, tests ${tests.join(' ')}\n`);
    for (const mutant of mutants) {
      const outcome = applyAndTest(mutant, tests, timeoutMs);
      if (outcome !== 'survived') {
        counts[outcome]++;
        continue;
      }
      const why = isExplained(mutant);
      if (why !== undefined) counts.explained++;
      else counts.survived++;
      process.stdout.write(
        `${why === undefined ? 'SURVIVED ' : 'equivalent'} ${file}:${mutant.line} ${mutant.kind}\n` +
          `    ${mutant.to.trim()}\n${why === undefined ? '' : `    (${why})\n`}`,
      );
    }
  }
  process.stdout.write(
    `${counts.killed} killed, ${counts.timeout} timed out (a loop that no longer ends: killed), ` +
      `${counts.explained} equivalent, ${counts.survived} survived\n`,
  );
  if (counts.survived > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
