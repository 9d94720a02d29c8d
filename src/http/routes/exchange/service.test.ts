import { afterAll, beforeAll, expect, test } from "bun:test";
import { ManualClock } from "../../../lib/clock";
import { createLiveMarkets } from "../../../market/live";
import { createMemoryCache } from "../../../store/memory/cache";
import type { MarketDataStore, Store } from "../../../store/ports";
import { openSqliteStore } from "../../../store/sqlite";
import { ExchangeService } from "./service";

const VENUE = "lighter";
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const clock = new ManualClock(NOW);
const live = createLiveMarkets(createMemoryCache(clock));
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  await live.putMarkets(VENUE, [{ venue: VENUE, marketId: 0, symbol: "X", priceDecimals: 1, sizeDecimals: 1, status: "active", minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0 }]);
  await store.marketData.upsertCandles([
    // The first bar of the window (open) and the current one (close), and one just outside.
    { venue: VENUE, marketId: 0, resolution: "1m", openTime: NOW - 1439 * 60_000, open: 1_000, high: 1_100, low: 900, close: 1_050, volume: 10, quoteVolume: 10_000n, tradeCount: 2, buyVolume: 5 },
    { venue: VENUE, marketId: 0, resolution: "1m", openTime: NOW, open: 1_050, high: 1_200, low: 1_000, close: 995, volume: 20, quoteVolume: 21_000n, tradeCount: 3, buyVolume: 5 },
    { venue: VENUE, marketId: 0, resolution: "1m", openTime: NOW - 1440 * 60_000, open: 1, high: 99_999, low: 1, close: 1, volume: 1, quoteVolume: 1n, tradeCount: 1, buyVolume: 0 },
  ]);
});
afterAll(() => store.close());

/** The real store, with candle reads counted and failing while `failing` is set. */
function counted(): { md: MarketDataStore; reads: () => number; fail: (on: boolean) => void } {
  let reads = 0;
  let failing = false;
  const md: MarketDataStore = Object.create(store.marketData);
  md.queryCandles = async (q) => {
    reads++;
    if (failing) throw new Error("injected store failure");
    return store.marketData.queryCandles(q);
  };
  return { md, reads: () => reads, fail: (on) => void (failing = on) };
}

test("the rolling window is the current 1m bar and the 1439 before it; change is exact to 4 decimals", async () => {
  const stats = await new ExchangeService({ venue: VENUE, live, store: store.marketData, clock }).stats();
  expect(stats.markets[0]).toMatchObject({
    volume_24h: "3.0", quote_volume_24h: "310.00", trades_24h: 5, open_24h: "100.0", high_24h: "120.0", low_24h: "90.0", last_price: "99.5",
    price_change_24h: "-0.5", price_change_pct_24h: "-0.5000", open_interest_usd: null, mark_price: null,
  });
  expect(stats.totals).toEqual({ markets: 1, active_markets: 1, volume_24h_usd: "310.00", trades_24h: 5, open_interest_usd: "0" });
});

test("concurrent callers share one computation; it is reused for a second; a failure is not cached", async () => {
  const { md, reads, fail } = counted();
  const service = new ExchangeService({ venue: VENUE, live, store: md, clock });
  const [a, b] = await Promise.all([service.stats(), service.stats()]);
  expect(a).toBe(b);
  expect(reads()).toBe(1);
  clock.advance(999);
  expect(await service.stats()).toBe(a);
  clock.advance(1);
  fail(true);
  await expect(service.stats()).rejects.toThrow("injected store failure");
  fail(false);
  const fresh = await service.stats();
  expect(fresh.computed_at).toBe(NOW + 1_000);
  expect(reads()).toBe(3);
});
