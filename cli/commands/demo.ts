// `bayledger demo`: registration only; the scenario is imported when the command runs
// (demo-run.ts). `npm start` builds and runs it.
import type { Command } from 'commander';
import { integerOption } from '../program.js';
import { DEFAULT_NETWORK_DIR, withLocalNetworkOptions } from './up.js';

export function registerDemoCommand(program: Command): void {
  withLocalNetworkOptions(
    program
      .command('demo')
      .description(
        'play the cross-border transfer scenario on the local network of DIR (started if not live)',
      )
      .option(
        '--dir <dir>',
        'local network folder (created and started like `up` when needed)',
        DEFAULT_NETWORK_DIR,
      )
      .option('--payload-mb <n>', 'size of the synthetic imaging study in MiB', integerOption(1, 4096), 50),
  )
    .option('--exit', 'stop the network it started once the scenario is done')
    .option('--json', 'narrate on stderr and print a JSON summary on stdout')
    .action(async (options) => (await import('./demo-run.js')).demo(options));
}
