// npm run test:mutations -- [--only NAME[,NAME...]] [--list]
// Applies each mutation of mutations.ts in turn to the working tree, runs its tests, and restores
// the file, whatever happens (a failed run, an exception, Ctrl-C). A mutation is "killed" when its
// tests fail, "survived" when they pass (a path no test guards any more), "stale" when its `from`
// text is no longer in the file exactly once, "broken" when the tests could not even run with it
// (the mutation is wrong, not the tests). Exits 1 unless every mutation was killed.
//
// It edits source files in place, so it refuses to touch a file with uncommitted changes. Tests
// under test/e2e run the compiled build, so the build is redone with each such mutation and once
// more at the end, from the restored sources.
import { spawnSync } from 'node:child_process';
import { ROOT, restoreOnInterrupt, runMocha, uncommitted, withMutatedFile } from './in-place.js';
import { MUTATIONS, type Mutation } from './mutations.js';

/** One mutation's tests; an e2e file takes a few minutes, a hanging run is cut here. */
const TEST_TIMEOUT_MS = 15 * 60 * 1000;

type Outcome = 'killed' | 'survived' | 'stale' | 'broken';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run test:mutations -- [--only NAME[,NAME...]] [--list]\n`);
  process.exit(2);
}

function selected(argv: readonly string[]): { mutations: readonly Mutation[]; listOnly: boolean } {
  let names: string[] | undefined;
  let listOnly = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--list') listOnly = true;
    else if (argv[i] === '--only') {
      const value = argv[++i];
      if (value === undefined || value === '') usage('--only needs mutation names');
      names = value.split(',');
    } else usage(`unknown argument ${argv[i]}`);
  }
  if (names === undefined) return { mutations: MUTATIONS, listOnly };
  const unknown = names.filter((name) => !MUTATIONS.some((mutation) => mutation.name === name));
  if (unknown.length > 0) usage(`no mutation named ${unknown.join(', ')} (--list shows them)`);
  return { mutations: MUTATIONS.filter((mutation) => names.includes(mutation.name)), listOnly };
}

/**
 * Runs mocha on `tests`: 'killed' only when tests ran and some failed. A run that fails without
 * a failing test (the mutated code did not even load) is 'broken': the mutation itself is wrong.
 */
function runTests(tests: readonly string[]): Outcome {
  const { status, output } = runMocha(tests, TEST_TIMEOUT_MS, false);
  if (status === 0) return 'survived';
  return /\b[1-9]\d* failing\b/.test(output) ? 'killed' : 'broken';
}

function build(): void {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`the build (tsc) failed:\n${`${result.stdout}${result.stderr}`.trim().slice(-2000)}`);
  }
}

restoreOnInterrupt('interrupted: the mutated file is restored; run `npm run build` before e2e tests');

function apply(mutation: Mutation): Outcome {
  const outcome = withMutatedFile(
    mutation.file,
    (original) =>
      original.split(mutation.from).length === 2 ? original.replace(mutation.from, mutation.to) : undefined,
    () => {
      if (mutation.tests.some((test) => test.startsWith('test/e2e/'))) build();
      return runTests(mutation.tests);
    },
  );
  return outcome ?? 'stale';
}

function main(): void {
  const { mutations, listOnly } = selected(process.argv.slice(2));
  if (listOnly) {
    for (const mutation of mutations)
      process.stdout.write(`${mutation.name.padEnd(26)} ${mutation.disables}\n`);
    return;
  }
  const dirty = [...new Set(mutations.map((mutation) => mutation.file))].filter(uncommitted);
  if (dirty.length > 0) usage(`commit or stash the changes to ${dirty.join(', ')} first`);
  const outcomes: Outcome[] = [];
  let rebuild = false;
  for (const mutation of mutations) {
    const startedMs = performance.now();
    const outcome = apply(mutation);
    rebuild ||= mutation.tests.some((test) => test.startsWith('test/e2e/'));
    outcomes.push(outcome);
    const seconds = ((performance.now() - startedMs) / 1000).toFixed(0);
    process.stdout.write(
      `${outcome.padEnd(8)} ${mutation.name.padEnd(26)} ${seconds.padStart(4)} s  ${mutation.disables}\n`,
    );
  }
  if (rebuild) build();
  const failed = outcomes.filter((outcome) => outcome !== 'killed').length;
  process.stdout.write(`${mutations.length - failed} of ${mutations.length} mutations killed\n`);
  if (failed > 0) process.exitCode = 1;
}

main();
