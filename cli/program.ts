// The commander program shared by every command, and the one place that turns failures into
// exit codes: 0 success, 1 failure (bad file, refused operation), 2 usage error (wrong flags or
// values). A failure prints ONE line on stderr, never a stack trace (set BAYLEDGER_DEBUG=1 to
// see one). Commands register themselves in cli/main.ts.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Schema } from '../src/core/codec/schema.js';
import { assert, BayledgerError, errorMessage, fail, isBayledgerError } from '../src/core/errors.js';
import { PACKAGE_VERSION } from './package-info.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Adds one command (or a group of subcommands) to the program. One per file in cli/commands. */
export type CommandRegistration = (program: Command) => void;

export function createProgram(registrations: readonly CommandRegistration[]): Command {
  const program = new Command('bayledger')
    .description('Permissioned BFT ledger for supervised cross-border data channels')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError(false)
    // Errors are printed once, by runProgram; commander's own copy would duplicate them.
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  for (const register of registrations) register(program);
  return program;
}

/** commander option parser for integers in [min, max]; a bad value is a usage error (exit 2). */
export function integerOption(min: number, max: number): (value: string) => number {
  // Digits only, so a value is a whole number, and one past Number.MAX_SAFE_INTEGER is above max.
  assert(0 <= min && min <= max && Number.isSafeInteger(max), `integer option bounds ${min}..${max}`);
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

/**
 * Checks an option's value against the schema the node or the file will hold it to, before
 * anything is read, written or sent: a value it refuses is a usage error (exit 2) named after the
 * option (`where`, e.g. '--org' or '--item Imaging Study'), like a bad integer or choice.
 */
export function checkOptionValue<T>(schema: Schema<T>, value: string, where: string): T {
  return asUsageError(() => schema.parse(value, where));
}

/** Runs `check`; a BayledgerError it throws (a refused option value) becomes a usage error (exit 2). */
export function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isBayledgerError(error)) fail('USAGE', error.message);
    throw error;
  }
}

function printError(message: string): void {
  process.stderr.write(`bayledger: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    // Help shown because a command group was called without a subcommand: a usage error.
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    printError(error.message);
    return EXIT_USAGE;
  }
  if (process.env.BAYLEDGER_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  if (error instanceof BayledgerError) {
    printError(`error: ${error.message}`);
    return error.code === 'USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
  printError(`error: ${errorMessage(error)}`);
  return EXIT_FAILURE;
}

/** The failure of a command whose promise can no longer settle (see runProgram). */
export const STALLED_MESSAGE =
  'the command stopped before it finished: it was waiting for something that can no longer happen (nothing else was left running); this is a bug in bayledger, please report it';

/** The process events runProgram listens to: `process`, or a stand-in in a test. */
export type ProcessEvents = Pick<NodeJS.EventEmitter, 'once' | 'off'>;

/**
 * Parses `argv` (process.argv form) and runs the command; resolves to the exit code.
 *
 * cli/main.ts awaits this at the top level, and Node ends a process whose event loop empties while
 * a top-level await is unsettled with exit code 13 and no message. That happens to any command
 * whose promise waits for an event nothing left running can emit (signal listeners do not hold
 * the loop open; `up` once ended so when all its nodes had died). 'beforeExit' is emitted exactly
 * when the loop has emptied, so a command still pending then can never settle: it is failed here
 * like any other command, with one line on stderr and exit 1.
 */
export async function runProgram(
  registrations: readonly CommandRegistration[],
  argv: readonly string[],
  events: ProcessEvents = process,
): Promise<number> {
  let onLoopEmpty: () => void = () => {};
  const stalled = new Promise<never>((_, reject) => {
    onLoopEmpty = () => reject(new BayledgerError('INTERNAL', STALLED_MESSAGE));
  });
  events.once('beforeExit', onLoopEmpty);
  try {
    await Promise.race([createProgram(registrations).parseAsync([...argv]), stalled]);
    return EXIT_OK;
  } catch (error) {
    return exitCodeOf(error);
  } finally {
    events.off('beforeExit', onLoopEmpty);
  }
}
