// `bayledger transfer declare|assess|status|wait`: registration only; the implementation is
// imported when a command runs (transfer-run.ts).
import { type Command, Option } from 'commander';
import { integerOption } from '../program.js';
import { apiOptions } from './consent.js';
import { collect } from './transfer-api.js';

export function registerTransferCommands(program: Command): void {
  const transfer = program
    .command('transfer')
    .description('declare, assess and follow cross-border transfers');
  apiOptions(
    transfer
      .command('declare')
      .description('hand item files to the hospital node, which encrypts them and declares the transfer')
      .requiredOption('--consent <id>', 'consent id the transfer is made under')
      .requiredOption('--recipient <org>', 'receiving organisation, e.g. ehealth-hk')
      .requiredOption(
        '--item <category=path>',
        'one item: CATEGORY=PATH or CATEGORY:DOCUMENT-TYPE=PATH (repeat for more)',
        collect,
      )
      .option(
        '--uid <uid>',
        "an item's own DICOM UID, in --item order (repeat; default: a new 2.25 UID)",
        collect,
      )
      .option('--route <route>', 'legal route (policy routes)', 'certification')
      .option('--filing-reference <ref>', "the route's filing reference, when it needs one")
      .option('--timeout <s>', 'seconds to wait for the commit', integerOption(1, 3600), 120),
    true,
  ).action(async (options) => (await import('./transfer-run.js')).transferDeclare(options));
  apiOptions(
    transfer
      .command('assess')
      .description(
        "a regulator's assessment of a transfer awaiting it, signed by the node it is sent to: give the " +
          "regulator's own node with --api (default: the first validator in DIR/nodes.json)",
      )
      .argument('<id>', 'transfer id')
      .addOption(
        new Option('--decision <decision>', 'approve or reject')
          .choices(['approve', 'reject'])
          .makeOptionMandatory(),
      )
      .requiredOption('--reason <code>', 'reason code, e.g. OK or PURPOSE_DISPROPORTIONATE')
      .option('--timeout <s>', 'seconds to wait for the commit', integerOption(1, 3600), 60),
    true,
  ).action(async (id, options) => (await import('./transfer-run.js')).transferAssess(id, options));
  apiOptions(
    transfer
      .command('status')
      .description("a transfer's status, reasons and progress")
      .argument('<id>', 'transfer id'),
    false,
  ).action(async (id, options) => (await import('./transfer-run.js')).transferStatus(id, options));
  apiOptions(
    transfer
      .command('wait')
      .description('wait until a transfer is approved, delivered or rejected')
      .argument('<id>', 'transfer id')
      .addOption(
        new Option('--until <status>', 'approved, delivered or rejected')
          .choices(['approved', 'delivered', 'rejected'])
          .makeOptionMandatory(),
      )
      .option('--timeout <s>', 'seconds to wait', integerOption(1, 86_400), 120),
    false,
  ).action(async (id, options) => (await import('./transfer-run.js')).transferWait(id, options));
}
