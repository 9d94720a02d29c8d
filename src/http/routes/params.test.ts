import { describe, expect, test } from "bun:test";
import { DAY_MS, HOUR_MS } from "../../domain/time";
import { AppError } from "../../lib/errors";
import { describeDuration, parseDecimalQuery, parseTime, resolveRange } from "./params";

/** The AppError a call throws (fails the test when it does not throw one). */
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

const T = Date.UTC(2026, 0, 1);

describe("resolveRange", () => {
  test("parses both ends, defaults end to now and accepts a range exactly at the limit", () => {
    expect(resolveRange({ start: "2026-01-01", end: String(T + DAY_MS) }, 0, { maxMs: DAY_MS })).toEqual({ start: T, end: T + DAY_MS });
    expect(resolveRange({ start: String(T) }, T + 5, { maxMs: DAY_MS })).toEqual({ start: T, end: T + 5 });
    expect(resolveRange({}, T + HOUR_MS, { maxMs: DAY_MS, defaultStart: (end) => end - 60_000 })).toEqual({ start: T + HOUR_MS - 60_000, end: T + HOUR_MS });
  });

  test("a missing start, an empty or reversed range and an over-long one are 400s naming the parameter and the limit", () => {
    expect(thrown(() => resolveRange({}, T, { maxMs: DAY_MS })).message).toStartWith("query parameter 'start' is required");
    const empty = thrown(() => resolveRange({ start: String(T), end: String(T) }, 0, { maxMs: DAY_MS }));
    expect(empty.status).toBe(400);
    expect(empty.details).toEqual({ in: "query", field: "start" });
    const long = thrown(() => resolveRange({ start: String(T), end: String(T + DAY_MS + 1) }, 0, { maxMs: DAY_MS }));
    expect(long.message).toBe("time range too long: at most 1 day between 'start' and 'end' on this endpoint (got 86400001 milliseconds)");
    expect(long.details).toMatchObject({ max_range_ms: DAY_MS });
  });

  test("bad times name the parameter and echo the value", () => {
    expect(thrown(() => parseTime("at", "soon")).message).toMatch(/^query parameter 'at' must be a time .* got 'soon'$/);
    expect(thrown(() => resolveRange({ start: String(T), end: "1700000000" }, 0, { maxMs: DAY_MS })).details).toEqual({ in: "query", field: "end" });
  });
});

test("describeDuration picks the largest whole unit", () => {
  expect([7 * DAY_MS, DAY_MS, 25 * HOUR_MS, 90 * 60_000, 1_500].map(describeDuration)).toEqual(["7 days", "1 day", "25 hours", "90 minutes", "1500 milliseconds"]);
});

describe("parseDecimalQuery", () => {
  test("scales to venue units; finer digits are refused, floored or ceiled as asked", () => {
    expect(parseDecimalQuery("p", "3200.5", 2, "exact")).toBe(320_050);
    expect(parseDecimalQuery("p", "3200", 2, "exact")).toBe(320_000);
    expect(parseDecimalQuery("p", "0.0100", 2, "exact")).toBe(1);
    expect(parseDecimalQuery("p", "3200.001", 2, "floor")).toBe(320_000);
    expect(parseDecimalQuery("p", "3200.001", 2, "ceil")).toBe(320_001);
    expect(thrown(() => parseDecimalQuery("min_price", "3200.001", 2, "exact")).message).toBe("query parameter 'min_price' has more than 2 decimals, this market's precision; got '3200.001'");
  });

  test("signs, exponents, blanks and huge values are 400s", () => {
    for (const bad of ["-1", "1e3", "", " 1", "1.", ".5", "0x10"]) {
      expect(thrown(() => parseDecimalQuery("tick_size", bad, 2, "exact")).message).toStartWith("query parameter 'tick_size' must be a non-negative decimal");
    }
    expect(thrown(() => parseDecimalQuery("max_price", "99999999999999999", 2, "floor")).message).toBe("query parameter 'max_price' is out of range; got '99999999999999999'");
  });
});
