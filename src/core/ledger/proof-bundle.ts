// Offline proof bundle (design section 6): one transaction, its RFC 9162 inclusion proof, the
// header of the block that holds it, and that block's commit certificate. With only the genesis
// file anyone can check that a regulator quorum committed exactly this transaction at this
// height: the certificate signs the header hash (> 2/3 of the genesis validators), the header
// carries logRoot and logSize, and the proof leads from the transaction's leaf hash to logRoot
// (RFC 9162 2.1.3.2). The leaf index must fall in the block's own range of the log, so the bundle
// also proves the height. It does not prove the policy verdict, which is state, not log.
import { bytesEqual } from '../bytes.js';
import { decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { array, bytes, literal, object, uint } from '../codec/schema.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { isBayledgerError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { leafHash, verifyInclusion } from '../merkle/index.js';
import type { TxKind } from '../records/envelope.js';
import { decodeTxEnvelope, txIdOf, verifyTx } from '../records/index.js';
import type { BlockHeader } from './block.js';
import { BLOCK_HEADER_SCHEMA, headerToCbor } from './block-codec.js';
import { blockHash } from './block-hash.js';
import type { CommitCertificate } from './certificate.js';
import { CERTIFICATE_SCHEMA, certificateToCbor } from './certificate-codec.js';
import { verifyCertificate } from './certificate-verify.js';
import type { ChainParams } from './chain-params.js';

export const PROOF_BUNDLE_FORMAT = 'bayledger/proof-bundle';
export const PROOF_BUNDLE_VERSION = 1;

export interface ProofBundle {
  /** Canonical signed envelope: the leaf bytes. */
  readonly tx: Uint8Array;
  readonly leafIndex: number;
  /** The header's logSize: the proof is against the log as of this block. */
  readonly treeSize: number;
  /** RFC 9162 2.1.3.1 audit path, leaf to root. */
  readonly path: readonly Uint8Array[];
  readonly header: BlockHeader;
  readonly certificate: CommitCertificate;
}

const BUNDLE_SCHEMA = object({
  format: literal(PROOF_BUNDLE_FORMAT),
  version: uint(PROOF_BUNDLE_VERSION, PROOF_BUNDLE_VERSION),
  tx: bytes(undefined, LIMITS.maxTxBytes),
  leafIndex: uint(),
  treeSize: uint(),
  // A path has at most one hash per level, and levels are bounded by the 2^53 safe-integer range.
  path: array(bytes(HASH_BYTES), 64),
  header: BLOCK_HEADER_SCHEMA,
  certificate: CERTIFICATE_SCHEMA,
});

export function encodeProofBundle(bundle: ProofBundle): Uint8Array {
  return encodeCanonical({
    format: PROOF_BUNDLE_FORMAT,
    version: PROOF_BUNDLE_VERSION,
    tx: bundle.tx,
    leafIndex: bundle.leafIndex,
    treeSize: bundle.treeSize,
    path: [...bundle.path],
    header: headerToCbor(bundle.header),
    certificate: certificateToCbor(bundle.certificate),
  });
}

/** Decodes a bundle file: canonical CBOR, closed schema; throws BayledgerError naming the field. */
export function decodeProofBundle(encoded: Uint8Array): ProofBundle {
  const parsed = BUNDLE_SCHEMA.parse(decodeCanonical(encoded, LIMITS.maxProofBundleBytes), 'bundle');
  return {
    tx: parsed.tx,
    leafIndex: parsed.leafIndex,
    treeSize: parsed.treeSize,
    path: parsed.path,
    header: parsed.header,
    certificate: parsed.certificate,
  };
}

export interface ProvenTransaction {
  readonly ok: true;
  readonly chainId: string;
  readonly txId: Uint8Array;
  readonly kind: TxKind;
  readonly height: number;
  readonly blockHash: Uint8Array;
  readonly leafIndex: number;
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  /** Validators whose precommit signatures form the certificate, in validator order. */
  readonly signers: readonly string[];
  readonly round: number;
}

export type BundleVerdict = ProvenTransaction | { readonly ok: false; readonly reason: string };

function rejected(reason: string): BundleVerdict {
  return { ok: false, reason };
}

/** Checks a bundle against the genesis alone and says what it proves. */
export function verifyProofBundle(bundle: ProofBundle, params: ChainParams): BundleVerdict {
  const { header, certificate } = bundle;
  if (header.chainId !== params.chainId)
    return rejected(`header is for chain ${header.chainId}, not ${params.chainId}`);
  if (!bytesEqual(header.validatorsHash, params.validatorsHash)) {
    return rejected('header names another validator set than the genesis file');
  }
  const hash = blockHash(header);
  const check = verifyCertificate(certificate, params.validators, params.chainId, {
    height: header.height,
    blockHash: hash,
  });
  if (!check.ok) return rejected(`certificate: ${check.reason}`);
  if (bundle.treeSize !== header.logSize) {
    return rejected(`proof is for tree size ${bundle.treeSize}, the header's log has ${header.logSize}`);
  }
  const firstLeaf = header.logSize - header.txCount;
  if (bundle.leafIndex < firstLeaf || bundle.leafIndex >= header.logSize) {
    return rejected(
      `leaf ${bundle.leafIndex} is not in block ${header.height} (leaves ${firstLeaf} to ${header.logSize - 1})`,
    );
  }
  const inclusion = verifyInclusion(
    leafHash(bundle.tx),
    bundle.leafIndex,
    bundle.treeSize,
    [...bundle.path],
    header.logRoot,
  );
  if (!inclusion.ok) return rejected(`inclusion proof: ${inclusion.reason}`);
  let kind: TxKind;
  try {
    const envelope = decodeTxEnvelope(bundle.tx);
    const txCheck = verifyTx(envelope, params.genesis);
    if (!txCheck.ok) return rejected(`transaction: ${txCheck.code}: ${txCheck.reason}`);
    kind = envelope.kind;
  } catch (error) {
    if (!isBayledgerError(error)) throw error;
    return rejected(`transaction: ${error.message}`);
  }
  return {
    ok: true,
    chainId: params.chainId,
    txId: txIdOf(bundle.tx),
    kind,
    height: header.height,
    blockHash: hash,
    leafIndex: bundle.leafIndex,
    logSize: header.logSize,
    logRoot: header.logRoot,
    signers: check.signers,
    round: certificate.round,
  };
}
