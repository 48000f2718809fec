// Timeouts grow linearly with the round so that, after GST, some round lasts long enough for
// every correct validator to hear from every other (arXiv:1807.04938, section 4, "timeoutX(r) =
// initTimeoutX + r * timeoutDelta"). They are capped at LIMITS.maxTimeoutMs: no unbounded backoff.
import type { ConsensusParams } from '../config/genesis.js';
import { LIMITS } from '../limits.js';
import type { TimeoutKind } from './types.js';

function baseTimeoutMs(params: ConsensusParams, kind: TimeoutKind): number {
  if (kind === 'propose') return params.timeoutProposeMs;
  if (kind === 'prevote') return params.timeoutPrevoteMs;
  return params.timeoutPrecommitMs;
}

export function timeoutMs(params: ConsensusParams, kind: TimeoutKind, round: number): number {
  return Math.min(baseTimeoutMs(params, kind) + round * params.timeoutDeltaMs, LIMITS.maxTimeoutMs);
}
