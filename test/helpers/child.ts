// Child processes for tests: one place that spawns a command, collects its output as text and
// makes sure nothing outlives the test process. `runCommand` runs a command to completion (a
// hung one is SIGKILLed and its promise rejects, so it fails its test instead of stalling the
// suite); `startChild` starts a long-running one (`bayledger up`, `bayledger demo`) whose output
// a test polls while it runs.
import { type ChildProcess, execFile, spawn } from 'node:child_process';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The child leads a process group of its own, as a shell's foreground job does, so that a test
   * can signal the whole group (`process.kill(-pid, ...)`) the way a terminal's Ctrl-C does.
   */
  readonly processGroup?: boolean;
}

export interface RunCommandOptions extends ChildOptions {
  /** Kill the command and reject after this long. */
  readonly timeoutMs: number;
  /** How the command is named in the timeout error (default: its arguments). */
  readonly label?: string;
}

/** What a child has written so far; the fields grow while it runs. */
export interface ChildOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningChild {
  readonly process: ChildProcess;
  readonly output: ChildOutput;
  /** Resolves with the exit code once the process has exited (null after a signal). */
  readonly exited: Promise<number | null>;
}

/** Every live child the helpers started, SIGKILLed if the test process exits without stopping it. */
export const LIVE_CHILDREN = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE_CHILDREN) child.kill('SIGKILL');
});

/** Registers `child` in LIVE_CHILDREN until it exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  LIVE_CHILDREN.add(child);
  child.once('exit', () => LIVE_CHILDREN.delete(child));
  return child;
}

function spawnPiped(command: readonly string[], options: ChildOptions): RunningChild {
  const [executable, ...args] = command;
  if (executable === undefined) throw new Error('spawn: empty command line');
  const child = spawn(executable, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  trackChild(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    // A command that cannot be started (no such executable) never exits: report it as exit null.
    child.once('error', () => resolve(null));
  });
  return { process: child, output, exited };
}

/** Starts a long-running command with its output collected; the caller stops it. */
export function startChild(command: readonly string[], options: ChildOptions = {}): RunningChild {
  return spawnPiped(command, options);
}

/** Runs a command to completion, collecting its output; SIGKILLs it and rejects after `timeoutMs`. */
export function runCommand(command: readonly string[], options: RunCommandOptions): Promise<CliResult> {
  const label = options.label ?? command.slice(1).join(' ');
  return new Promise((resolve, reject) => {
    const { process: child, output } = spawnPiped(command, options);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} still running after ${options.timeoutMs} ms\nstderr: ${output.stderr}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': by then both pipes have delivered everything the child wrote.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: output.stdout, stderr: output.stderr });
    });
  });
}

/**
 * Process ids whose command line mentions `text` (a network folder: its nodes' --config paths),
 * this test process excluded. Read from `ps`, so Linux and macOS only.
 */
export function processesMentioning(text: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['-eo', 'pid=,args='], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error !== null) return reject(error);
      const pids = stdout
        .split('\n')
        .filter((line) => line.includes(text))
        .map((line) => Number.parseInt(line.trim(), 10))
        .filter((pid) => pid !== process.pid);
      resolve(pids);
    });
  });
}
