// The node's two clocks. Wall-clock time means the same thing on every node (up to their skew):
// it stamps block headers (block-time.ts), judges whether a proposal is timely, and dates
// evidence. Monotonic time only measures intervals inside this process: proposal pacing, the
// stall watch, peer bans. An operating system steps its wall clock (an NTP correction, an operator
// with `date -s`); measured on it, an interval spanning a step back of an hour lasts an hour more
// (decision 67).

export interface Clock {
  /** Wall-clock time, milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Monotonic time in milliseconds from an arbitrary origin: for intervals only. */
  monotonicMs(): number;
}

export const SYSTEM_CLOCK: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};
