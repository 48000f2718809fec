// `bayledger node start`: registration only; the implementation (which loads libp2p and
// LevelDB) is imported when the command runs.
import type { Command } from 'commander';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a node');
  node
    .command('start')
    .description('run one node until SIGINT/SIGTERM, then shut down cleanly')
    .requiredOption('--config <file>', "the node's node.json (written by network init)")
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
    .option(
      '--stop-on-stdin-end',
      'also stop cleanly when standard input ends (how up and demo start their nodes)',
    )
    .action(async (options) => (await import('./node-start.js')).nodeStart(options));
}
