/**
 * The /api/v1 market-data routes over real HTTP against a real SQLite store (temp file) and the
 * memory cache behind the live read model. Numbers are checked against independent recomputations
 * from the raw trades (naive bigint arithmetic, `candleFromTrades`), never against the code under test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "elysia";
import { createApp } from "../../src/http/app";
import { Metrics } from "../../src/http/metrics";
import { HealthService } from "../../src/http/routes/health/service";
import { BookData, DepthData, SnapshotsData } from "../../src/http/routes/orderbook/model";
import { AggregateData, CandlesData, TradesData } from "../../src/http/routes/trades/model";
import { LiquidationsData } from "../../src/http/routes/liquidations/model";
import { CurrentRatesData, HistoryData } from "../../src/http/routes/funding/model";
import { StatsData } from "../../src/http/routes/exchange/model";
import { Envelope } from "../../src/http/envelope";
import { CandleBuilder, candleFromTrades, rollupCandles } from "../../src/domain/candles";
import { alignTime, CANDLE_RESOLUTIONS, HOUR_MS, MINUTE_MS } from "../../src/domain/time";
import { ManualClock } from "../../src/lib/clock";
import { formatScaled } from "../../src/lib/decimal";
import { silentLogger } from "../../src/lib/log";
import { createRandom } from "../../src/lib/random";
import { createLiveMarkets, type LiveBook, type MarketInfo } from "../../src/market/live";
import { createMemoryCache } from "../../src/store/memory/cache";
import type { CandleRecord, LiquidationRecord, Store, TradeRecord } from "../../src/store/ports";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "../support/process";

const VENUE = "lighter";
/** 12:00:30 UTC: mid-minute, so the current 1m bar is open. */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 30);
const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const clock = new ManualClock(NOW);

const market = (marketId: number, symbol: string, priceDecimals: number, sizeDecimals: number): MarketInfo => ({
  venue: VENUE, marketId, symbol, priceDecimals, sizeDecimals, status: "active",
  minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200,
});
const ETH = market(0, "ETH", 2, 4);
const BTC = market(1, "BTC", 1, 5);
/** Listed, but the feed has no book or stats for it. */
const SOL = market(2, "SOL", 3, 3);

// ---- fixtures -------------------------------------------------------------------------------

/** ETH: 3000 trades from T0, two per timestamp (ties broken by id), ~7 s apart. */
function ethTrades(): TradeRecord[] {
  const rnd = createRandom(7);
  let price = 320_000;
  return Array.from({ length: 3000 }, (_, i) => {
    price += rnd.int(-300, 300);
    return {
      venue: VENUE, marketId: 0, tradeId: 1000 + i, ts: T0 + Math.floor(i / 2) * 7_000, price, size: rnd.int(1, 50_000),
      isMakerAsk: rnd.bool(), askAccountId: rnd.int(1, 50), bidAccountId: rnd.int(51, 99), kind: i % 97 === 0 ? "liquidation" : "trade",
    };
  });
}
const btcTrades = (): TradeRecord[] =>
  Array.from({ length: 50 }, (_, i) => ({
    venue: VENUE, marketId: 1, tradeId: i + 1, ts: T0 + i * 60_000, price: 9_500_000 + i * 10, size: 100 + i,
    isMakerAsk: i % 3 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade" as const,
  }));

/** Candles as the live path stores them: 1m bars from the incremental builder, higher ones rolled up. */
function storedCandles(trades: TradeRecord[]): CandleRecord[] {
  const first = trades[0]!;
  const builder = new CandleBuilder({ venue: VENUE, marketId: first.marketId });
  const oneMinute: CandleRecord[] = [];
  for (const t of trades) {
    const closed = builder.add(t);
    if (closed) oneMinute.push(closed);
  }
  oneMinute.push(builder.flush()!);
  return CANDLE_RESOLUTIONS.flatMap((r) => (r === "1m" ? oneMinute : rollupCandles(oneMinute, r)));
}

const bookLevels = (from: number, step: number, n: number) => Array.from({ length: n }, (_, i) => [from + i * step, 10_000 + i * 7] as const);
/** 300 levels a side, 0.50 apart: bids from 3199.50 down, asks from 3200.00 up. */
const BIDS = bookLevels(319_950, -50, 300);
const ASKS = bookLevels(320_000, 50, 300);
const wire = (levels: ReadonlyArray<readonly [number, number]>) => levels.map(([p, s]) => ({ price: formatScaled(p, 2), size: formatScaled(s, 4) }));
const ethBook: LiveBook = {
  market_id: 0, bids: wire(BIDS), asks: wire(ASKS), best_bid: "3199.50", best_ask: "3200.00", spread: "0.50", mid: "3199.750",
  nonce: 777, timestamp: NOW - 40,
};

const liquidations: LiquidationRecord[] = [
  ...[1, 2, 3, 4].map((id) => ({ venue: VENUE, marketId: 0, id, ts: T0 + id * 60_000, accountId: 10 + id, side: id % 2 ? ("long" as const) : ("short" as const), price: 319_000 + id, size: 20_000 + id, kind: "liquidation" as const })),
  { venue: VENUE, marketId: 1, id: 1, ts: T0 + 90_000, accountId: 7, side: "short", price: 9_500_123, size: 150_000, kind: "deleverage" },
  // A market the venue no longer lists: it has no decimals, so all-market lists leave it out.
  { venue: VENUE, marketId: 99, id: 1, ts: T0 + 300_000, accountId: 8, side: "long", price: 1, size: 1, kind: "liquidation" },
];

// ---- app ------------------------------------------------------------------------------------

const ETH_TRADES = ethTrades();
const BTC_TRADES = btcTrades();
let dir = "";
let store: Store;
let app: ReturnType<typeof createApp>;
let base = "";

beforeAll(async () => {
  dir = tempDir("md-routes");
  store = await openSqliteStore({ path: join(dir, "md.db") });
  await store.migrate();
  const md = store.marketData;
  await md.insertTrades([...ETH_TRADES, ...BTC_TRADES]);
  await md.upsertCandles([...storedCandles(ETH_TRADES), ...storedCandles(BTC_TRADES)]);
  // A bar older than the 24h window, which /exchange/stats must not count.
  await md.upsertCandles([{ venue: VENUE, marketId: 0, resolution: "1m", openTime: NOW - 25 * HOUR_MS - 30_000, open: 1, high: 999_999, low: 1, close: 1, volume: 5, quoteVolume: 5n, tradeCount: 1, buyVolume: 0 }]);
  await md.insertBookSnapshots(
    Array.from({ length: 20 }, (_, k) => ({ venue: VENUE, marketId: 0, ts: T0 + k * 1_000, nonce: 100 + k, bids: [[319_900 - k, 5_000], [319_800, 0], [319_700, 7]], asks: [[320_100 + k, 6_000], [320_200, 8]] })),
  );
  await md.insertFunding([
    ...Array.from({ length: 30 }, (_, h) => ({ venue: VENUE, marketId: 0, ts: T0 - 24 * HOUR_MS + h * HOUR_MS, rate: h % 2 ? "0.0012" : "-0.0003", markPrice: 320_000 + h, indexPrice: 319_990 + h })),
    { venue: VENUE, marketId: 1, ts: T0, rate: "0.0100", markPrice: 9_500_000, indexPrice: 9_499_000 },
  ]);
  await md.insertLiquidations(liquidations);

  const live = createLiveMarkets(createMemoryCache(clock));
  await live.putMarkets(VENUE, [BTC, ETH, SOL]);
  await live.putBook(VENUE, ethBook);
  const stats = (marketId: number, symbol: string, oi: string, funding: string | null) => ({
    market_id: marketId, symbol, mark_price: marketId === 0 ? "3199.80" : "950000.5", index_price: marketId === 0 ? "3199.70" : "950001.0",
    last_trade_price: null, open_interest_usd: oi, funding_rate: funding, predicted_funding_rate: "0.0005",
    last_funding_time: NOW - 30_000, next_funding_time: Date.UTC(2026, 0, 15, 13), timestamp: NOW - 100,
  });
  await live.putStats(VENUE, stats(0, "ETH", "1234567.89", "0.0012"));
  await live.putStats(VENUE, stats(1, "BTC", "100.5", null));

  const health = new HealthService({ clock, version: "test", timeoutMs: 100, probes: () => [], upstream: () => ({ venue: VENUE, network: "unknown", source: "simulator", rest_url: "", ws_url: "", connection: "standby" }) });
  app = createApp({ clock, log: silentLogger(), metrics: new Metrics(), version: "test", health, marketData: { store: md, live, venue: VENUE } });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  base = `http://127.0.0.1:${app.server!.port}`;
});

afterAll(async () => {
  await app?.stop(true);
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------

interface Body<D = Record<string, unknown>> {
  success: boolean;
  data: D;
  meta: { request_id: string; timestamp: number; total?: number; limit?: number; offset?: number; [k: string]: unknown };
}

async function call<D = Record<string, unknown>>(path: string): Promise<{ status: number; body: Body<D>; headers: Headers }> {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as Body<D>, headers: res.headers };
}

/** A 200 whose body matches the route's documented schema. */
async function ok<D>(path: string, schema: TSchema): Promise<Body<D>> {
  const { status, body, headers } = await call<D>(path);
  if (status !== 200) throw new Error(`${path} → ${status}: ${JSON.stringify(body)}`);
  const errors = [...Value.Errors(Envelope(schema), body)].slice(0, 3).map((e) => `${e.path}: ${e.message}`);
  expect(errors).toEqual([]);
  expect(body.meta.request_id).toBe(headers.get("x-request-id")!);
  expect(body.meta.timestamp).toBe(clock.now());
  return body;
}

/** An error response: status, code, and the message. */
async function fails(path: string, status: number, message: string | RegExp, code?: string): Promise<void> {
  const res = await call<{ code: string; message: string }>(path);
  expect({ path, status: res.status }).toEqual({ path, status });
  expect(res.body.success).toBe(false);
  expect(res.body.data.code).toBe(code ?? (status === 400 ? "bad_request" : status === 404 ? "not_found" : "service_unavailable"));
  if (typeof message === "string") expect(res.body.data.message).toBe(message);
  else expect(res.body.data.message).toMatch(message);
}

const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
const notional = (p: number, s: number) => BigInt(p) * BigInt(s);
/** Σ q / Σ v rounded half-up at 2 extra decimals: the reference VWAP, done by hand. */
const refVwap = (quote: bigint, volume: bigint, pd: number) => (volume === 0n ? null : formatScaled((quote * 100n * 2n + volume) / (2n * volume), pd + 2));
const sum = (xs: Iterable<bigint>) => [...xs].reduce((a, b) => a + b, 0n);
/**
 * A missing required time parameter. The shared error mapping words a missing *string* query
 * parameter as "must be a string" (it only recognises TypeBox's missing-property wording, which
 * TypeBox does not use for strings); either way the parameter is named.
 */
const MISSING_START = /^query parameter 'start' (is required|must be a string)/;

// ---- orderbook ------------------------------------------------------------------------------

describe("GET /api/v1/orderbook/:market_id", () => {
  test("serves the live book cut to 50 levels by default, with the touch and symbol", async () => {
    const body = await ok<{ bids: unknown[]; asks: unknown[]; [k: string]: unknown }>("/api/v1/orderbook/0", BookData);
    expect(body.data.bids).toHaveLength(50);
    expect(body.data.asks).toHaveLength(50);
    expect(body.data.bids[0]).toEqual({ price: "3199.50", size: "1.0000" });
    expect(body.data.asks[1]).toEqual({ price: "3200.50", size: "1.0007" });
    expect(body.data).toMatchObject({ market_id: 0, symbol: "ETH", best_bid: "3199.50", best_ask: "3200.00", spread: "0.50", mid: "3199.750", nonce: 777, timestamp: NOW - 40 });
  });

  test("depth cuts to the asked number of levels, up to everything the live book holds", async () => {
    expect((await ok<{ bids: unknown[] }>("/api/v1/orderbook/0?depth=3", BookData)).data.bids).toHaveLength(3);
    expect((await ok<{ asks: unknown[] }>("/api/v1/orderbook/0?depth=500", BookData)).data.asks).toHaveLength(300);
  });

  test("bad depth and market ids are 400s naming the parameter; unknown markets 404; no live book 503", async () => {
    await fails("/api/v1/orderbook/0?depth=501", 400, "query parameter 'depth' must be an integer from 1 to 500");
    await fails("/api/v1/orderbook/0?depth=0", 400, "query parameter 'depth' must be an integer from 1 to 500");
    await fails("/api/v1/orderbook/-1", 400, "path parameter 'market_id' must be an integer ≥ 0");
    await fails("/api/v1/orderbook/eth", 400, /path parameter 'market_id'/);
    await fails("/api/v1/orderbook/42", 404, "market 42 not found on lighter");
    const res = await fetch(`${base}/api/v1/orderbook/2`);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(((await res.json()) as Body<{ message: string }>).data.message).toContain("no live order book for market 2 (SOL) yet");
  });
});

describe("GET /api/v1/orderbook/:market_id/depth", () => {
  type Depth = { bids: Array<Record<string, string>>; asks: Array<Record<string, string>>; [k: string]: unknown };
  /** Reference bucketing: naive, bigint, one side. */
  function reference(levels: ReadonlyArray<readonly [number, number]>, tick: number, isBid: boolean, n: number) {
    const buckets = new Map<number, { size: bigint; notional: bigint }>();
    for (const [p, s] of levels) {
      const b = isBid ? Math.floor(p / tick) * tick : Math.ceil(p / tick) * tick;
      const cur = buckets.get(b) ?? { size: 0n, notional: 0n };
      buckets.set(b, { size: cur.size + BigInt(s), notional: cur.notional + notional(p, s) });
    }
    let cs = 0n;
    let cn = 0n;
    return [...buckets.entries()].slice(0, n).map(([p, { size, notional }]) => {
      cs += size;
      cn += notional;
      return { price: formatScaled(p, 2), size: formatScaled(size, 4), cumulative_size: formatScaled(cs, 4), notional: formatScaled(notional, 6), cumulative_notional: formatScaled(cn, 6) };
    });
  }

  test("re-buckets the live book at a custom tick with cumulative size and exact notional", async () => {
    const body = await ok<Depth>("/api/v1/orderbook/0/depth?tick_size=1.00&levels=5", DepthData);
    expect(body.data.tick_size).toBe("1.00");
    expect(body.data.bids).toEqual(reference(BIDS, 100, true, 5));
    expect(body.data.asks).toEqual(reference(ASKS, 100, false, 5));
    expect(body.data.asks[0]!.price).toBe("3200.00"); // asks ceil: 3200.50 joins 3201.00, not 3200.00
    expect(body.data).toMatchObject({ best_bid: "3199.50", best_ask: "3200.00", spread: "0.50", mid: "3199.750", crossed: false, nonce: 777 });
  });

  test("the default tick is the market's own; a band by pct_from_mid or min/max is inclusive", async () => {
    const plain = await ok<Depth>("/api/v1/orderbook/0/depth?levels=2", DepthData);
    expect(plain.data.tick_size).toBe("0.01");
    expect(plain.data.bids.map((l) => l.price)).toEqual(["3199.50", "3199.00"]);
    // mid 3199.75 ± 0.05 % = [3198.150125, 3201.349875]
    const pct = await ok<Depth>("/api/v1/orderbook/0/depth?pct_from_mid=0.05", DepthData);
    expect(pct.data.bids.map((l) => l.price)).toEqual(["3199.50", "3199.00", "3198.50"]);
    expect(pct.data.asks.map((l) => l.price)).toEqual(["3200.00", "3200.50", "3201.00"]);
    const band = await ok<Depth>("/api/v1/orderbook/0/depth?min_price=3199&max_price=3200.5", DepthData);
    expect(band.data.bids.map((l) => l.price)).toEqual(["3199.50", "3199.00"]);
    expect(band.data.asks.map((l) => l.price)).toEqual(["3200.00", "3200.50"]);
  });

  test("bad ticks and bands are 400s that say what is accepted", async () => {
    const path = "/api/v1/orderbook/0/depth?";
    await fails(path + "tick_size=0.015", 400, "query parameter 'tick_size' must be a positive multiple of the market's tick 0.01; got '0.015'");
    await fails(path + "tick_size=0", 400, /'tick_size' must be a positive multiple/);
    await fails(path + "tick_size=abc", 400, "query parameter 'tick_size' must be a non-negative decimal such as 3200.5; got 'abc'");
    await fails(path + "pct_from_mid=1&min_price=3000", 400, "use either 'pct_from_mid' or 'min_price'/'max_price', not both");
    await fails(path + "pct_from_mid=0", 400, /query parameter 'pct_from_mid' must be a number/);
    await fails(path + "min_price=3300&max_price=3100", 400, "query parameter 'min_price' (3300) must not be above 'max_price' (3100)");
    await fails(path + "levels=501", 400, "query parameter 'levels' must be an integer from 1 to 500");
    await fails("/api/v1/orderbook/42/depth", 404, "market 42 not found on lighter");
    await fails("/api/v1/orderbook/2/depth", 503, /no live order book for market 2/);
  });
});

describe("GET /api/v1/orderbook/:market_id/snapshots", () => {
  type Snaps = { mode: string; snapshots: Array<{ timestamp: number; nonce: number; bids: unknown[]; [k: string]: unknown }> };

  test("point mode returns the latest snapshot at or before `at`, formatted, zero-size levels kept", async () => {
    const body = await ok<Snaps>(`/api/v1/orderbook/0/snapshots?at=${T0 + 5_500}`, SnapshotsData);
    expect(body.data.mode).toBe("at");
    expect(body.data.snapshots).toHaveLength(1);
    expect(body.data.snapshots[0]).toEqual({
      timestamp: T0 + 5_000, nonce: 105, bids: [{ price: "3198.95", size: "0.5000" }, { price: "3198.00", size: "0.0000" }, { price: "3197.00", size: "0.0007" }],
      asks: [{ price: "3201.05", size: "0.6000" }, { price: "3202.00", size: "0.0008" }], best_bid: "3198.95", best_ask: "3201.05", spread: "2.10", mid: "3200.000",
    });
    const exact = await ok<Snaps>(`/api/v1/orderbook/0/snapshots?at=${new Date(T0 + 7_000).toISOString()}&depth=1`, SnapshotsData);
    expect(exact.data.snapshots[0]!.nonce).toBe(107);
    expect(exact.data.snapshots[0]!.bids).toHaveLength(1);
  });

  test("range mode pages [start, end) with meta.total", async () => {
    const body = await ok<Snaps>(`/api/v1/orderbook/0/snapshots?${q({ start: T0 + 2_000, end: T0 + 7_000, limit: 2, offset: 1 })}`, SnapshotsData);
    expect(body.data.mode).toBe("range");
    expect(body.data.snapshots.map((s) => s.timestamp)).toEqual([T0 + 3_000, T0 + 4_000]);
    expect(body.meta).toMatchObject({ total: 5, limit: 2, offset: 1 });
  });

  test("missing, conflicting and over-long parameters are 400s; nothing at or before `at` is 404", async () => {
    const path = "/api/v1/orderbook/0/snapshots?";
    await fails(path, 400, "query parameter 'at' (the book as of one time) or 'start' (a range of snapshots) is required");
    await fails(path + q({ at: T0, start: T0 }), 400, "use either 'at' (the book as of one time) or 'start'/'end' (a range of snapshots), not both");
    await fails(path + q({ start: T0, end: T0 + 25 * HOUR_MS }), 400, "time range too long: at most 1 day between 'start' and 'end' on this endpoint (got 25 hours)");
    await fails(path + q({ at: "tomorrow" }), 400, /^query parameter 'at' must be a time between 2000-01-01 and 2100-01-01/);
    await fails(path + q({ start: T0, limit: 101 }), 400, "query parameter 'limit' must be an integer from 1 to 100");
    await fails(path + q({ at: T0 - 1 }), 404, "no order book snapshot of market 0 at or before 2026-01-15T08:59:59.999Z");
    await fails("/api/v1/orderbook/42/snapshots?" + q({ at: T0 }), 404, "market 42 not found on lighter");
  });
});

// ---- trades & candles -----------------------------------------------------------------------

describe("GET /api/v1/trades/by-time", () => {
  type Trades = { trades: Array<Record<string, unknown>> };
  const inRange = (start: number, end: number) => ETH_TRADES.filter((t) => t.ts >= start && t.ts < end);

  test("returns trades in [start, end) oldest first with decimals, sides, notional and paging totals", async () => {
    const start = T0;
    const end = T0 + HOUR_MS;
    const expected = inRange(start, end);
    const body = await ok<Trades>(`/api/v1/trades/by-time?${q({ market_id: 0, start, end, limit: 100, offset: 200 })}`, TradesData);
    expect(body.meta).toMatchObject({ total: expected.length, limit: 100, offset: 200 });
    expect(body.data.trades.map((t) => t.trade_id)).toEqual(expected.slice(200, 300).map((t) => t.tradeId));
    const t = expected[200]!;
    expect(body.data.trades[0]).toEqual({
      trade_id: t.tradeId, market_id: 0, price: formatScaled(t.price, 2), size: formatScaled(t.size, 4), side: t.isMakerAsk ? "buy" : "sell",
      is_maker_ask: t.isMakerAsk, ask_account_id: t.askAccountId, bid_account_id: t.bidAccountId, type: t.kind,
      usd_amount: formatScaled(notional(t.price, t.size), 6), timestamp: t.ts,
    });
  });

  test("start is inclusive and end exclusive, in any accepted time format", async () => {
    const at = ETH_TRADES[10]!.ts; // two trades share every timestamp
    const body = await ok<Trades>(`/api/v1/trades/by-time?${q({ market_id: 0, start: new Date(at).toISOString(), end: at + 7_000 })}`, TradesData);
    expect(body.data.trades.map((t) => t.timestamp)).toEqual([at, at]);
    expect(body.meta.total).toBe(2);
    const byDate = await ok<Trades>(`/api/v1/trades/by-time?${q({ market_id: 0, start: "2026-01-15", end: T0 + 7_000 })}`, TradesData);
    expect(byDate.meta.total).toBe(2);
  });

  test("side filters on the taker side; end defaults to now; the default limit is 100", async () => {
    const body = await ok<Trades>(`/api/v1/trades/by-time?${q({ market_id: 0, start: T0, side: "buy" })}`, TradesData);
    expect(body.meta).toMatchObject({ total: ETH_TRADES.filter((t) => t.isMakerAsk).length, limit: 100, offset: 0 });
    expect(body.data.trades.every((t) => t.side === "buy" && t.is_maker_ask === true)).toBe(true);
  });

  test("every bad parameter is a 400 naming it; an unknown market is a 404", async () => {
    const path = "/api/v1/trades/by-time?";
    await fails(path + q({ market_id: 0 }), 400, MISSING_START);
    await fails(path + q({ start: T0 }), 400, /^query parameter 'market_id' is required/);
    await fails(path + q({ market_id: 0, start: "yesterday" }), 400, /^query parameter 'start' must be a time .*got 'yesterday'$/);
    await fails(path + q({ market_id: 0, start: T0, end: "2026-02-30" }), 400, /^query parameter 'end' must be a time/);
    await fails(path + q({ market_id: 0, start: T0 + 1, end: T0 }), 400, `query parameter 'start' (${T0 + 1}) must be before 'end' (${T0})`);
    await fails(path + q({ market_id: 0, start: NOW + 1 }), 400, `query parameter 'start' (${NOW + 1}) must be before 'end' (${NOW}, defaulted to now)`);
    await fails(path + q({ market_id: 0, start: T0, end: T0 + 8 * 24 * HOUR_MS }), 400, "time range too long: at most 7 days between 'start' and 'end' on this endpoint (got 8 days)");
    await fails(path + q({ market_id: 0, start: T0, limit: 1001 }), 400, "query parameter 'limit' must be an integer from 1 to 1000");
    await fails(path + q({ market_id: 0, start: T0, offset: -1 }), 400, "query parameter 'offset' must be an integer from 0 to 1000000");
    await fails(path + q({ market_id: 0, start: T0, side: "up" }), 400, "query parameter 'side' must be one of: buy, sell");
    await fails(path + q({ market_id: "x", start: T0 }), 400, /query parameter 'market_id'/);
    await fails(path + q({ market_id: 42, start: T0 }), 404, "market 42 not found on lighter");
  });
});

describe("GET /api/v1/trades/aggregate", () => {
  type Agg = { buckets: Array<Record<string, unknown>>; totals: Record<string, unknown>; [k: string]: unknown };
  /** The reference: a naive loop over the raw trades, bigint sums. */
  function reference(start: number, end: number, intervalMs: number) {
    const buckets = [];
    for (let s = start; s < end; s += intervalMs) {
      const e = Math.min(s + intervalMs, end);
      const ts = ETH_TRADES.filter((t) => t.ts >= s && t.ts < e);
      const buys = ts.filter((t) => t.isMakerAsk);
      const vol = sum(ts.map((t) => BigInt(t.size)));
      const buyVol = sum(buys.map((t) => BigInt(t.size)));
      const quote = sum(ts.map((t) => notional(t.price, t.size)));
      buckets.push({
        start: s, end: e, vwap: refVwap(quote, vol, 2), volume: formatScaled(vol, 4), notional: formatScaled(quote, 6), count: ts.length,
        buy_volume: formatScaled(buyVol, 4), sell_volume: formatScaled(vol - buyVol, 4), buy_count: buys.length, sell_count: ts.length - buys.length,
      });
    }
    return buckets;
  }

  test("buckets match a naive recomputation from the raw trades, across store pages", async () => {
    // 2h of trades (≈2000) read in pages of 5000, then a 7m grid so the last bucket is clipped.
    const start = T0 + 3_500;
    const end = T0 + 2 * HOUR_MS + 3_500;
    const body = await ok<Agg>(`/api/v1/trades/aggregate?${q({ market_id: 0, start, end, interval: "7m" })}`, AggregateData);
    const expected = reference(start, end, 7 * MINUTE_MS);
    expect(body.data.buckets).toEqual(expected);
    expect(body.data).toMatchObject({ market_id: 0, symbol: "ETH", interval: "7m", interval_ms: 7 * MINUTE_MS, start, end });
    const all = reference(start, end, end - start)[0]!;
    expect(body.data.totals).toEqual(all);
    expect(all.count).toBeGreaterThan(1000);
  });

  test("empty intervals are zeroed with a null vwap; the default interval is 1m", async () => {
    const start = NOW - 10 * MINUTE_MS;
    const body = await ok<Agg>(`/api/v1/trades/aggregate?${q({ market_id: 0, start })}`, AggregateData);
    expect(body.data.buckets).toHaveLength(10);
    expect(body.data.buckets[9]).toMatchObject({ count: 0, vwap: null, volume: "0.0000", notional: "0.000000", end: NOW });
  });

  test("bad intervals, too many buckets and long ranges are 400s that name the limit", async () => {
    const path = "/api/v1/trades/aggregate?";
    await fails(path + q({ market_id: 0, start: T0, interval: "1M" }), 400, "query parameter 'interval' must be a count and one unit of s, m, h, d or w, from 1s to 1w (e.g. 1s, 15m, 4h, 1d); got '1M'");
    await fails(path + q({ market_id: 0, start: T0, interval: "0s" }), 400, /'interval' must be a count/);
    await fails(path + q({ market_id: 0, start: T0, end: T0 + 24 * HOUR_MS, interval: "1s" }), 400, "too many buckets: 86400 intervals of 1s in the range, at most 10000 per request; use a longer 'interval' or a shorter range");
    await fails(path + q({ market_id: 0, start: T0, end: T0 + 8 * 24 * HOUR_MS, interval: "1d" }), 400, /at most 7 days/);
    await fails(path + q({ market_id: 42, start: T0 }), 404, "market 42 not found on lighter");
  });
});

describe("GET /api/v1/candles", () => {
  type Candles = { candles: Array<Record<string, unknown>>; [k: string]: unknown };
  /** Reference bars straight from the raw trades, formatted by hand. */
  const reference = (trades: TradeRecord[], res: (typeof CANDLE_RESOLUTIONS)[number], pd: number, sd: number) =>
    candleFromTrades(trades, res).map((c) => ({
      open_time: c.openTime, open: formatScaled(c.open, pd), high: formatScaled(c.high, pd), low: formatScaled(c.low, pd), close: formatScaled(c.close, pd),
      volume: formatScaled(c.volume, sd), quote_volume: formatScaled(c.quoteVolume, pd + sd), buy_volume: formatScaled(c.buyVolume, sd), trades: c.tradeCount,
      vwap: refVwap(c.quoteVolume, BigInt(c.volume), pd),
    }));

  test("stored bars of every resolution equal bars recomputed from the raw trades", async () => {
    for (const res of ["1m", "15m", "1h", "1d"] as const) {
      const body = await ok<Candles>(`/api/v1/candles?${q({ market_id: 0, resolution: res, start: "2026-01-15", limit: 10_000 })}`, CandlesData);
      expect(body.data.candles).toEqual(reference(ETH_TRADES, res, 2, 4));
      expect(body.data).toMatchObject({ market_id: 0, symbol: "ETH", resolution: res });
    }
    const btc = await ok<Candles>(`/api/v1/candles?${q({ market_id: 1, resolution: "5m", start: T0 })}`, CandlesData);
    expect(btc.data.candles).toEqual(reference(BTC_TRADES, "5m", 1, 5));
  });

  test("open_time in [start, end); a full page says where the next starts; no start means the latest bars", async () => {
    const page = await ok<Candles>(`/api/v1/candles?${q({ market_id: 0, resolution: "1h", start: T0, end: T0 + 2 * HOUR_MS, limit: 1 })}`, CandlesData);
    expect(page.data.candles.map((c) => c.open_time)).toEqual([T0]);
    expect(page.meta).toMatchObject({ limit: 1, next_start: T0 + 1 });
    const bounded = await ok<Candles>(`/api/v1/candles?${q({ market_id: 0, resolution: "1h", start: T0 + 1, end: T0 + 2 * HOUR_MS })}`, CandlesData);
    expect(bounded.data.candles.map((c) => c.open_time)).toEqual([T0 + HOUR_MS]);
    expect(bounded.meta.next_start).toBeUndefined();
    const latest = await ok<Candles>(`/api/v1/candles?${q({ market_id: 0, resolution: "1m", limit: 3, end: T0 + 10 * MINUTE_MS })}`, CandlesData);
    expect(latest.data.candles.map((c) => c.open_time)).toEqual([7, 8, 9].map((m) => T0 + m * MINUTE_MS));
  });

  test("resolution and limit are checked by the schema; times and markets by the service", async () => {
    const path = "/api/v1/candles?";
    await fails(path + q({ market_id: 0, resolution: "2m" }), 400, "query parameter 'resolution' must be one of: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w");
    await fails(path + q({ market_id: 0 }), 400, /^query parameter 'resolution' is required/);
    await fails(path + q({ market_id: 0, resolution: "1m", limit: 10_001 }), 400, "query parameter 'limit' must be an integer from 1 to 10000");
    await fails(path + q({ market_id: 0, resolution: "1m", start: T0, end: T0 }), 400, /must be before 'end'/);
    await fails(path + q({ market_id: 0, resolution: "1m", start: "1999-12-31" }), 400, /'start' must be a time between 2000-01-01 and 2100-01-01/);
    await fails(path + q({ market_id: 42, resolution: "1m" }), 404, "market 42 not found on lighter");
  });
});

// ---- liquidations, funding, exchange --------------------------------------------------------

describe("GET /api/v1/liquidations/*", () => {
  type Liqs = { liquidations: Array<Record<string, unknown>> };

  test("by-time: one market in [start, end), oldest first, formatted with notional", async () => {
    const body = await ok<Liqs>(`/api/v1/liquidations/by-time?${q({ market_id: 0, start: T0 + 120_000, end: T0 + 240_000 })}`, LiquidationsData);
    expect(body.data.liquidations).toEqual([
      { id: 2, market_id: 0, symbol: "ETH", account_id: 12, side: "short", price: "3190.02", size: "2.0002", notional: formatScaled(notional(319_002, 20_002), 6), type: "liquidation", timestamp: T0 + 120_000 },
      { id: 3, market_id: 0, symbol: "ETH", account_id: 13, side: "long", price: "3190.03", size: "2.0003", notional: formatScaled(notional(319_003, 20_003), 6), type: "liquidation", timestamp: T0 + 180_000 },
    ]);
    expect(body.meta).toMatchObject({ total: 2, limit: 100, offset: 0 });
  });

  test("by-time across all markets pages with totals; rows of unlisted markets are left out", async () => {
    const body = await ok<Liqs>(`/api/v1/liquidations/by-time?${q({ start: T0, limit: 2, offset: 1 })}`, LiquidationsData);
    expect(body.data.liquidations.map((l) => [l.market_id, l.id])).toEqual([[1, 1], [0, 2]]);
    expect(body.data.liquidations[0]).toMatchObject({ price: "950012.3", size: "1.50000", type: "deleverage", symbol: "BTC" });
    expect(body.meta.total).toBe(6);
  });

  test("recent: newest first, all markets or one", async () => {
    const all = await ok<Liqs>("/api/v1/liquidations/recent?limit=3", LiquidationsData);
    expect(all.data.liquidations.map((l) => [l.market_id, l.id])).toEqual([[0, 4], [0, 3]]); // market 99 is not listed
    const btc = await ok<Liqs>("/api/v1/liquidations/recent?market_id=1", LiquidationsData);
    expect(btc.data.liquidations.map((l) => l.id)).toEqual([1]);
  });

  test("bad parameters are 400s, unknown markets 404s", async () => {
    await fails(`/api/v1/liquidations/by-time?${q({ start: T0, end: T0 + 32 * 24 * HOUR_MS })}`, 400, "time range too long: at most 31 days between 'start' and 'end' on this endpoint (got 32 days)");
    await fails("/api/v1/liquidations/by-time", 400, MISSING_START);
    await fails("/api/v1/liquidations/recent?limit=0", 400, "query parameter 'limit' must be an integer from 1 to 1000");
    await fails("/api/v1/liquidations/recent?market_id=42", 404, "market 42 not found on lighter");
  });
});

describe("GET /api/v1/funding-rates", () => {
  test("current rates of every listed market, nulls where the feed has no stats", async () => {
    const body = await ok<{ rates: Array<Record<string, unknown>> }>("/api/v1/funding-rates", CurrentRatesData);
    expect(body.data.rates.map((r) => r.symbol)).toEqual(["ETH", "BTC", "SOL"]);
    expect(body.data.rates[0]).toEqual({
      market_id: 0, symbol: "ETH", funding_rate: "0.0012", predicted_rate: "0.0005", mark_price: "3199.80", index_price: "3199.70",
      next_funding_time: Date.UTC(2026, 0, 15, 13), last_funding_time: NOW - 30_000, timestamp: NOW - 100,
    });
    expect(body.data.rates[1]!.funding_rate).toBeNull();
    expect(body.data.rates[2]).toMatchObject({ market_id: 2, funding_rate: null, mark_price: null, next_funding_time: null, timestamp: null });
  });

  test("history pages settlements in [start, end) for one market or all", async () => {
    const one = await ok<{ rates: Array<Record<string, unknown>> }>(`/api/v1/funding-rates/history?${q({ market_id: 0, start: T0 - 2 * HOUR_MS, end: T0 + HOUR_MS })}`, HistoryData);
    expect(one.data.rates.map((r) => r.timestamp)).toEqual([T0 - 2 * HOUR_MS, T0 - HOUR_MS, T0]);
    expect(one.data.rates[0]).toEqual({ market_id: 0, symbol: "ETH", funding_rate: "-0.0003", mark_price: "3200.22", index_price: "3200.12", timestamp: T0 - 2 * HOUR_MS });
    expect(one.meta).toMatchObject({ total: 3, limit: 100, offset: 0 });
    const all = await ok<{ rates: Array<Record<string, unknown>> }>(`/api/v1/funding-rates/history?${q({ start: T0, end: T0 + 1 })}`, HistoryData);
    expect(all.data.rates.map((r) => [r.market_id, r.funding_rate, r.mark_price])).toEqual([[0, "-0.0003", "3200.24"], [1, "0.0100", "950000.0"]]);
  });

  test("bad parameters are 400s, unknown markets 404s", async () => {
    await fails("/api/v1/funding-rates/history", 400, MISSING_START);
    await fails(`/api/v1/funding-rates/history?${q({ start: "2024-01-01", end: "2025-06-01" })}`, 400, /at most 366 days/);
    await fails(`/api/v1/funding-rates/history?${q({ market_id: 42, start: T0 })}`, 404, "market 42 not found on lighter");
  });
});

describe("GET /api/v1/exchange/stats", () => {
  type Stats = { markets: Array<Record<string, unknown>>; totals: Record<string, unknown>; computed_at: number; window_start: number };

  test("24h figures per market from the stored 1m bars, live open interest and mark, exchange totals", async () => {
    const body = await ok<Stats>("/api/v1/exchange/stats", StatsData);
    const ordered = [...ETH_TRADES].sort((a, b) => a.ts - b.ts || a.tradeId - b.tradeId);
    const open = ordered[0]!.price;
    const last = ordered[ordered.length - 1]!.price;
    const ethQuote = sum(ETH_TRADES.map((t) => notional(t.price, t.size)));
    const btcQuote = sum(BTC_TRADES.map((t) => notional(t.price, t.size)));
    expect(body.data.window_start).toBe(alignTime(NOW, "1m") - 1439 * MINUTE_MS);
    expect(body.data.markets[0]).toEqual({
      market_id: 0, symbol: "ETH",
      volume_24h: formatScaled(sum(ETH_TRADES.map((t) => BigInt(t.size))), 4),
      quote_volume_24h: formatScaled(ethQuote, 6),
      trades_24h: ETH_TRADES.length,
      open_24h: formatScaled(open, 2),
      high_24h: formatScaled(Math.max(...ETH_TRADES.map((t) => t.price)), 2),
      low_24h: formatScaled(Math.min(...ETH_TRADES.map((t) => t.price)), 2),
      last_price: formatScaled(last, 2),
      price_change_24h: formatScaled(last - open, 2),
      price_change_pct_24h: (((last - open) / open) * 100).toFixed(4),
      open_interest_usd: "1234567.89",
      mark_price: "3199.80",
    });
    expect(body.data.markets[2]).toMatchObject({ symbol: "SOL", trades_24h: 0, volume_24h: "0.000", high_24h: null, price_change_pct_24h: null, open_interest_usd: null });
    // ETH quote volume has 6 decimals, BTC 6 as well; the total is exact at the finest.
    expect(body.data.totals).toEqual({
      markets: 3, active_markets: 2, volume_24h_usd: formatScaled(ethQuote + btcQuote, 6), trades_24h: ETH_TRADES.length + BTC_TRADES.length, open_interest_usd: "1234668.39",
    });
  });

  test("the computed result is reused for a second, then recomputed", async () => {
    const first = await ok<Stats>("/api/v1/exchange/stats", StatsData);
    clock.advance(500);
    await store.marketData.upsertCandles([{ venue: VENUE, marketId: 2, resolution: "1m", openTime: alignTime(NOW, "1m"), open: 1_000, high: 1_000, low: 1_000, close: 1_000, volume: 3, quoteVolume: 3_000n, tradeCount: 1, buyVolume: 3 }]);
    const cached = await ok<Stats>("/api/v1/exchange/stats", StatsData);
    expect(cached.data.computed_at).toBe(first.data.computed_at);
    expect(cached.data.totals.active_markets).toBe(2);
    clock.advance(500);
    const fresh = await ok<Stats>("/api/v1/exchange/stats", StatsData);
    expect(fresh.data.computed_at).toBe(first.data.computed_at + 1_000);
    expect(fresh.data.totals.active_markets).toBe(3);
  });
});

// ---- documentation --------------------------------------------------------------------------

test("the OpenAPI document lists every market-data path with its 200, 400 and 404 responses", async () => {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, { get?: { responses: Record<string, unknown>; summary?: string; tags?: string[] } }> };
  const paths = [
    "/api/v1/orderbook/{market_id}", "/api/v1/orderbook/{market_id}/depth", "/api/v1/orderbook/{market_id}/snapshots",
    "/api/v1/trades/by-time", "/api/v1/trades/aggregate", "/api/v1/candles", "/api/v1/liquidations/by-time", "/api/v1/liquidations/recent",
    "/api/v1/funding-rates", "/api/v1/funding-rates/history", "/api/v1/exchange/stats",
  ];
  for (const path of paths) {
    const op = doc.paths[path]?.get;
    expect({ path, documented: op !== undefined }).toEqual({ path, documented: true });
    expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(["200", "400", "404", "500"]));
    expect(op!.summary).toBeTruthy();
    expect(op!.tags?.length).toBe(1);
  }
  expect(Object.keys(doc.paths["/api/v1/orderbook/{market_id}"]!.get!.responses)).toContain("503");
});
