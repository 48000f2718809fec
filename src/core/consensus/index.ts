// Tendermint consensus (arXiv:1807.04938, Algorithm 1): the pure state machine, its messages,
// their signing and wire codec, and the helpers the node shell needs.
//
// The shell's side of the contract (src/node; test/sim/sim-node.ts is a complete example):
//  - Boot: initConsensus({ height: last committed + 1, lastBlock, wal: WAL records of that
//    height }) then step(state, { type: 'start-height' }).
//  - Carry out effects in order. `persist`: append to the WAL and fsync before the next effect
//    (it always precedes the broadcast of the same signed message). `schedule-timeout`: feed a
//    `timeout` input after delayMs. `validate-block`: verifyBlock plus policy against the
//    committed state, answer `block-validated`. `wait-for-txs`: answer `txs-available` once the
//    mempool has something to order or heartbeatMs (if non-zero) has passed. `request-proposal-block`:
//    build from the mempool within maxBlockTxs / maxBlockBytes, time = proposalTimeMs(last block
//    time, now), answer `proposal-value`. `decide`: commit block and certificate atomically, drop
//    its transactions from the mempool, then drop WAL records of heights <= the decided one.
//    `evidence`: keep (encodeEvidence) and report; verifyEvidence re-checks it offline.
//    `halted`: alert an operator. `send-proposal-request`: send the request to each listed
//    organisation; `send-proposal` / `send-vote`: send that message, as it is, to the one peer.
//  - Network: decodeConsensusMessage, then a `vote` input, a `proposal` input with nowMs =
//    the local clock at reception, or a `proposal-request` input naming the peer the transport
//    authenticated. A peer whose bytes do not decode may be dropped.
//  - Feed `peer-connected` for every new connection to a peer (it may have restarted), and
//    `regossip` when the node made no progress for a while (it re-sends own votes and the
//    proof of the valid value), and `committed-block` for a block obtained by block sync (after
//    verifyBlock; the machine checks the certificate).
export * from './block-hash.js';
export * from './block-time.js';
export * from './codec.js';
export * from './evidence.js';
export * from './evidence-codec.js';
export * from './evidence-verify.js';
export { defaultVerifier, initConsensus, step } from './machine.js';
export * from './messages.js';
export * from './proposer.js';
export * from './signing.js';
export type { ConsensusState, RoundState, ValueRef } from './state.js';
export { NIL_KEY, ownVoteKey, roundOf } from './state.js';
export * from './timeouts.js';
export * from './types.js';
