// Commit certificate (design section 6): more than 2/3 of the validators' precommit signatures
// for one block hash at one round. Each signature is a consensus precommit (consensus/vote.ts),
// so a certificate is checked by rebuilding each precommit's signed bytes.

export interface CertificateSignature {
  /** Organisation id of the validator. */
  readonly validator: string;
  /** Ed25519 signature over the precommit for (height, round, blockHash). */
  readonly signature: Uint8Array;
}

export interface CommitCertificate {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  /** Sorted by the validator's position in the genesis validator list, no repeats. */
  readonly signatures: readonly CertificateSignature[];
}
