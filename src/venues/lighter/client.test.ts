import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server, ServerWebSocket } from "bun";
import { silentLogger } from "../../lib/log.ts";
import { bookFrame, lv, perpDetail, trade, tradeFrame } from "../../../test/fixtures/lighter-frames.ts";
import { LighterClient, toMarketInfo } from "./client.ts";
import type { LighterEvent } from "./events.ts";
import type { Trade } from "./protocol.ts";

/** A scripted venue: REST from fixed data, a `/stream` that records what clients send. */
function scriptedVenue() {
  const sockets: ServerWebSocket<undefined>[] = [];
  const received: string[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  /** Resolves once the venue has received `n` client frames (deadline: the test timeout). */
  const receivedAtLeast = (n: number) =>
    received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }));
  let restTrades: Trade[] = [];
  const tradesQueries: string[] = [];
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === "/stream") return srv.upgrade(req) ? undefined : new Response("no", { status: 400 });
      if (url.pathname === "/api/v1/orderBookDetails") {
        return Response.json({ code: 200, order_book_details: [perpDetail(0), { ...perpDetail(1, "BTC", 1, 5), status: "inactive" }], spot_order_book_details: [] });
      }
      if (url.pathname === "/api/v1/trades") {
        tradesQueries.push(url.search);
        return Response.json({ code: 200, trades: [...restTrades].reverse() });
      }
      if (url.pathname === "/api/v1/orderBookOrders") return Response.json({ code: 21602, message: "invalid market index" }, { status: 400 });
      return new Response("not found", { status: 404 });
    },
    websocket: {
      open(ws) {
        sockets.push(ws);
        ws.send(JSON.stringify({ type: "connected", session_id: `s${sockets.length}` }));
      },
      message(_ws, msg) {
        received.push(String(msg));
        if (waiter && received.length >= waiter.n) {
          waiter.resolve();
          waiter = undefined;
        }
      },
    },
  });
  return {
    server, sockets, received, receivedAtLeast, tradesQueries,
    setRestTrades: (t: Trade[]) => (restTrades = t),
    last: () => sockets[sockets.length - 1]!,
    rest: `http://127.0.0.1:${server.port}`,
    ws: `ws://127.0.0.1:${server.port}/stream`,
  };
}

/** Resolves with the first event matching `pred`, or rejects after `ms`. */
function nextEvent(client: LighterClient, pred: (e: LighterEvent) => boolean, ms = 3000): Promise<LighterEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error("timed out waiting for event"));
    }, ms);
    const off = client.on((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}


describe("LighterClient against a scripted venue", () => {
  let venue: ReturnType<typeof scriptedVenue>;
  let client: LighterClient;
  const events: LighterEvent[] = [];

  beforeAll(() => {
    venue = scriptedVenue();
    client = new LighterClient({
      restUrl: venue.rest, wsUrl: venue.ws, markets: "all", log: silentLogger(),
      backoff: { baseMs: 10, capMs: 20 }, sendBurst: 1000, sendPerMinute: 60_000,
    });
    client.on((e) => events.push(e));
  });

  afterAll(() => {
    client.stop();
    venue.server.stop(true);
  });

  test("loads active perp markets with their decimals, then subscribes after `connected`", async () => {
    const connected = nextEvent(client, (e) => e.type === "connection" && e.state === "connected");
    await client.start();
    expect(client.markets.map((m) => [m.marketId, m.priceDecimals, m.sizeDecimals])).toEqual([[0, 2, 4]]);
    await connected;
    await venue.receivedAtLeast(3);
    expect(venue.received.map((r) => JSON.parse(r))).toEqual([
      { type: "subscribe", channel: "order_book/0" },
      { type: "subscribe", channel: "trade/0" },
      { type: "subscribe", channel: "market_stats/all" },
    ]);
  });

  test("emits the book snapshot and trades the venue pushes", async () => {
    const snap = nextEvent(client, (e) => e.type === "book.snapshot");
    const trades = nextEvent(client, (e) => e.type === "trades");
    venue.last().send(JSON.stringify(bookFrame(0, "snapshot", 0, 10, [lv("100.00", "1.0000")], [lv("101.00", "2.0000")])));
    venue.last().send(JSON.stringify(tradeFrame(0, "snapshot", [trade(1, 0, "100.50", "0.1000")])));
    await snap;
    expect(client.book(0)?.bestAsk()).toEqual({ price: 10100, size: 20000 });
    expect(await trades).toMatchObject({ source: "snapshot", trades: [{ id: 1, price: 10050, size: 1000 }] });
  });

  test("trackAccount subscribes account_all at run time; untrackAccount unsubscribes", async () => {
    venue.received.length = 0;
    client.trackAccount(42);
    client.untrackAccount(42);
    await venue.receivedAtLeast(2);
    expect(venue.received.map((r) => JSON.parse(r))).toEqual([
      { type: "subscribe", channel: "account_all/42" },
      { type: "unsubscribe", channel: "account_all/42" },
    ]);
  });

  test("after the venue drops the socket: reconnect, resubscribe, backfill missed trades once", async () => {
    venue.setRestTrades([trade(1, 0, "100.50", "0.1000"), trade(2, 0, "100.60", "0.1000"), trade(3, 0, "100.70", "0.1000")]);
    const reconnected = nextEvent(client, (e) => e.type === "connection" && e.state === "connected");
    const stale = nextEvent(client, (e) => e.type === "book.resync");
    venue.last().close(1001, "maintenance");
    expect(await stale).toMatchObject({ marketId: 0, reason: "disconnect" });
    await reconnected;
    const backfilled = nextEvent(client, (e) => e.type === "trades" && e.source === "backfill");
    venue.last().send(JSON.stringify(tradeFrame(0, "snapshot", [trade(3, 0, "100.70", "0.1000"), trade(4, 0, "100.80", "0.1000")])));
    const batch = await backfilled;
    expect(batch.type === "trades" && batch.trades.map((t) => t.id)).toEqual([2, 3, 4]);
    expect(venue.tradesQueries.at(-1)).toContain("sort_by=trade_id");
    const ids = events.flatMap((e) => (e.type === "trades" ? e.trades.map((t) => t.id) : []));
    expect(ids).toEqual([1, 2, 3, 4]);
  });

  test("REST errors carry the venue code and message", async () => {
    const err = await client.rest.orderBookOrders({ market_id: 99, limit: 10 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "LighterApiError", code: "upstream_error", kind: "venue", venueCode: 21602, venueMessage: "invalid market index", httpStatus: 400 });
  });
});

describe("toMarketInfo", () => {
  test("falls back to supported_* decimals when the detailed ones are missing", () => {
    const { size_decimals: _s, price_decimals: _p, ...row } = perpDetail(3, "DOGE", 6, 0);
    expect(toMarketInfo({ ...row, supported_price_decimals: 6, supported_size_decimals: 0 })).toMatchObject({ priceDecimals: 6, sizeDecimals: 0 });
  });
});

describe("LighterClient holding trade frames", () => {
  test("stop hands on the frames still held: no trade received is lost", async () => {
    const venue = scriptedVenue();
    let held!: () => void;
    const heldOnce = new Promise<void>((resolve) => (held = resolve));
    // The end-of-turn run never comes in this test: only `stop` can hand the trade on.
    const client = new LighterClient({
      restUrl: venue.rest, wsUrl: venue.ws, markets: [0], log: silentLogger(), sendBurst: 1000, sendPerMinute: 60_000,
      deferTradeFrames: () => held(),
    });
    const events: LighterEvent[] = [];
    client.on((e) => events.push(e));
    try {
      const snap = nextEvent(client, (e) => e.type === "book.snapshot");
      await client.start();
      await venue.receivedAtLeast(3);
      venue.last().send(JSON.stringify(tradeFrame(0, "snapshot", [trade(1, 0, "100.50", "0.1000")])));
      venue.last().send(JSON.stringify(bookFrame(0, "snapshot", 0, 10, [lv("100.00", "1.0000")], [lv("101.00", "2.0000")])));
      await Promise.all([heldOnce, snap]);
      expect(events.some((e) => e.type === "trades")).toBe(false);
      client.stop();
      expect(events.filter((e) => e.type === "trades").map((e) => e.type === "trades" && e.trades.map((t) => t.id))).toEqual([[1]]);
    } finally {
      client.stop();
      venue.server.stop(true);
    }
  });
});
