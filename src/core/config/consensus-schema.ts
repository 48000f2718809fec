// Consensus parameters of a network (design section 7), as they appear in genesis and templates.
// Every bound comes from LIMITS: timeouts are capped like the per-round growth they feed
// (Tendermint, arXiv:1807.04938 section 5, timeouts grow with the round), blocks by the ledger
// bounds that every node enforces on receipt anyway.
import { object, optional, type Schema, uint } from '../codec/schema.js';
import { LIMITS } from '../limits.js';
import type { ConsensusParams } from './genesis.js';

const timeoutMs = uint(LIMITS.maxTimeoutMs, 1);

export const consensusParamsSchema: Schema<ConsensusParams> = object({
  timeoutProposeMs: timeoutMs,
  timeoutPrevoteMs: timeoutMs,
  timeoutPrecommitMs: timeoutMs,
  timeoutDeltaMs: uint(LIMITS.maxTimeoutMs),
  heartbeatMs: uint(LIMITS.maxTimeoutMs),
  minBlockIntervalMs: optional(uint(LIMITS.maxTimeoutMs)),
  maxClockDriftMs: uint(LIMITS.maxTimeoutMs),
  maxBlockTxs: uint(LIMITS.maxTxsPerBlock, 1),
  maxBlockBytes: uint(LIMITS.maxBlockTxBytes, 1),
});
