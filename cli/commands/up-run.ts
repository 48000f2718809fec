// `bayledger up [--dir DIR]`: a whole local network on 127.0.0.1. Runs `network init` into DIR
// when it holds no network yet, starts every node as its own process (logs in DIR/<org>/node.log),
// waits until they are connected, prints each node's role and API URL, writes DIR/nodes.json and
// keeps running until Ctrl-C or SIGTERM, when it stops every node.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { startLocalNetwork } from '../../src/node/local-network.js';
import { printResult } from '../output.js';
import { networkInit } from './network-init.js';

export interface UpOptions {
  readonly dir: string;
  readonly basePort: number;
  readonly logLevel: string;
  readonly json?: boolean;
  readonly exit?: boolean;
}

async function isEmptyOrMissing(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).length === 0;
  } catch {
    return true;
  }
}

/** The command line that runs this same CLI in a child process (compiled or under tsx). */
export function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

export async function up(options: UpOptions): Promise<void> {
  const directory = path.resolve(options.dir);
  if (await isEmptyOrMissing(directory)) {
    process.stderr.write(`creating a local network in ${directory}\n`);
    await networkInit({ out: directory, basePort: options.basePort, json: false, quiet: true });
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
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('stopping the network\n');
  await network.stop();
}
