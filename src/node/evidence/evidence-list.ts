// What `bayledger evidence list` reads: every record a node kept, from a stopped node's data
// directory or a running node's API (GET /evidence, page by page). The summary of each entry is
// rebuilt from the signed messages themselves, and each entry is checked with verifyEvidence
// against a genesis the reader trusts: the --genesis file, or the data directory's own copy. Over
// the API without --genesis the node's own verdict is shown, and the listing says so.
import { parseHex } from '../../core/bytes.js';
import type { Validator } from '../../core/config/genesis.js';
import { decodeEvidence } from '../../core/consensus/evidence-codec.js';
import { fail } from '../../core/errors.js';
import { chainParamsOf } from '../../core/ledger/chain-params.js';
import { LIMITS } from '../../core/limits.js';
import { ApiClient } from '../api/client.js';
import { parseApiUrl } from '../chain/api-chain-reader.js';
import { openDataDir, readGenesisFile } from '../chain/open-chain.js';
import { type EvidenceJson, evidenceJson, evidencePage, evidenceSummary } from './evidence-view.js';

export interface EvidenceListing {
  readonly chainId: string;
  readonly kept: number;
  readonly dropped: number;
  /** Whose genesis keys checked the entries. */
  readonly checkedWith: 'genesis file' | 'data directory genesis' | 'node';
  readonly entries: readonly EvidenceJson[];
}

/** Pages needed to read a full store, plus one: a node answering more pages is not trusted. */
const MAX_PAGES = Math.ceil(LIMITS.maxStoredEvidence / LIMITS.maxEvidencePage) + 1;

export async function listEvidenceFromDataDir(
  dataDir: string,
  genesisPath?: string,
): Promise<EvidenceListing> {
  const { store, params, genesisSource } = await openDataDir(dataDir, genesisPath);
  try {
    const entries: EvidenceJson[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await evidencePage(store.evidence, params, { after });
      entries.push(...page.entries);
      if (page.next === null) break;
      after = page.next;
    }
    return {
      chainId: params.chainId,
      kept: store.evidence.count,
      dropped: store.evidence.dropped,
      checkedWith: genesisSource === 'file' ? 'genesis file' : 'data directory genesis',
      entries,
    };
  } finally {
    await store.close();
  }
}

interface RemotePage {
  readonly chainId: string;
  readonly kept: number;
  readonly dropped: number;
  readonly entries: readonly Record<string, unknown>[];
  readonly next: string | null;
}

function remotePage(value: unknown): RemotePage {
  const page = value as Partial<RemotePage> | null;
  const valid =
    typeof page === 'object' &&
    page !== null &&
    typeof page.chainId === 'string' &&
    Number.isSafeInteger(page.kept) &&
    Number.isSafeInteger(page.dropped) &&
    Array.isArray(page.entries) &&
    page.entries.length <= LIMITS.maxEvidencePage &&
    (page.next === null || typeof page.next === 'string');
  if (!valid)
    fail('REMOTE_ERROR', 'the node answered GET /evidence with something that is not an evidence page');
  return page as RemotePage;
}

/** An entry as the node sent it, its summary rebuilt from its signed messages. */
function remoteEntry(
  entry: Record<string, unknown>,
  trusted: { validators: readonly Validator[]; chainId: string } | undefined,
): EvidenceJson {
  const encoded = typeof entry.evidence === 'string' ? parseHex(entry.evidence) : undefined;
  const receivedAtMs = typeof entry.receivedAt === 'string' ? Date.parse(entry.receivedAt) : Number.NaN;
  if (encoded === undefined) fail('REMOTE_ERROR', "an evidence entry whose 'evidence' is not hex");
  if (typeof entry.cursor !== 'string') fail('REMOTE_ERROR', 'an evidence entry without its cursor');
  if (!Number.isFinite(receivedAtMs))
    fail('REMOTE_ERROR', "an evidence entry whose 'receivedAt' is not an ISO 8601 time");
  const record = {
    cursor: entry.cursor,
    evidence: decodeEvidence(encoded),
    encoded,
    receivedAtSeconds: Math.floor(receivedAtMs / 1000),
  };
  if (trusted !== undefined) return evidenceJson(record, trusted.validators, trusted.chainId);
  // No genesis to check it with: the summary is still rebuilt from the signed messages, but the
  // verdict is the node's, and the listing says so (checkedWith 'node').
  const verifies = entry.verifies === true;
  return {
    ...evidenceSummary(record),
    verifies,
    reason: verifies ? null : String(entry.reason ?? 'refused by the node'),
  };
}

export async function listEvidenceFromApi(apiUrl: string, genesisPath?: string): Promise<EvidenceListing> {
  const client = new ApiClient({ baseUrl: parseApiUrl(apiUrl) });
  const trusted =
    genesisPath === undefined ? undefined : chainParamsOf(await readGenesisFile(genesisPath, '--genesis'));
  const entries: EvidenceJson[] = [];
  let first: RemotePage | undefined;
  let after: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages === MAX_PAGES)
      fail('REMOTE_ERROR', `the node answered GET /evidence with more than ${MAX_PAGES} pages`);
    const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
    const page = remotePage(await client.getJson(`/evidence${query}`));
    first ??= page;
    if (trusted !== undefined && page.chainId !== trusted.chainId)
      fail('CONFIG_INVALID', `the node serves chain ${page.chainId}, the genesis file is ${trusted.chainId}`);
    entries.push(...page.entries.map((entry) => remoteEntry(entry, trusted)));
    if (page.next === null) break;
    after = page.next;
  }
  return {
    chainId: first!.chainId,
    kept: first!.kept,
    dropped: first!.dropped,
    checkedWith: trusted === undefined ? 'node' : 'genesis file',
    entries,
  };
}
