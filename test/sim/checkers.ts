// The properties every run must keep (issue 4, item 4). Safety is checked as it happens, so a run
// stops at the first violation with the exact moment; liveness is checked at the end.
//  - agreement: no two correct nodes commit different blocks at one height;
//  - validity: every committed block is valid under the sim ledger's rules and its certificate
//    passes verifyCertificate (src/core/ledger/certificate-verify.ts);
//  - no transaction is committed twice in one chain;
//  - no correct node signs two different votes (or proposals) for one height, round and type,
//    across restarts too: the log is global, not part of any node;
//  - nothing a peer sends makes a decoder or the state machine throw anything but a typed error;
//  - every piece of evidence a correct node reports verifies with the genesis keys
//    (verifyEvidence) and names a Byzantine validator, never a correct one.
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import type { Validator } from '../../src/core/config/genesis.js';
import type { EquivocationEvidence } from '../../src/core/consensus/evidence.js';
import { encodeEvidence } from '../../src/core/consensus/evidence-codec.js';
import { type EvidenceVerdict, verifyEvidence } from '../../src/core/consensus/evidence-verify.js';
import { verifyCertificate } from '../../src/core/ledger/certificate-verify.js';
import type { CommittedEntry } from './sim-ledger.js';

export type ViolationKind =
  | 'agreement'
  | 'validity'
  | 'certificate'
  | 'double-commit'
  | 'equivocation'
  | 'evidence'
  | 'crash'
  | 'liveness'
  | 'settled'
  | 'timeliness';

export interface Violation {
  readonly kind: ViolationKind;
  readonly atMs: number;
  readonly message: string;
}

const MAX_PER_KIND = 20;

export class Checker {
  readonly violations: Violation[] = [];
  readonly #decided = new Map<number, { hash: string; node: string }>();
  readonly #signed = new Map<string, string>();
  readonly #certificates = new Map<string, string | null>();
  readonly #validators: readonly Validator[];
  readonly #chainId: string;

  /** Ids of the Byzantine validators (twins included): the only ones evidence may name. */
  readonly #byzantine: ReadonlySet<string>;
  readonly #evidenceVerdicts = new Map<string, EvidenceVerdict>();
  /** Genesis positions of the validators named by correct nodes' evidence, per evidence kind. */
  readonly accused = { vote: new Set<number>(), proposal: new Set<number>() };

  constructor(
    chainId: string,
    validators: readonly Validator[],
    byzantine: ReadonlySet<string>,
    stopOn?: readonly ViolationKind[],
  ) {
    this.#stopOn = stopOn;
    this.#chainId = chainId;
    this.#validators = validators;
    this.#byzantine = byzantine;
  }

  /** Set once a violation of a kind in stopOn is reported. */
  stopped = false;
  readonly #stopOn: readonly ViolationKind[] | undefined;
  readonly #perKind = new Map<ViolationKind, number>();

  get failed(): boolean {
    return this.violations.length > 0;
  }

  /** Records a violation; at most MAX_PER_KIND of each kind are kept (a planted bug repeats). */
  report(kind: ViolationKind, atMs: number, message: string): void {
    const seen = this.#perKind.get(kind) ?? 0;
    this.#perKind.set(kind, seen + 1);
    if (seen < MAX_PER_KIND) this.violations.push({ kind, atMs, message });
    if (this.#stopOn === undefined || this.#stopOn.includes(kind)) this.stopped = true;
  }

  /** A correct node signed (persisted or sent) a message for this slot. */
  onSigned(atMs: number, node: string, slot: string, value: string): void {
    const previous = this.#signed.get(slot);
    if (previous === undefined) {
      this.#signed.set(slot, value);
    } else if (previous !== value) {
      this.report('equivocation', atMs, `correct node ${node} signed ${slot} for ${value} after ${previous}`);
    }
  }

  /** A correct node reported equivocation evidence. */
  onEvidence(atMs: number, node: string, evidence: EquivocationEvidence): void {
    // Every correct node reports the same pairs: each distinct pair is verified once.
    const key = toHex(encodeEvidence(evidence));
    let verdict = this.#evidenceVerdicts.get(key);
    if (verdict === undefined) {
      verdict = verifyEvidence(evidence, this.#validators, this.#chainId);
      this.#evidenceVerdicts.set(key, verdict);
    }
    if (!verdict.ok)
      this.report('evidence', atMs, `${node} reported evidence that does not verify: ${verdict.reason}`);
    if (!this.#byzantine.has(evidence.validator))
      this.report(
        'evidence',
        atMs,
        `${node} reported ${evidence.kind} evidence against correct ${evidence.validator}`,
      );
    const position = this.#validators.findIndex((validator) => validator.id === evidence.validator);
    if (position >= 0) this.accused[evidence.kind].add(position);
  }

  /** A correct node committed a block; `fault` is its validity verdict against that node's chain. */
  onCommit(
    atMs: number,
    node: string,
    entry: CommittedEntry,
    fault: string | null,
    repeatedTxs: string[],
  ): void {
    const height = entry.block.header.height;
    const hash = toHex(entry.blockHash);
    const known = this.#decided.get(height);
    if (known === undefined) this.#decided.set(height, { hash, node });
    else if (known.hash !== hash) {
      this.report(
        'agreement',
        atMs,
        `height ${height}: ${node} committed ${hash.slice(0, 16)}, ${known.node} committed ${known.hash.slice(0, 16)}`,
      );
    }
    if (fault !== null)
      this.report('validity', atMs, `${node} committed an invalid block at ${height}: ${fault}`);
    if (repeatedTxs.length > 0) {
      this.report(
        'double-commit',
        atMs,
        `${node} committed transaction ${repeatedTxs[0]} again at ${height}`,
      );
    }
    const certificateFault = this.#checkCertificate(entry);
    if (certificateFault !== null) {
      this.report('certificate', atMs, `${node}'s certificate at height ${height}: ${certificateFault}`);
    }
  }

  #checkCertificate(entry: CommittedEntry): string | null {
    const certificate = entry.certificate;
    const key = toHex(
      encodeCanonical({ ...certificate, signatures: certificate.signatures.map((s) => ({ ...s })) }),
    );
    const cached = this.#certificates.get(key);
    if (cached !== undefined) return cached;
    const check = verifyCertificate(certificate, this.#validators, this.#chainId, {
      height: entry.block.header.height,
      blockHash: entry.blockHash,
    });
    const verdict = check.ok ? null : check.reason;
    this.#certificates.set(key, verdict);
    return verdict;
  }

  decidedHeights(): number {
    return this.#decided.size;
  }
}
