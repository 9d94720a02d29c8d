import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock.ts";
import { createLogger, memorySink } from "../../lib/log.ts";
import { bookFrame, lv, marketStats, statsFrame, trade, tradeFrame } from "../../../test/fixtures/lighter-frames.ts";
import { type LighterEvent, type LighterEventOf, type MarketInfo, newStats } from "./events.ts";
import { type BackfillResult, LighterFeed } from "./feed.ts";
import { manualTurns } from "../../../test/support/turns.ts";
import type { TradeIn, WsClientFrame } from "./protocol.ts";

const eth: MarketInfo = {
  marketId: 0, symbol: "ETH", marketType: "perp", status: "active", priceDecimals: 2, sizeDecimals: 4, quoteDecimals: 6,
  minBaseAmount: "0.0050", minQuoteAmount: "10.000000", takerFee: "0.0000", makerFee: "0.0000",
};

interface SetupOptions {
  backfill?: (m: number, after: number) => Promise<BackfillResult>;
  deferAccountFrames?: boolean;
  deferTradeFrames?: (run: () => void) => void;
  /** Called with each event after it is recorded (a listener reacting to it). */
  onEvent?: (e: LighterEvent, feed: LighterFeed) => void;
}

function setup({ backfill = async () => ({ trades: [], reachedAfterId: true }), deferAccountFrames = false, deferTradeFrames, onEvent }: SetupOptions = {}) {
  const clock = new ManualClock(1_000);
  const sink = memorySink();
  const events: LighterEvent[] = [];
  const sent: WsClientFrame[] = [];
  const reconnects: string[] = [];
  const backfills: [number, number][] = [];
  const stats = newStats();
  const log = createLogger({ level: "debug", sink });
  const feed = new LighterFeed({
    markets: [eth], stats, clock, log, deferAccountFrames, deferTradeFrames,
    emit: (e) => {
      events.push(e);
      onEvent?.(e, feed);
    },
    port: {
      send: (f) => sent.push(f),
      connected: () => {},
      requestReconnect: (r) => reconnects.push(r),
      backfill: (m, after) => {
        backfills.push([m, after]);
        return backfill(m, after);
      },
    },
  });
  const send = (frame: unknown) => feed.handleText(JSON.stringify(frame));
  const of = <K extends LighterEvent["type"]>(type: K) => events.filter((e): e is LighterEventOf<K> => e.type === type);
  return { clock, sink, log, events, sent, reconnects, backfills, stats, feed, send, of };
}

describe("LighterFeed: books", () => {
  test("snapshot then contiguous deltas produce book events in fixed point", () => {
    const t = setup();
    t.send(bookFrame(0, "snapshot", 0, 100, [lv("2000.00", "1.0000")], [lv("2001.00", "2.0000")]));
    t.send(bookFrame(0, "delta", 100, 105, [lv("2000.50", "0.5000")], []));
    const [snap] = t.of("book.snapshot");
    expect(snap?.nonce).toBe(100);
    const [delta] = t.of("book.delta");
    expect(delta).toMatchObject({ marketId: 0, beginNonce: 100, nonce: 105, changes: [{ side: "bid", price: 200050, size: 5000 }] });
    expect(delta?.book.bestBid()).toEqual({ price: 200050, size: 5000 });
  });

  test("a gap resubscribes order_book, emits book.resync and recovers on the next snapshot", () => {
    const t = setup();
    t.send(bookFrame(0, "snapshot", 0, 100, [lv("2000.00", "1.0000")], []));
    t.send(bookFrame(0, "delta", 103, 110, [], []));
    expect(t.of("book.resync")).toEqual([{ type: "book.resync", marketId: 0, reason: "gap", expectedNonce: 100, gotBeginNonce: 103 }]);
    expect(t.sent).toEqual([{ type: "unsubscribe", channel: "order_book/0" }, { type: "subscribe", channel: "order_book/0" }]);
    t.send(bookFrame(0, "delta", 110, 120, [], [])); // still resyncing: ignored
    t.send(bookFrame(0, "snapshot", 0, 130, [lv("1999.00", "1.0000")], []));
    t.clock.advance(60_000);
    expect(t.reconnects).toEqual([]);
    expect(t.stats).toMatchObject({ gaps: 1, resyncs: 1, ignoredDeltas: 1, bookSnapshots: 2 });
  });

  test("a duplicate delta is dropped and counted; a resync that never completes forces a reconnect", () => {
    const t = setup();
    t.send(bookFrame(0, "snapshot", 0, 100, [], []));
    const d = bookFrame(0, "delta", 100, 101, [lv("1.00", "1.0000")], []);
    t.send(d);
    t.send(d);
    expect(t.stats.duplicateDeltas).toBe(1);
    expect(t.of("book.delta")).toHaveLength(1);
    t.send(bookFrame(0, "delta", 999, 1000, [], []));
    t.clock.advance(10_000);
    expect(t.reconnects).toHaveLength(1);
  });

  test("malformed frames are counted, logged at a limited rate and never throw", async () => {
    const t = setup();
    t.feed.handleText("{not json");
    t.send({ type: "update/order_book", channel: "order_book:0", order_book: { bids: "x" } });
    t.send(bookFrame(0, "snapshot", 0, 1, [lv("-1.00", "1.0000")], [])); // negative price
    expect(t.stats.malformedFrames).toBe(3);
    await t.log.flush();
    expect(t.sink.lines.filter((l) => l.includes("malformed frame"))).toHaveLength(1);
    t.send({ type: "something/new" });
    expect(t.stats.unknownFrames).toBe(1);
  });

  test("a disconnect marks live books stale", () => {
    const t = setup();
    t.send(bookFrame(0, "snapshot", 0, 100, [], []));
    t.feed.sessionEnded();
    expect(t.of("book.resync").map((e) => e.reason)).toEqual(["disconnect"]);
    expect(t.feed.book(0)?.state).toBe("resyncing");
  });
});

describe("LighterFeed: trades, stats, control", () => {
  test("trades are emitted once, ascending, with liquidations flagged and split out", () => {
    const t = setup();
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "2000.00", "1.0000"), trade(2, 0, "2000.10", "0.5000", { is_maker_ask: true })]));
    t.send(tradeFrame(0, "update", [trade(2, 0, "2000.10", "0.5000"), trade(3, 0, "1999.00", "2.0000")], [trade(4, 0, "1990.00", "1.0000", { type: "liquidation" })]));
    const batches = t.of("trades");
    expect(batches.map((b) => b.trades.map((x) => x.id))).toEqual([[1, 2], [3, 4]]);
    expect(batches[0]?.trades[1]).toMatchObject({ price: 200010, size: 5000, takerSide: "buy", liquidation: false });
    expect(t.of("liquidations").map((e) => e.trades.map((x) => x.id))).toEqual([[4]]);
    expect(t.stats.duplicateTrades).toBe(1);
  });

  test("after a reconnect, trades are held until the REST backfill fills the gap", async () => {
    let resolve!: (r: BackfillResult) => void;
    const t = setup({ backfill: () => new Promise((r) => (resolve = r)) });
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "1.00", "1.0000")]));
    t.feed.sessionEnded();
    t.feed.sessionStarted(true);
    t.send(tradeFrame(0, "snapshot", [trade(4, 0, "1.00", "1.0000"), trade(5, 0, "1.00", "1.0000")]));
    t.send(tradeFrame(0, "update", [trade(6, 0, "1.00", "1.0000")]));
    expect(t.backfills).toEqual([[0, 1]]);
    expect(t.of("trades")).toHaveLength(1);
    resolve({ trades: [trade(5, 0, "1.00", "1.0000"), trade(3, 0, "1.00", "1.0000"), trade(2, 0, "1.00", "1.0000")], reachedAfterId: true });
    await Promise.resolve();
    const last = t.of("trades").at(-1);
    expect(last?.source).toBe("backfill");
    expect(last?.trades.map((x) => x.id)).toEqual([2, 3, 4, 5, 6]);
    expect(t.stats.backfilledTrades).toBe(2);
  });

  test("a backfill that lands after its session ended is still used; the next one starts where it ended", async () => {
    const pending: ((r: BackfillResult) => void)[] = [];
    const t = setup({ backfill: () => new Promise((r) => pending.push(r)) });
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "1.00", "1.0000")]));
    t.feed.sessionEnded();
    t.feed.sessionStarted(true);
    t.send(tradeFrame(0, "snapshot", [trade(6, 0, "1.00", "1.0000")]));
    t.feed.sessionEnded(); // the held trade 6 is released; the gap stays open
    t.feed.sessionStarted(true);
    t.send(tradeFrame(0, "snapshot", [trade(7, 0, "1.00", "1.0000"), trade(8, 0, "1.00", "1.0000")]));
    expect(t.backfills).toEqual([[0, 1]]); // one backfill per market at a time
    pending[0]!({ trades: [trade(6, 0, "1.00", "1.0000"), trade(4, 0, "1.00", "1.0000"), trade(2, 0, "1.00", "1.0000")], reachedAfterId: true });
    await Promise.resolve();
    expect(t.of("trades").map((e) => [e.source, e.trades.map((x) => x.id)])).toEqual([
      ["snapshot", [1]], ["update", [6]], ["backfill", [2, 4]],
    ]);
    expect(t.backfills).toEqual([[0, 1], [0, 6]]); // chained from the advanced resume point
    pending[1]!({ trades: [trade(8, 0, "1.00", "1.0000"), trade(7, 0, "1.00", "1.0000")], reachedAfterId: true });
    await Promise.resolve();
    expect(t.of("trades").at(-1)).toMatchObject({ source: "backfill", trades: [{ id: 7 }, { id: 8 }] });
    expect(t.stats.tradesEmitted).toBe(6);
  });

  test("a failed backfill releases the held trades at once and is retried later", async () => {
    let calls = 0;
    const t = setup({
      backfill: async () => {
        calls++;
        if (calls === 1) throw new Error("HTTP 503");
        return { trades: [trade(3, 0, "1.00", "1.0000"), trade(2, 0, "1.00", "1.0000")], reachedAfterId: true };
      },
    });
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "1.00", "1.0000")]));
    t.feed.sessionEnded();
    t.feed.sessionStarted(true);
    t.send(tradeFrame(0, "snapshot", [trade(4, 0, "1.00", "1.0000")]));
    await Promise.resolve();
    await Promise.resolve();
    expect(t.of("trades").map((e) => e.trades.map((x) => x.id))).toEqual([[1], [4]]);
    t.clock.advance(1000);
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toBe(2);
    expect(t.of("trades").at(-1)).toMatchObject({ source: "backfill", trades: [{ id: 2 }, { id: 3 }] });
  });

  test("a re-send that overlaps what was already seen needs no REST backfill", () => {
    const t = setup();
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "1.00", "1.0000"), trade(2, 0, "1.00", "1.0000")]));
    t.feed.sessionEnded();
    t.feed.sessionStarted(true);
    t.send(tradeFrame(0, "snapshot", [trade(2, 0, "1.00", "1.0000"), trade(3, 0, "1.00", "1.0000")]));
    t.send(tradeFrame(0, "update", [trade(4, 0, "1.00", "1.0000")]));
    expect(t.backfills).toEqual([]);
    expect(t.of("trades").map((e) => e.trades.map((x) => x.id))).toEqual([[1, 2], [3], [4]]);
  });

  test("market_stats (single and all) emit stats; an advancing funding_timestamp emits funding", () => {
    const t = setup();
    t.send(statsFrame(marketStats(0, 3_600_001), "market_stats:0"));
    t.send(statsFrame({ "0": marketStats(0, 3_600_001), "7": marketStats(7, 1) }, "market_stats:all"));
    t.send(statsFrame(marketStats(0, 7_200_001, "-0.0005"), "market_stats:0"));
    expect(t.of("stats")).toHaveLength(3);
    expect(t.of("funding")).toEqual([
      { type: "funding", marketId: 0, fundingTimestamp: 7_200_001, rate: "-0.0005", markPrice: "2361.20", indexPrice: "2361.45", ts: 1780546209291 },
    ]);
  });

  test("answers pings with pongs and surfaces venue errors (flat and nested)", () => {
    const t = setup();
    t.send({ type: "ping" });
    t.send({ type: "error", code: 30003, message: "Already Subscribed to : ticker:3" });
    t.send({ error: { code: 23001, message: "Too Many Subscriptions" } });
    expect(t.sent).toEqual([{ type: "pong" }]);
    expect(t.of("venue.error").map((e) => e.code)).toEqual([30003, 23001]);
  });

  test("account frames are emitted only for tracked accounts", () => {
    const t = setup();
    const frame = { type: "update/account_all", channel: "account_all:42", account: 42, positions: {}, trades: {}, funding_histories: {}, shares: [] };
    t.send(frame);
    t.feed.trackAccount(42);
    t.send(frame);
    expect(t.of("account").map((e) => e.accountId)).toEqual([42]);
    expect(t.feed.subscriptions(false)).toEqual(["order_book/0", "trade/0", "market_stats/0", "account_all/42"]);
  });

  test("deferred account frames leave unparsed and parse later into the same events; other frames are never deferred", () => {
    const frame = { type: "update/account_all", channel: "account_all:42", account: 42, positions: {}, trades: {}, funding_histories: {}, shares: [] };
    const direct = setup();
    direct.feed.trackAccount(42);
    direct.send(frame);
    const t = setup({ deferAccountFrames: true });
    t.feed.trackAccount(42);
    t.send(frame);
    t.send({ ...frame, type: "subscribed/account_all" });
    t.send({ ...frame, channel: "account_all:7" }); // not tracked
    t.send(bookFrame(0, "snapshot", 0, 100, [lv("2000.00", "1.0000")], []));
    const raw = t.of("account.frame");
    expect(raw).toHaveLength(3);
    expect(t.of("account")).toEqual([]);
    expect(t.of("book.snapshot")).toHaveLength(1);
    t.clock.advance(50);
    const parsed = raw.map((e) => t.feed.parseAccountFrame(e.text, e.ts));
    expect(parsed[0]).toEqual(direct.of("account")[0]!);
    expect(parsed[1]).toMatchObject({ type: "account", accountId: 42, snapshot: true, ts: 1_000 });
    expect(parsed[2]).toBeNull();
    // Malformed: counted as before, no event.
    expect(t.feed.parseAccountFrame('{"type":"update/account_all","channel":42}', 1_000)).toBeNull();
    expect(t.feed.parseAccountFrame("{not json /account_all\"", 1_000)).toBeNull();
    // Carrying the mark without being an account frame: counted as malformed, not handled late.
    expect(t.feed.parseAccountFrame('{"type":"ping","note":"x/account_all"}', 1_000)).toBeNull();
    expect(t.sent).toEqual([]);
    expect(t.stats.malformedFrames).toBe(3);
  });
});

describe("LighterFeed: trade frames handled after their read", () => {
  const book0 = () => bookFrame(0, "snapshot", 0, 100, [lv("2000.00", "1.0000")], [lv("2001.00", "2.0000")]);
  const frames = [
    tradeFrame(0, "snapshot", [trade(1, 0, "2000.00", "1.0000")]),
    bookFrame(0, "delta", 100, 101, [lv("2000.50", "0.5000")], []),
    tradeFrame(0, "update", [trade(2, 0, "2000.50", "0.5000"), trade(3, 0, "1999.00", "2.0000")], [trade(4, 0, "1990.00", "1.0000", { type: "liquidation" })]),
    bookFrame(0, "delta", 101, 102, [], [lv("2001.00", "0")]),
    tradeFrame(0, "update", [trade(3, 0, "1999.00", "2.0000"), trade(5, 0, "2001.00", "1.0000")]),
  ];
  const kinds = (events: LighterEvent[]) => events.map((e) => e.type);

  test("deltas of the read come out at once; its trades when the scheduled run comes, in order, as the same events", () => {
    const direct = setup();
    direct.send(book0());
    for (const f of frames) direct.send(f);

    const turns = manualTurns();
    const t = setup({ deferTradeFrames: turns.schedule });
    t.send(book0());
    for (const f of frames) t.send(f);
    expect(kinds(t.events)).toEqual(["book.snapshot", "book.delta", "book.delta"]);
    expect(turns.scheduled).toHaveLength(1); // one run for the whole read
    expect(t.stats.framesReceived).toBe(6);
    turns.turn();
    const later = t.events.slice(3);
    expect(later).toEqual(direct.events.filter((e) => e.type === "trades" || e.type === "liquidations"));
    expect(t.of("trades").map((b) => b.trades.map((x) => x.id))).toEqual([[1], [2, 3, 4], [5]]);
    expect(t.stats.duplicateTrades).toBe(direct.stats.duplicateTrades);
    // The next read schedules its own run.
    t.send(tradeFrame(0, "update", [trade(6, 0, "2000.00", "1.0000")]));
    expect(turns.scheduled).toHaveLength(1);
    turns.turn();
    expect(t.of("trades").at(-1)?.trades.map((x) => x.id)).toEqual([6]);
  });

  test("frames held at a session boundary are handled before it (end and start), and on flushHeld", () => {
    const turns = manualTurns();
    const t = setup({ deferTradeFrames: turns.schedule });
    t.send(book0());
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "2000.00", "1.0000")]));
    t.feed.sessionEnded();
    expect(kinds(t.events)).toEqual(["book.snapshot", "trades", "book.resync"]);
    // Received after the session ended (a frame the socket had already read): handled before the next one starts.
    t.send(tradeFrame(0, "update", [trade(2, 0, "2000.00", "1.0000")]));
    t.feed.sessionStarted(true);
    expect(t.of("trades").map((b) => b.trades.map((x) => x.id))).toEqual([[1], [2]]);
    t.send(tradeFrame(0, "snapshot", [trade(3, 0, "2000.00", "1.0000")]));
    t.feed.flushHeld();
    // Held for the backfill from where the ended session stood, as it would be without the delay.
    expect(t.backfills).toEqual([[0, 1]]);
    const before = [...t.events];
    turns.turn(); // the runs scheduled earlier find nothing left
    expect(t.events).toEqual(before);
    expect(t.stats.duplicateTrades).toBe(0);
  });

  test("a held frame whose handling ends the session: the rest are handled before the boundary", () => {
    const turns = manualTurns();
    let ended = false;
    // A listener that reacts to the first trades by ending the session (as a reconnect would).
    const onEvent = (e: LighterEvent, feed: LighterFeed) => {
      if (ended || e.type !== "trades") return;
      ended = true;
      feed.sessionEnded();
    };
    const t = setup({ deferTradeFrames: turns.schedule, onEvent });
    const events = t.events;
    t.send(book0());
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "2000.00", "1.0000")]));
    t.send(tradeFrame(0, "update", [trade(2, 0, "2000.00", "1.0000")]));
    turns.turn();
    expect(kinds(events)).toEqual(["book.snapshot", "trades", "trades", "book.resync"]);
    expect(t.of("trades").map((b) => b.trades.map((x) => x.id))).toEqual([[1], [2]]);
  });

  test("frames after a held trade frame keep their place behind it; order-book frames do not wait", () => {
    const turns = manualTurns();
    const t = setup({ deferAccountFrames: true, deferTradeFrames: turns.schedule });
    t.feed.trackAccount(42);
    const account = { type: "update/account_all", channel: "account_all:42", account: 42, positions: {}, trades: {}, funding_histories: {}, shares: [] };
    t.send(account); // nothing held yet: at once
    t.send(book0());
    t.send(tradeFrame(0, "snapshot", [trade(1, 0, "2000.00", "1.0000")]));
    t.send(account);
    t.send(statsFrame(marketStats(0, 3_600_000), "market_stats:0"));
    t.send(bookFrame(0, "delta", 100, 101, [lv("2000.50", "0.5000")], []));
    t.send({ type: "ping" });
    expect(kinds(t.events)).toEqual(["account.frame", "book.snapshot", "book.delta"]);
    expect(t.sent).toEqual([]);
    turns.turn();
    expect(kinds(t.events).slice(3)).toEqual(["trades", "account.frame", "stats"]);
    expect(t.sent).toEqual([{ type: "pong" }]);
    // Once the held frames are handled, only a trade frame starts holding again.
    t.send(account);
    expect(kinds(t.events).at(-1)).toBe("account.frame");
    expect(turns.scheduled).toHaveLength(0);
  });

  test("a frame that only carries the mark is handled later, the same way", () => {
    const turns = manualTurns();
    const t = setup({ deferTradeFrames: turns.schedule });
    t.feed.handleText('{"type":"error","code":30003,"message":"bad channel order_book/trade"}');
    expect(t.of("venue.error")).toEqual([]);
    turns.turn();
    expect(t.of("venue.error").map((e) => e.code)).toEqual([30003]);
  });
});
