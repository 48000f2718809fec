// `bayledger audit transfer|patient`: registration only; the implementation is imported when a
// command runs (audit-run.ts).
import type { Command } from 'commander';
import { apiOptions } from './consent.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('what the ledger proves about a transfer or a patient');
  apiOptions(
    audit
      .command('transfer')
      .description('timeline: consent, declaration, verdict, assessments, approval and its signers, receipt')
      .argument('<id>', 'transfer id'),
    false,
  ).action(async (id, options) => (await import('./audit-run.js')).auditTransfer(id, options));
  apiOptions(
    audit
      .command('patient')
      .description("all of one patient's consents and transfers")
      .argument('<pubkey>', "the patient's public key (their pseudonym, 64 hex digits)"),
    false,
  ).action(async (key, options) => (await import('./audit-run.js')).auditPatient(key, options));
}
