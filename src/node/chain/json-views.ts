// JSON forms of ledger objects for the chain commands and the API: every byte string becomes
// lowercase hex (the chain CLI contract), everything else keeps its CBOR shape.
import { toHex } from '../../core/bytes.js';
import type { CborValue } from '../../core/codec/canonical.js';
import type { BlockHeader } from '../../core/ledger/block.js';
import type { CommitCertificate } from '../../core/ledger/certificate.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function cborToJson(value: CborValue | undefined): JsonValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map((item) => cborToJson(item));
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, child] of Object.entries(value)) if (child !== undefined) out[key] = cborToJson(child);
    return out;
  }
  return value;
}

export interface HeaderJson {
  chainId: string;
  height: number;
  timeMs: number;
  proposer: string;
  previousHash: string;
  txRoot: string;
  txCount: number;
  logSize: number;
  logRoot: string;
  stateHash: string;
  validatorsHash: string;
}

export function headerJson(header: BlockHeader): HeaderJson {
  return {
    chainId: header.chainId,
    height: header.height,
    timeMs: header.timeMs,
    proposer: header.proposer,
    previousHash: toHex(header.previousHash),
    txRoot: toHex(header.txRoot),
    txCount: header.txCount,
    logSize: header.logSize,
    logRoot: toHex(header.logRoot),
    stateHash: toHex(header.stateHash),
    validatorsHash: toHex(header.validatorsHash),
  };
}

export interface CertificateJson {
  round: number;
  signatures: { validator: string; signature: string }[];
}

export function certificateJson(certificate: CommitCertificate): CertificateJson {
  return {
    round: certificate.round,
    signatures: certificate.signatures.map((entry) => ({
      validator: entry.validator,
      signature: toHex(entry.signature),
    })),
  };
}
