// `bayledger demo --exit` on a network it starts: at the end of the scenario it stops that network
// and exits 0, leaving no process. And when a node of that network dies mid-scenario (decision 46)
// the demo must stop the network and exit 1 naming the node, how it ended (SIGKILL) and its log, whichever
// step was running, instead of failing that step with a refused request or waiting out its
// delivery timeout (600 s). The recipient ehealth-hk is killed as the imaging-study step starts:
// with a 200 MiB study the scenario has many seconds left (writing, sealing, declaring and
// delivering it), so the kill always lands while the demo is running.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processesMentioning, type RunningChild, runCommand, startChild } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';
import { waitFor } from '../helpers/wait.js';

const VICTIM = 'ehealth-hk';
const PAYLOAD_MB = 200;
/** The narration line that opens the imaging-study step (cli/commands/demo-run.ts). */
const STEP_TWO = `2. a ${PAYLOAD_MB} MiB imaging study and its report`;
/**
 * How long the demo may take to notice the death, stop the other six nodes and exit: the exit is
 * seen at once (the child's close), stopping takes a few seconds; far below the 600 s the
 * delivery would wait without the node-exit handling.
 */
const EXIT_DEADLINE_MS = 60_000;

describe('bayledger demo --exit on a network it starts', function () {
  this.timeout(240_000);
  let root: string;
  let dir: string;
  let demo: RunningChild | undefined;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bayledger-demo-death-'));
    dir = path.join(root, 'net');
  });

  after(async () => {
    // Only if the test failed: nothing of this network may outlive it.
    const child = demo?.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await demo!.exited;
    }
    for (const pid of await processesMentioning(path.join(root, path.sep))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(root, { recursive: true, force: true });
  });

  it('stops the network it started once the scenario is done, exits 0 and leaves no process', async () => {
    const quickDir = path.join(root, 'quick');
    const result = await runCommand(
      [...(await cliCommand()), 'demo', '--dir', quickDir, '--base-port', '0', '--payload-mb', '1', '--exit'],
      { cwd: REPO_ROOT, timeoutMs: 150_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /inspect it yourself/);
    assert.match(result.stdout, /stopping the network\n$/);
    // Nothing asks a network that is gone: only what works without it is offered.
    assert.doesNotMatch(result.stdout, /--api http/);
    assert.match(result.stdout, /once the network has stopped: bayledger chain verify/);
    assert.deepEqual(await processesMentioning(path.join(quickDir, path.sep)), []);
  });

  it('when a node dies mid-scenario, fails with exit 1 naming the node, SIGKILL and its log, and leaves no process', async () => {
    const cli = await cliCommand();
    demo = startChild(
      [...cli, 'demo', '--dir', dir, '--base-port', '0', '--payload-mb', String(PAYLOAD_MB), '--exit'],
      { cwd: REPO_ROOT },
    );
    const { output } = demo;
    // 'close', not 'exit': by then both pipes have delivered everything the demo wrote.
    let closed: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    demo.process.once('close', (code, signal) => {
      closed = { code, signal };
    });
    const transcript = () => `--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`;
    const started = await waitFor(
      'the imaging-study step',
      () => (output.stdout.includes(STEP_TWO) ? 'running' : closed === undefined ? undefined : 'ended'),
      { timeoutMs: 150_000, intervalMs: 50 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${transcript()}`);
    });
    assert.equal(started, 'running', `the demo ended before its imaging-study step\n${transcript()}`);
    const [pid, ...others] = await processesMentioning(path.join(dir, VICTIM, 'node.json'));
    assert.ok(pid !== undefined, `no process for ${VICTIM}`);
    assert.deepEqual(others, [], `one process for ${VICTIM}`);
    process.kill(pid, 'SIGKILL');
    // The kill must land mid-scenario, or this test checks nothing: the demo has not ended yet.
    assert.equal(closed, undefined, transcript());
    assert.doesNotMatch(output.stdout, /inspect it yourself/);

    const ended = await waitFor('the demo to exit', () => closed, {
      timeoutMs: EXIT_DEADLINE_MS,
      intervalMs: 50,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${transcript()}`);
    });
    assert.deepEqual(ended, { code: 1, signal: null }, transcript());
    // The one error line: placed at the node's log, naming the node, the signal and when.
    const log = path.join(dir, VICTIM, 'node.log');
    const error = output.stderr.trimEnd().split('\n').at(-1) ?? '';
    assert.ok(
      error.startsWith(`bayledger: error: ${log}: node ${VICTIM} exited on SIGKILL during the demo; `),
      transcript(),
    );
    assert.doesNotMatch(output.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await processesMentioning(path.join(dir, path.sep)), []);
  });
});
