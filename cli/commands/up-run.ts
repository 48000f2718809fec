// `bayledger up [--dir DIR] [--template FILE]`: a whole local network on 127.0.0.1. Runs `network
// init` into DIR (from FILE, default the gba-health sample) when it holds no network yet, starts
// every node as its own process (logs in DIR/<org>/node.log), waits until they are connected,
// prints each node's role and API URL, writes DIR/nodes.json and keeps running until Ctrl-C or
// SIGTERM, when it stops every node. A node that exits on its own stops the whole network with
// exit 1, naming the node, its exit code and its last log lines.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../../src/core/errors.js';
import {
  type LocalNetwork,
  nodeExitError,
  raceNodeExit,
  startLocalNetwork,
} from '../../src/node/local-network.js';
import { printResult } from '../output.js';
import { networkInit, refuseFileAsNetworkFolder } from './network-init.js';

export interface UpOptions {
  readonly dir: string;
  /** The template `network init` uses when the folder holds no network yet. */
  readonly template?: string;
  readonly basePort: number;
  readonly logLevel: string;
  readonly json?: boolean;
  readonly exit?: boolean;
}

async function isEmptyOrMissing(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).length === 0;
  } catch (error) {
    // A file there is neither: refused before anything is created or started.
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') refuseFileAsNetworkFolder(directory);
    return true;
  }
}

/** The command line that runs this same CLI in a child process (compiled or under tsx). */
export function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
/** Any period works: the timer only holds the event loop open (see keepNetworkRunning). */
const KEEP_ALIVE_MS = 60_000;

/**
 * Waits for `work` while watching `network`, which this command started: if a node exits on its
 * own first (or just after `work` failed, see raceNodeExit), says so with `say`, stops the
 * network and fails with the node's organisation, exit code or signal, last log lines and log
 * file (exit 1). `up` waits this way for a stop signal, `demo` for its scenario.
 */
export async function untilNodeExits<T>(
  network: LocalNetwork,
  work: Promise<T>,
  when: string,
  say: (text: string) => void,
): Promise<T> {
  const outcome = await raceNodeExit(network.nodeExit, work);
  if (!('exit' in outcome)) return outcome.value;
  say(`node ${outcome.exit.org} exited: stopping the network\n`);
  await network.stop();
  throw nodeExitError(outcome.exit, when);
}

/**
 * Keeps `network` running until Ctrl-C or SIGTERM, then stops it. A node that exits in the
 * meantime stops the others and fails (exit 1) with its name, exit code and last log lines.
 *
 * The CLI awaits its command at the top level of cli/main.ts, and Node ends a process whose event
 * loop is empty while a top-level await is unsettled with exit code 13 and no message. Signal
 * listeners do not hold the loop open; only the children's pipes did, so once every node had died
 * `up` used to end silently with 13. The keep-alive timer holds the loop open while we wait, and
 * the wait also ends when a node exits, so neither a silent 13 nor a hang can happen. (runProgram
 * in cli/program.ts now fails any command left waiting on an empty loop, but with a message that
 * says only that; `up` must name the node instead.)
 */
export async function keepNetworkRunning(network: LocalNetwork): Promise<void> {
  const keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
  let onSignal: () => void = () => {};
  const signalled = new Promise<undefined>((resolve) => {
    onSignal = () => resolve(undefined);
    for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
  });
  try {
    await untilNodeExits(network, signalled, 'while the network was running', (text) =>
      process.stderr.write(text),
    );
    process.stderr.write('stopping the network\n');
    await network.stop();
  } finally {
    clearInterval(keepAlive);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

export async function up(options: UpOptions): Promise<void> {
  const directory = path.resolve(options.dir);
  if (await isEmptyOrMissing(directory)) {
    process.stderr.write(`creating a local network in ${directory}\n`);
    await networkInit({
      out: directory,
      ...(options.template === undefined ? {} : { template: options.template }),
      basePort: options.basePort,
      json: false,
      quiet: true,
    });
  } else if (options.template !== undefined) {
    // Starting the folder's own network instead would silently run another channel than asked.
    fail(
      'FILE_EXISTS',
      'is not empty; --template only chooses the network up creates in an empty folder',
      directory,
    );
  }
  const network = await startLocalNetwork({
    dir: directory,
    command: selfCommand(),
    logLevel: options.logLevel,
    onProgress: (message) => process.stderr.write(`  ${message}\n`),
  });
  printResult(
    network.nodes.map((node) => ({ org: node.org, role: node.role, api: node.api, log: node.log })),
    { json: options.json },
  );
  process.stderr.write(`nodes.json written to ${path.join(directory, 'nodes.json')}\n`);
  if (options.exit) {
    await network.stop();
    return;
  }
  process.stderr.write('network running; press Ctrl-C to stop it\n');
  await keepNetworkRunning(network);
}
