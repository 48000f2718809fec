// Waiting in tests: poll a condition until it holds or a deadline passes. Never a fixed sleep:
// a fixed sleep is either too short on a busy machine or wastes time on an idle one.

export interface WaitOptions {
  /** Give up after this long. Default 10 s. */
  readonly timeoutMs?: number;
  /** Time between checks. Default 10 ms. */
  readonly intervalMs?: number;
}

/**
 * Resolves with the first truthy value of `condition` (sync or async); rejects with `what` in
 * the message when the deadline passes. An exception thrown by `condition` counts as "not yet".
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
