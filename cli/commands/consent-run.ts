// `bayledger consent ...` (issue 6 item 1). The patient's key never leaves this process: the CLI
// builds and signs the grant (as a patient's phone app would) and sends only the signed record;
// the hospital node adds its countersignature (POST /consents). Revocation needs the patient's
// signature alone and goes straight to POST /tx.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseHex, toHex, utf8 } from '../../src/core/bytes.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { fail, isBayledgerError } from '../../src/core/errors.js';
import type { ConsentGrantBody, ConsentRevokeBody } from '../../src/core/records/index.js';
import {
  consentCategoriesSchema,
  encodeTxEnvelope,
  idSchema,
  NONCE_BYTES,
  secondsSchema,
  signTx,
  txIdOf,
} from '../../src/core/records/index.js';
import { fileReadError, fileRole } from '../../src/node/file-read-error.js';
import { readKeyFile } from '../../src/node/keys/key-file.js';
import { printResult } from '../output.js';
import { asUsageError, checkOptionValue } from '../program.js';
import { type ApiOptions, type NodeApi, parseDateSeconds, pollUntil, resolveApi } from './transfer-api.js';

/** Shown to the patient when no --notice is given; only its SHA-256 goes on the ledger. */
export const DEFAULT_NOTICE =
  'bayledger sample notice v1: you authorise the named hospital to send the named categories of your ' +
  'medical records to the named recipient, for the named purpose, until the end date; you may revoke ' +
  'this consent at any time, effective from the block that records the revocation.';

/** The notice file's role in a message that it cannot be read. */
const NOTICE_FILE = fileRole('notice', '--notice');

/** A grant may start a little before now: block times come from the validators' clocks. */
const VALID_FROM_SLACK_SECONDS = 60;

interface GrantOptions extends ApiOptions {
  readonly patientKey: string;
  readonly recipient: string;
  readonly categories: string;
  readonly purpose: string;
  readonly validUntil: string;
  readonly validFrom?: string;
  readonly notice?: string;
  readonly timeout: number;
  readonly json?: boolean;
}

interface TxAnswer {
  txId: string;
  status: string;
  height?: number;
  accepted?: boolean;
  reasons?: string[];
  objectId?: string;
}

/** The patient's signer from the key file `--patient-key` names. */
export async function readPatientSigner(file: string): Promise<Ed25519Signer> {
  const keyFile = await readKeyFile(file, '--patient-key');
  if (keyFile.kind !== 'patient')
    fail('USAGE', 'not a patient key file (keys generate --kind patient)', file);
  return new Ed25519Signer(keyFile.ed25519Seed);
}

/**
 * The notice file `--notice` names; a missing or unreadable one, or a directory, fails in one line
 * naming the file and --notice (fileReadError), as a key file does.
 */
export async function readNotice(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw fileReadError(error, file, NOTICE_FILE) ?? error;
  }
}

/** Waits until a transaction is committed on the node and returns its verdict. */
export async function committedVerdict(api: NodeApi, txId: string, timeoutS: number): Promise<TxAnswer> {
  return pollUntil(
    `transaction ${txId} committed`,
    async () => {
      const view = (await api.client.getJson(`/tx/${txId}`)) as TxAnswer;
      return view.status === 'committed' ? view : undefined;
    },
    timeoutS * 1000,
  );
}

/**
 * The ledger's refusal, naming the transaction: a refused record is committed with its verdict,
 * so an auditor can look it up (`chain tx`, `audit`) by that id.
 */
function refused(what: string, verdict: TxAnswer, txId: string): never {
  return fail(
    'RECORD_INVALID',
    `${what} was refused by the ledger at height ${verdict.height}: ${(verdict.reasons ?? []).join(', ')} (transaction ${txId})`,
  );
}

export interface GrantResult {
  consentId: string;
  txId: string;
  height: number;
}

/** What `--json` prints for a grant or revocation the ledger refused, before the command fails. */
export interface RefusedResult {
  /** The consent revoked; null for a refused grant (it made no consent). */
  consentId: string | null;
  txId: string;
  height: number;
  accepted: false;
  reasons: string[];
}

/** A grant or revocation once committed: its verdict, accepted or not. */
interface Committed {
  readonly what: string;
  readonly consentId: string | null;
  readonly txId: string;
  readonly verdict: TxAnswer;
}

/** The result of an accepted grant or revocation; RECORD_INVALID naming the reasons if refused. */
function acceptedResult({ what, consentId, txId, verdict }: Committed): GrantResult {
  if (verdict.accepted !== true) refused(what, verdict, txId);
  return { consentId: consentId ?? '', txId, height: verdict.height ?? 0 };
}

/**
 * Prints the result and, when the ledger refused it, fails (exit 1) naming the reasons. With
 * `--json` a refusal is printed too, `{ consentId, txId, height, accepted: false, reasons }`,
 * before it fails, as a rejected `transfer declare --json` prints its verdict: a script sees both.
 */
function printCommitted(committed: Committed, json: boolean | undefined): void {
  const { consentId, txId, verdict } = committed;
  if (verdict.accepted !== true && json === true) {
    const refusal: RefusedResult = {
      consentId,
      txId,
      height: verdict.height ?? 0,
      accepted: false,
      reasons: verdict.reasons ?? [],
    };
    printResult(refusal, { json: true });
  }
  printResult(acceptedResult(committed), { json });
}

/** The grant's option values as the body holds them, checked (checkGrantOptions). */
interface GrantValues {
  readonly categories: string[];
  readonly validFrom: number | undefined;
  readonly validUntil: number;
}

/** A date option's seconds, checked against the range the ledger's times take (secondsSchema). */
function dateOption(text: string, option: string): number {
  const seconds = parseDateSeconds(text, option);
  return asUsageError(() => secondsSchema.parse(seconds, `${option} ${text}`));
}

/**
 * Every grant option the body's schema would refuse that needs nothing from the node (only the
 * sender and the chain id come from it), checked before the node is asked anything: a bad value
 * is a usage error (exit 2) naming the option, not a failed connection (exit 1) when no node is
 * up, nor a request the node answers only for the grant to be refused.
 */
function checkGrantOptions(options: GrantOptions): GrantValues {
  checkOptionValue(idSchema, options.recipient, '--recipient');
  checkOptionValue(idSchema, options.purpose, '--purpose');
  const categories = options.categories
    .split(',')
    .map((category) => category.trim())
    .filter((c) => c !== '');
  for (const category of categories) checkOptionValue(idSchema, category, `--categories ${category}`);
  // None, too many, or one repeated.
  asUsageError(() => consentCategoriesSchema.parse(categories, '--categories'));
  const validFrom =
    options.validFrom === undefined ? undefined : dateOption(options.validFrom, '--valid-from');
  const validUntil = dateOption(options.validUntil, '--valid-until');
  // The start submitGrant gives without --valid-from is taken after the node answers; this one
  // is at most that much earlier, so an end it refuses would be refused then too.
  const start = validFrom ?? Math.floor(Date.now() / 1000) - VALID_FROM_SLACK_SECONDS;
  if (validUntil <= start) {
    fail(
      'USAGE',
      `must be later than --valid-from ${options.validFrom ?? '(default: a minute before now)'}`,
      `--valid-until ${options.validUntil}`,
    );
  }
  return { categories, validFrom, validUntil };
}

/** Signs and submits a grant; resolves once it is committed, accepted or not. */
async function submitGrant(options: GrantOptions): Promise<Committed> {
  const patient = await readPatientSigner(options.patientKey);
  // The options are checked before the node is asked anything: a mistyped date, id or category
  // is a usage error (exit 2).
  const { categories, validFrom, validUntil } = checkGrantOptions(options);
  const notice = options.notice === undefined ? utf8(DEFAULT_NOTICE) : await readNotice(options.notice);
  const api = await resolveApi(options, { role: 'submitter', write: true });
  const status = (await api.client.status()) as { org: string; chainId: string };
  const nowSeconds = Math.floor(Date.now() / 1000);
  const body: ConsentGrantBody = {
    patient: patient.publicKey,
    sender: status.org,
    allowedSenders: [status.org],
    recipient: options.recipient,
    purpose: options.purpose,
    categories,
    validFrom: validFrom ?? nowSeconds - VALID_FROM_SLACK_SECONDS,
    validUntil,
    separateConsent: { crossBorder: true, sensitive: true },
    noticeDigest: sha256(notice),
    hospitalVerifiedIdentity: true,
    nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
  };
  let envelope: ReturnType<typeof signTx>;
  try {
    envelope = signTx('consent.grant', body, [patient], status.chainId);
  } catch (error) {
    // What checkGrantOptions could not see (the node's org id as sender, or an end that passed
    // while the node answered) is a usage error too.
    if (isBayledgerError(error)) fail('USAGE', error.message);
    throw error;
  }
  // The patient signs the body only; the hospital's signature is added on the node.
  const answer = (await api.client.postJson('/consents', {
    tx: toHex(encodeTxEnvelope(envelope)),
  })) as TxAnswer & {
    consentId: string | null;
  };
  const verdict =
    answer.status === 'pending' ? await committedVerdict(api, answer.txId, options.timeout) : answer;
  return {
    what: 'the consent',
    consentId: verdict.objectId ?? answer.consentId ?? null,
    txId: answer.txId,
    verdict,
  };
}

/** Signs and submits a grant; resolves once it is committed and accepted. */
export async function grantConsent(options: GrantOptions): Promise<GrantResult> {
  return acceptedResult(await submitGrant(options));
}

export async function consentGrant(options: GrantOptions): Promise<void> {
  printCommitted(await submitGrant(options), options.json);
}

interface RevokeOptions extends ApiOptions {
  readonly consent: string;
  readonly patientKey: string;
  readonly timeout: number;
  readonly json?: boolean;
}

/** Signs and submits a revocation; resolves once it is committed, accepted or not. */
async function submitRevocation(options: RevokeOptions): Promise<Committed> {
  const consentId = parseHex(options.consent);
  if (consentId === undefined || consentId.byteLength !== 32)
    fail('USAGE', '--consent: 64 lowercase hex digits');
  const patient = await readPatientSigner(options.patientKey);
  const api = await resolveApi(options, { role: 'submitter', write: true });
  const status = (await api.client.status()) as { chainId: string };
  const body: ConsentRevokeBody = {
    consentId,
    patient: patient.publicKey,
    nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
  };
  const bytes = encodeTxEnvelope(signTx('consent.revoke', body, [patient], status.chainId));
  const txId = toHex(txIdOf(bytes));
  const answer = (await api.client.postBytes(
    `/tx?wait=commit&timeoutMs=${Math.min(options.timeout, 30) * 1000}`,
    bytes,
  )) as TxAnswer;
  const verdict = answer.status === 'committed' ? answer : await committedVerdict(api, txId, options.timeout);
  return { what: 'the revocation', consentId: options.consent, txId, verdict };
}

export async function revokeConsent(options: RevokeOptions): Promise<GrantResult> {
  return acceptedResult(await submitRevocation(options));
}

export async function consentRevoke(options: RevokeOptions): Promise<void> {
  printCommitted(await submitRevocation(options), options.json);
}

export async function consentShow(
  id: string,
  options: ApiOptions & { readonly json?: boolean },
): Promise<void> {
  if (parseHex(id)?.byteLength !== 32) fail('USAGE', 'a consent id is 64 lowercase hex digits');
  const api = await resolveApi(options);
  const record = (await api.client.getJson(`/consents/${id}`)) as {
    consentId: string;
    grant: Record<string, unknown> & { validFrom: number; validUntil: number };
    status: string;
    statusNow: string;
    grantedAtHeight: number;
    revokedAtHeight: number | null;
  };
  if (options.json) return printResult(record, { json: true });
  const { grant } = record;
  printResult({
    consentId: record.consentId,
    status: record.statusNow,
    patient: grant.patient,
    sender: grant.sender,
    allowedSenders: grant.allowedSenders,
    recipient: grant.recipient,
    purpose: grant.purpose,
    categories: grant.categories,
    validFrom: new Date(grant.validFrom * 1000).toISOString(),
    validUntil: new Date(grant.validUntil * 1000).toISOString(),
    grantedAtHeight: record.grantedAtHeight,
    revokedAtHeight: record.revokedAtHeight,
  });
}
