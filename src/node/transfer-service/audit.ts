// Audit views (issue 6 item 5): the whole life of a transfer, and everything of one patient, read
// from this node's committed state and blocks. Everything shown is on the ledger, so any node
// gives the same answer and every step can be proven offline with `chain proof TXID --bundle`.
// Times are the committing blocks' times (UTC); signers are those of the commit certificate of
// the block that approved the transfer, i.e. the regulator quorum that made it final.
import { parseHex, toHex } from '../../core/bytes.js';
import { assert, fail } from '../../core/errors.js';
import type { StateReader } from '../../core/ledger/state-kv.js';
import {
  type ConsentRecord,
  consentStatusAt,
  getConsent,
  getOutcome,
  getPatientIndexEntry,
  getTransfer,
  type TransferRecord,
} from '../../core/ledger/views.js';
import { LIMITS } from '../../core/limits.js';
import type { ChainReader } from '../chain/chain-reader.js';
import type { LedgerStore } from '../store/ledger-store.js';

export interface TimelineEvent {
  height: number;
  time: string;
  event: string;
  txId: string | null;
  detail: string;
}

export interface ApprovalView {
  height: number;
  time: string;
  blockHash: string;
  round: number;
  signers: string[];
}

export interface TransferAudit {
  transferId: string;
  status: string;
  reasons: string[];
  patient: string | null;
  sender: string;
  recipient: string;
  route: { id: string; filingReference: string | null };
  consent: ConsentAudit | null;
  declaration: {
    txId: string;
    height: number;
    time: string;
    policyVersion: number;
    items: {
      category: string;
      documentType: string;
      sizeBytes: number;
      digest: string;
      itemCommitment: string;
    }[];
    payload: { root: string; bytes: number; chunkBytes: number; chunkCount: number };
  };
  verdict: { accepted: boolean; status: string; reasons: string[]; requiredAssessors: string[] };
  assessments: {
    assessor: string;
    decision: string;
    reason: string;
    height: number;
    time: string;
    txId: string;
  }[];
  approval: ApprovalView | null;
  receipt: {
    accepted: boolean;
    reason: string;
    payloadRoot: string;
    payloadRootMatchesDeclaration: boolean;
    height: number;
    time: string;
    txId: string;
  } | null;
  timeline: TimelineEvent[];
}

export interface ConsentAudit {
  consentId: string;
  status: string;
  purpose: string;
  categories: string[];
  allowedSenders: string[];
  recipient: string;
  validFrom: string;
  validUntil: string;
  grantedAtHeight: number;
  grantTxId: string;
  revokedAtHeight: number | null;
  revokeTxId: string | null;
}

/** Reads block times and certificates, each height once per view. */
class BlockFacts {
  readonly #reader: ChainReader;
  readonly #blocks = new Map<number, Promise<Awaited<ReturnType<ChainReader['block']>>>>();

  constructor(reader: ChainReader) {
    this.#reader = reader;
  }

  block(height: number) {
    let found = this.#blocks.get(height);
    if (found === undefined) {
      found = this.#reader.block(height);
      this.#blocks.set(height, found);
    }
    return found;
  }

  async time(height: number): Promise<string> {
    return new Date((await this.block(height)).header.timeMs).toISOString();
  }
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

async function consentAudit(record: ConsentRecord, nowSeconds: number): Promise<ConsentAudit> {
  const { grant } = record;
  return {
    consentId: toHex(record.consentId),
    status: consentStatusAt(record, nowSeconds),
    purpose: grant.purpose,
    categories: [...grant.categories],
    allowedSenders: [...grant.allowedSenders],
    recipient: grant.recipient,
    validFrom: isoSeconds(grant.validFrom),
    validUntil: isoSeconds(grant.validUntil),
    grantedAtHeight: record.grantedAtHeight,
    grantTxId: toHex(record.grantTxId),
    revokedAtHeight: record.revokedAtHeight,
    revokeTxId: record.revokeTxId === null ? null : toHex(record.revokeTxId),
  };
}

function statusAtDeclaration(accepted: boolean, reasons: readonly string[]): string {
  if (!accepted) return 'rejected';
  return reasons.includes('ASSESSMENT_REQUIRED') ? 'awaiting-assessment' : 'approved';
}

export class AuditViews {
  readonly #state: StateReader;
  readonly #store: LedgerStore;
  readonly #reader: ChainReader;
  readonly #nowSeconds: () => number;
  readonly #maxPatientEntries: number;

  /**
   * `nowSeconds`: the last block's time, against which consent status is reported.
   * `maxPatientEntries`: index entries one patient audit reads at most (a smaller bound: tests).
   */
  constructor(
    store: LedgerStore,
    reader: ChainReader,
    nowSeconds: () => number,
    maxPatientEntries: number = LIMITS.maxAuditPatientEntries,
  ) {
    this.#state = store.state;
    this.#store = store;
    this.#reader = reader;
    this.#nowSeconds = nowSeconds;
    assert(
      Number.isSafeInteger(maxPatientEntries) &&
        maxPatientEntries >= 1 &&
        maxPatientEntries <= LIMITS.maxAuditPatientEntries,
      `an audit reads 1 to ${LIMITS.maxAuditPatientEntries} entries of a patient`,
    );
    this.#maxPatientEntries = maxPatientEntries;
  }

  async transfer(transferId: Uint8Array): Promise<TransferAudit> {
    const record = getTransfer(this.#state, transferId);
    if (record === undefined) fail('NOT_FOUND', `no transfer ${toHex(transferId)}`);
    const facts = new BlockFacts(this.#reader);
    const consentRecord = getConsent(this.#state, record.declaration.consentId);
    const consent =
      consentRecord === undefined ? null : await consentAudit(consentRecord, this.#nowSeconds());
    const outcome = getOutcome(this.#state, record.declareTxId);
    const verdictReasons = outcome?.reasons ?? record.reasons;
    const accepted = outcome?.accepted ?? record.status !== 'rejected';
    const approval =
      record.approvedAtHeight === null ? null : await this.#approval(facts, record.approvedAtHeight);
    const audit: TransferAudit = {
      transferId: toHex(record.transferId),
      status: record.status,
      reasons: [...record.reasons],
      patient: record.patient === null ? null : toHex(record.patient),
      sender: record.declaration.sender,
      recipient: record.declaration.recipient,
      route: {
        id: record.declaration.route.id,
        filingReference: record.declaration.route.filingReference ?? null,
      },
      consent,
      declaration: {
        txId: toHex(record.declareTxId),
        height: record.declaredAtHeight,
        time: await facts.time(record.declaredAtHeight),
        policyVersion: record.policyVersion,
        items: record.declaration.items.map((item) => ({
          category: item.category,
          documentType: item.documentType,
          sizeBytes: item.sizeBytes,
          digest: toHex(item.digest),
          itemCommitment: toHex(item.itemCommitment),
        })),
        payload: {
          root: toHex(record.declaration.payload.root),
          bytes: record.declaration.payload.bytes,
          chunkBytes: record.declaration.payload.chunkBytes,
          chunkCount: record.declaration.payload.chunkCount,
        },
      },
      verdict: {
        accepted,
        status: statusAtDeclaration(accepted, verdictReasons),
        reasons: [...verdictReasons],
        requiredAssessors: [...record.requiredAssessors],
      },
      assessments: await Promise.all(
        record.assessments.map(async (assessment) => ({
          assessor: assessment.assessor,
          decision: assessment.decision,
          reason: assessment.reason,
          height: assessment.height,
          time: await facts.time(assessment.height),
          txId: toHex(assessment.txId),
        })),
      ),
      approval,
      receipt:
        record.receipt === null
          ? null
          : {
              accepted: record.receipt.accepted,
              reason: record.receipt.reason,
              payloadRoot: toHex(record.receipt.payloadRoot),
              payloadRootMatchesDeclaration:
                toHex(record.receipt.payloadRoot) === toHex(record.declaration.payload.root),
              height: record.receipt.height,
              time: await facts.time(record.receipt.height),
              txId: toHex(record.receipt.txId),
            },
      timeline: [],
    };
    audit.timeline = await timelineOf(audit, record, facts);
    return audit;
  }

  async #approval(facts: BlockFacts, height: number): Promise<ApprovalView> {
    const block = await facts.block(height);
    return {
      height,
      time: new Date(block.header.timeMs).toISOString(),
      blockHash: block.blockHash,
      round: block.certificate.round,
      signers: block.certificate.signatures.map((entry) => entry.validator),
    };
  }

  /** Every consent and transfer of one patient, from the per-patient index. */
  async patient(patient: Uint8Array): Promise<PatientAudit> {
    const prefix = `${toHex(patient)}/`;
    const consents: PatientAudit['consents'] = [];
    const transfers: PatientAudit['transfers'] = [];
    const facts = new BlockFacts(this.#reader);
    let entries = 0;
    let truncated = false;
    // One key range: only this patient's index entries are read, not every state bucket.
    for await (const entry of this.#store.stateEntriesIn('patient', prefix)) {
      if (++entries > this.#maxPatientEntries) {
        // Said in the answer: an auditor must not take a cut list for the whole record.
        truncated = true;
        break;
      }
      const [, kind, objectHex] = entry.key.split('/');
      const objectId = parseHex(objectHex ?? '');
      if (objectId === undefined) continue;
      if (kind === 'consent.grant') consents.push(await this.#patientConsent(patient, objectId, facts));
      if (kind === 'transfer.declare') transfers.push(this.#patientTransfer(objectId));
    }
    consents.sort((a, b) => a.grantedAtHeight - b.grantedAtHeight);
    transfers.sort((a, b) => a.declaredAtHeight - b.declaredAtHeight);
    return { patient: toHex(patient), consents, transfers, truncated };
  }

  async #patientConsent(
    patient: Uint8Array,
    consentId: Uint8Array,
    facts: BlockFacts,
  ): Promise<PatientAudit['consents'][number]> {
    const record = getConsent(this.#state, consentId);
    if (record !== undefined) {
      const view = await consentAudit(record, this.#nowSeconds());
      return { ...view, accepted: true, reasons: [], time: await facts.time(record.grantedAtHeight) };
    }
    // A grant the ledger refused has no consent record; its verdict is under its transaction.
    const entry = getPatientIndexEntry(this.#state, patient, 'consent.grant', consentId);
    return {
      consentId: toHex(consentId),
      status: 'rejected',
      // Not known: the refused grant's body is not kept (null, not '', for a JSON consumer).
      purpose: null,
      categories: [],
      allowedSenders: [],
      recipient: null,
      validFrom: null,
      validUntil: null,
      grantedAtHeight: entry?.height ?? 0,
      grantTxId: entry === undefined ? '' : toHex(entry.txId),
      revokedAtHeight: null,
      revokeTxId: null,
      accepted: false,
      reasons: entry === undefined ? [] : (getOutcome(this.#state, entry.txId)?.reasons ?? []),
      time: entry === undefined ? '' : await facts.time(entry.height),
    };
  }

  #patientTransfer(transferId: Uint8Array): PatientAudit['transfers'][number] {
    const record = getTransfer(this.#state, transferId);
    if (record === undefined) fail('DATABASE_CORRUPT', `indexed transfer ${toHex(transferId)} has no record`);
    return {
      transferId: toHex(record.transferId),
      status: record.status,
      reasons: [...record.reasons],
      sender: record.declaration.sender,
      recipient: record.declaration.recipient,
      categories: record.declaration.items.map((item) => item.category),
      consentId: toHex(record.declaration.consentId),
      declaredAtHeight: record.declaredAtHeight,
      approvedAtHeight: record.approvedAtHeight,
      receiptAtHeight: record.receipt?.height ?? null,
    };
  }
}

/** One consent in a patient's audit, a grant the ledger refused included. */
export type PatientConsentAudit = Omit<ConsentAudit, 'purpose' | 'recipient' | 'validFrom' | 'validUntil'> & {
  purpose: string | null;
  recipient: string | null;
  validFrom: string | null;
  validUntil: string | null;
  accepted: boolean;
  reasons: string[];
  time: string;
};

export interface PatientAudit {
  patient: string;
  /** True when the patient has more index entries than one audit reads (LIMITS.maxAuditPatientEntries). */
  truncated: boolean;
  /** A refused grant (accepted false) has no consent record: its purpose, recipient and validity are null. */
  consents: PatientConsentAudit[];
  transfers: {
    transferId: string;
    status: string;
    reasons: string[];
    sender: string;
    recipient: string;
    categories: string[];
    consentId: string;
    declaredAtHeight: number;
    approvedAtHeight: number | null;
    receiptAtHeight: number | null;
  }[];
}

async function timelineOf(
  audit: TransferAudit,
  record: TransferRecord,
  facts: BlockFacts,
): Promise<TimelineEvent[]> {
  const events: TimelineEvent[] = [];
  const add = async (height: number, event: string, txId: string | null, detail: string) => {
    events.push({ height, time: await facts.time(height), event, txId, detail });
  };
  const { consent } = audit;
  if (consent !== null) {
    await add(
      consent.grantedAtHeight,
      'consent granted',
      consent.grantTxId,
      `${consent.purpose}: ${consent.categories.join(', ')} to ${consent.recipient} until ${consent.validUntil}`,
    );
  }
  const verdict = audit.verdict;
  await add(
    audit.declaration.height,
    'declared',
    audit.declaration.txId,
    `${audit.declaration.items.length} item(s), ${audit.declaration.payload.bytes} sealed bytes; verdict ${verdict.status}` +
      (verdict.reasons.length > 0 ? ` (${verdict.reasons.join(', ')})` : '') +
      (verdict.requiredAssessors.length > 0 ? `; awaiting ${verdict.requiredAssessors.join(', ')}` : ''),
  );
  for (const assessment of audit.assessments) {
    await add(
      assessment.height,
      `assessed by ${assessment.assessor}`,
      assessment.txId,
      `${assessment.decision} (${assessment.reason})`,
    );
  }
  if (audit.approval !== null) {
    const approval = audit.approval;
    await add(
      approval.height,
      'approved (final)',
      null,
      `block ${approval.blockHash.slice(0, 16)}... certified by ${approval.signers.join(', ')} (round ${approval.round})`,
    );
  } else if (record.status === 'rejected' && verdict.accepted) {
    const last = audit.assessments.at(-1);
    if (last !== undefined) await add(last.height, 'rejected', last.txId, record.reasons.join(', '));
  }
  if (consent?.revokedAtHeight != null) {
    await add(
      consent.revokedAtHeight,
      'consent revoked',
      consent.revokeTxId,
      'no payload moves after this block',
    );
  }
  if (audit.receipt !== null) {
    const receipt = audit.receipt;
    await add(
      receipt.height,
      receipt.accepted ? 'delivered (receipt)' : 'receipt: payload refused',
      receipt.txId,
      `${receipt.reason}; payload root ${receipt.payloadRootMatchesDeclaration ? 'matches' : 'DIFFERS FROM'} the declaration`,
    );
  }
  return events.sort((a, b) => a.height - b.height);
}
