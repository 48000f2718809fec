// Runs the bayledger CLI in a child process, from source through tsx (no build needed), the way
// a user would: `node --import tsx cli/main.ts ...args`. Resolves with the exit code and output;
// a CLI that runs past the timeout is killed and the promise rejects, so a hung command fails
// its test instead of stalling the suite.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliResult, runCommand } from './child.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_ENTRY = path.join(REPO_ROOT, 'cli/main.ts');

export type { CliResult };

export interface RunCliOptions {
  /** Kill the CLI and reject after this long (default 30 s: tsx start-up on a loaded 2-core machine). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return runCommand([process.execPath, '--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 30_000,
    label: `bayledger ${args.join(' ')}`,
  });
}
