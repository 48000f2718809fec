// Reconnect delays: exponential from LIMITS.minReconnectBackoffMs, capped at
// LIMITS.maxReconnectBackoffMs, with +-20 % jitter so peers that lost each other at the same
// moment do not redial in lockstep.
import { LIMITS } from '../../core/limits.js';

export interface BackoffOptions {
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

export function reconnectDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const minDelayMs = options.minDelayMs ?? LIMITS.minReconnectBackoffMs;
  const maxDelayMs = Math.min(
    options.maxDelayMs ?? LIMITS.maxReconnectBackoffMs,
    LIMITS.maxReconnectBackoffMs,
  );
  const exponential = minDelayMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(exponential, maxDelayMs);
  const jittered = capped * (0.8 + 0.4 * random());
  return Math.round(Math.min(jittered, maxDelayMs));
}
