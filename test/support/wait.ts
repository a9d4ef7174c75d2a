// Polling with a deadline: tests wait for a condition, never for a fixed time, and never forever.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** Give up after this long (default 60 s); the error names what was awaited and how long. */
  timeoutMs?: number;
  /** Pause between checks (default 100 ms). */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than `undefined`, `null` or `false`, and returns that; throws
 * `<what> not reached within <timeoutMs> ms` after the deadline. An error thrown by `check` ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() >= deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
