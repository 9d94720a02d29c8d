import { describe, expect, test } from "bun:test";
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, TradeRecord } from "../../store/ports";
import { formatUnits } from "../../lib/decimal";
import { completeFrame, createRenderer, referenceHead, unitsFormatter } from "./render";

const market = (marketId: number, priceDecimals: number, sizeDecimals: number): MarketInfo => ({
  venue: "lighter", marketId, symbol: `M${marketId}`, priceDecimals, sizeDecimals, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
});
// ETH-, DOGE- and BTC-like precisions, plus a market whose numbers have no decimals at all.
const MARKETS = [market(0, 2, 4), market(3, 6, 0), market(1, 1, 5), market(9, 0, 0)];
const T0 = 1_767_225_600_000;

const trade = (m: MarketInfo, i: number, over: Partial<TradeRecord> = {}): TradeRecord => ({
  venue: "lighter", marketId: m.marketId, tradeId: 1_000 + i, ts: T0 + i, price: 1 + i * 7_919, size: 1 + ((i * 104_729) % 99_991),
  isMakerAsk: i % 2 === 0, askAccountId: i * 3, bidAccountId: i * 5, kind: "trade", ...over,
});
const snapshot = (m: MarketInfo, bids: Array<[number, number]>, asks: Array<[number, number]>): BookSnapshotRecord => ({
  venue: "lighter", marketId: m.marketId, ts: T0, nonce: 42, bids, asks,
});

describe("event renderer", () => {
  test("a trade head is byte for byte the JSON.stringify form, for every precision and edge value", () => {
    for (const m of MARKETS) {
      const r = createRenderer(m);
      const rows = [
        ...Array.from({ length: 200 }, (_, i) => trade(m, i)),
        trade(m, 1, { price: 0, size: 0 }),
        trade(m, 2, { price: 5, size: 3 }),
        // price × size beyond 2^53: the notional takes the exact bigint route.
        trade(m, 3, { price: 9_007_199_254, size: 9_007_199_254 }),
        trade(m, 4, { kind: "liquidation" as TradeRecord["kind"] }),
        // A row of another market still carries its own id.
        trade(m, 5, { marketId: m.marketId + 1 }),
      ];
      for (const row of rows) expect(r.trade(row)).toBe(referenceHead("trade", row, m));
    }
  });

  test("a snapshot head is byte for byte the JSON.stringify form, including empty sides and emptied levels", () => {
    for (const m of MARKETS) {
      const r = createRenderer(m);
      const books = [
        snapshot(m, [[99_95, 1_000], [99_90, 20]], [[100_05, 12], [100_10, 1]]),
        snapshot(m, [], [[100_05, 12]]),
        snapshot(m, [[99_95, 1_000]], []),
        snapshot(m, [], []),
        // A zero-size best level is skipped for best bid/ask, as REST does.
        snapshot(m, [[99_95, 0], [99_90, 5]], [[100_05, 0], [100_15, 2]]),
        snapshot(m, [[5, 1]], [[6, 1]]),
      ];
      for (const s of books) expect(r.snapshot(s)).toBe(referenceHead("orderbook_snapshot", s, m));
    }
  });

  test("the fixed-decimals formatter writes formatUnits' text for every precision and edge value", () => {
    const max = Number.MAX_SAFE_INTEGER;
    for (let d = 0; d <= 16; d++) {
      const f = unitsFormatter(d);
      const p = 10 ** Math.min(d, 15);
      const values = [0, 1, 9, 10, 99, p - 1, p, p + 1, 3 * p - 1, 123_456_789, max, max - 1, max - p, -1, -p, -max, 2 ** 53, 1e21, 0.5];
      for (let k = 1; k < 2_000; k++) values.push(Math.floor(max / k) - k, k * 7_919 * p - 1);
      for (const v of values) expect(f(v)).toBe(formatUnits(v, d));
    }
  });

  test("a completed head is valid JSON naming its market at the top level", () => {
    const m = MARKETS[0] as MarketInfo;
    const frame = JSON.parse(completeFrame(createRenderer(m).trade(trade(m, 7)), T0 + 99)) as Record<string, unknown>;
    expect(frame).toMatchObject({ type: "replay_event", event_type: "trade", market_id: 0, ts: T0 + 7, replay_ts: T0 + 99 });
  });
});
