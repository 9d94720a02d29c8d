import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { formatScaled, parseScaled } from "../lib/decimal";
import { silentLogger } from "../lib/log";
import { seedHistory } from "../ingest/seeder";
import { LIGHTER } from "../ingest/lighter-router";
import { openSqliteStore } from "../store/sqlite";
import type { Store } from "../store/ports";
import { runHistory } from "../venues/lighter/sim";
import { simHistorySource } from "../venues/lighter/sim/history-source";
import { tempDir } from "../../test/support/process";
import type { SignalRule } from "../domain/signals/rule";
import { BacktestRangeError, MAX_BACKTEST_RANGE_MS, runBacktest } from "./backtest";

const dir = tempDir("backtest");
const from = Date.UTC(2026, 0, 1, 0, 57, 0);
const to = from + 5 * 60_000;
const ETH = { priceDecimals: 2, sizeDecimals: 4 };
let store: Store;

/** The simulator's own trades of market 0 (ground truth, as wire decimals), in (ts, id) order. */
const truth: Array<{ id: number; ts: number; price: string; size: string }> = [];

beforeAll(async () => {
  store = await openSqliteStore({ path: `${dir}/bt.db` });
  await store.migrate();
  await seedHistory({ store: store.marketData, dataDir: dir, log: silentLogger(), source: simHistorySource({ seed: 11, rate: 40 }), windows: [{ label: "t", from, to }], snapshotEveryMs: 30_000, bar: null });
  await runHistory({
    seed: 11, from, to, rate: 40, snapshotEveryMs: 30_000,
    onEvent(e) {
      if (e.type !== "trades" || e.marketId !== 0) return;
      for (const t of [...e.trades, ...e.liquidationTrades]) truth.push({ id: t.trade_id, ts: t.timestamp, price: t.price, size: t.size });
    },
  });
  truth.sort((a, b) => a.ts - b.ts || a.id - b.id);
}, 120_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ── an independent recomputation: 18-decimal bigints, a plain loop, no evaluator code ──
const D = 18;
const big = (s: string) => parseScaled(s, D)!;
type Naive = { holds(t: { price: bigint; size: bigint }, prev: { price: bigint } | null): boolean; cooldownMs: number };

function recompute(rule: Naive): Array<{ ts: number; price: string }> {
  const out: Array<{ ts: number; price: string }> = [];
  let armAt = Number.NEGATIVE_INFINITY;
  let prev: { price: bigint } | null = null;
  for (const t of truth) {
    const cur = { price: big(t.price), size: big(t.size) };
    if (t.ts >= armAt && rule.holds(cur, prev)) {
      out.push({ ts: t.ts, price: formatScaled(parseScaled(t.price, ETH.priceDecimals)!, ETH.priceDecimals) });
      armAt = rule.cooldownMs === 0 ? Number.NEGATIVE_INFINITY : t.ts + rule.cooldownMs;
    }
    prev = cur;
  }
  return out;
}

const run = (rule: SignalRule, cooldownSecs: number, extra: { pageSize?: number; maxFirings?: number } = {}) =>
  runBacktest({ marketData: store.marketData, accounts: store.accounts, venue: LIGHTER, marketId: 0, market: ETH, rule, cooldownSecs, start: from, end: to + 1, maxFirings: extra.maxFirings ?? 10_000, pageSize: extra.pageSize });

const median = () => [...truth].map((t) => t.price).sort((a, b) => Number(big(a) - big(b)))[Math.floor(truth.length / 2)]!;

describe("backtest over seeded simulator history", () => {
  test("the seed produced enough trades to mean something", () => {
    expect(truth.length).toBeGreaterThan(100);
  });

  test("crosses_above with a cooldown equals the recomputation, at any page size", async () => {
    const level = median();
    const rule: SignalRule = { logic: "AND", conditions: [{ field: "trade_price", op: "crosses_above", value: level }] };
    const expected = recompute({ cooldownMs: 20_000, holds: (t, p) => p !== null && p.price <= big(level) && big(level) < t.price });
    expect(expected.length).toBeGreaterThan(1);
    const result = await run(rule, 20);
    expect(result.firings.map((f) => ({ ts: f.ts, price: f.values.trade_price }))).toEqual(expected);
    expect(result.count).toBe(expected.length);
    expect(result.scanned).toEqual({ trades: truth.length, books: 0, funding: 0, heatmaps: 0 });
    const paged = await run(rule, 20, { pageSize: 7 });
    expect(paged.firings).toEqual(result.firings);
  });

  test("OR of notional and size, and AND with cooldown 0, equal the recomputation", async () => {
    const level = median();
    const orRule: SignalRule = { logic: "OR", conditions: [{ field: "trade_notional", op: "gt", value: "2500" }, { field: "trade_size", op: "lte", value: "0.01" }] };
    const orExpected = recompute({ cooldownMs: 5_000, holds: (t) => t.price * t.size > big("2500") * 10n ** BigInt(D) || t.size <= big("0.01") });
    expect(orExpected.length).toBeGreaterThan(1);
    const or = await run(orRule, 5);
    expect(or.firings.map((f) => f.ts)).toEqual(orExpected.map((f) => f.ts));
    expect(or.firings.every((f) => f.values.trade_notional !== undefined && f.values.trade_size !== undefined)).toBe(true);

    const andRule: SignalRule = { logic: "AND", conditions: [{ field: "trade_price", op: "gte", value: level }, { field: "trade_size", op: "gte", value: "0.1" }] };
    const andExpected = recompute({ cooldownMs: 0, holds: (t) => t.price >= big(level) && t.size >= big("0.1") });
    const and = await run(andRule, 0, { maxFirings: 3 });
    expect(and.count).toBe(andExpected.length);
    expect(andExpected.length).toBeGreaterThan(3);
    expect(and.truncated).toBe(true);
    expect(and.firings.map((f) => f.ts)).toEqual(andExpected.slice(0, 3).map((f) => f.ts));
  });

  test("book fields come from the stored snapshots", async () => {
    const snaps = await store.marketData.queryBookSnapshots({ venue: LIGHTER, marketId: 0, start: from, end: to + 1, limit: 1000, offset: 0 });
    expect(snaps.rows.length).toBeGreaterThan(5);
    const rule: SignalRule = { logic: "AND", conditions: [{ field: "orderbook_spread", op: "gte", value: "0" }] };
    const result = await run(rule, 0);
    expect(result.firings.map((f) => f.ts)).toEqual(snaps.rows.map((s) => s.ts));
    expect(result.firings[0]!.values.orderbook_spread).toBe(formatScaled(snaps.rows[0]!.asks[0]![0] - snaps.rows[0]!.bids[0]![0], 2));
  });
});

describe("funding and heatmap history", () => {
  test("settlements and heatmap totals merge in time order", async () => {
    const s = await openSqliteStore({ path: `${dir}/fh.db` });
    await s.migrate();
    const t0 = Date.UTC(2026, 1, 1);
    await s.marketData.insertFunding([0, 1, 2, 3].map((h) => ({ venue: LIGHTER, marketId: 0, ts: t0 + h * 3_600_000, rate: ["0.0010", "0.0030", "-0.0005", "0.0040"][h]!, markPrice: 1, indexPrice: 1 })));
    const heat = (min: number, long: string) => ({ venue: LIGHTER, marketId: 0, ts: t0 + min * 60_000, markPrice: 1, longUsd: long, shortUsd: "0.000000", longNearUsd: "0.000000", shortNearUsd: "0.000000", longPositions: 1, shortPositions: 0, accounts: 1 });
    await s.accounts.insertHeatmapTotals([heat(0, "10.000000"), heat(60, "2000000.000000"), heat(61, "10.000000"), heat(179, "3000000.000000")]);
    const rule: SignalRule = { logic: "AND", conditions: [{ field: "funding_rate", op: "gt", value: "0.002" }, { field: "heatmap_long_at_risk", op: "gte", value: 1_000_000 }] };
    const result = await runBacktest({ marketData: s.marketData, accounts: s.accounts, venue: LIGHTER, marketId: 0, market: ETH, rule, cooldownSecs: 0, start: t0, end: t0 + 4 * 3_600_000, maxFirings: 10, pageSize: 2 });
    // 01:00 funding 0.003 and the heatmap of 01:00 (same ts: funding first, then heatmap → fires at the heatmap);
    // 02:59 heatmap while funding is −0.0005: no; 03:00 funding 0.004 with the 02:59 heatmap: fires.
    expect(result.firings.map((f) => [(f.ts - t0) / 60_000, f.values])).toEqual([
      [60, { funding_rate: "0.0030", heatmap_long_at_risk: "2000000.000000" }],
      [180, { funding_rate: "0.0040", heatmap_long_at_risk: "3000000.000000" }],
    ]);
    expect(result.scanned).toEqual({ trades: 0, books: 0, funding: 4, heatmaps: 4 });
    await s.close();
  });

  test("ranges are bounded", async () => {
    const base = { marketData: store.marketData, accounts: store.accounts, venue: LIGHTER, marketId: 0, market: ETH, rule: { logic: "AND" as const, conditions: [{ field: "trade_price" as const, op: "gt" as const, value: 1 }] }, cooldownSecs: 0, maxFirings: 1 };
    await expect(runBacktest({ ...base, start: 10, end: 10 })).rejects.toBeInstanceOf(BacktestRangeError);
    await expect(runBacktest({ ...base, start: 0, end: MAX_BACKTEST_RANGE_MS + 1 })).rejects.toBeInstanceOf(BacktestRangeError);
  });
});
