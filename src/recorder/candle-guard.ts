/**
 * Candle upserts replace unconditionally, so a journal replay could move a bar backwards: after a
 * crash mid-drain the whole segment is replayed over versions already written from it, and after
 * an ingest fail-over another node may have stored newer versions than an old journal holds.
 * Recording order (journal before buffer) covers the first case only eventually; this guard covers
 * both for replays. A bar's candle only grows while its bar is open (every trade adds one to
 * `tradeCount`), so a stored row with more trades is newer and the replayed one is dropped.
 * Only journal replays pay for the extra read; live batches are already in recording order.
 */
import type { CandleRecord, CandleResolution, MarketDataStore } from "../store/ports.ts";

const RESOLUTION_MS: Record<CandleResolution, number> = {
  "1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
  "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000, "1w": 604_800_000,
};

/** The rows of `rows` not older than what the store already holds for their bar. */
export async function dropStaleCandles(store: MarketDataStore, rows: readonly CandleRecord[]): Promise<CandleRecord[]> {
  const groups = new Map<string, { first: CandleRecord; min: number; max: number }>();
  for (const r of rows) {
    const key = `${r.venue}\u0000${r.marketId}\u0000${r.resolution}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { first: r, min: r.openTime, max: r.openTime });
    else {
      g.min = Math.min(g.min, r.openTime);
      g.max = Math.max(g.max, r.openTime);
    }
  }
  const storedTrades = new Map<string, number>();
  for (const [key, g] of groups) {
    const stored = await store.queryCandles({
      venue: g.first.venue,
      marketId: g.first.marketId,
      resolution: g.first.resolution,
      start: g.min,
      end: g.max + 1,
      // Every bar in the span, so a sparse batch cannot push a stored bar past the limit.
      limit: Math.floor((g.max - g.min) / RESOLUTION_MS[g.first.resolution]) + 1,
    });
    for (const c of stored) storedTrades.set(`${key}\u0000${c.openTime}`, c.tradeCount);
  }
  return rows.filter((r) => {
    const have = storedTrades.get(`${r.venue}\u0000${r.marketId}\u0000${r.resolution}\u0000${r.openTime}`);
    return have === undefined || have <= r.tradeCount;
  });
}
