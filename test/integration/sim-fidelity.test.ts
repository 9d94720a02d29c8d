/**
 * The simulator speaks Lighter's protocol: the official generated SDK (`zklighter-perps`) parses
 * every response, every response validates against the SDK's own `openapi.json`, and WS frames
 * match the reference's captured frames field for field. Time is a ManualClock: the test moves it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import {
  AccountApi, BlockApi, CandlestickApi, Configuration, FundingApi, OrderApi, RootApi,
} from "zklighter-perps";
import { ManualClock } from "../../src/lib/clock.ts";
import { WsMarketStatsFrame, WsOrderBookFrame, WsTradeFrame, WsAccountAllFrame, WsHeightFrame } from "../../src/venues/lighter/protocol.ts";
import { startSimulator, type SimHandle } from "../../src/venues/lighter/sim/index.ts";
import { check, responseSchema, undeclared, type SwaggerDoc } from "../../src/venues/lighter/sim/testing/openapi-check.ts";
import { REF_BOOK_DELTA, REF_BOOK_SNAPSHOT, REF_MARKET_STATS, REF_TRADE_UPDATE, shapeDiff } from "../../src/venues/lighter/sim/testing/reference-frames.ts";

const START = Date.UTC(2026, 4, 5, 12, 3, 0);
const HISTORY_MS = 65 * 60_000; // covers one hourly funding settlement
const clock = new ManualClock(START);
let sim: SimHandle;
let cfg: Configuration;
let liquidatedAccount = 0;
let traderWithPositions = 0;
const doc = (await Bun.file(join(import.meta.dir, "../../node_modules/zklighter-perps/openapi.json")).json()) as SwaggerDoc;
/** Required by the SDK spec, omitted by the real venue for ordinary accounts (reference §B.2 `pool_info?`). */
const ALLOWED = { "DetailedAccount.pool_info": "public pools only" };

beforeAll(async () => {
  sim = await startSimulator({ clock, seed: 11, accounts: 400, rate: 80, historyMs: HISTORY_MS });
  cfg = new Configuration({ basePath: sim.url });
  sim.shock(0, -0.3); // an ETH crash: liquidations
  clock.advance(15_000);
  liquidatedAccount = [...sim.engine.ledger.liquidations.keys()][0] ?? 0;
  traderWithPositions = sim.truth.accounts().find((a) => a.role === "trader" && a.positions.length >= 2)?.index ?? 0;
}, 60_000);
afterAll(async () => {
  await sim?.stop();
});

describe("the official SDK parses simulator responses", () => {
  test("markets, books and trades", async () => {
    const order = new OrderApi(cfg);
    const books = await order.orderBooks();
    expect(books.order_books.map((b) => b.market_id)).toEqual([0, 1, 2, 3, 4, 7, 8, 16]);
    const details = await order.orderBookDetails({ market_id: 1 });
    const btc = details.order_book_details[0]!;
    expect(btc.symbol).toBe("BTC");
    expect(btc.price_decimals + btc.size_decimals).toBe(6);
    expect(Number(btc.mark_price)).toBeGreaterThan(50_000);
    expect(btc.daily_trades_count).toBeGreaterThan(0);
    const l3 = await order.orderBookOrders({ market_id: 0, limit: 20 });
    expect(l3.asks.length).toBe(20);
    expect(Number(l3.bids[0]!.price)).toBeLessThan(Number(l3.asks[0]!.price));
    const recent = await order.recentTrades({ market_id: 0, limit: 50 });
    expect(recent.trades.length).toBe(50);
    expect(recent.trades[0]!.trade_id).toBeGreaterThan(recent.trades[1]!.trade_id);
    const liqs = await order.trades({ sort_by: "timestamp", limit: 10, type: "liquidation" } as Parameters<OrderApi["trades"]>[0]);
    expect(liqs.trades.length).toBeGreaterThan(0);
    expect(liqs.trades.every((t) => t.type === "liquidation")).toBe(true);
    const stats = await order.exchangeStats();
    expect(stats.order_book_stats.length).toBe(8);
    const metrics = await order.exchangeMetrics({ period: "d", kind: "volume" } as Parameters<OrderApi["exchangeMetrics"]>[0]);
    expect(metrics.metrics.length).toBeGreaterThan(0);
    const assets = await order.assetDetails({ asset_id: 3 });
    expect(assets.asset_details[0]).toMatchObject({ asset_id: 3, symbol: "USDC", decimals: 6 });
  });

  test("trades of an account page by cursor, newest first, without repeats", async () => {
    const order = new OrderApi(cfg);
    const maker = sim.engine.accounts.makers[0]!.index; // a market maker: hundreds of fills
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const res = await order.trades({ sort_by: "trade_id", limit: 25, account_index: maker, cursor } as Parameters<OrderApi["trades"]>[0]);
      for (const t of res.trades) {
        expect([t.ask_account_id, t.bid_account_id]).toContain(maker);
        seen.push(t.trade_id);
      }
      cursor = res.next_cursor;
      expect(cursor).toBeDefined();
    }
    expect(seen.length).toBe(100);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  test("candles, fundings and funding rates", async () => {
    const candles = await new CandlestickApi(cfg).candles({
      market_id: 0, resolution: "1m", start_timestamp: START - HISTORY_MS, end_timestamp: clock.now(), count_back: 0,
    } as Parameters<CandlestickApi["candles"]>[0]);
    expect(candles.c.length).toBeGreaterThan(60);
    for (const c of candles.c) expect(c.h).toBeGreaterThanOrEqual(Math.max(c.o, c.c, c.l));
    const fundings = await new CandlestickApi(cfg).fundings({
      market_id: 0, resolution: "1h", start_timestamp: START - HISTORY_MS, end_timestamp: clock.now(), count_back: 0,
    } as Parameters<CandlestickApi["fundings"]>[0]);
    expect(fundings.fundings.map((f) => f.timestamp * 1000)).toEqual([START - 3_600_000 - 3 * 60_000, START - 3 * 60_000]);
    expect(fundings.fundings.every((f) => f.direction === "long" || f.direction === "short")).toBe(true);
    expect(fundings.fundings[0]!.timestamp % 3600).toBe(0);
    const rates = await new FundingApi(cfg).fundingRates();
    expect(rates.funding_rates.filter((r) => r.exchange === "lighter")).toHaveLength(8);
  });

  test("accounts, liquidations and height", async () => {
    const account = new AccountApi(cfg);
    const found = await account.account({ by: "index", value: String(traderWithPositions) } as Parameters<AccountApi["account"]>[0]);
    const a = found.accounts[0]!;
    expect(a.index).toBe(traderWithPositions);
    expect(a.positions.length).toBeGreaterThanOrEqual(2);
    expect(Number(a.total_asset_value)).toBeCloseTo(Number(a.collateral) + a.positions.reduce((s, p) => s + Number(p.unrealized_pnl), 0), 5);
    const liqs = await account.liquidations({ account_index: liquidatedAccount, limit: 10 });
    expect(liqs.liquidations.length).toBeGreaterThan(0);
    expect(liqs.liquidations[0]!.info.risk_info_before.cross_risk_parameters).toBeDefined();
    const height = await new BlockApi(cfg).currentHeight();
    expect(height.height).toBeGreaterThan(0);
    const status = await new RootApi(cfg).status();
    expect(status.status).toBe(200);
  });
});

const REST_CASES: Array<[string, string]> = [
  ["/", ""], ["/info", ""], ["/api/v1/orderBooks", ""], ["/api/v1/orderBookDetails", ""],
  ["/api/v1/orderBookOrders", "market_id=2&limit=50"], ["/api/v1/recentTrades", "market_id=1&limit=100"],
  ["/api/v1/trades", "sort_by=trade_id&limit=100&market_id=255"], ["/api/v1/trades", "sort_by=timestamp&limit=100&type=liquidation"],
  ["/api/v1/candles", `market_id=0&resolution=5m&start_timestamp=${START - HISTORY_MS}&end_timestamp=${START}&count_back=10`],
  ["/api/v1/fundings", `market_id=2&resolution=1h&start_timestamp=${START - HISTORY_MS}&end_timestamp=${START + 60_000}&count_back=5`],
  ["/api/v1/funding-rates", ""], ["/api/v1/exchangeStats", ""], ["/api/v1/exchangeMetrics", "period=d&kind=trade_count"],
  ["/api/v1/currentHeight", ""], ["/api/v1/assetDetails", ""],
];

describe("every response validates against the SDK's openapi.json", () => {
  test.each(REST_CASES)("GET %s?%s", async (path, query) => {
    const res = await fetch(`${sim.url}${path}${query ? `?${query}` : ""}`);
    expect(res.status).toBe(200);
    const body: unknown = await res.json();
    const schema = responseSchema(doc, path)!;
    expect(check(doc, schema, body, "$", ALLOWED)).toEqual([]);
    expect(undeclared(doc, schema, body)).toEqual([]);
  });

  test("account endpoints", async () => {
    const acct = sim.truth.accounts().find((a) => a.index === liquidatedAccount)!;
    const cases: Array<[string, string]> = [
      ["/api/v1/account", `by=index&value=${traderWithPositions}`], ["/api/v1/account", `by=l1_address&value=${acct.l1Address}`],
      ["/api/v1/accountsByL1Address", `l1_address=${acct.l1Address}`], ["/api/v1/liquidations", `account_index=${liquidatedAccount}&limit=5`],
      ["/api/v1/pnl", `by=index&value=${traderWithPositions}&resolution=1h&start_timestamp=${START - HISTORY_MS}&end_timestamp=${START}&count_back=0`],
      ["/api/v1/positionFunding", `account_index=${traderWithPositions}&limit=10`],
      ["/api/v1/accountActiveOrders", `account_index=${sim.engine.accounts.makers[0]!.index}&market_id=0`],
    ];
    for (const [path, query] of cases) {
      const body: unknown = await (await fetch(`${sim.url}${path}?${query}`)).json();
      expect({ path, problems: check(doc, responseSchema(doc, path)!, body, "$", ALLOWED) }).toEqual({ path, problems: [] });
    }
  });

  test("refusals are HTTP 400 {code, message} with the venue's codes", async () => {
    const bad: Array<[string, number]> = [
      ["/api/v1/orderBookDetails?market_id=99", 21602], ["/api/v1/orderBookOrders?market_id=0", 20001],
      ["/api/v1/candles?market_id=0&resolution=2m&start_timestamp=1&end_timestamp=2&count_back=0", 22402],
      ["/api/v1/candles?market_id=0&resolution=1m&start_timestamp=5000&end_timestamp=1000&count_back=0", 22400],
      ["/api/v1/account?by=index&value=12", 21100],
    ];
    for (const [url, code] of bad) {
      const res = await fetch(sim.url + url);
      const body: unknown = await res.json();
      expect({ url, status: res.status, code: (body as { code: number }).code }).toEqual({ url, status: 400, code });
      expect(check(doc, responseSchema(doc, "/api/v1/orderBooks", "400")!, body)).toEqual([]);
    }
  });
});

/** A WS client that hands out frames as promises (no fixed sleeps). */
async function connect(): Promise<{ ws: WebSocket; next(pred: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>; frames: Record<string, unknown>[] }> {
  const ws = new WebSocket(sim.wsUrl);
  const frames: Record<string, unknown>[] = [];
  const waiters: Array<{ pred: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void; seen: number }> = [];
  ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as Record<string, unknown>;
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); }
  };
  const next = (pred: (f: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => waiters.push({ pred, resolve, seen: frames.length }));
  const connected = next((f) => f.type === "connected");
  await new Promise((r) => (ws.onopen = r));
  await connected;
  return { ws, next, frames };
}

describe("WebSocket frames", () => {
  test("match the reference frames field for field and the strict protocol schemas", async () => {
    const c = await connect();
    const send = (o: object) => c.ws.send(JSON.stringify(o));
    const snap = c.next((f) => f.type === "subscribed/order_book");
    send({ type: "subscribe", channel: "order_book/0" });
    const snapshot = await snap;
    expect(shapeDiff(REF_BOOK_SNAPSHOT, snapshot, true)).toEqual([]);
    expect(TypeCompiler.Compile(WsOrderBookFrame).Check(snapshot)).toBe(true);

    const subs = ["trade/0", "market_stats/1", "market_stats/all", "height", `account_all/${traderWithPositions}`];
    const acks = subs.map((ch) => c.next((f) => f.channel === ch.replaceAll("/", ":") && String(f.type).startsWith("subscribed/")));
    for (const ch of subs) send({ type: "subscribe", channel: ch });
    await Promise.all(acks);
    const delta = c.next((f) => f.type === "update/order_book");
    const trade = c.next((f) => f.type === "update/trade");
    const stats = c.next((f) => f.type === "update/market_stats" && f.channel === "market_stats:1");
    const height = c.next((f) => f.type === "update/height");
    clock.advance(3_000);
    const [d, t, s, h] = await Promise.all([delta, trade, stats, height]);
    expect(shapeDiff(REF_BOOK_DELTA, d, true)).toEqual([]);
    expect(shapeDiff(REF_TRADE_UPDATE, t, false)).toEqual([]);
    expect(undeclared(doc, { $ref: "#/definitions/Trade" }, (t.trades as unknown[])[0])).toEqual([]);
    expect(shapeDiff(REF_MARKET_STATS, s, false)).toEqual([]);
    expect(TypeCompiler.Compile(WsTradeFrame).Check(t)).toBe(true);
    expect(TypeCompiler.Compile(WsMarketStatsFrame).Check(s)).toBe(true);
    expect(TypeCompiler.Compile(WsHeightFrame).Check(h)).toBe(true);
    const account = c.frames.find((f) => f.type === "subscribed/account_all");
    expect(TypeCompiler.Compile(WsAccountAllFrame).Check(account)).toBe(true);
    c.ws.close();
  });

  test("deltas continue the snapshot's nonce chain exactly and agree with the ground truth", async () => {
    const c = await connect();
    const snap = c.next((f) => f.type === "subscribed/order_book");
    c.ws.send(JSON.stringify({ type: "subscribe", channel: "order_book/2" }));
    type Side = Array<{ price: string; size: string }>;
    const snapshot = (await snap).order_book as { nonce: number; asks: Side; bids: Side };
    const updates: Array<{ begin_nonce: number; nonce: number; asks: Side; bids: Side }> = [];
    const enough = c.next((f) => f.type === "update/order_book" && (updates.push(f.order_book as (typeof updates)[number]), updates.length >= 20));
    for (let i = 0; i < 30 && updates.length < 20; i++) clock.advance(500);
    await enough;
    // Rebuild the book a client would hold from the snapshot and the deltas (size 0 removes a level).
    const asks = new Map(snapshot.asks.map((l) => [l.price, l.size]));
    const bids = new Map(snapshot.bids.map((l) => [l.price, l.size]));
    let prev = snapshot.nonce;
    for (const u of updates) {
      expect(u.begin_nonce).toBe(prev);
      expect(u.nonce).toBeGreaterThan(prev);
      prev = u.nonce;
      for (const l of u.asks) Number(l.size) === 0 ? asks.delete(l.price) : asks.set(l.price, l.size);
      for (const l of u.bids) Number(l.size) === 0 ? bids.delete(l.price) : bids.set(l.price, l.size);
    }
    const truth = sim.truth.bookAt(2, prev)!;
    expect([...asks].sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(truth.asks.map((l) => [l.price, l.size]));
    expect([...bids].sort((x, y) => Number(y[0]) - Number(x[0]))).toEqual(truth.bids.map((l) => [l.price, l.size]));
    c.ws.close();
  });

  test("session control: ping → pong, 30003 on a repeated subscribe, unsubscribe acknowledged", async () => {
    const c = await connect();
    const pong = c.next((f) => f.type === "pong");
    c.ws.send(JSON.stringify({ type: "ping" }));
    await pong;
    const again = c.next((f) => f.type === "error");
    c.ws.send(JSON.stringify({ type: "subscribe", channel: "height" }));
    c.ws.send(JSON.stringify({ type: "subscribe", channel: "height" }));
    expect(await again).toEqual({ type: "error", code: 30003, message: "Already Subscribed to : height" });
    const unsub = c.next((f) => f.type === "unsubscribed");
    c.ws.send(JSON.stringify({ type: "unsubscribe", channel: "height" }));
    expect(await unsub).toEqual({ type: "unsubscribed", channel: "height" });
    c.ws.close();
  });
});
