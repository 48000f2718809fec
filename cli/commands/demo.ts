// `bayledger demo`: registration only; the scenario is imported when the command runs
// (demo-run.ts). `npm start` builds and runs it.
import type { Command } from 'commander';
import { integerOption } from '../program.js';
import { DEFAULT_BASE_PORT } from './network.js';
import { DEFAULT_NETWORK_DIR } from './up.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('play the cross-border transfer scenario on the local network of DIR (started if not live)')
    .option(
      '--dir <dir>',
      'local network folder (created and started like `up` when needed)',
      DEFAULT_NETWORK_DIR,
    )
    .option('--payload-mb <n>', 'size of the synthetic imaging study in MiB', integerOption(1, 4096), 50)
    .option(
      '--base-port <n>',
      'first port for a new network (0: free ports)',
      integerOption(0, 65535),
      DEFAULT_BASE_PORT,
    )
    .option('--log-level <level>', 'node log level', 'info')
    .option('--exit', 'stop the network it started once the scenario is done')
    .option('--json', 'narrate on stderr and print a JSON summary on stdout')
    .action(async (options) => (await import('./demo-run.js')).demo(options));
}
