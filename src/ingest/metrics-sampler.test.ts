import { describe, expect, test } from "bun:test";
import type { MarketStats } from "../actors/market/market.events";
import { type Clock, ManualClock } from "../lib/clock";
import { createLogger, memorySink } from "../lib/log";
import type { MarketMetricRecord } from "../store/ports";
import { createMetricsSampler, type MetricsSamplerOptions } from "./metrics-sampler";

const MINUTE = 60_000;
/** 12:00:30 UTC: half a minute before the first boundary. */
const T0 = Date.UTC(2026, 0, 15, 12, 0, 30);
const M1 = Date.UTC(2026, 0, 15, 12, 1);

const stats = (over: Partial<MarketStats> = {}): MarketStats => ({
  markPrice: 320_000, indexPrice: 319_990, lastTradePrice: 320_010, openInterestUsd: "1234567.89", fundingRate: "0.0012",
  predictedFundingRate: "0.0010", lastFundingTime: null, ts: T0, ...over,
});

function setup(opts: Partial<MetricsSamplerOptions> = {}, clock: Clock = new ManualClock(T0)) {
  const batches: MarketMetricRecord[][] = [];
  const sampler = createMetricsSampler({ clock, record: (rows) => batches.push([...rows]), ...opts });
  const rows = () => batches.flat();
  return { sampler, batches, rows };
}

describe("createMetricsSampler", () => {
  test("records one row per market with stats at each minute boundary, stamped with the minute that starts", () => {
    const clock = new ManualClock(T0);
    const { sampler, batches, rows } = setup({ maxStaleMs: 10 * MINUTE }, clock);
    sampler.update("lighter", 0, stats());
    sampler.update("lighter", 1, stats({ markPrice: 9_500_000, indexPrice: 9_499_000, openInterestUsd: "100.5", fundingRate: null }));
    sampler.start();

    clock.set(M1 - 1);
    expect(batches).toEqual([]);
    clock.set(M1);
    expect(batches).toEqual([
      [
        { venue: "lighter", marketId: 0, ts: M1, openInterestUsd: "1234567.89", markPrice: 320_000, indexPrice: 319_990, fundingRate: "0.0012" },
        { venue: "lighter", marketId: 1, ts: M1, openInterestUsd: "100.5", markPrice: 9_500_000, indexPrice: 9_499_000, fundingRate: null },
      ],
    ]);

    // The latest stats win; every market keeps being sampled each minute.
    sampler.update("lighter", 0, stats({ openInterestUsd: "2000000", markPrice: 321_000 }));
    clock.advance(MINUTE);
    expect(batches[1]!.map((r) => [r.marketId, r.ts, r.openInterestUsd, r.markPrice])).toEqual([
      [0, M1 + MINUTE, "2000000", 321_000],
      [1, M1 + MINUTE, "100.5", 9_500_000],
    ]);
    clock.advance(3 * MINUTE);
    expect(rows().map((r) => r.ts)).toEqual([M1, M1, M1 + MINUTE, M1 + MINUTE, ...[2, 3, 4].flatMap((k) => [M1 + k * MINUTE, M1 + k * MINUTE])]);
    sampler.stop();
  });

  test("samples nothing before start() or after stop(), and leaves no timer behind", () => {
    const clock = new ManualClock(T0);
    const { sampler, batches } = setup({ maxStaleMs: 10 * MINUTE }, clock);
    sampler.update("lighter", 0, stats());
    clock.advance(5 * MINUTE);
    expect(batches).toEqual([]);

    sampler.start();
    sampler.start(); // idempotent: still one timer
    expect(clock.pending).toBe(1);
    clock.advance(MINUTE);
    expect(batches).toHaveLength(1);
    sampler.stop();
    expect(clock.pending).toBe(0);
    clock.advance(10 * MINUTE);
    expect(batches).toHaveLength(1);
  });

  test("leaves out stale stats, missing mark or index prices and non-decimal values; a fresh update brings a market back", () => {
    const clock = new ManualClock(T0);
    const { sampler, rows } = setup({ maxStaleMs: MINUTE }, clock);
    sampler.update("lighter", 0, stats()); // received at 12:00:30, never updated again
    sampler.update("lighter", 1, stats({ markPrice: null }));
    sampler.update("lighter", 2, stats({ indexPrice: null }));
    sampler.update("lighter", 3, stats({ openInterestUsd: "1e6" }));
    sampler.update("lighter", 4, stats({ fundingRate: "" }));
    sampler.start();

    clock.set(M1 + 2 * MINUTE); // 12:01 and 12:02: 30 s and 90 s after market 0's stats
    expect(rows().map((r) => [r.marketId, r.ts])).toEqual([[0, M1]]);

    sampler.update("lighter", 0, stats({ openInterestUsd: "5" }));
    sampler.update("lighter", 1, stats());
    clock.advance(MINUTE);
    expect(rows().slice(1).map((r) => [r.marketId, r.ts, r.openInterestUsd])).toEqual([
      [0, M1 + 3 * MINUTE, "5"],
      [1, M1 + 3 * MINUTE, "1234567.89"],
    ]);
    sampler.stop();
  });

  test("a timer that fires early samples the minute it was set for; a late one samples the current minute, never one twice", () => {
    const manual = new ManualClock(T0);
    let shift = 0;
    // Timers that fire `shift` ms off their due time (early, or late as after a stalled event loop).
    const skewed: Clock = { now: () => manual.now(), setTimeout: (fn, ms) => manual.setTimeout(fn, ms + shift), clearTimeout: (h) => manual.clearTimeout(h) };
    const { sampler, rows } = setup({ maxStaleMs: 10 * MINUTE }, skewed);
    sampler.update("lighter", 0, stats());

    shift = -1;
    sampler.start(); // due 12:01:00, fires at 12:00:59.999
    shift = 90_000; // the next one is set for 12:02:00 and fires at 12:03:30
    manual.set(M1 - 1);
    expect(rows().map((r) => r.ts)).toEqual([M1]);

    shift = 0;
    manual.set(M1 + 2 * MINUTE + 30_000);
    expect(rows().map((r) => r.ts)).toEqual([M1, M1 + 2 * MINUTE]);

    manual.advance(3 * MINUTE);
    expect(rows().map((r) => r.ts)).toEqual([M1, ...[2, 3, 4, 5].map((k) => M1 + k * MINUTE)]);
    sampler.stop();
  });

  test("a failing sink is logged, and sampling goes on at the next minute", async () => {
    const clock = new ManualClock(T0);
    const sink = memorySink();
    const log = createLogger({ level: "warn", sink });
    let calls = 0;
    const sampler = createMetricsSampler({
      clock,
      log,
      record: () => {
        calls += 1;
        if (calls === 1) throw new Error("recorder is closed");
      },
    });
    sampler.update("lighter", 0, stats());
    sampler.start();
    clock.set(M1 + MINUTE);
    expect(calls).toBe(2);
    await log.flush();
    expect(sink.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["metrics sampler: sampling failed"]);
    sampler.stop();
  });
});
