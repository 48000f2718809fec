// The JSON form of kept evidence, shared by GET /evidence and `bayledger evidence list`. Every
// entry carries the canonical CBOR of the two signed messages (`evidence`, hex) and the verdict
// of verifyEvidence against the genesis validators, so a reader can trust the summary fields only
// as far as it trusts whoever verified them, and can always check the bytes itself.
import { toHex } from '../../core/bytes.js';
import type { Validator } from '../../core/config/genesis.js';
import type { EquivocationEvidence, EvidenceKind } from '../../core/consensus/evidence.js';
import { verifyEvidence } from '../../core/consensus/evidence-verify.js';
import type { VoteType } from '../../core/consensus/messages.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import type { EvidenceStore, StoredEvidence } from '../store/evidence-store.js';

export interface EvidenceJson {
  /** Page cursor of this record (GET /evidence?after=). */
  readonly cursor: string;
  readonly kind: EvidenceKind;
  readonly validator: string;
  readonly height: number;
  readonly round: number;
  /** The vote type, or 'proposal'. */
  readonly message: VoteType | 'proposal';
  /** Block hashes named by the first and the second message (null: a nil vote). */
  readonly blockA: string | null;
  readonly blockB: string | null;
  /** When this node first kept it (its local clock), ISO 8601. */
  readonly receivedAt: string;
  /** Canonical CBOR of the two signed messages (encodeEvidence), hex. */
  readonly evidence: string;
  /** verifyEvidence against the genesis validators. */
  readonly verifies: boolean;
  readonly reason: string | null;
}

export interface EvidencePageJson {
  readonly chainId: string;
  /** Records the node keeps now, and records it dropped (oldest first) to stay within its bound. */
  readonly kept: number;
  readonly dropped: number;
  readonly entries: readonly EvidenceJson[];
  /** Cursor of the next page, or null at the end. */
  readonly next: string | null;
}

function blockHashesOf(evidence: EquivocationEvidence): [Uint8Array | null, Uint8Array | null] {
  return evidence.kind === 'vote'
    ? [evidence.voteA.blockHash, evidence.voteB.blockHash]
    : [evidence.proposalA.blockHash, evidence.proposalB.blockHash];
}

function hexOrNull(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : toHex(bytes);
}

/** What a record says, taken from its decoded messages, without a verdict on it. */
export type EvidenceSummaryJson = Omit<EvidenceJson, 'verifies' | 'reason'>;

/** One record's summary, taken from the decoded messages (not checked: see evidenceJson). */
export function evidenceSummary(record: StoredEvidence): EvidenceSummaryJson {
  const { evidence } = record;
  const [blockA, blockB] = blockHashesOf(evidence);
  return {
    cursor: record.cursor,
    kind: evidence.kind,
    validator: evidence.validator,
    height: evidence.height,
    round: evidence.round,
    message: evidence.kind === 'vote' ? evidence.type : 'proposal',
    blockA: hexOrNull(blockA),
    blockB: hexOrNull(blockB),
    receivedAt: new Date(record.receivedAtSeconds * 1000).toISOString(),
    evidence: toHex(record.encoded),
  };
}

/** One record as JSON, its summary taken from the decoded messages and checked against genesis. */
export function evidenceJson(
  record: StoredEvidence,
  validators: readonly Validator[],
  chainId: string,
): EvidenceJson {
  const verdict = verifyEvidence(record.evidence, validators, chainId);
  return { ...evidenceSummary(record), verifies: verdict.ok, reason: verdict.ok ? null : verdict.reason };
}

/** One page of a node's kept evidence (bounded by LIMITS.maxEvidencePage). */
export async function evidencePage(
  store: EvidenceStore,
  params: Pick<ChainParams, 'chainId' | 'validators'>,
  options: { after?: string; limit?: number } = {},
): Promise<EvidencePageJson> {
  const page = await store.list(options);
  return {
    chainId: params.chainId,
    kept: store.count,
    dropped: store.dropped,
    entries: page.entries.map((entry) => evidenceJson(entry, params.validators, params.chainId)),
    next: page.next,
  };
}
