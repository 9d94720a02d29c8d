import { describe, expect, test } from "bun:test";
import { createActor } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { TradeRecord } from "../../store/ports";
import { marketMachine } from "./market.machine";
import type { MarketEmitted } from "./market.events";

function start() {
  const clock = new ManualClock(1_767_225_600_000);
  const actor = createActor(marketMachine, { clock, input: { venue: "lighter", marketId: 0, priceDecimals: 2, sizeDecimals: 4, sampleDepth: 2 } });
  const emitted: MarketEmitted[] = [];
  actor.on("*", (e) => emitted.push(e as MarketEmitted));
  actor.start();
  return { actor, clock, emitted, of: <T extends MarketEmitted["type"]>(type: T) => emitted.filter((e): e is Extract<MarketEmitted, { type: T }> => e.type === type) };
}

const snapshot = (nonce: number) => ({
  type: "feed.snapshot" as const,
  bids: [[320000, 10000], [319900, 20000], [319800, 5000]] as [number, number][],
  asks: [[320100, 15000], [320200, 25000]] as [number, number][],
  nonce,
  ts: 1000,
});

const trade = (id: number, kind: TradeRecord["kind"] = "trade"): TradeRecord => ({
  venue: "lighter", marketId: 0, tradeId: id, ts: 2000 + id, price: 320000, size: 100, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind,
});

describe("MarketActor", () => {
  test("starts syncing, goes live on a snapshot and emits the full book", () => {
    const { actor, of } = start();
    expect(actor.getSnapshot().value).toBe("syncing");
    actor.send(snapshot(10));
    expect(actor.getSnapshot().matches("live")).toBe(true);
    const [update] = of("book.updated");
    expect(update!.snapshot).toBe(true);
    expect(update!.bids).toEqual([[320000, 10000], [319900, 20000], [319800, 5000]]);
    expect(update!.nonce).toBe(10);
    expect(of("market.state").map((e) => e.state)).toEqual(["syncing", "live"]);
  });

  test("deltas before the first snapshot are ignored", () => {
    const { actor, of } = start();
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 1, size: 1 }], beginNonce: 0, nonce: 1, ts: 1 });
    expect(actor.getSnapshot().value).toBe("syncing");
    expect(of("book.updated")).toHaveLength(0);
  });

  test("applies continuous deltas; size 0 removes a level", () => {
    const { actor, of } = start();
    actor.send(snapshot(10));
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 320000, size: 0 }, { side: "ask", price: 320050, size: 700 }], beginNonce: 10, nonce: 14, ts: 1100 });
    const book = actor.getSnapshot().context.book;
    expect(book.bestBid()).toEqual({ price: 319900, size: 20000 });
    expect(book.bestAsk()).toEqual({ price: 320050, size: 700 });
    expect(actor.getSnapshot().context.nonce).toBe(14);
    const deltas = of("book.updated").filter((e) => !e.snapshot);
    expect(deltas.map((d) => [d.beginNonce, d.nonce])).toEqual([[10, 14]]);
  });

  test("a gap moves to resyncing and the next snapshot restores live", () => {
    const { actor, of } = start();
    actor.send(snapshot(10));
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 1, size: 1 }], beginNonce: 12, nonce: 13, ts: 1 });
    expect(actor.getSnapshot().value).toBe("resyncing");
    expect(actor.getSnapshot().context.gaps).toBe(1);
    // Deltas while resyncing are not applied.
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 2, size: 1 }], beginNonce: 13, nonce: 14, ts: 1 });
    expect(actor.getSnapshot().context.book.bestBid()!.price).toBe(320000);
    actor.send(snapshot(20));
    expect(actor.getSnapshot().matches("live")).toBe(true);
    expect(of("market.state").map((e) => e.state)).toEqual(["syncing", "live", "resyncing", "live"]);
  });

  test("a duplicate (already applied) delta is dropped without a resync", () => {
    const { actor, of } = start();
    actor.send(snapshot(10));
    const d = { type: "feed.delta" as const, changes: [{ side: "ask" as const, price: 320100, size: 1 }], beginNonce: 10, nonce: 11, ts: 1 };
    actor.send(d);
    actor.send(d);
    expect(actor.getSnapshot().matches("live")).toBe(true);
    expect(of("book.updated").filter((e) => !e.snapshot)).toHaveLength(1);
  });

  test("a disconnect or a venue resync request moves to resyncing", () => {
    const a = start();
    a.actor.send(snapshot(10));
    a.actor.send({ type: "feed.disconnected" });
    expect(a.actor.getSnapshot().value).toBe("resyncing");
    const b = start();
    b.actor.send(snapshot(10));
    b.actor.send({ type: "feed.resync", reason: "gap" });
    expect(b.actor.getSnapshot().value).toBe("resyncing");
  });

  test("samples the book every second while live, top levels only, on the injected clock", () => {
    const { actor, clock, of } = start();
    clock.advance(5000);
    expect(of("book.sampled")).toHaveLength(0);
    actor.send(snapshot(10));
    clock.advance(999);
    expect(of("book.sampled")).toHaveLength(0);
    clock.advance(1);
    clock.advance(2000);
    const samples = of("book.sampled");
    expect(samples).toHaveLength(3);
    expect(samples[0]!.bids).toEqual([[320000, 10000], [319900, 20000]]);
    actor.send({ type: "feed.disconnected" });
    clock.advance(5000);
    expect(of("book.sampled")).toHaveLength(3);
  });

  test("trades flow in every state but halted; liquidations are emitted separately", () => {
    const { actor, of } = start();
    actor.send({ type: "feed.trades", trades: [trade(1), trade(2, "liquidation")] });
    expect(of("trade.executed")[0]!.trades.map((t) => t.tradeId)).toEqual([1, 2]);
    expect(of("liquidation.occurred")[0]!.trades.map((t) => t.tradeId)).toEqual([2]);
    actor.send({ type: "market.halt", reason: "delisted" });
    expect(actor.getSnapshot().value).toBe("halted");
    actor.send({ type: "feed.trades", trades: [trade(3)] });
    actor.send(snapshot(30));
    expect(of("trade.executed")).toHaveLength(1);
    expect(actor.getSnapshot().value).toBe("halted");
    expect(of("market.state").at(-1)).toEqual({ type: "market.state", marketId: 0, state: "halted", reason: "delisted" });
    actor.send({ type: "market.resume" });
    expect(actor.getSnapshot().value).toBe("syncing");
  });
});
