// Reconnect delays: exponential from LIMITS.minReconnectBackoffMs, capped at
// LIMITS.maxReconnectBackoffMs, with +-20 % jitter so peers that lost each other at the same
// moment do not redial in lockstep.
import { LIMITS } from '../../core/limits.js';

export interface BackoffOptions {
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * `firstMs` doubled `doublings` times, capped at `capMs`: the waits of every retry schedule here
 * (reconnects, payload fetch attempts, polls for disk room).
 */
export function doublingDelayMs(firstMs: number, doublings: number, capMs: number): number {
  return Math.min(firstMs * 2 ** Math.min(doublings, 30), capMs);
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
  const capped = doublingDelayMs(minDelayMs, attempt, maxDelayMs);
  const jittered = capped * (0.8 + 0.4 * random());
  return Math.round(Math.min(jittered, maxDelayMs));
}
