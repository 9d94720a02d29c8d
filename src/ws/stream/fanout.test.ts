import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock";
import { createMemoryBroadcaster } from "../broadcaster/memory";
import type { View } from "../topics";
import type { AlertUpdateFrame, EnrichedOrderBookUpdateFrame, EnrichedTradeUpdateFrame, OrderBookUpdateFrame, TradeUpdateFrame } from "../protocol";
import type { StreamEvent, StreamTrade } from "./events";
import { createFanout } from "./fanout";

const M = { m: 0, pd: 2, sd: 4 };
const view = (kind: View["kind"], extra: Partial<View> = {}): View => ({ kind, marketId: 0, tick: null, anonymous: false, ...extra });
const snapshot = (nonce: number, extra: Partial<Extract<StreamEvent, { type: "book.snapshot" }>> = {}): StreamEvent => ({
  type: "book.snapshot", ...M, bids: [[300000, 10000], [299900, 20000]], asks: [[300100, 5000]], nonce, ts: 1, ...extra,
});
const delta = (beginNonce: number, nonce: number, price = 300000, size = 0): StreamEvent => ({
  type: "book.delta", ...M, changes: [{ side: "bid", price, size }], beginNonce, nonce, ts: 2,
});
const trade = (id: number, size = 10000): StreamTrade => ({ id, ts: 3, price: 300000, size, isMakerAsk: true, askAccountId: 7, bidAccountId: 9, kind: "trade" });

function setup(whaleUsd = 100) {
  const clock = new ManualClock(1_000);
  const broadcaster = createMemoryBroadcaster();
  const fanout = createFanout({ broadcaster, clock, thresholds: { whaleUsd, whaleUsdByMarket: {}, liquidationAlertUsd: 50 }, enrichedIntervalMs: 100, enrichedDepth: 10 });
  const frames = <F>(topic: string) => {
    const got: F[] = [];
    broadcaster.subscribe(topic, (f) => got.push(JSON.parse(f) as F));
    return got;
  };
  return { clock, broadcaster, fanout, frames };
}

describe("stream fan-out", () => {
  test("order_book: nothing is rendered for a topic nobody holds", () => {
    const { fanout } = setup();
    fanout.apply(snapshot(10));
    fanout.apply(delta(10, 11));
    expect(fanout.stats.frames).toBe(0);
  });

  test("order_book: the first frame of a subscriber is the mirror's snapshot, then deltas continue from its nonce", () => {
    const { fanout, frames } = setup();
    fanout.apply(snapshot(10));
    fanout.apply(delta(10, 11));
    fanout.retain("order_book/0", view("order_book"));
    const first = JSON.parse(fanout.initialFrame("order_book/0")!);
    expect(first.order_book).toMatchObject({ snapshot: true, nonce: 11, begin_nonce: 11, bids: [{ price: "2999.00", size: "2.0000" }], asks: [{ price: "3001.00", size: "0.5000" }] });
    const got = frames<OrderBookUpdateFrame>("order_book/0");
    fanout.apply(delta(11, 12, 299900, 5000));
    expect(got.map((f) => f.order_book)).toEqual([{ code: 0, snapshot: false, asks: [], bids: [{ price: "2999.00", size: "0.5000" }], begin_nonce: 11, nonce: 12, timestamp: 2 }]);
  });

  test("order_book: a snapshot is rendered once per book state, however many sockets join", () => {
    const { fanout } = setup();
    fanout.apply(snapshot(10));
    for (let i = 0; i < 100; i++) {
      fanout.retain("order_book/0", view("order_book"));
      fanout.initialFrame("order_book/0");
    }
    expect(fanout.stats.snapshots).toBe(1);
  });

  test("order_book: a gap stops deltas until the next snapshot; a checkpoint the mirror holds is silent", () => {
    const { fanout, frames } = setup();
    fanout.retain("order_book/0", view("order_book"));
    const got = frames<OrderBookUpdateFrame>("order_book/0");
    fanout.apply(snapshot(10));
    fanout.apply(snapshot(10, { checkpoint: true }));
    fanout.apply(delta(12, 13));
    fanout.apply(delta(13, 14));
    expect(fanout.initialFrame("order_book/0")).toBeNull();
    fanout.apply(snapshot(20, { checkpoint: true }));
    fanout.apply(delta(20, 21));
    expect(got.map((f) => [f.order_book.snapshot, f.order_book.nonce])).toEqual([[true, 10], [true, 20], [false, 21]]);
    expect(fanout.stats.gaps).toBe(1);
  });

  test("trades: raw, enriched and anonymous frames, and a large-trade alert over the threshold", () => {
    const { fanout, frames } = setup(500);
    const raw = frames<TradeUpdateFrame>("trade/0");
    const rich = frames<EnrichedTradeUpdateFrame>("enriched_trade/0");
    const anon = frames<EnrichedTradeUpdateFrame>("enriched_trade/0@anon");
    const alerts = frames<AlertUpdateFrame>("alert/0");
    for (const [t, v] of [["trade/0", view("trade")], ["enriched_trade/0", view("enriched_trade")], ["enriched_trade/0@anon", view("enriched_trade", { anonymous: true })], ["alert/0", view("alert")]] as const) fanout.retain(t, v);
    fanout.apply({ type: "trades", ...M, trades: [trade(1, 1000), trade(2, 10000)] });
    expect(raw.map((f) => f.trade.size)).toEqual(["0.1000", "1.0000"]);
    expect(rich[1]?.trade).toMatchObject({ notional_usd: "3000.000000", side: "buy", maker_account_id: 7, taker_account_id: 9, whale: true });
    expect(rich[0]?.trade.whale).toBe(false);
    expect(anon[1]?.trade).toMatchObject({ maker_account_id: null, taker_account_id: null, whale: true });
    expect(anon[1]?.channel).toBe("enriched_trade/0");
    expect(alerts.map((f) => [f.alert.kind, f.alert.trade_id, f.alert.account_id])).toEqual([["large_trade", 2, 9]]);
  });

  test("enriched_order_book: conflated per interval, only when changed; attribution from level-3 orders", () => {
    const { fanout, frames, clock } = setup();
    fanout.apply(snapshot(10));
    fanout.retain("enriched_order_book/0", view("enriched_order_book"));
    const got = frames<EnrichedOrderBookUpdateFrame>("enriched_order_book/0");
    fanout.apply({ type: "orders", ...M, bids: [{ id: "a", account: 5, price: 300000, size: 4000 }, { id: "b", account: 6, price: 300000, size: 8000 }], asks: [], depth: 250, ts: 900 });
    fanout.apply(delta(10, 11, 299900, 30000));
    fanout.apply(delta(11, 12, 299900, 40000));
    clock.advance(100);
    clock.advance(100);
    expect(got).toHaveLength(1);
    const top = got[0]!.enriched_order_book.bids[0];
    // 1.2 known against a live 1.0: the oldest order (a) is taken as filled first.
    expect(top).toMatchObject({ price: "3000.00", size: "1.0000", accounts: [{ account: 6, size: "0.8000" }, { account: 5, size: "0.2000" }], unattributed_size: "0.0000" });
    expect(got[0]!.enriched_order_book).toMatchObject({ nonce: 12, attribution_timestamp: 900, tick_size: null });
    fanout.apply(delta(12, 13));
    clock.advance(100);
    expect(got).toHaveLength(2);
    fanout.release("enriched_order_book/0");
    fanout.apply(delta(13, 14, 299800, 1));
    clock.advance(500);
    expect(got).toHaveLength(2);
  });

  test("demand: level-3 reads for enriched books and alerts, heatmaps for heatmap subscribers", () => {
    const { fanout } = setup();
    fanout.retain("enriched_order_book/3@tick=1.00", view("enriched_order_book", { marketId: 3 }));
    fanout.retain("alert/4@anon", view("alert", { marketId: 4, anonymous: true }));
    fanout.retain("trade/5", view("trade", { marketId: 5 }));
    fanout.retain("liquidation_heatmap/6", view("liquidation_heatmap", { marketId: 6 }));
    expect(fanout.demand().sort()).toEqual(["heatmap:6", "l3:3", "l3:4"]);
    fanout.stop();
  });

  test("liquidation_heatmap: each heatmap goes out as it comes; a new subscriber gets the latest", () => {
    const { fanout, frames } = setup();
    const heatmap = { market_id: 0, mark_price: "3000.00", bucket_size: "10.00", buckets: [{ price: "2900.00", long_liquidation_usd: "1200.000000", short_liquidation_usd: "0.000000" }], timestamp: 5 };
    fanout.apply({ type: "heatmap", ...M, heatmap });
    fanout.retain("liquidation_heatmap/0", view("liquidation_heatmap"));
    expect(JSON.parse(fanout.initialFrame("liquidation_heatmap/0")!)).toMatchObject({ type: "liquidation_heatmap_update", channel: "liquidation_heatmap/0", liquidation_heatmap: heatmap });
    const got = frames<{ liquidation_heatmap: { timestamp: number } }>("liquidation_heatmap/0");
    fanout.apply({ type: "heatmap", ...M, heatmap: { ...heatmap, timestamp: 6 } });
    expect(got.map((f) => f.liquidation_heatmap.timestamp)).toEqual([6]);
  });
});
