// V8 settings for a long-running node process, applied by the `bayledger` entry point
// (bin/bayledger.js) before the CLI loads, because Node accepts `--interrupt-budget` on its command
// line but not in NODE_OPTIONS, and a node started by an operator's service manager should not need
// to know about it.
//
// V8 hands a function to its optimising compiler once the function has spent an "interrupt budget"
// of executed bytecode since its last check (V8's TieringManager). A node's per-height work (libp2p
// streams, Noise frames, consensus messages, the store's commit) runs a few dozen times a second,
// so with the default budget (67,584 in Node 20) much of it still ran in V8's baseline tier well
// after a minute: perf at 20 tx/s put the inline-cache stub that unoptimised code calls
// (Builtins_LoadIC, 5.6%) and baseline call prologues (2.2%) among the seven nodes' largest items.
// A quarter of the default makes that code reach the optimising tier sooner. Measured with 4
// validators and 3 followers on 2 cores, alternating runs (load 2.6-7.7): at 20 tx/s the nodes'
// CPU per height fell from 60.3 / 58.5 to 53.0 / 50.0 ms, at 400 tx/s their CPU per transaction
// from 4.56 / 4.54 to 4.49 / 4.43 ms; a budget of 4,096 measured no better. At saturation, the
// flag toggled on one build in two alternating pairs: 496 / 637 -> 685 / 731 tx/s (node CPU per
// transaction 3.74 / 2.93 -> 2.75 / 2.53 ms); docs/ARCHITECTURE.md decision 40 has the rest.
import { setFlagsFromString } from 'node:v8';

/** V8's interrupt budget for node processes (bytes of bytecode executed between tier-up checks). */
export const V8_INTERRUPT_BUDGET = 16_384;

/** The V8 flag to set, unless the process was started with its own `--interrupt-budget`. */
export function interruptBudgetFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((argument) => argument.startsWith('--interrupt-budget'))) return undefined;
  return `--interrupt-budget=${V8_INTERRUPT_BUDGET}`;
}

/**
 * V8 flags a node process needs on its command line: V8 reads them when it creates the heap, so
 * neither setFlagsFromString nor NODE_OPTIONS can set them (Node refuses this one there).
 *
 * `--initial-old-space-size` keeps V8 from setting its old generation's allocation limit just
 * above the live heap. Without it, a node moving a payload (hundreds of MB/s of short-lived
 * buffers) could fall into a mode of one mark-compact after another for the whole transfer,
 * each marking started for "allocation limit" with 20 MB live against a 44 MB limit (decision
 * 48): 31-63 mark-compacts in a run against 2, and the storming node spent half again its CPU.
 * With 64 MB no run stormed (one mark-compact per node per run) and with 128 none at all; 64
 * bounds what the setting can add to a node's heap before its first mark-compact. Alternating
 * `--only payload` runs, 2026-11-27 (decision 50): without it 80-117 MB/s (median 92, 8 runs;
 * storms of 31-63 in 3, 9 on one node in 2 more), with 64 MB 99-114 (4 runs), with 128 MB 98-127
 * (8 runs). The memory benchmark's
 * RSS did not move (261 / 265 / 263 MB settled).
 */
export const NODE_HEAP_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The flag's name: `--initial-old-space-size=64` -> `--initial-old-space-size`. */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replaceAll('_', '-');
}

/**
 * `command` ([node, ...arguments]) with the NODE_HEAP_FLAGS it does not set itself, placed right
 * after the executable, where Node takes its own flags. A flag already given keeps its value.
 */
export function withNodeHeapFlags(command: readonly string[]): string[] {
  const [executable, ...rest] = command;
  if (executable === undefined) return [];
  return [executable, ...missingNodeHeapFlags(rest), ...rest];
}

/** The NODE_HEAP_FLAGS `execArgv` lacks (by default this process's: a node logs them at start). */
export function missingNodeHeapFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(flagName));
  return NODE_HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/** Applies the settings above to this process; call it before the code it should affect loads. */
export function tuneV8(execArgv: readonly string[] = process.execArgv): void {
  const flag = interruptBudgetFlag(execArgv);
  if (flag !== undefined) setFlagsFromString(flag);
}
