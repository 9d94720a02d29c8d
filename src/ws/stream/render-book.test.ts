import { describe, expect, test } from "bun:test";
import { formatUnits } from "../../lib/decimal";
import type { OrderBookUpdateFrame } from "../protocol";
import type { StreamEvent } from "./events";
import { orderBookDeltaFrame } from "./render-book";

type Delta = Extract<StreamEvent, { type: "book.delta" }>;

/** The frame as an object, serialized: the definition the concatenating renderer must match. */
function reference(channel: string, e: Delta, now: number): string {
  const level = (price: number, size: number) => ({ price: formatUnits(price, e.pd), size: size === 0 ? "0" : formatUnits(size, e.sd) });
  const frame: OrderBookUpdateFrame = {
    type: "order_book_update",
    channel,
    order_book: {
      code: 0, snapshot: false,
      asks: e.changes.filter((c) => c.side === "ask").map((c) => level(c.price, c.size)),
      bids: e.changes.filter((c) => c.side === "bid").map((c) => level(c.price, c.size)),
      begin_nonce: e.beginNonce, nonce: e.nonce, timestamp: e.ts,
    },
    timestamp: now,
  };
  return JSON.stringify(frame);
}

describe("order_book delta frames", () => {
  test("are byte for byte the serialized frame object, for any mix of sides, deletes and precisions", () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let i = 0; i < 2_000; i++) {
      const pd = rand(7);
      const sd = rand(9);
      const changes = Array.from({ length: rand(6) }, () => ({
        side: rand(2) === 0 ? ("bid" as const) : ("ask" as const),
        price: rand(5) === 0 ? rand(10) : rand(2 ** 31) * 1_000 + rand(1_000),
        size: rand(4) === 0 ? 0 : rand(5) === 0 ? 1 : rand(2 ** 30),
      }));
      const e: Delta = { type: "book.delta", m: rand(300), pd, sd, changes, beginNonce: rand(2 ** 31), nonce: rand(2 ** 31) + 2 ** 40, ts: 1_790_000_000_000 + rand(1e9) };
      const channel = i % 3 === 0 ? `order_book/${e.m}` : `order_book/${e.m}@"x"`;
      const now = 1_790_000_000_000 + i;
      const text = orderBookDeltaFrame(channel, e, now);
      expect(text).toBe(reference(channel, e, now));
      expect(JSON.parse(text).order_book.asks.length + JSON.parse(text).order_book.bids.length).toBe(changes.length);
    }
  });
});
