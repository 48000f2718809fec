// Block time (issue 4, item 3). The proposer stamps its own clock, and block time strictly
// increases (Tendermint's BFT time rule): header.timeMs = max(previous.timeMs + 1, nowMs).
// A validator accepts a fresh proposal only if its time is later than the previous block's
// (objective: every node judges it the same way, so it is part of validity) and at most
// maxClockDriftMs ahead of its own clock (subjective: it only decides the prevote, as the
// "timely" predicate of Tendermint's proposer-based timestamps). Consent validity is judged against
// block time, never a local clock.

/** The time a proposer puts in the header of a block it builds. */
export function proposalTimeMs(previousTimeMs: number, nowMs: number): number {
  return Math.max(previousTimeMs + 1, nowMs);
}

/** Objective rule: block time strictly increases along the chain. */
export function isAfterPrevious(timeMs: number, previousTimeMs: number): boolean {
  return timeMs > previousTimeMs;
}

/** Subjective rule, judged once at reception: not further ahead of our clock than the drift bound. */
export function isTimely(timeMs: number, nowMs: number, maxClockDriftMs: number): boolean {
  return timeMs <= nowMs + maxClockDriftMs;
}
