// Runs the bayledger CLI in a child process the way a user would: `bayledger ...args`, compiled or
// from source as cli-command.ts decides. Resolves with the exit code and output; a CLI that runs
// past the timeout is killed and the promise rejects, so a hung command fails its test instead of
// stalling the suite.
import { type CliResult, runCommand } from './child.js';
import { cliCommand, REPO_ROOT } from './cli-command.js';

export type { CliResult };
export { REPO_ROOT };

export interface RunCliOptions {
  /** Kill the CLI and reject after this long (default 30 s: tsx start-up on a loaded 2-core machine). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return runCommand([...(await cliCommand()), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 30_000,
    label: `bayledger ${args.join(' ')}`,
  });
}
