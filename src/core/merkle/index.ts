// RFC 9162 Merkle log: tree hash, proof generation from stored subtree nodes, proof verification.
export * from './hash.js';
export * from './proofs.js';
export * from './tree.js';
export * from './verify.js';
