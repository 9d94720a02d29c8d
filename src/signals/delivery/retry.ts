/**
 * When a failed delivery is tried again. Steps grow from `baseMs` (5 s by default) as
 *
 *   5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 12 h, …
 *
 * each with jitter (`jitter` 1 = full jitter: a uniform delay in [0, step], which spreads the retries
 * of many deliveries that failed together), until `horizonMs` (24 h by default) after the delivery
 * was created: an attempt that would fall later is moved to the horizon itself, and after that
 * attempt the delivery fails. `maxAttempts` is a backstop on top of the horizon.
 *
 * The whole schedule scales with `baseMs` (WEBHOOK_RETRY_BASE_MS), so a test compresses a day into
 * seconds through configuration, not a special code path.
 */

/** Multiples of `baseMs`: 5 s … 12 h at the 5 s default. */
export const RETRY_STEPS = [1, 6, 24, 120, 360, 720, 2160, 4320, 8640] as const;
/** The horizon in multiples of `baseMs`: 24 h at the 5 s default. */
export const RETRY_HORIZON_STEPS = 17_280;

export interface RetryPolicy {
  baseMs: number;
  horizonMs: number;
  maxAttempts: number;
  /** 0: exact steps; 1: full jitter. */
  jitter: number;
}

/** The schedule for a base step (WEBHOOK_RETRY_BASE_MS). */
export const retryPolicy = (baseMs: number, over: Partial<Omit<RetryPolicy, "baseMs">> = {}): RetryPolicy => ({
  baseMs, horizonMs: baseMs * RETRY_HORIZON_STEPS, maxAttempts: 20, jitter: 1, ...over,
});

/**
 * When attempt number `attempts + 1` should run after `attempts` failed ones, the last at `now`; null
 * when the delivery should fail instead. `random` returns [0, 1).
 */
export function nextAttemptAt(p: RetryPolicy, attempts: number, createdAt: number, now: number, random: () => number): number | null {
  const deadline = createdAt + p.horizonMs;
  if (attempts >= p.maxAttempts || now >= deadline) return null;
  const step = RETRY_STEPS[Math.min(Math.max(attempts, 1), RETRY_STEPS.length) - 1]! * p.baseMs;
  const delay = Math.max(1, Math.round(step * (1 - p.jitter * random())));
  return Math.min(now + delay, deadline);
}
