// `bayledger consent grant|revoke|show`: registration only; the implementation is imported when
// a command runs (consent-run.ts).
import type { Command } from 'commander';
import { integerOption } from '../program.js';
import { DEFAULT_NETWORK_DIR } from './up.js';

export function apiOptions(command: Command, write: boolean): Command {
  command
    .option('--api <url>', 'node API (default: from DIR/nodes.json)')
    .option('--dir <dir>', 'local network folder with nodes.json', DEFAULT_NETWORK_DIR);
  if (write) command.option('--token-file <file>', "the node's api.token (default: named in DIR/nodes.json)");
  return command.option('--json', 'print JSON');
}

export function registerConsentCommands(program: Command): void {
  const consent = program.command('consent').description("a patient's consent to cross-border transfers");
  apiOptions(
    consent
      .command('grant')
      .description("sign a consent with the patient's key; the hospital node countersigns and submits it")
      .requiredOption('--patient-key <file>', 'patient key file (keys generate --kind patient)')
      .requiredOption('--recipient <org>', 'receiving organisation, e.g. ehealth-hk')
      .requiredOption(
        '--categories <list>',
        'comma-separated categories, e.g. imaging-study,radiology-report',
      )
      .requiredOption('--purpose <id>', 'purpose, e.g. continuity-of-care')
      .requiredOption(
        '--valid-until <date>',
        'end of validity (exclusive): YYYY-MM-DD (00:00 UTC), or a date-time with its zone such as 2026-12-31T12:00:00+08:00',
      )
      .option('--valid-from <date>', 'start of validity, in the same forms (default: now)')
      .option('--notice <file>', 'the notice the patient was shown (its SHA-256 goes on the ledger)')
      .option('--timeout <s>', 'seconds to wait for the commit', integerOption(1, 3600), 60),
    true,
  ).action(async (options) => (await import('./consent-run.js')).consentGrant(options));
  apiOptions(
    consent
      .command('revoke')
      .description('revoke a consent, signed by the patient; effective from the block that records it')
      .requiredOption('--consent <id>', 'consent id (64 hex digits)')
      .requiredOption('--patient-key <file>', 'patient key file')
      .option('--timeout <s>', 'seconds to wait for the commit', integerOption(1, 3600), 60),
    true,
  ).action(async (options) => (await import('./consent-run.js')).consentRevoke(options));
  apiOptions(
    consent.command('show').description('one consent as the ledger holds it').argument('<id>', 'consent id'),
    false,
  ).action(async (id, options) => (await import('./consent-run.js')).consentShow(id, options));
}
