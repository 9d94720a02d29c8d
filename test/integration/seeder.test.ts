import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { candleFromTrades } from "../../src/domain/candles";
import { silentLogger } from "../../src/lib/log";
import { openSqliteStore } from "../../src/store/sqlite";
import { seedHistory } from "../../src/ingest/seeder";
import { LIGHTER } from "../../src/ingest/lighter-router";
import { runHistory } from "../../src/venues/lighter/sim";
import { simHistorySource } from "../../src/venues/lighter/sim/history-source";
import { tempDir } from "../support/process";

const dir = tempDir("seed");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Ten minutes of history starting mid-minute (bars at both edges are partial) and spanning the
// 01:00 funding settlement.
const from = Date.UTC(2026, 0, 1, 0, 55, 30);
const to = from + 10 * 60_000;

test("seeded history equals the simulator's own history, with exact candles and snapshots at the cadence", async () => {
  const store = await openSqliteStore({ path: `${dir}/seed.db` });
  await store.migrate();
  const md = store.marketData;
  const source = simHistorySource({ seed: 7, rate: 40 });
  const [report] = await seedHistory({ store: md, dataDir: dir, log: silentLogger(), source, windows: [{ label: "t", from, to }], snapshotEveryMs: 30_000, bar: null });
  expect(report!.skipped).toBe(false);

  // Ground truth: the same seed replays the same engine; collect its trades per market.
  const truth = new Map<number, Set<number>>();
  await runHistory({
    seed: 7, from, to, rate: 40, snapshotEveryMs: 30_000,
    onEvent(e) {
      if (e.type !== "trades") return;
      const ids = truth.get(e.marketId) ?? new Set<number>();
      for (const t of [...e.trades, ...e.liquidationTrades]) ids.add(t.trade_id);
      truth.set(e.marketId, ids);
    },
  });
  let total = 0;
  for (const [marketId, ids] of truth) {
    const stored = await md.queryTrades({ venue: LIGHTER, marketId, start: from, end: to + 1, limit: 1_000_000, offset: 0 });
    expect(new Set(stored.rows.map((t) => t.tradeId))).toEqual(ids);
    total += ids.size;
    // Every 1m bar equals the bar recomputed from the stored trades.
    const bars = await md.queryCandles({ venue: LIGHTER, marketId, resolution: "1m", start: from - 60_000, end: to + 60_000, limit: 100 });
    expect(bars).toEqual(candleFromTrades(stored.rows, "1m"));
    // And the 5m bars roll up the same trades.
    const five = await md.queryCandles({ venue: LIGHTER, marketId, resolution: "5m", start: from - 300_000, end: to + 300_000, limit: 100 });
    expect(five).toEqual(candleFromTrades(stored.rows, "5m"));
  }
  expect(total).toBeGreaterThan(100);
  expect(report!.trades).toBe(total);

  // One snapshot per 30 s of virtual time per market, once the first book arrived.
  const snaps = await md.queryBookSnapshots({ venue: LIGHTER, marketId: 0, start: from, end: to + 1, limit: 1000, offset: 0 });
  expect(snaps.total).toBeGreaterThanOrEqual(18);
  expect(snaps.total).toBeLessThanOrEqual(21);
  for (let i = 1; i < snaps.rows.length; i++) expect(snaps.rows[i]!.ts - snaps.rows[i - 1]!.ts).toBe(30_000);
  expect(snaps.rows[0]!.bids.length).toBeGreaterThan(0);

  // Exchange metrics: one sample per market per whole minute of the window.
  const metrics = await md.queryMarketMetrics({ venue: LIGHTER, marketId: 0, start: from, end: to + 1, limit: 100 });
  expect(metrics.length).toBeGreaterThanOrEqual(9);
  for (const m of metrics) expect(m.ts % 60_000).toBe(0);

  expect(metrics.every((m) => Number(m.openInterestUsd) > 0)).toBe(true);

  // The 01:00 settlement of every market came through the stats frames.
  const funding = await md.queryFunding({ venue: LIGHTER, start: from, end: to, limit: 100, offset: 0 });
  expect(new Set(funding.rows.map((f) => f.marketId))).toEqual(new Set(truth.keys()));
  expect(funding.rows.every((f) => Math.floor(f.ts / 3_600_000) * 3_600_000 === Date.UTC(2026, 0, 1, 1))).toBe(true);

  // A second run finds the window already seeded.
  const [again] = await seedHistory({ store: md, dataDir: dir, log: silentLogger(), source, windows: [{ label: "t", from, to }], bar: null });
  expect(again!.skipped).toBe(true);
  await store.close();
}, 60_000);
