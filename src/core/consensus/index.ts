// Tendermint consensus (arXiv:1807.04938, Algorithm 1): the pure state machine, its messages,
// their signing and wire codec, and the helpers the node shell needs.
export * from './block-hash.js';
export * from './block-time.js';
export * from './codec.js';
export * from './evidence.js';
export { defaultVerifier, initConsensus, step } from './machine.js';
export * from './messages.js';
export * from './proposer.js';
export * from './signing.js';
export type { ConsensusState, RoundState, ValueRef } from './state.js';
export { NIL_KEY, ownVoteKey, roundOf } from './state.js';
export * from './timeouts.js';
export * from './types.js';
