// `bayledger audit ...` (issue 6 item 5): the node's audit views (GET /audit/...), printed as
// tables for people or as JSON. Every line is a ledger fact; `chain proof TXID --bundle` proves
// any transaction named here offline.
import { parseHex } from '../../src/core/bytes.js';
import { fail } from '../../src/core/errors.js';
import type { PatientAudit, TransferAudit } from '../../src/node/transfer-service/audit.js';
import { printResult, renderTable } from '../output.js';
import { type ApiOptions, resolveApi } from './transfer-api.js';

type Options = ApiOptions & { readonly json?: boolean };

function hexArgument(text: string, what: string): string {
  if (parseHex(text)?.byteLength !== 32) fail('USAGE', `${what} is 64 lowercase hex digits`);
  return text;
}

/** The argument is checked before the node's address and token are read: a typo is a usage error. */
export async function readTransferAudit(options: ApiOptions, id: string): Promise<TransferAudit> {
  const transferId = hexArgument(id, 'a transfer id');
  const api = await resolveApi(options);
  return (await api.client.getJson(`/audit/transfers/${transferId}`)) as TransferAudit;
}

export function formatTransferAudit(audit: TransferAudit): string {
  const summary = renderTable(
    ['field', 'value'],
    [
      ['transfer', audit.transferId],
      ['status', `${audit.status}${audit.reasons.length > 0 ? ` (${audit.reasons.join(', ')})` : ''}`],
      ['patient', audit.patient ?? '-'],
      ['from -> to', `${audit.sender} -> ${audit.recipient} (route ${audit.route.id})`],
      [
        'consent',
        audit.consent === null ? 'not on the ledger' : `${audit.consent.consentId} (${audit.consent.status})`,
      ],
      ['items', audit.declaration.items.map((item) => `${item.category} ${item.sizeBytes} B`).join(', ')],
      ['payload root', audit.declaration.payload.root],
      ['approved at', audit.approval === null ? '-' : `height ${audit.approval.height}`],
      ['certified by', audit.approval === null ? '-' : audit.approval.signers.join(', ')],
    ],
  );
  const timeline = renderTable(
    ['height', 'time', 'event', 'detail'],
    audit.timeline.map((event) => [String(event.height), event.time, event.event, event.detail]),
  );
  return `${summary}\n\n${timeline}`;
}

export async function auditTransfer(id: string, options: Options): Promise<void> {
  const audit = await readTransferAudit(options, id);
  if (options.json) return printResult(audit, { json: true });
  process.stdout.write(`${formatTransferAudit(audit)}\n`);
}

export async function auditPatient(key: string, options: Options): Promise<void> {
  const patientKey = hexArgument(key, 'a patient key');
  const api = await resolveApi(options);
  const audit = (await api.client.getJson(`/audit/patients/${patientKey}`)) as PatientAudit;
  if (options.json) return printResult(audit, { json: true });
  const write = (text: string) => process.stdout.write(`${text}\n`);
  write(
    `patient ${audit.patient}: ${audit.consents.length} consent(s), ${audit.transfers.length} transfer(s)\n`,
  );
  if (audit.truncated) {
    write('NOTE: this patient has more records than one audit lists; the list below is not complete.\n');
  }
  if (audit.consents.length > 0) {
    write(
      renderTable(
        ['consent', 'status', 'granted', 'purpose', 'categories', 'valid until'],
        audit.consents.map((c) => [
          c.consentId,
          c.accepted ? c.status : `rejected (${c.reasons.join(', ')})`,
          String(c.grantedAtHeight),
          c.purpose || '-',
          c.categories.join(',') || '-',
          c.validUntil || '-',
        ]),
      ),
    );
    write('');
  }
  if (audit.transfers.length > 0) {
    write(
      renderTable(
        ['transfer', 'status', 'declared', 'approved', 'receipt', 'categories', 'reasons'],
        audit.transfers.map((t) => [
          t.transferId,
          t.status,
          String(t.declaredAtHeight),
          t.approvedAtHeight === null ? '-' : String(t.approvedAtHeight),
          t.receiptAtHeight === null ? '-' : String(t.receiptAtHeight),
          t.categories.join(','),
          t.reasons.join(', ') || '-',
        ]),
      ),
    );
  }
}
