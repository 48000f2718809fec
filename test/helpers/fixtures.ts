// A deterministic test network for every suite: the sample GBA health network of DESIGN.md
// section 1 with keys derived at test time from fixed seeds (sha256('test/' + name)); no key file
// is ever committed. Builders make a valid, signed transaction in one line, with overrides for
// the field a test is about:
//
//   const net = testGenesis();
//   const grant = grantConsent(net, { patient: 'alice' });
//   const declaration = declareTransfer(net, { consentId: grant.objectId });
//   const ledger = new TestLedger(net);
//   ledger.block(grant, declaration); // -> [{ accepted: true, ... }, ...]
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { compareBytes, concatBytes, utf8 } from '../../src/core/bytes.js';
import type {
  ConsensusParams,
  Genesis,
  Organisation,
  OrganisationRole,
} from '../../src/core/config/genesis.js';
import { signingMessage } from '../../src/core/crypto/domain.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { type X25519KeyPair, x25519KeyPairFromSecret } from '../../src/core/crypto/x25519.js';
import { applyTx, type TxOutcome } from '../../src/core/ledger/apply-tx.js';
import { MemoryState, StateOverlay, type StateWrite } from '../../src/core/ledger/state-kv.js';
import { LIMITS } from '../../src/core/limits.js';
import type { Policy, PolicyThresholds } from '../../src/core/policy/types.js';
import {
  bodyBytesOf,
  type ConsentGrantBody,
  type ConsentRevokeBody,
  encodeTxEnvelope,
  objectIdOf,
  type PolicyUpdateBody,
  signTx,
  type TransferAssessBody,
  type TransferDeclareBody,
  type TransferItem,
  type TransferReceiptBody,
  type TxBodies,
  type TxEnvelope,
  type TxKind,
  txIdOf,
} from '../../src/core/records/index.js';

/** 2026-01-01T00:00:00Z. */
export const TEST_GENESIS_TIME_MS = 1_767_225_600_000;
export const TEST_GENESIS_TIME_SECONDS = TEST_GENESIS_TIME_MS / 1000;
export const DAY_SECONDS = 86_400;

export const VALIDATORS = ['sz-cac', 'sz-health', 'qianhai', 'hk-health'] as const;
export const SUBMITTERS = ['hku-szh', 'nf-ufh'] as const;
export const RECIPIENTS = ['ehealth-hk'] as const;

const ORGANISATIONS: readonly { id: string; name: string; role: OrganisationRole; jurisdiction: string }[] = [
  { id: 'sz-cac', name: 'Shenzhen Cyberspace Administration', role: 'validator', jurisdiction: 'CN-GD' },
  { id: 'sz-health', name: 'Shenzhen Health Commission', role: 'validator', jurisdiction: 'CN-GD' },
  { id: 'qianhai', name: 'Qianhai Authority', role: 'validator', jurisdiction: 'CN-GD' },
  { id: 'hk-health', name: 'Health Bureau HKSAR', role: 'validator', jurisdiction: 'HK' },
  {
    id: 'hku-szh',
    name: 'The University of Hong Kong-Shenzhen Hospital',
    role: 'submitter',
    jurisdiction: 'CN-GD',
  },
  { id: 'nf-ufh', name: 'New Frontier United Family Hospital', role: 'submitter', jurisdiction: 'CN-GD' },
  { id: 'ehealth-hk', name: 'eHealth', role: 'recipient', jurisdiction: 'HK' },
];

/**
 * The health catalogue. Test data: most categories are sensitive (PIPL art. 28 medical health
 * information); allergy and immunisation records are marked not sensitive so both sides of the
 * separate-consent rule can be tested.
 */
export const TEST_CATEGORIES = [
  { id: 'imaging-study', sensitive: true },
  { id: 'radiology-report', sensitive: true },
  { id: 'lab-result', sensitive: true },
  { id: 'medication-record', sensitive: true },
  { id: 'allergy-record', sensitive: false },
  { id: 'immunisation-record', sensitive: false },
  { id: 'discharge-summary', sensitive: true },
  { id: 'genetic-test-result', sensitive: true },
  { id: 'population-health-data', sensitive: true },
] as const;

export function testPolicy(
  overrides: Partial<Policy> = {},
  thresholds: Partial<PolicyThresholds> = {},
): Policy {
  const base: Policy = {
    version: 1,
    categories: TEST_CATEGORIES.map((category) => ({ ...category })),
    purposes: ['continuity-of-care', 'second-opinion', 'patient-request'],
    negativeList: [
      { category: 'genetic-test-result', rule: 'assessment', assessors: ['sz-cac', 'sz-health'] },
      { category: 'population-health-data', rule: 'prohibited', assessors: [] },
    ],
    routes: [
      {
        id: 'gba-standard-contract',
        fromJurisdictions: ['CN-GD'],
        toJurisdictions: ['HK'],
        requiresFilingReference: true,
      },
      {
        id: 'security-assessment',
        fromJurisdictions: ['CN-GD'],
        toJurisdictions: ['HK'],
        requiresFilingReference: false,
      },
      {
        id: 'certification',
        fromJurisdictions: ['CN-GD'],
        toJurisdictions: ['HK'],
        requiresFilingReference: false,
      },
      {
        id: 'exemption',
        fromJurisdictions: ['CN-GD'],
        toJurisdictions: ['HK'],
        requiresFilingReference: false,
      },
    ],
    // PIPL 2024 provisions: sensitive information of fewer than 10 000 people a year may go by
    // standard contract or certification; beyond that it needs a security assessment.
    thresholds: {
      maxDistinctPatientsPerSenderPerYear: 10_000,
      thresholdRoutes: ['gba-standard-contract', 'certification'],
    },
    limits: {
      maxItemsPerTransfer: LIMITS.maxItemsPerTransfer,
      maxPayloadBytes: LIMITS.maxPayloadBytes,
      maxConsentValiditySeconds: 366 * DAY_SECONDS,
    },
  };
  const policy = { ...base, ...overrides };
  return { ...policy, thresholds: { ...policy.thresholds, ...thresholds } };
}

export interface TestNetworkOptions {
  readonly chainId?: string;
  readonly genesisTimeMs?: number;
  readonly policy?: Partial<Policy>;
  readonly thresholds?: Partial<PolicyThresholds>;
  readonly consensus?: Partial<ConsensusParams>;
  /**
   * Listen address per organisation. The default '/ip4/127.0.0.1/tcp/0' lets the OS pick ports;
   * the genesis JSON schema (config/json-fields.ts) refuses port 0, so a test that writes the
   * genesis to a file must pass real ports here.
   */
  readonly p2pAddress?: (organisationId: string) => string;
  /** More organisations after the sample ones (keys derived the same way), e.g. a second recipient. */
  readonly extraOrganisations?: readonly {
    id: string;
    name: string;
    role: OrganisationRole;
    jurisdiction: string;
  }[];
}

export interface TestNetwork {
  readonly genesis: Genesis;
  /** Node key of every organisation, by id. */
  readonly signers: Record<string, Ed25519Signer>;
  /** X25519 key pair of every organisation, by id (genesis holds the public halves). */
  readonly encryptionKeys: Record<string, X25519KeyPair>;
  /** A patient's key (their pseudonym), derived from the name. */
  patient(name: string): Ed25519Signer;
  /** A fresh deterministic 16-byte nonce: the n-th call on this network always gives the same bytes. */
  nextNonce(): Uint8Array;
}

// Keys are pure functions of their names; memoised because X25519 in pure JS costs milliseconds.
const ed25519Keys = new Map<string, Ed25519Signer>();
const x25519Keys = new Map<string, X25519KeyPair>();

/** The fixed seed of `name`'s Ed25519 key: sha256('test/' + name) (an organisation's node key too). */
export function testKeySeed(name: string): Uint8Array {
  return sha256(utf8(`test/${name}`));
}

/** Ed25519 key from the fixed seed testKeySeed(name). */
export function testKey(name: string): Ed25519Signer {
  let signer = ed25519Keys.get(name);
  if (signer === undefined) {
    signer = new Ed25519Signer(testKeySeed(name));
    ed25519Keys.set(name, signer);
  }
  return signer;
}

/** The fixed X25519 secret of `name`: sha256('enc/' + name) (what a node key file of it holds). */
export function testEncryptionSecret(name: string): Uint8Array {
  return sha256(utf8(`enc/${name}`));
}

/** X25519 key pair from the fixed secret testEncryptionSecret(name). */
export function testEncryptionKey(name: string): X25519KeyPair {
  let pair = x25519Keys.get(name);
  if (pair === undefined) {
    pair = x25519KeyPairFromSecret(testEncryptionSecret(name));
    x25519Keys.set(name, pair);
  }
  return pair;
}

/** 16 bytes from a label: sha256('nonce/' + label), truncated. */
export function testNonce(label: string): Uint8Array {
  return sha256(utf8(`nonce/${label}`)).slice(0, 16);
}

/** Deterministic 32 bytes for digests, roots and commitments in tests. */
export function testDigest(label: string): Uint8Array {
  return sha256(utf8(`digest/${label}`));
}

export function testGenesis(options: TestNetworkOptions = {}): TestNetwork {
  const signers: Record<string, Ed25519Signer> = {};
  const encryptionKeys: Record<string, X25519KeyPair> = {};
  const organisations: Organisation[] = [...ORGANISATIONS, ...(options.extraOrganisations ?? [])].map(
    (org) => {
      const signer = testKey(org.id);
      const encryption = testEncryptionKey(org.id);
      signers[org.id] = signer;
      encryptionKeys[org.id] = encryption;
      return {
        ...org,
        nodeKey: signer.publicKey,
        encryptionKey: encryption.publicKey,
        p2pAddress: options.p2pAddress?.(org.id) ?? '/ip4/127.0.0.1/tcp/0',
      };
    },
  );
  const genesis: Genesis = {
    chainId: options.chainId ?? 'gba-health-test',
    genesisTimeMs: options.genesisTimeMs ?? TEST_GENESIS_TIME_MS,
    domain: 'health',
    organisations,
    consensus: {
      timeoutProposeMs: 1000,
      timeoutPrevoteMs: 500,
      timeoutPrecommitMs: 500,
      timeoutDeltaMs: 250,
      heartbeatMs: 1000,
      maxClockDriftMs: 2000,
      maxBlockTxs: LIMITS.maxTxsPerBlock,
      maxBlockBytes: LIMITS.maxBlockTxBytes,
      ...options.consensus,
    },
    policy: testPolicy(options.policy, options.thresholds),
  };
  let nonces = 0;
  return {
    genesis,
    signers,
    encryptionKeys,
    patient(name) {
      return testKey(`patient/${name}`);
    },
    nextNonce() {
      nonces += 1;
      return testNonce(`${genesis.chainId}/${nonces}`);
    },
  };
}

// --- builders -------------------------------------------------------------------------------

/** A signed transaction with everything a test needs to submit or refer to it. */
export interface BuiltTx<K extends TxKind = TxKind> {
  readonly kind: K;
  readonly body: TxBodies[K];
  readonly envelope: TxEnvelope;
  /** Canonical envelope bytes, as a block carries them. */
  readonly bytes: Uint8Array;
  readonly txId: Uint8Array;
  /** consentId of a grant, transferId of a declaration. */
  readonly objectId: Uint8Array;
}

/** The node key of organisation `id`: the network's, else the test key derived from the id. */
export function orgSigner(net: TestNetwork, id: string): Ed25519Signer {
  return net.signers[id] ?? testKey(id);
}

/** Signers instead of a builder's defaults (a test of a missing or wrong signature). */
type SignerOption = { readonly signers?: readonly Ed25519Signer[] };

export function buildTx<K extends TxKind>(
  net: TestNetwork,
  kind: K,
  body: TxBodies[K],
  signers: readonly Ed25519Signer[],
): BuiltTx<K> {
  const envelope = signTx(kind, body, signers, net.genesis.chainId);
  const bytes = encodeTxEnvelope(envelope);
  return { kind, body, envelope, bytes, txId: txIdOf(bytes), objectId: objectIdOf(envelope) };
}

export type GrantOptions = Partial<Omit<ConsentGrantBody, 'patient'>> & {
  /** Patient name (default 'alice'). */
  readonly patient?: string;
  /** Default: the patient and the sender hospital. */
  readonly signers?: readonly Ed25519Signer[];
};

/**
 * The consent the tests grant unless they say otherwise: hku-szh sends to ehealth-hk for
 * continuity of care, with the separate consents PIPL asks for and the patient's identity
 * verified by the hospital. The caller gives what differs between tests and runs.
 */
export function consentGrantBody(
  fields: Pick<
    ConsentGrantBody,
    'patient' | 'categories' | 'validFrom' | 'validUntil' | 'noticeDigest' | 'nonce'
  >,
): ConsentGrantBody {
  return {
    sender: 'hku-szh',
    allowedSenders: ['hku-szh'],
    recipient: 'ehealth-hk',
    purpose: 'continuity-of-care',
    separateConsent: { crossBorder: true, sensitive: true },
    hospitalVerifiedIdentity: true,
    ...fields,
  };
}

/** A consent by `patient` (default 'alice') for hku-szh -> ehealth-hk, valid 90 days from genesis. */
export function grantConsent(net: TestNetwork, options: GrantOptions = {}): BuiltTx<'consent.grant'> {
  const { patient: patientName = 'alice', signers, ...overrides } = options;
  const patient = net.patient(patientName);
  const start = Math.floor(net.genesis.genesisTimeMs / 1000);
  const body: ConsentGrantBody = {
    ...consentGrantBody({
      patient: patient.publicKey,
      categories: [
        'imaging-study',
        'radiology-report',
        'lab-result',
        'genetic-test-result',
        'allergy-record',
      ],
      validFrom: start,
      validUntil: start + 90 * DAY_SECONDS,
      noticeDigest: testDigest('notice/v1'),
      nonce: net.nextNonce(),
    }),
    ...overrides,
  };
  return buildTx(net, 'consent.grant', body, signers ?? [patient, orgSigner(net, body.sender)]);
}

export function testItem(overrides: Partial<TransferItem> = {}): TransferItem {
  const category = overrides.category ?? 'imaging-study';
  return {
    category,
    documentType: category === 'imaging-study' ? 'dicom-study' : 'pdf-report',
    sizeBytes: 1024 * 1024,
    digest: testDigest(`plaintext/${category}`),
    itemCommitment: testDigest(`commitment/${category}`),
    ...overrides,
  };
}

export type DeclareOptions = Partial<Omit<TransferDeclareBody, 'consentId'>> & {
  readonly consentId: Uint8Array;
  /** Item categories as a shortcut for `items` (one default item each). */
  readonly categories?: readonly string[];
  /** Default: the sender hospital's node key. */
  readonly signers?: readonly Ed25519Signer[];
};

/** A declaration under `consentId` by hku-szh to ehealth-hk on the GBA standard contract route. */
export function declareTransfer(net: TestNetwork, options: DeclareOptions): BuiltTx<'transfer.declare'> {
  const { signers, categories, ...overrides } = options;
  const items =
    overrides.items ?? (categories ?? ['imaging-study']).map((category) => testItem({ category }));
  const chunkBytes = LIMITS.payloadChunkBytes;
  const bytes = items.reduce((total, item) => total + item.sizeBytes, 0) + 16 * items.length;
  const body: TransferDeclareBody = {
    sender: 'hku-szh',
    recipient: 'ehealth-hk',
    route: { id: 'gba-standard-contract', filingReference: 'GBA-SC-2026-000001' },
    payload: {
      root: testDigest('payload-root'),
      bytes: Math.max(1, bytes),
      chunkBytes,
      chunkCount: Math.max(1, Math.ceil(bytes / chunkBytes)),
      ephemeralKey: testEncryptionKey('ephemeral').publicKey,
    },
    nonce: net.nextNonce(),
    ...overrides,
    items,
  };
  return buildTx(net, 'transfer.declare', body, signers ?? [orgSigner(net, body.sender)]);
}

export type AssessOptions = Partial<TransferAssessBody> & SignerOption & { readonly transferId: Uint8Array };

/** An approval by sz-cac unless overridden. */
export function assessTransfer(net: TestNetwork, options: AssessOptions): BuiltTx<'transfer.assess'> {
  const { signers, ...overrides } = options;
  const body: TransferAssessBody = { assessor: 'sz-cac', decision: 'approve', reason: 'OK', ...overrides };
  return buildTx(net, 'transfer.assess', body, signers ?? [orgSigner(net, body.assessor)]);
}

export type ReceiptOptions = Partial<TransferReceiptBody> &
  SignerOption & { readonly transferId: Uint8Array };

/** An accepting receipt by ehealth-hk for the default payload root (declareTransfer's). */
export function receiptFor(net: TestNetwork, options: ReceiptOptions): BuiltTx<'transfer.receipt'> {
  const { signers, ...overrides } = options;
  const accepted = overrides.accepted ?? true;
  const body: TransferReceiptBody = {
    recipient: 'ehealth-hk',
    payloadRoot: testDigest('payload-root'),
    accepted,
    reason: accepted ? 'OK' : 'CHUNK_DIGEST_MISMATCH',
    ...overrides,
  };
  return buildTx(net, 'transfer.receipt', body, signers ?? [orgSigner(net, body.recipient)]);
}

export type RevokeOptions = {
  readonly consentId: Uint8Array;
  /** Patient name (default 'alice'). */
  readonly patient?: string;
  /** Optional: a retry of a refused revocation needs one (otherwise it is the same transaction). */
  readonly nonce?: Uint8Array;
  readonly signers?: readonly Ed25519Signer[];
};

export function revokeConsent(net: TestNetwork, options: RevokeOptions): BuiltTx<'consent.revoke'> {
  const patient = net.patient(options.patient ?? 'alice');
  const body: ConsentRevokeBody = { consentId: options.consentId, patient: patient.publicKey };
  if (options.nonce) body.nonce = options.nonce;
  return buildTx(net, 'consent.revoke', body, options.signers ?? [patient]);
}

export type PolicyUpdateOptions = {
  readonly policy: Policy;
  /** Default: policy.version. */
  readonly version?: number;
  /** Default: every validator. */
  readonly signers?: readonly Ed25519Signer[];
};

export function updatePolicy(net: TestNetwork, options: PolicyUpdateOptions): BuiltTx<'policy.update'> {
  const body: PolicyUpdateBody = {
    version: options.version ?? options.policy.version,
    policy: options.policy,
  };
  return buildTx(net, 'policy.update', body, options.signers ?? VALIDATORS.map((id) => net.signers[id]!));
}

// --- a second valid envelope of the same body ------------------------------------------------

const ED25519_ORDER = ed25519.Point.Fn.ORDER;

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function bigIntToLittleEndian32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * An Ed25519 signature (RFC 8032 section 5.1.6) with a chosen nonce r instead of the
 * deterministic one. Verifiers cannot tell the difference: it is what another, randomised signing
 * implementation produces. Tests use it to build a second valid envelope of the same body.
 */
export function signWithNonce(signer: Ed25519Signer, message: Uint8Array, nonceLabel: string): Uint8Array {
  const expanded = sha512(signer.exportSeed());
  const clamped = expanded.slice(0, 32);
  clamped[0]! &= 248;
  clamped[31]! &= 127;
  clamped[31]! |= 64;
  const secretScalar = littleEndianToBigInt(clamped) % ED25519_ORDER;
  const r = (littleEndianToBigInt(sha512(utf8(`nonce/${nonceLabel}`))) % (ED25519_ORDER - 1n)) + 1n;
  const encodedR = ed25519.Point.BASE.multiply(r).toBytes();
  const k = littleEndianToBigInt(sha512(concatBytes(encodedR, signer.publicKey, message))) % ED25519_ORDER;
  return concatBytes(encodedR, bigIntToLittleEndian32((r + k * secretScalar) % ED25519_ORDER));
}

/** The same body, signed again by the same signers with other nonces: another txId, same objectId. */
export function resignTx<K extends TxKind>(
  net: TestNetwork,
  built: BuiltTx<K>,
  signers: readonly Ed25519Signer[],
  nonceLabel = 'resign',
): BuiltTx<K> {
  const bodyBytes = bodyBytesOf(built.envelope);
  const message = signingMessage(built.kind, net.genesis.chainId, bodyBytes);
  const sigs = signers
    .map((signer) => ({ signer: signer.publicKey, sig: signWithNonce(signer, message, nonceLabel) }))
    .sort((a, b) => compareBytes(a.signer, b.signer));
  const envelope: TxEnvelope = { kind: built.kind, body: built.envelope.body, sigs };
  const bytes = encodeTxEnvelope(envelope);
  return { ...built, envelope, bytes, txId: txIdOf(bytes) };
}

// --- an in-memory ledger --------------------------------------------------------------------

/**
 * Applies transactions block by block to a MemoryState through applyTx (no consensus, no Merkle
 * log): enough to drive the state machine of records in tests and the simulator.
 */
export class TestLedger {
  readonly state = new MemoryState();
  height = 0;
  timeMs: number;
  /** The state writes of the last block, as AppliedBlock.writes hands them to listeners. */
  lastWrites: readonly StateWrite[] = [];

  constructor(readonly net: TestNetwork) {
    this.timeMs = net.genesis.genesisTimeMs;
  }

  /** Applies one block at `timeMs` (default: one second after the previous block). */
  block(...txs: BuiltTx[]): TxOutcome[] {
    return this.blockAt(this.timeMs + 1000, ...txs);
  }

  blockAt(timeMs: number, ...txs: BuiltTx[]): TxOutcome[] {
    // Like a real block: if any transaction throws, nothing of the block is kept.
    const overlay = new StateOverlay(this.state);
    const height = this.height + 1;
    const outcomes = txs.map((tx) =>
      applyTx(overlay, tx.envelope, tx.txId, { genesis: this.net.genesis, blockTimeMs: timeMs, height }),
    );
    this.lastWrites = overlay.writes();
    this.state.apply(this.lastWrites);
    this.height = height;
    this.timeMs = timeMs;
    return outcomes;
  }

  /** Applies one block whose time is `seconds` (block time floor(ms / 1000) equals it). */
  blockAtSeconds(seconds: number, ...txs: BuiltTx[]): TxOutcome[] {
    return this.blockAt(seconds * 1000, ...txs);
  }
}
