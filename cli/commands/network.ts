// `bayledger network ...`: create and check network configurations. Registration stays light:
// each action imports its implementation on use, so `bayledger --help` does not load it.
import type { Command } from 'commander';
import { integerOption } from '../program.js';

export const DEFAULT_BASE_PORT = 7100;

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('create and check network configurations');
  network
    .command('init')
    .description('generate a local network (genesis, node configs, keys, API tokens) from a template')
    .requiredOption('--out <dir>', 'new or empty folder for the network')
    .option('--template <file>', 'network template (default: network-config/gba-health.json)')
    .option(
      '--base-port <n>',
      'first port: p2p = base + 2i, api = base + 2i + 1; 0 = free ports from the OS',
      integerOption(0, 65535),
      DEFAULT_BASE_PORT,
    )
    .option('--chain-id <id>', "chain id (default: the template's)")
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./network-init.js')).networkInit(options));
  network
    .command('check')
    .description('validate a genesis file or a template; print OK or the exact problem')
    .argument('<file>', 'genesis.json or a template')
    .option('--json', 'print JSON')
    .action(async (file, options) => (await import('./network-check.js')).networkCheck(file, options));
}
