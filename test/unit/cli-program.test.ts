// The CLI's top level (cli/program.ts runProgram, awaited by cli/main.ts): a command whose promise
// can never settle, because it waits for an event that nothing left running can emit, fails with
// one line and exit 1 instead of Node's silent exit code 13 for an unsettled top-level await.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  integerOption,
  runProgram,
  STALLED_MESSAGE,
} from '../../cli/program.js';
import { outputOf } from '../helpers/capture-output.js';
import { runCommand } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/cli.js';

/** A `stall` command waiting for an event never emitted, and an `ok` command. */
function register(program: Command): void {
  program.command('stall').action(() => new Promise<void>(() => {}));
  program.command('ok').action(async () => {});
}

describe('cli: a command that can never finish', () => {
  it('fails with one line and exit 1 once the event loop has emptied', async () => {
    const events = new EventEmitter();
    const { value, stderr } = await outputOf(async () => {
      const running = runProgram([register], ['node', 'bayledger', 'stall'], events);
      // What Node emits when nothing is left to run.
      events.emit('beforeExit', 0);
      return running;
    });
    assert.equal(value, EXIT_FAILURE);
    assert.equal(stderr, `bayledger: error: ${STALLED_MESSAGE}\n`);
    assert.equal(events.listenerCount('beforeExit'), 0);
  });

  it('leaves a command that finishes alone and stops listening', async () => {
    const events = new EventEmitter();
    const { value, stderr } = await outputOf(() =>
      runProgram([register], ['node', 'bayledger', 'ok'], events),
    );
    assert.equal(value, EXIT_OK);
    assert.equal(stderr, '');
    assert.equal(events.listenerCount('beforeExit'), 0);
  });

  it('in a real process awaited at the top level like cli/main.ts: exit 1 with the message, not 13', async () => {
    // The same top level as cli/main.ts with the stalling command; without the guard this process
    // ends with code 13 and nothing on stderr.
    const script = [
      "import { runProgram } from './cli/program.ts';",
      "const register = (program) => program.command('stall').action(() => new Promise(() => {}));",
      "process.exitCode = await runProgram([register], ['node', 'bayledger', 'stall']);",
    ].join('\n');
    const result = await runCommand(
      [process.execPath, '--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: REPO_ROOT, timeoutMs: 30_000, label: 'stalling top-level await' },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, `bayledger: error: ${STALLED_MESSAGE}\n`);
  });
});

/** A `group` of commands with one `leaf`, and a `fail` command that throws a plain Error. */
function registerGroup(program: Command): void {
  program
    .command('group')
    .description('a group')
    .command('leaf')
    .action(async () => {});
  program.command('fail').action(async () => {
    throw new Error('boom');
  });
}

/** runProgram with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  const { value, stdout, stderr } = await outputOf(() =>
    runProgram([registerGroup], ['node', 'bayledger', ...argv], new EventEmitter()),
  );
  return { code: value, stdout, stderr };
}

describe('cli: exit codes, help and option values', () => {
  it('shows a group called without a command its help on stderr with exit 2, and help asked for with 0', async () => {
    const bare = await run(['group']);
    assert.equal(bare.code, EXIT_USAGE);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^Usage: bayledger group \[options\] \[command\]\n/);
    assert.doesNotMatch(bare.stderr, /^bayledger:/m);
    for (const argv of [
      ['help', 'group'],
      ['group', '--help'],
    ]) {
      const asked = await run(argv);
      assert.deepEqual([asked.code, asked.stderr], [EXIT_OK, '']);
      assert.match(asked.stdout, /^Usage: bayledger group \[options\] \[command\]\n/);
    }
  });

  it('prints a failure in one line, after its stack only when BAYLEDGER_DEBUG is set', async () => {
    const quiet = await run(['fail']);
    assert.deepEqual([quiet.code, quiet.stderr], [EXIT_FAILURE, 'bayledger: error: boom\n']);
    process.env.BAYLEDGER_DEBUG = '1';
    try {
      const debug = await run(['fail']);
      assert.equal(debug.code, EXIT_FAILURE);
      assert.match(debug.stderr, /^Error: boom\n {4}at .*\n[\s\S]*bayledger: error: boom\n$/);
    } finally {
      delete process.env.BAYLEDGER_DEBUG;
    }
  });

  it('takes whole numbers from min to max as option values, and refuses anything else', () => {
    const parse = integerOption(1, 10);
    assert.deepEqual(['1', '7', '10'].map(parse), [1, 7, 10]);
    for (const value of ['0', '11', '', 'seven', '1.5', '-1', '1e1', '0x5', ' 5']) {
      assert.throws(() => parse(value), { message: 'expected an integer from 1 to 10' }, value);
    }
    const wide = integerOption(0, Number.MAX_SAFE_INTEGER);
    assert.equal(wide(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.throws(() => wide('9007199254740993'), /expected an integer/);
  });
});
