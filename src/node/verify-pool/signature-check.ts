// One Ed25519 signature to check: the public key, the exact signed bytes (already domain-separated,
// see src/core/crypto/domain.ts) and the signature. The pool checks it with the one
// `verifySignature` of src/core/crypto/ed25519.ts, so its answer is the single-threaded answer.
export interface SignatureCheck {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}
