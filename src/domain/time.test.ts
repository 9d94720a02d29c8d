import { describe, expect, test } from "bun:test";
import { createRandom } from "../lib/random.ts";
import {
  alignTime,
  alignToInterval,
  CANDLE_RESOLUTIONS,
  DAY_MS,
  HOUR_MS,
  isCandleResolution,
  MAX_TIME_MS,
  MIN_TIME_MS,
  MINUTE_MS,
  parseInterval,
  parseTimeParam,
  RESOLUTION_MS,
  SECOND_MS,
  WEEK_MS,
} from "./time.ts";

const JAN_1_2024 = Date.UTC(2024, 0, 1); // 1704067200000, a Monday

describe("parseTimeParam", () => {
  test("accepts ms epoch as a number or a digit string", () => {
    expect(parseTimeParam(JAN_1_2024)).toBe(JAN_1_2024);
    expect(parseTimeParam("1704067200000")).toBe(JAN_1_2024);
  });

  test("accepts ISO-8601 with Z, offsets, milliseconds and sub-ms fractions", () => {
    expect(parseTimeParam("2024-01-01T00:00:00Z")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-01-01T00:00:00.123Z")).toBe(JAN_1_2024 + 123);
    expect(parseTimeParam("2024-01-01T00:00:00.1Z")).toBe(JAN_1_2024 + 100);
    expect(parseTimeParam("2024-01-01T00:00:00.123999999Z")).toBe(JAN_1_2024 + 123);
    expect(parseTimeParam("2024-01-01T02:00:00+02:00")).toBe(JAN_1_2024);
    expect(parseTimeParam("2023-12-31T19:00:00-05:00")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-01-01T05:30:00+0530")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-01-01T00:00:00+00:00")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-01-01T00:00Z")).toBe(JAN_1_2024);
  });

  test("reads a date-time without offset as UTC, and a space as the T separator", () => {
    expect(parseTimeParam("2024-01-01T00:00:00")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-01-01 00:00:00")).toBe(JAN_1_2024);
  });

  test("reads an offset whose + was decoded to a space in a query string", () => {
    expect(parseTimeParam("2024-01-01T02:00:00 02:00")).toBe(JAN_1_2024);
  });

  test("reads a bare date as UTC midnight", () => {
    expect(parseTimeParam("2024-01-01")).toBe(JAN_1_2024);
    expect(parseTimeParam("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
  });

  test("rejects garbage", () => {
    for (const bad of ["", "now", "yesterday", "2024", "2024-1-1", "20240101", "2024-01-01T", "1e12", "0x10", " 1704067200000", "-1704067200000", "2024-01-01T00:00:00ZZ", "1704067200000.5"]) {
      expect(parseTimeParam(bad)).toBeNull();
    }
    expect(parseTimeParam(Number.NaN)).toBeNull();
    expect(parseTimeParam(Number.POSITIVE_INFINITY)).toBeNull();
    expect(parseTimeParam(JAN_1_2024 + 0.5)).toBeNull();
  });

  test("rejects impossible calendar values", () => {
    for (const bad of ["2026-02-30", "2023-02-29", "2100-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60"]) {
      expect(parseTimeParam(bad)).toBeNull();
    }
    expect(parseTimeParam("2000-02-29")).toBe(Date.UTC(2000, 1, 29));
  });

  test("rejects times before 2000 or after 2100-01-01", () => {
    expect(parseTimeParam("1999-12-31T23:59:59.999Z")).toBeNull();
    expect(parseTimeParam("2000-01-01")).toBe(MIN_TIME_MS);
    expect(parseTimeParam("2100-01-01")).toBe(MAX_TIME_MS);
    expect(parseTimeParam("2100-01-01T00:00:00.001Z")).toBeNull();
    expect(parseTimeParam("2000-01-01T00:30:00+01:00")).toBeNull();
    expect(parseTimeParam("0099-01-01")).toBeNull();
  });

  test("does not misread a seconds epoch as ms: it is rejected as 1970", () => {
    expect(parseTimeParam("1704067200")).toBeNull();
    expect(parseTimeParam(1704067200)).toBeNull();
  });

  test("round-trips random toISOString and ms-string values", () => {
    const rnd = createRandom(7);
    for (let i = 0; i < 2000; i++) {
      const ms = rnd.int(MIN_TIME_MS, MAX_TIME_MS);
      const iso = new Date(ms).toISOString();
      expect(parseTimeParam(iso)).toBe(ms);
      expect(parseTimeParam(String(ms))).toBe(ms);
    }
  });
});

describe("parseInterval", () => {
  test("parses each unit", () => {
    expect(parseInterval("1s")).toBe(SECOND_MS);
    expect(parseInterval("5s")).toBe(5 * SECOND_MS);
    expect(parseInterval("1m")).toBe(MINUTE_MS);
    expect(parseInterval("15m")).toBe(15 * MINUTE_MS);
    expect(parseInterval("1h")).toBe(HOUR_MS);
    expect(parseInterval("1d")).toBe(DAY_MS);
    expect(parseInterval("1w")).toBe(WEEK_MS);
    expect(parseInterval("90s")).toBe(90 * SECOND_MS);
    expect(parseInterval("168h")).toBe(WEEK_MS);
  });

  test("rejects zero, negatives, junk and anything past a week", () => {
    for (const bad of ["", "0s", "0m", "-1m", "1", "m", "1.5m", "01m", "1M", "1H", "1h30m", "1ms", " 1m", "1m ", "2w", "8d", "169h", "99999999s"]) {
      expect(parseInterval(bad)).toBeNull();
    }
  });
});

describe("alignTime", () => {
  test("aligns intraday bars to UTC multiples", () => {
    const t = Date.UTC(2024, 0, 3, 13, 47, 12, 345);
    expect(alignTime(t, "1m")).toBe(Date.UTC(2024, 0, 3, 13, 47));
    expect(alignTime(t, "5m")).toBe(Date.UTC(2024, 0, 3, 13, 45));
    expect(alignTime(t, "15m")).toBe(Date.UTC(2024, 0, 3, 13, 45));
    expect(alignTime(t, "30m")).toBe(Date.UTC(2024, 0, 3, 13, 30));
    expect(alignTime(t, "1h")).toBe(Date.UTC(2024, 0, 3, 13));
    expect(alignTime(t, "4h")).toBe(Date.UTC(2024, 0, 3, 12));
    expect(alignTime(t, "1d")).toBe(Date.UTC(2024, 0, 3));
  });

  test("starts weeks on Monday 00:00 UTC", () => {
    // 2024-01-01 is a Monday; 2024-01-07 23:59:59.999 is the Sunday that ends its week.
    expect(alignTime(JAN_1_2024, "1w")).toBe(JAN_1_2024);
    expect(alignTime(Date.UTC(2024, 0, 7, 23, 59, 59, 999), "1w")).toBe(JAN_1_2024);
    expect(alignTime(Date.UTC(2024, 0, 8), "1w")).toBe(Date.UTC(2024, 0, 8));
    expect(alignTime(Date.UTC(2023, 11, 31, 12), "1w")).toBe(Date.UTC(2023, 11, 25));
    // Before the grid origin (the epoch week began on Monday 1969-12-29).
    expect(alignTime(0, "1w")).toBe(Date.UTC(1969, 11, 29));
  });

  test("property: idempotent, contains ts, and weeks land on Mondays", () => {
    const rnd = createRandom(20240101);
    for (let i = 0; i < 5000; i++) {
      const ts = rnd.int(-WEEK_MS, MAX_TIME_MS);
      for (const r of CANDLE_RESOLUTIONS) {
        const a = alignTime(ts, r);
        expect(alignTime(a, r)).toBe(a);
        expect(a <= ts && ts < a + RESOLUTION_MS[r]).toBe(true);
      }
      expect(new Date(alignTime(ts, "1w")).getUTCDay()).toBe(1);
    }
  });

  test("alignToInterval floors toward minus infinity around its origin", () => {
    expect(alignToInterval(-1, 1000)).toBe(-1000);
    expect(alignToInterval(1500, 1000, 700)).toBe(700);
    expect(alignToInterval(1700, 1000, 700)).toBe(1700);
  });

  test("isCandleResolution guards query strings", () => {
    expect(isCandleResolution("1h")).toBe(true);
    expect(isCandleResolution("2h")).toBe(false);
    expect(isCandleResolution("toString")).toBe(false);
  });
});
