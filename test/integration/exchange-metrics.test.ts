/**
 * GET /api/v1/exchange/metrics over real HTTP against a real SQLite store (temp file) and the memory
 * cache behind the live read model. History goes in through the store (and, in the last test,
 * through the metrics sampler and the recorder); every expected number is recomputed here from the
 * raw fixture rows — trades, per-minute samples, liquidations — with naive bigint arithmetic, never
 * with the code under test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { candleFromTrades } from "../../src/domain/candles";
import { createApp } from "../../src/http/app";
import { Envelope } from "../../src/http/envelope";
import { Metrics } from "../../src/http/metrics";
import { MetricsData } from "../../src/http/routes/exchange-metrics/model";
import { HealthService } from "../../src/http/routes/health/service";
import { createMetricsSampler } from "../../src/ingest/metrics-sampler";
import { ManualClock } from "../../src/lib/clock";
import { formatScaled } from "../../src/lib/decimal";
import { silentLogger } from "../../src/lib/log";
import { createRandom } from "../../src/lib/random";
import { createLiveMarkets, type MarketInfo } from "../../src/market/live";
import { createRecorder } from "../../src/recorder";
import { createMemoryCache } from "../../src/store/memory/cache";
import type { CandleResolution, LiquidationRecord, MarketMetricRecord, Store, TradeRecord } from "../../src/store/ports";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "../support/process";

const VENUE = "lighter";
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Tuesday 2026-01-20 12:00:30 UTC: mid-minute, so the current bucket of every resolution is open. */
const NOW = Date.UTC(2026, 0, 20, 12, 0, 30);
/** Monday 2026-01-12 00:00 UTC: the fixture's first minute (and a weekly bucket start). */
const D0 = Date.UTC(2026, 0, 12);
const clock = new ManualClock(NOW);

const market = (marketId: number, symbol: string, priceDecimals: number, sizeDecimals: number): MarketInfo => ({
  venue: VENUE, marketId, symbol, priceDecimals, sizeDecimals, status: "active",
  minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200,
});
// Quote decimals (price + size) differ: ETH and SOL 6, BTC 4, so exchange totals must rescale BTC.
const ETH = market(0, "ETH", 2, 4);
const BTC = market(1, "BTC", 1, 3);
/** Listed, but without any history. */
const SOL = market(2, "SOL", 3, 3);
const LISTED = [ETH, BTC, SOL];

// ---- fixtures -------------------------------------------------------------------------------

/** Minutes [from, to) with the given gaps left out. */
function minutes(from: number, to: number, gaps: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (let ts = from; ts < to; ts += MIN) if (!gaps.some(([a, b]) => ts >= a && ts < b)) out.push(ts);
  return out;
}

/**
 * ETH is sampled every minute up to NOW's minute, except while "the ingest was down": across the
 * 11:00 boundary of Jan 13 and across midnight Jan 14/15. BTC is listed later (Jan 16 06:17) and
 * misses exactly one bucket-closing minute (Jan 17 08:59). ETH's open interest has 2 decimals,
 * BTC's 6, and BTC has no funding rate at times.
 */
function metricRows(): MarketMetricRecord[] {
  const rnd = createRandom(11);
  const eth = minutes(D0, NOW, [
    [Date.UTC(2026, 0, 13, 10, 50), Date.UTC(2026, 0, 13, 11, 20)],
    [Date.UTC(2026, 0, 14, 23, 30), Date.UTC(2026, 0, 15, 0, 45)],
  ]).map((ts): MarketMetricRecord => ({
    venue: VENUE, marketId: 0, ts, openInterestUsd: `${rnd.int(1_000_000, 9_000_000)}.${String(rnd.int(0, 99)).padStart(2, "0")}`,
    markPrice: rnd.int(300_000, 340_000), indexPrice: rnd.int(300_000, 340_000), fundingRate: (rnd.int(-50, 50) / 10_000).toFixed(4),
  }));
  const btc = minutes(Date.UTC(2026, 0, 16, 6, 17), NOW, [[Date.UTC(2026, 0, 17, 8, 59), Date.UTC(2026, 0, 17, 9, 0)]]).map(
    (ts): MarketMetricRecord => ({
      venue: VENUE, marketId: 1, ts, openInterestUsd: `${rnd.int(0, 500)}.${String(rnd.int(0, 999_999)).padStart(6, "0")}`,
      markPrice: rnd.int(9_000_000, 9_900_000), indexPrice: rnd.int(9_000_000, 9_900_000), fundingRate: rnd.bool() ? "0.000125" : null,
    }),
  );
  return [...eth, ...btc];
}

function tradeRows(): TradeRecord[] {
  const rnd = createRandom(5);
  const trades: TradeRecord[] = [];
  for (let ts = D0 + 13_000, id = 1; ts < NOW; ts += rnd.int(20_000, 170_000), id++) {
    trades.push({ venue: VENUE, marketId: 0, tradeId: id, ts, price: rnd.int(300_000, 340_000), size: rnd.int(1, 90_000), isMakerAsk: rnd.bool(), askAccountId: 1, bidAccountId: 2, kind: "trade" });
  }
  for (let ts = Date.UTC(2026, 0, 16, 7), id = 1; ts < NOW; ts += rnd.int(60_000, 900_000), id++) {
    trades.push({ venue: VENUE, marketId: 1, tradeId: id, ts, price: rnd.int(9_000_000, 9_900_000), size: rnd.int(1, 5_000), isMakerAsk: rnd.bool(), askAccountId: 1, bidAccountId: 2, kind: "trade" });
  }
  return trades;
}

function liquidationRows(): LiquidationRecord[] {
  const rnd = createRandom(3);
  const liq = (marketId: number, id: number, ts: number, price: number, size: number): LiquidationRecord => ({
    venue: VENUE, marketId, id, ts, accountId: rnd.int(1, 99), side: rnd.bool() ? "long" : "short", price, size, kind: id % 5 ? "liquidation" : "deleverage",
  });
  return [
    ...Array.from({ length: 400 }, (_, i) => liq(0, i + 1, D0 + rnd.int(0, NOW - D0 - 1), rnd.int(300_000, 340_000), rnd.int(1, 90_000))),
    ...Array.from({ length: 80 }, (_, i) => liq(1, i + 1, Date.UTC(2026, 0, 16, 7) + rnd.int(0, 4 * DAY), rnd.int(9_000_000, 9_900_000), rnd.int(1, 5_000))),
    // A market the venue no longer lists: no decimals, so exchange totals leave it out.
    ...Array.from({ length: 5 }, (_, i) => liq(99, i + 1, D0 + i * DAY, 1, 1)),
  ];
}

const METRICS = metricRows();
const TRADES = tradeRows();
const LIQUIDATIONS = liquidationRows();

// ---- the independent recomputation ----------------------------------------------------------

const RES_MS: Record<string, number> = { "1m": MIN, "5m": 5 * MIN, "15m": 15 * MIN, "1h": HOUR, "4h": 4 * HOUR, "1d": DAY, "1w": 7 * DAY };
/** Weeks start on Mondays: 1970-01-05 is the first Monday after the epoch. */
const WEEK_ORIGIN = Date.UTC(1970, 0, 5);
/** Bucket starts in [start, end): the grid through 0 (or the first Monday), counted up from start. */
function bucketStarts(resolution: string, start: number, end: number): number[] {
  const ms = RES_MS[resolution]!;
  const origin = resolution === "1w" ? WEEK_ORIGIN : 0;
  const out: number[] = [];
  for (let s = origin + Math.ceil((start - origin) / ms) * ms; s < end; s += ms) out.push(s);
  return out;
}

/** "12.5" → [125n, 1] */
const decimalParts = (text: string): [bigint, number] => {
  const [whole, frac = ""] = text.split(".");
  return [BigInt(`${whole}${frac}`), frac.length];
};
const scaleTo = (v: bigint, from: number, to: number) => v * 10n ** BigInt(to - from);
const inBucket = (ts: number, s: number, ms: number) => ts >= s && ts < s + ms;

interface ExpectedBucket {
  timestamp: number;
  volume: string | null;
  quote_volume: string;
  trades: number;
  open_interest_usd: string | null;
  mark_price: string | null;
  funding_rate: string | null;
  liquidations: number;
  liquidation_volume_usd: string;
}

/** What the route must answer for these bucket starts, recomputed from the raw fixture rows. */
function expected(resolution: string, starts: number[], m: MarketInfo | null): ExpectedBucket[] {
  const ms = RES_MS[resolution]!;
  const scope = new Map((m ? [m] : LISTED).map((x) => [x.marketId, x]));
  const qd = Math.max(...[...scope.values()].map((x) => x.priceDecimals + x.sizeDecimals));
  const quote = (x: MarketInfo, p: number, s: number) => scaleTo(BigInt(p) * BigInt(s), x.priceDecimals + x.sizeDecimals, qd);
  const rows = starts.map((s) => ({ s, volume: 0n, q: 0n, trades: 0, liqCount: 0, liqQuote: 0n, samples: new Map<number, MarketMetricRecord>() }));
  /** The bucket holding `ts`, by a plain scan of the (few) candidates around it. */
  const bucketOf = (ts: number) => {
    const guess = Math.floor((ts - (starts[0] ?? 0)) / ms);
    return [guess - 1, guess, guess + 1].map((i) => rows[i]).find((r) => r !== undefined && inBucket(ts, r.s, ms));
  };
  for (const t of TRADES) {
    const x = scope.get(t.marketId);
    const r = x && bucketOf(t.ts);
    if (!x || !r) continue;
    r.volume += BigInt(t.size);
    r.q += quote(x, t.price, t.size);
    r.trades += 1;
  }
  for (const l of LIQUIDATIONS) {
    const x = scope.get(l.marketId);
    const r = x && bucketOf(l.ts);
    if (!x || !r) continue;
    r.liqCount += 1;
    r.liqQuote += quote(x, l.price, l.size);
  }
  for (const sample of METRICS) {
    const r = scope.has(sample.marketId) ? bucketOf(sample.ts) : undefined;
    const held = r?.samples.get(sample.marketId);
    if (r && (!held || held.ts < sample.ts)) r.samples.set(sample.marketId, sample);
  }
  // Exchange open interest: summed exactly at the finest precision of any sample in the response.
  const oiDecimals = Math.max(0, ...rows.flatMap((r) => [...r.samples.values()].map((x) => decimalParts(x.openInterestUsd)[1])));
  return rows.map((r) => {
    const sample = m ? r.samples.get(m.marketId) : undefined;
    let oi: string | null = null;
    if (m) oi = sample?.openInterestUsd ?? null;
    else if (r.samples.size > 0) {
      let total = 0n;
      for (const x of r.samples.values()) {
        const [v, d] = decimalParts(x.openInterestUsd);
        total += scaleTo(v, d, oiDecimals);
      }
      oi = formatScaled(total, oiDecimals);
    }
    return {
      timestamp: r.s,
      volume: m ? formatScaled(r.volume, m.sizeDecimals) : null,
      quote_volume: formatScaled(r.q, qd),
      trades: r.trades,
      open_interest_usd: oi,
      mark_price: m && sample ? formatScaled(BigInt(sample.markPrice), m.priceDecimals) : null,
      funding_rate: m && sample ? sample.fundingRate : null,
      liquidations: r.liqCount,
      liquidation_volume_usd: formatScaled(r.liqQuote, qd),
    };
  });
}

// ---- app ------------------------------------------------------------------------------------

let dir = "";
let store: Store;
let live: ReturnType<typeof createLiveMarkets>;
const apps: Array<ReturnType<typeof createApp>> = [];
let base = "";

/** Starts the app for `venue` on a random port; returns its base URL. */
function startApp(venue: string, appClock: ManualClock): string {
  const health = new HealthService({
    clock: appClock, version: "test", timeoutMs: 100, probes: () => [],
    upstream: () => ({ venue, network: "unknown", source: "simulator", rest_url: "", ws_url: "", connection: "standby" }),
  });
  const app = createApp({ clock: appClock, log: silentLogger(), metrics: new Metrics(), version: "test", health, marketData: { store: store.marketData, live, venue } });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  apps.push(app);
  return `http://127.0.0.1:${app.server!.port}`;
}

beforeAll(async () => {
  dir = tempDir("exchange-metrics");
  store = await openSqliteStore({ path: join(dir, "md.db") });
  await store.migrate();
  const md = store.marketData;
  await md.insertMarketMetrics(METRICS);
  await md.insertTrades(TRADES);
  const resolutions: CandleResolution[] = ["1m", "5m", "15m", "1h", "4h", "1d", "1w"];
  for (const marketId of [0, 1]) {
    const own = TRADES.filter((t) => t.marketId === marketId);
    await md.upsertCandles(resolutions.flatMap((r) => candleFromTrades(own, r)));
  }
  await md.insertLiquidations(LIQUIDATIONS);
  live = createLiveMarkets(createMemoryCache(clock));
  await live.putMarkets(VENUE, [BTC, SOL, ETH]);
  base = startApp(VENUE, clock);
});

afterAll(async () => {
  for (const app of apps) await app.stop(true);
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------

interface Body {
  success: boolean;
  data: { scope: string; market_id: number | null; symbol: string | null; resolution: string; buckets: ExpectedBucket[]; code?: string; message?: string };
  meta: { request_id: string; timestamp: number; total?: number; limit?: number; next_start?: number };
}

async function get(path: string, at = base): Promise<{ status: number; body: Body }> {
  const res = await fetch(at + path);
  return { status: res.status, body: (await res.json()) as Body };
}

/** A 200 whose body matches the documented schema. */
async function ok(params: Record<string, string | number>, at = base): Promise<Body> {
  const path = `/api/v1/exchange/metrics?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`;
  const { status, body } = await get(path, at);
  if (status !== 200) throw new Error(`${path} → ${status}: ${JSON.stringify(body)}`);
  expect([...Value.Errors(Envelope(MetricsData), body)].slice(0, 3).map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  return body;
}

async function fails(query: string, status: number, message: RegExp): Promise<void> {
  const { status: got, body } = await get(`/api/v1/exchange/metrics?${query}`);
  expect({ query, status: got }).toEqual({ query, status });
  expect(body.success).toBe(false);
  expect(body.data.code).toBe(status === 404 ? "not_found" : "bad_request");
  expect(body.data.message).toMatch(message);
}

// ---- tests ----------------------------------------------------------------------------------

describe("GET /api/v1/exchange/metrics", () => {
  /**
   * Ranges of at most 1000 buckets that cross the fixture's gaps, BTC's listing and its missing
   * bucket-closing minute where the resolution allows; the coarse ones cover everything.
   */
  const RANGES: Record<string, { start: number; end: number }> = {
    "1m": { start: Date.UTC(2026, 0, 16, 6, 0, 30), end: Date.UTC(2026, 0, 16, 20) },
    "5m": { start: Date.UTC(2026, 0, 16, 5), end: Date.UTC(2026, 0, 19, 12) },
    "15m": { start: D0 + 7 * MIN, end: NOW },
    "1h": { start: D0, end: NOW },
    "4h": { start: D0 - 5 * DAY, end: NOW },
    "1d": { start: D0, end: NOW },
    "1w": { start: Date.UTC(2025, 11, 1), end: NOW },
  };

  for (const [resolution, range] of Object.entries(RANGES)) {
    test(`${resolution}: one market's buckets equal the recomputation from raw trades, samples and liquidations`, async () => {
      const starts = bucketStarts(resolution, range.start, range.end);
      expect(starts.length).toBeLessThanOrEqual(1000);
      for (const m of [ETH, BTC]) {
        const body = await ok({ market_id: m.marketId, resolution, ...range, limit: 1000 });
        expect(body.data).toMatchObject({ scope: "market", market_id: m.marketId, symbol: m.symbol, resolution });
        expect(body.data.buckets).toEqual(expected(resolution, starts, m));
        expect(body.meta).toMatchObject({ total: starts.length, limit: 1000 });
        expect(body.meta.next_start).toBeUndefined();
      }
    });

    test(`${resolution}: exchange totals equal the recomputation over every listed market`, async () => {
      const body = await ok({ resolution, ...range, limit: 1000 });
      expect(body.data).toMatchObject({ scope: "exchange", market_id: null, symbol: null, resolution });
      expect(body.data.buckets).toEqual(expected(resolution, bucketStarts(resolution, range.start, range.end), null));
    });
  }

  test("the bucket's last sample is taken from before a gap that covers its closing minutes", async () => {
    // ETH's ingest was down 10:50-11:20 on Jan 13: the 10:00 bucket closes on its 10:49 sample,
    // the 11:00 bucket has samples only from 11:20 on.
    const body = await ok({ market_id: 0, resolution: "1h", start: Date.UTC(2026, 0, 13, 10), end: Date.UTC(2026, 0, 13, 12) });
    const sample = (ts: number) => METRICS.find((r) => r.marketId === 0 && r.ts === ts)!;
    expect(body.data.buckets.map((b) => b.open_interest_usd)).toEqual([
      sample(Date.UTC(2026, 0, 13, 10, 49)).openInterestUsd,
      sample(Date.UTC(2026, 0, 13, 11, 59)).openInterestUsd,
    ]);
    // At 1m, minutes inside the gap have no sample.
    const minutesBody = await ok({ market_id: 0, resolution: "1m", start: Date.UTC(2026, 0, 13, 10, 49), end: Date.UTC(2026, 0, 13, 10, 52) });
    expect(minutesBody.data.buckets.map((b) => b.open_interest_usd !== null)).toEqual([true, false, false]);
  });

  test("without start: the latest `limit` buckets before end (default now), the open bucket included", async () => {
    const body = await ok({ market_id: 0, resolution: "1h" });
    const starts = bucketStarts("1h", Date.UTC(2026, 0, 20, 12) - 99 * HOUR, NOW);
    expect(starts).toHaveLength(100);
    expect(body.data.buckets).toEqual(expected("1h", starts, ETH));
    expect(body.meta).toMatchObject({ total: 100, limit: 100 });
  });

  test("a range with more buckets than `limit` is served in pages that join up exactly (meta.next_start)", async () => {
    const all: ExpectedBucket[] = [];
    let start: number | undefined = D0 + 7 * MIN; // not on the grid: the first bucket starts at the next 15m
    for (let page = 0; start !== undefined && page < 10; page++) {
      const body: Body = await ok({ resolution: "15m", start, end: NOW, limit: 300 });
      expect(body.meta.total).toBe(bucketStarts("15m", start, NOW).length);
      all.push(...body.data.buckets);
      start = body.meta.next_start;
    }
    expect(start).toBeUndefined();
    const starts = bucketStarts("15m", D0 + 7 * MIN, NOW);
    expect(starts[0]).toBe(D0 + 15 * MIN);
    // Open interest precision is per response; compare everything else page by page.
    const strip = (b: ExpectedBucket) => ({ ...b, open_interest_usd: b.open_interest_usd === null ? null : Number(b.open_interest_usd) });
    expect(all.map(strip)).toEqual(expected("15m", starts, null).map(strip));
  });

  test("a range with no bucket start in it answers an empty list", async () => {
    const body = await ok({ market_id: 0, resolution: "1h", start: Date.UTC(2026, 0, 13, 10, 1), end: Date.UTC(2026, 0, 13, 10, 59) });
    expect(body.data.buckets).toEqual([]);
    expect(body.meta.total).toBe(0);
  });

  test("a listed market without history has empty buckets; a range before any data too", async () => {
    const sol = await ok({ market_id: 2, resolution: "1d", start: D0, end: NOW });
    expect(sol.data.buckets.every((b) => b.trades === 0 && b.open_interest_usd === null && b.liquidations === 0 && b.volume === "0.000")).toBe(true);
    const early = await ok({ resolution: "1d", start: "2025-01-01", end: "2025-02-01" });
    expect(early.data.buckets).toHaveLength(31);
    expect(early.data.buckets[0]).toEqual({
      timestamp: Date.UTC(2025, 0, 1), volume: null, quote_volume: "0.000000", trades: 0, open_interest_usd: null, mark_price: null,
      funding_rate: null, liquidations: 0, liquidation_volume_usd: "0.000000",
    });
  });

  test("invalid parameters are 400s that name the parameter and the limit; an unknown market is a 404", async () => {
    await fails("market_id=0&resolution=1h&limit=1001", 400, /'limit'.*1000/);
    await fails("market_id=0&resolution=30m", 400, /'resolution'.*1m, 5m, 15m, 1h, 4h, 1d, 1w/);
    await fails("market_id=0", 400, /'resolution'/);
    await fails(`market_id=0&resolution=1h&start=${NOW}&end=${NOW - HOUR}`, 400, /'start'.*before 'end'/);
    await fails("market_id=0&resolution=1h&start=yesterday", 400, /'start'/);
    await fails("market_id=42&resolution=1h", 404, /market 42 not found/);
  });

  test("more liquidations in the requested buckets than one response may fold is a 400 naming the bound", async () => {
    const busy = "busy";
    await live.putMarkets(busy, [{ ...ETH, venue: busy }]);
    const ts0 = Date.UTC(2026, 0, 19);
    await store.marketData.insertLiquidations(
      Array.from({ length: 100_001 }, (_, i) => ({ venue: busy, marketId: 0, id: i + 1, ts: ts0 + (i % 86_400) * 1000, accountId: 1, side: "long" as const, price: 300_000, size: 1, kind: "liquidation" as const })),
    );
    const at = startApp(busy, clock);
    const res = await get(`/api/v1/exchange/metrics?market_id=0&resolution=1d&start=${ts0}&end=${ts0 + DAY}`, at);
    expect(res.status).toBe(400);
    expect(res.body.data.message).toMatch(/too many liquidations: 100001 .* at most 100000 per request/);
    // Half the day is within the bound: one per second, plus the 13,601 rows that wrapped around.
    const half = await ok({ market_id: 0, resolution: "1h", start: ts0, end: ts0 + 12 * HOUR }, at);
    expect(half.data.buckets.map((b) => b.liquidations)).toEqual(Array.from({ length: 12 }, (_, h) => 3600 + Math.max(0, Math.min(3600, 13_601 - h * 3600))));
  });

  test("the route is in the OpenAPI document with its parameters and per-status responses", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, { get?: { parameters?: Array<{ name: string }>; responses?: Record<string, unknown> } }> };
    const op = doc.paths["/api/v1/exchange/metrics"]?.get;
    expect(op?.parameters?.map((p) => p.name).sort()).toEqual(["end", "limit", "market_id", "resolution", "start"]);
    // Guards in front of the group (auth, rate limits) may document more statuses; these are the route's own.
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(["200", "400", "404", "500"]));
  });
});

describe("exchange metrics through the sampler and the recorder", () => {
  test("per-minute samples of the live stats are served at 5m with the last sample of each bucket", async () => {
    const venue = "sampled";
    const t0 = Date.UTC(2026, 0, 20, 9, 0, 10);
    const ingestClock = new ManualClock(t0);
    const recorder = createRecorder({ store: store.marketData, dataDir: join(dir, "recorder"), clock: ingestClock });
    const sampler = createMetricsSampler({ clock: ingestClock, record: (rows) => recorder.recordMarketMetrics(rows) });
    await live.putMarkets(venue, [{ ...ETH, venue }]);
    sampler.start();

    // Stats change every 20 s for 12 minutes; the feed then stops (stale after 2 minutes).
    for (let ts = t0, n = 0; ts < t0 + 12 * MIN; ts += 20_000, n++) {
      ingestClock.set(ts);
      const stats = { markPrice: 320_000 + 20 * n, indexPrice: 319_000, lastTradePrice: null, openInterestUsd: `${1_000 + n}.5`, fundingRate: "0.0012" };
      sampler.update(venue, 0, { ...stats, predictedFundingRate: null, lastFundingTime: null, ts });
    }
    ingestClock.set(t0 + 20 * MIN);
    sampler.stop();
    await recorder.flush();
    await recorder.close();

    const at = startApp(venue, new ManualClock(t0 + 20 * MIN));
    const body = await ok({ market_id: 0, resolution: "5m", start: Date.UTC(2026, 0, 20, 9), end: Date.UTC(2026, 0, 20, 9, 20) }, at);
    // Samples at 09:01 … 09:13, each the state as of its minute start: the last update (n = 35,
    // 09:11:50) is repeated at 09:12 and 09:13 and stale from 09:13:50. A 5m bucket closes on its
    // last sampled minute.
    const stateAt = (minute: number) => {
      const n = Math.min(35, Math.floor((minute - t0) / 20_000));
      return [`${1_000 + n}.5`, formatScaled(BigInt(320_000 + 20 * n), 2)];
    };
    const at9 = (m: number) => Date.UTC(2026, 0, 20, 9, m);
    expect(body.data.buckets.map((b) => [b.timestamp, b.open_interest_usd, b.mark_price])).toEqual([
      [at9(0), ...stateAt(at9(4))],
      [at9(5), ...stateAt(at9(9))],
      [at9(10), ...stateAt(at9(13))],
      [at9(15), null, null],
    ]);
  });
});
