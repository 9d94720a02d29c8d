import { describe, expect, test } from "bun:test";
import { parseChannel, topicOf } from "../topics";
import { parseTick } from "./subscriptions";

describe("channels and views", () => {
  test("a channel is a known kind and a market id, nothing else", () => {
    expect(parseChannel("order_book/0")).toEqual({ kind: "order_book", marketId: 0 });
    expect(parseChannel("liquidation_heatmap/16")).toEqual({ kind: "liquidation_heatmap", marketId: 16 });
    for (const bad of ["order_book", "order_book/", "order_book/01", "order_book/0@anon", "candles/0", "order_book:0", "trade/-1"]) expect(parseChannel(bad)).toBeNull();
  });

  test("equal views get equal topics; suffixes in a fixed order", () => {
    const v = { kind: "enriched_order_book" as const, marketId: 0 };
    expect(topicOf({ ...v, tick: null, anonymous: false })).toBe("enriched_order_book/0");
    expect(topicOf({ ...v, tick: { units: 50, text: "0.50" }, anonymous: true })).toBe("enriched_order_book/0@tick=0.50@anon");
  });

  test("tick sizes: positive multiples of the market tick, canonical text; the venue tick is no custom tick", () => {
    expect(parseTick("0.5", 2)).toEqual({ units: 50, text: "0.50" });
    expect(parseTick(2.5, 1)).toEqual({ units: 25, text: "2.5" });
    expect(parseTick("0.01", 2)).toBeNull();
    expect(parseTick("0.005", 2)).toMatchObject({ code: "bad_request" });
    expect(parseTick("0", 2)).toMatchObject({ code: "bad_request" });
    expect(parseTick("-1", 2)).toMatchObject({ code: "bad_request" });
    expect(parseTick("abc", 2)).toMatchObject({ code: "bad_request" });
    expect(parseTick(1e-7, 2)).toMatchObject({ code: "bad_request" });
  });
});
