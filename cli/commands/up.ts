// `bayledger up`: registration only; the implementation is imported when the command runs.
import { type Command, Option } from 'commander';
import { LOG_LEVELS } from '../../src/node/log/logger.js';
import { integerOption } from '../program.js';
import { DEFAULT_BASE_PORT } from './network.js';

export const DEFAULT_NETWORK_DIR = '.bayledger/local';

/** The options of a command that starts a local network like `up` does (up and demo). */
export function withLocalNetworkOptions(command: Command): Command {
  return (
    command
      .option(
        '--base-port <n>',
        'first port for a new network (0: free ports)',
        integerOption(0, 65535),
        DEFAULT_BASE_PORT,
      )
      // Checked here, before anything starts: every node would otherwise be spawned only to
      // reject the level itself, and `up` would report that as a node dying during start-up.
      .addOption(new Option('--log-level <level>', 'node log level').choices([...LOG_LEVELS]).default('info'))
  );
}

export function registerUpCommand(program: Command): void {
  withLocalNetworkOptions(
    program
      .command('up')
      .description('run a whole local network (one process per organisation) until Ctrl-C')
      .option('--dir <dir>', 'network folder (created with network init if empty)', DEFAULT_NETWORK_DIR)
      .option(
        '--template <file>',
        'template of the network to create in an empty --dir (default: network-config/gba-health.json)',
      ),
  )
    .option('--exit', 'stop the network again once it is up (scripts and tests)')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./up-run.js')).up(options));
}
