/**
 * The market-data API against the simulator's ground truth, end to end: the test owns the venue
 * (a simulator with its `truth` hooks), the service ingests it through the real client over
 * loopback, and the answers of /api/v1 are compared with what the venue itself knows — the book at
 * a nonce, and candles / VWAP recomputed from the venue's own trade log (never from our store).
 *
 * Venue and service share one ManualClock driven by a pump (sim-world.ts): ~5.5 minutes of market
 * flow run in a few seconds, and the service's timers (book publishing, candle flushes, recorder
 * batches) run on the same virtual time as the venue's timestamps.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { L2Snapshot, SimTrade } from "../../src/venues/lighter/sim";
import { DEFAULT_MARKETS } from "../../src/venues/lighter/sim";
import { bucketsFrom, candlesFrom, decimal, type RawTrade, units, type WireBucket, type WireCandle } from "../support/recompute";
import { SimWorld, until } from "../support/sim-world";

const MIN = 60_000;
/** 30 s before a 5-minute boundary: the first 5m bar closes 5.5 virtual minutes in. */
const T0 = Date.UTC(2026, 0, 15, 12, 4, 30);
const BOUNDARY = Date.UTC(2026, 0, 15, 12, 5, 0);
const FLOW_END = BOUNDARY + 5 * MIN + 20_000;
const MARKETS = [0, 1] as const;
const spec = (id: number) => DEFAULT_MARKETS.find((m) => m.id === id)!;

interface WireBook {
  nonce: number;
  bids: { price: string; size: string }[];
  asks: { price: string; size: string }[];
  best_bid: string | null;
  best_ask: string | null;
  spread: string | null;
  mid: string | null;
}

// 50 venue events per virtual second; 300 virtual ms per pump step for the long run.
const world = new SimWorld({ start: T0, markets: MARKETS, seed: 19, rate: 50, stepMs: 300 });

beforeAll(async () => {
  await world.startSimulator();
  await world.startService();
}, 20_000);
afterAll(async () => {
  await world.close();
});

const raw = (t: SimTrade): RawTrade => ({ id: t.tradeId, ts: t.timestamp, price: t.price, size: t.size, buy: t.isMakerAsk });
const truthTrades = (marketId: number) => (world.trades.get(marketId) ?? []).map(raw);

/** The REST book must be the venue's L2 at the nonce it reports, level for level. */
function expectBookAt(marketId: number, book: WireBook, truth: L2Snapshot | undefined) {
  expect(truth).toBeDefined();
  const t = truth!;
  const depth = Math.min(500, Math.max(t.bids.length, t.asks.length));
  expect(book.bids).toEqual(t.bids.slice(0, depth));
  expect(book.asks).toEqual(t.asks.slice(0, depth));
  const pd = spec(marketId).priceDecimals;
  const bb = t.bids[0] ? units(t.bids[0].price, pd) : undefined;
  const ba = t.asks[0] ? units(t.asks[0].price, pd) : undefined;
  expect(book.best_bid).toBe(t.bids[0]?.price ?? null);
  expect(book.best_ask).toBe(t.asks[0]?.price ?? null);
  expect(book.spread).toBe(bb !== undefined && ba !== undefined ? decimal(ba - bb, pd) : null);
  expect(book.mid).toBe(bb !== undefined && ba !== undefined ? decimal((ba + bb) * 5n, pd + 1) : null);
}

describe("REST order book = the simulator's book", () => {
  test("at every nonce the API reports while the market moves, and exactly the venue's book once it stops", async () => {
    // Arrange: the market runs (small steps, so the book moves between samples); we sample the
    // API's book concurrently with the flow.
    world.startPump(40);
    const seen = new Set<number>();
    const deadline = T0 + 15_000;
    let samples = 0;
    while (world.clock.now() < deadline) {
      for (const m of MARKETS) {
        const book = await world.get<WireBook>(`/api/v1/orderbook/${m}?depth=500`);
        // Assert: whatever the nonce, the levels are the venue's levels at that nonce.
        expectBookAt(m, book, world.sim.truth.bookAt(m, book.nonce));
        seen.add(book.nonce);
        samples++;
      }
    }
    await world.stopPump();
    expect(samples).toBeGreaterThan(20);
    expect(seen.size).toBeGreaterThan(10); // the book really moved under the samples

    // Act: freeze the venue (mid-minute, no bar boundary near); service time still moves.
    world.freezeVenue(5);
    try {
      for (const m of MARKETS) {
        const book = await until(`market ${m}'s REST book at the venue's last nonce`, async () => {
          const b = await world.get<WireBook>(`/api/v1/orderbook/${m}?depth=500`);
          return b.nonce === world.sim.truth.nonce(m) ? b : undefined;
        });
        // Assert: exactly the venue's current book, every level, exact decimal strings.
        expectBookAt(m, book, world.sim.truth.book(m));
        expect(book.bids.length).toBeGreaterThan(5);
      }
    } finally {
      await world.stopPump();
      world.sim.resume();
    }
  }, 20_000);
});

describe("candles and VWAP = recomputation from the simulator's trade log", () => {
  test("every bar of 1m, 5m, 15m and 1h, and every 1m / 30s VWAP bucket, exactly", async () => {
    // Arrange: ~5.5 virtual minutes of flow, then the venue stops and the service catches up.
    await world.runUntil(FLOW_END);
    world.freezeVenue(40);
    try {
      for (const m of MARKETS) {
        const d = spec(m);
        const trades = truthTrades(m);
        expect(trades.length).toBeGreaterThan(300);
        // Every trade the venue made is stored (the by-time count), so aggregation sees them all.
        await until(`market ${m}: all ${trades.length} venue trades stored`, async () => {
          const r = await fetch(`${world.url}/api/v1/trades/by-time?market_id=${m}&start=${T0}&end=${FLOW_END + MIN}&limit=1`, { headers: { "x-api-key": world.apiKey } });
          return ((await r.json()) as { meta: { total: number } }).meta.total === trades.length;
        });

        for (const [resolution, barMs] of [["1m", MIN], ["5m", 5 * MIN], ["15m", 15 * MIN], ["1h", 60 * MIN]] as const) {
          const expected = candlesFrom(trades, barMs, d);
          const path = `/api/v1/candles?market_id=${m}&resolution=${resolution}&start=${T0 - 60 * MIN}&end=${FLOW_END + 60 * MIN}&limit=10000`;
          // Open bars are upserted on the candle keeper's interval: wait for the last version.
          let got: WireCandle[] = [];
          await until(`market ${m} ${resolution} candles equal to the recomputation`, async () => {
            got = (await world.get<{ candles: WireCandle[] }>(path)).candles;
            return Bun.deepEquals(got, expected);
          }).catch(() => undefined);
          // Assert (with a readable diff when it fails).
          expect(got).toEqual(expected);
          if (resolution === "1m") expect(expected.filter((c) => c.open_time + barMs <= FLOW_END).length).toBeGreaterThanOrEqual(6);
          if (resolution === "5m") expect(expected.filter((c) => c.open_time + barMs <= FLOW_END).length).toBeGreaterThanOrEqual(2);
        }

        for (const [interval, ms] of [["1m", MIN], ["30s", 30_000]] as const) {
          const start = BOUNDARY - 2 * MIN;
          const end = FLOW_END + 7_000; // an unaligned end: the last bucket is clipped
          const agg = await world.get<{ buckets: WireBucket[]; totals: WireBucket }>(
            `/api/v1/trades/aggregate?market_id=${m}&start=${start}&end=${end}&interval=${interval}`,
          );
          expect(agg.buckets).toEqual(bucketsFrom(trades, start, end, ms, d));
          expect(agg.totals).toEqual(bucketsFrom(trades, start, end, end - start, d)[0]!);
        }
      }
    } finally {
      await world.stopPump();
    }
  }, 30_000);
});
