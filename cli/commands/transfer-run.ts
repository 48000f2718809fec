// `bayledger transfer ...` (issue 6 item 2). Declaring streams the item files, back to back, to
// the hospital node (POST /uploads/sealed), which seals them for the recipient as they arrive,
// then asks it to declare (POST /transfers): the node builds the manifest with salted item
// commitments, signs and submits. The CLI prints the committed verdict: { transferId, txId,
// height, status, reasons }.
import { parseHex } from '../../src/core/bytes.js';
import { fail } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { filingReferenceSchema, idSchema, reasonCodeSchema } from '../../src/core/records/fields.js';
import { checkDocumentUid } from '../../src/node/transfer-service/item-commitment.js';
import { printResult } from '../output.js';
import { asUsageError, checkOptionValue } from '../program.js';
import { committedVerdict } from './consent-run.js';
import { type ApiOptions, type NodeApi, pollUntil, resolveApi, uploadSealed } from './transfer-api.js';

/** The document type an item gets when the command line names only its category. */
const DEFAULT_DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  'imaging-study': 'dicom-study',
  'radiology-report': 'pdf-report',
  'lab-result': 'lab-report',
  'genetic-test-result': 'lab-report',
  'discharge-summary': 'pdf-report',
  'medication-record': 'structured-record',
  'allergy-record': 'structured-record',
  'immunisation-record': 'structured-record',
  'population-health-data': 'dataset',
};

export interface ItemSpec {
  readonly category: string;
  readonly documentType: string;
  readonly path: string;
}

/** CATEGORY=PATH or CATEGORY:DOCUMENT-TYPE=PATH. */
export function parseItem(text: string): ItemSpec {
  const split = text.indexOf('=');
  if (split <= 0 || split === text.length - 1) fail('USAGE', `--item ${text}: expected CATEGORY=PATH`);
  const [category, documentType] = text.slice(0, split).split(':', 2) as [string, string | undefined];
  return {
    category,
    documentType: documentType ?? DEFAULT_DOCUMENT_TYPES[category] ?? 'document',
    path: text.slice(split + 1),
  };
}

function transferIdArgument(id: string): string {
  if (parseHex(id)?.byteLength !== 32) fail('USAGE', 'a transfer id is 64 lowercase hex digits');
  return id;
}

export interface DeclareOptions extends ApiOptions {
  readonly consent: string;
  readonly recipient: string;
  readonly item: string[];
  readonly uid?: string[];
  readonly route: string;
  readonly filingReference?: string;
  readonly timeout: number;
  readonly json?: boolean;
  /** Called once every item is uploaded and sealed, before the node is asked to declare. */
  readonly onUploaded?: () => void;
}

export interface DeclareResult {
  transferId: string;
  txId: string;
  height: number;
  status: string;
  reasons: string[];
}

export interface TransferView {
  transferId: string;
  status: string;
  reasons: string[];
  patient: string | null;
  declaration: {
    consentId: string;
    sender: string;
    recipient: string;
    route: { id: string; filingReference?: string };
    items: { category: string; documentType: string; sizeBytes: number; digest: string }[];
    payload: { root: string; bytes: number; chunkCount: number };
  };
  requiredAssessors: string[];
  pendingAssessors: string[];
  assessments: { assessor: string; decision: string; reason: string; height: number }[];
  declaredAtHeight: number;
  approvedAtHeight: number | null;
  receipt: { accepted: boolean; reason: string; height: number; payloadRoot: string } | null;
}

/**
 * What the node would refuse in the declaration, checked before any file is streamed to it: a bad
 * --uid, --filing-reference, --recipient, --route or --item category or document type used to be
 * refused only after the whole upload (and as a failure, exit 1, not a usage error).
 */
function checkBeforeUpload(
  options: DeclareOptions,
  items: readonly ItemSpec[],
  uids: readonly string[],
): void {
  checkOptionValue(idSchema, options.recipient, '--recipient');
  checkOptionValue(idSchema, options.route, '--route');
  for (const item of items) {
    checkOptionValue(idSchema, item.category, `--item ${item.category}`);
    checkOptionValue(idSchema, item.documentType, `--item ${item.category}:${item.documentType}`);
  }
  for (const uid of uids) asUsageError(() => checkDocumentUid(uid, `--uid ${uid}`));
  if (options.filingReference !== undefined) {
    checkOptionValue(filingReferenceSchema, options.filingReference, '--filing-reference');
  }
}

export async function declareTransfer(options: DeclareOptions): Promise<DeclareResult> {
  if (parseHex(options.consent)?.byteLength !== 32) fail('USAGE', '--consent: 64 lowercase hex digits');
  const items = options.item.map(parseItem);
  const uids = options.uid ?? [];
  if (uids.length > items.length) fail('USAGE', 'more --uid than --item');
  checkBeforeUpload(options, items, uids);
  // Sealing a large payload comes before the node's commit wait: allow for both.
  const api = await resolveApi(options, {
    role: 'submitter',
    write: true,
    timeoutMs: options.timeout * 1000 + LIMITS.maxApiCommitWaitMs,
  });
  // One request carries every file; the node seals them for the recipient as they arrive.
  const sealed = await uploadSealed(
    api,
    items.map((item) => item.path),
    options.recipient,
  );
  options.onUploaded?.();
  const request = {
    consentId: options.consent,
    recipient: options.recipient,
    route:
      options.filingReference === undefined
        ? { id: options.route }
        : { id: options.route, filingReference: options.filingReference },
    sealedUpload: sealed.sealedUpload,
    items: items.map((item, i) => ({
      category: item.category,
      documentType: item.documentType,
      ...(uids[i] === undefined ? {} : { uid: uids[i] }),
    })),
  };
  const answer = (await api.client.postJson('/transfers', request)) as DeclareResult & { status: string };
  if (answer.status !== 'pending') return answer;
  // Sealing a large payload and the commit took longer than the node waits: follow up here.
  const verdict = await committedVerdict(api, answer.txId, options.timeout);
  // A declaration the ledger refused (an unknown category, a consent that does not cover it)
  // records no transfer: its verdict's reasons are all there is.
  if (verdict.accepted !== true) {
    return {
      transferId: answer.transferId,
      txId: answer.txId,
      height: verdict.height ?? 0,
      status: 'rejected',
      reasons: verdict.reasons ?? [],
    };
  }
  const view = await readTransfer(api, answer.transferId);
  return {
    transferId: answer.transferId,
    txId: answer.txId,
    height: verdict.height ?? 0,
    status: view.status,
    reasons: view.reasons,
  };
}

/**
 * Prints the verdict, then exits 1 when the declaration was rejected (refused by the ledger, or
 * rejected by the policy with its reasons), like a refused consent grant or assessment: a script
 * must not take a rejected transfer for a declared one. Approved and awaiting-assessment are
 * successes: the declaration is on the ledger and the transfer may go ahead.
 */
export async function transferDeclare(options: DeclareOptions): Promise<void> {
  const result = await declareTransfer(options);
  printResult(result, { json: options.json });
  if (result.status === 'rejected') {
    fail(
      'RECORD_INVALID',
      `the declaration was rejected at height ${result.height}: ${result.reasons.join(', ') || 'no reasons given'}`,
    );
  }
}

export async function readTransfer(api: NodeApi, id: string): Promise<TransferView> {
  return (await api.client.getJson(`/transfers/${id}`)) as TransferView;
}

interface AssessOptions extends ApiOptions {
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  readonly timeout: number;
  readonly json?: boolean;
}

export interface AssessResult {
  transferId: string;
  txId: string;
  height: number;
  accepted: boolean;
  reasons: string[];
  status: string;
}

export async function assessTransfer(id: string, options: AssessOptions): Promise<AssessResult> {
  transferIdArgument(id);
  checkOptionValue(reasonCodeSchema, options.reason, '--reason');
  // The node the assessment is sent to signs it: a regulator gives its own with --api. Without
  // one, the first validator in nodes.json (never just the first node listed, which may be a
  // hospital or a recipient and would refuse it).
  const api = await resolveApi(options, { role: 'validator', write: true });
  const answer = (await api.client.postJson(`/transfers/${id}/assess`, {
    decision: options.decision,
    reason: options.reason,
  })) as AssessResult & { status: string };
  const verdict =
    answer.status === 'pending' ? await committedVerdict(api, answer.txId, options.timeout) : answer;
  const view = await readTransfer(api, id);
  const result: AssessResult = {
    transferId: id,
    txId: answer.txId,
    height: verdict.height ?? 0,
    accepted: verdict.accepted === true,
    reasons: verdict.reasons ?? [],
    status: view.status,
  };
  return result;
}

export async function transferAssess(id: string, options: AssessOptions): Promise<void> {
  const result = await assessTransfer(id, options);
  printResult(result, { json: options.json });
  if (!result.accepted) {
    fail('RECORD_INVALID', `the assessment was refused by the ledger: ${result.reasons.join(', ')}`);
  }
}

/** The fields `transfer status` prints (the full record is GET /transfers/ID). */
export function statusView(view: TransferView) {
  return {
    transferId: view.transferId,
    status: view.status,
    reasons: view.reasons,
    sender: view.declaration.sender,
    recipient: view.declaration.recipient,
    consentId: view.declaration.consentId,
    route: view.declaration.route.id,
    items: view.declaration.items.map((item) => `${item.category} (${item.sizeBytes} B)`),
    payloadBytes: view.declaration.payload.bytes,
    declaredAtHeight: view.declaredAtHeight,
    requiredAssessors: view.requiredAssessors,
    pendingAssessors: view.pendingAssessors,
    assessments: view.assessments.map((a) => `${a.assessor}: ${a.decision} (${a.reason}) at ${a.height}`),
    approvedAtHeight: view.approvedAtHeight,
    receipt:
      view.receipt === null
        ? null
        : { accepted: view.receipt.accepted, reason: view.receipt.reason, height: view.receipt.height },
  };
}

export async function transferStatus(
  id: string,
  options: ApiOptions & { readonly json?: boolean },
): Promise<void> {
  const api = await resolveApi(options);
  printResult(statusView(await readTransfer(api, transferIdArgument(id))), { json: options.json });
}

const REACHED: Readonly<Record<string, readonly string[]>> = {
  approved: ['approved', 'delivered'],
  delivered: ['delivered'],
  rejected: ['rejected'],
};

/** States from which the awaited one can no longer be reached. */
const NEVER: Readonly<Record<string, readonly string[]>> = {
  approved: ['rejected', 'receipt-mismatch'],
  delivered: ['rejected', 'receipt-mismatch'],
  rejected: ['approved', 'delivered', 'receipt-mismatch'],
};

export async function waitForTransfer(
  api: NodeApi,
  id: string,
  until: 'approved' | 'delivered' | 'rejected',
  timeoutS: number,
  /** Between two reads of the transfer; a benchmark asks more often than a person needs. */
  intervalMs?: number,
): Promise<TransferView> {
  return pollUntil(
    `transfer ${id} ${until}`,
    async () => {
      const view = await readTransfer(api, id);
      if (REACHED[until]!.includes(view.status)) return view;
      if (NEVER[until]!.includes(view.status)) {
        fail(
          'CONFLICT',
          `transfer ${id} is ${view.status} (${view.reasons.join(', ') || 'no reasons'}); it will not be ${until}`,
        );
      }
      return undefined;
    },
    timeoutS * 1000,
    intervalMs,
  );
}

export async function transferWait(
  id: string,
  options: ApiOptions & {
    readonly until: 'approved' | 'delivered' | 'rejected';
    readonly timeout: number;
    readonly json?: boolean;
  },
): Promise<void> {
  const api = await resolveApi(options);
  const view = await waitForTransfer(api, transferIdArgument(id), options.until, options.timeout);
  printResult(statusView(view), { json: options.json });
}
