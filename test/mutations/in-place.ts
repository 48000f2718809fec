// What test:mutations (run.ts) and test:sweep (sweep.ts) share: editing one source file in place
// and always putting it back, refusing files with uncommitted changes, and running mocha so that
// a timeout kills it and everything it started.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Whether `file` (relative to ROOT) differs from HEAD: mutating it would lose or mix in edits. */
export function uncommitted(file: string): boolean {
  return spawnSync('git', ['diff', '--quiet', 'HEAD', '--', file], { cwd: ROOT }).status !== 0;
}

/** The file being mutated and its original text, restored on Ctrl-C as in `finally`. */
let pending: { path: string; original: string } | undefined;

function restore(): void {
  if (pending !== undefined) writeFileSync(pending.path, pending.original);
  pending = undefined;
}

/** Restores a mutated file on Ctrl-C before exiting with `message`. */
export function restoreOnInterrupt(message: string): void {
  process.once('SIGINT', () => {
    restore();
    process.stderr.write(`${message}\n`);
    process.exit(130);
  });
}

/**
 * Writes `mutate(original text)` to `file` (relative to ROOT), runs `test`, and restores the
 * original whatever happens. `mutate` returns undefined when it cannot apply: nothing is written.
 */
export function withMutatedFile<T>(
  file: string,
  mutate: (original: string) => string | undefined,
  test: () => T,
): T | undefined {
  const filePath = path.join(ROOT, file);
  const original = readFileSync(filePath, 'utf8');
  const mutated = mutate(original);
  if (mutated === undefined) return undefined;
  pending = { path: filePath, original };
  try {
    writeFileSync(filePath, mutated);
    return test();
  } finally {
    restore();
  }
}

export interface MochaRun {
  /** Exit status, or null when the timeout killed it. */
  readonly status: number | null;
  readonly output: string;
}

/**
 * Runs mocha's own CLI module (bin/mocha.js would fork it again for the node flag) under coreutils
 * timeout, which puts it in a process group of its own and kills the whole group: a mutation that
 * loops forever, in mocha or in a process the tests spawn (a chain verify process), leaves no
 * orphan spinning. Killing only the direct child left three such grandchildren in session 20.
 */
export function runMocha(tests: readonly string[], timeoutMs: number, bail: boolean): MochaRun {
  const seconds = Math.ceil(timeoutMs / 1000);
  const result = spawnSync(
    'timeout',
    [
      '--signal=KILL',
      `${seconds}s`,
      process.execPath,
      '--import=tsx',
      path.join(ROOT, 'node_modules/mocha/lib/cli/cli.js'),
      ...(bail ? ['--bail'] : []),
      '--reporter',
      'dot',
      ...tests,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // A backstop only: timeout itself ends everything at `seconds`.
      timeout: timeoutMs + 60_000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // 124: timed out; 137 (128 + SIGKILL): what timeout reports when the signal it sends is KILL
  // (a run the kernel killed for memory reads the same, and is not a result either).
  const timedOut =
    result.error !== undefined || result.signal !== null || result.status === 124 || result.status === 137;
  return { status: timedOut ? null : result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
