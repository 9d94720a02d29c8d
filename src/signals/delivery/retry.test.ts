import { describe, expect, test } from "bun:test";
import { createRandom } from "../../lib/random.ts";
import { RETRY_STEPS, nextAttemptAt, retryPolicy } from "./retry.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("retry schedule", () => {
  test("without jitter the steps are 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, 3 h, 6 h, 12 h, then 12 h", () => {
    const p = retryPolicy(5_000, { jitter: 0 });
    const delays = Array.from({ length: 10 }, (_, i) => nextAttemptAt(p, i + 1, 0, 0, () => 0.5)!);
    expect(delays).toEqual([5_000, 30_000, 2 * MIN, 10 * MIN, 30 * MIN, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 12 * HOUR]);
  });

  test("the attempts of one delivery span about a day, the last one at the 24 h horizon, then it fails", () => {
    const p = retryPolicy(5_000, { jitter: 0 });
    const times = [0];
    for (let at = 0; ; ) {
      const next = nextAttemptAt(p, times.length, 0, at, () => 0);
      if (next === null) break;
      times.push((at = next));
    }
    expect(times.length).toBe(11);
    expect(times.at(-2)).toBe(RETRY_STEPS.reduce((a, s) => a + s * 5_000, 0)); // 22 h 42 m 35 s
    expect(times.at(-1)).toBe(24 * HOUR);
  });

  test("full jitter keeps every delay within [1 ms, step] and never past the horizon", () => {
    const rnd = createRandom(7);
    const p = retryPolicy(5_000);
    for (let i = 0; i < 2_000; i++) {
      const attempts = rnd.int(1, 15);
      const now = rnd.int(0, 24 * HOUR);
      const next = nextAttemptAt(p, attempts, 0, now, () => rnd.next());
      if (next === null) continue;
      const step = RETRY_STEPS[Math.min(attempts, RETRY_STEPS.length) - 1]! * 5_000;
      expect(next - now).toBeGreaterThanOrEqual(Math.min(1, 24 * HOUR - now));
      expect(next - now).toBeLessThanOrEqual(step);
      expect(next).toBeLessThanOrEqual(24 * HOUR);
    }
  });

  test("the schedule scales with its base (a test compresses a day into seconds) and stops at maxAttempts", () => {
    const p = retryPolicy(2, { jitter: 0 });
    expect(nextAttemptAt(p, 1, 0, 0, Math.random)).toBe(2);
    expect(nextAttemptAt(p, 9, 0, 0, Math.random)).toBe(2 * 8_640);
    expect(nextAttemptAt(p, 3, 0, 2 * 17_280, Math.random)).toBeNull();
    expect(nextAttemptAt(retryPolicy(5_000, { maxAttempts: 3 }), 3, 0, 0, Math.random)).toBeNull();
  });
});
