import { describe, expect, test } from "bun:test";
import { createActor } from "xstate";
import { ManualClock } from "../lib/clock";
import { marketMachine } from "../actors/market/market.machine";
import type { Recorder } from "../recorder";
import type { TradeRecord } from "../store/ports";
import type { CandleKeeper } from "./candle-keeper";
import { manualTurns } from "../../test/support/turns";
import { createDeferredLane } from "./deferred-lane";
import { bridgeMarket } from "./market-bridge";

const trade = (id: number): TradeRecord => ({
  venue: "lighter", marketId: 0, tradeId: id, ts: 2000 + id, price: 320000, size: 100, isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade",
});

/** A MarketActor bridged to recording stand-ins for the recorder and the candle keeper. */
function bridged(defer?: (task: () => void) => void) {
  const clock = new ManualClock(1_767_225_600_000);
  const calls: string[] = [];
  const recorder = {
    recordTrades: (t: TradeRecord[]) => void calls.push(`trades:${t.map((x) => x.tradeId).join(",")}`),
    recordLiquidations: () => void calls.push("liquidations"),
    recordFunding: () => void calls.push("funding"),
    recordBookSnapshot: (s: { ts: number }) => void calls.push(`snapshot@${s.ts}`),
  } as unknown as Recorder;
  const candles = { add: (_v: string, _m: number, t: readonly TradeRecord[]) => void calls.push(`candles:${t.length}`) } as unknown as CandleKeeper;
  const actor = createActor(marketMachine, { clock, input: { venue: "lighter", marketId: 0, priceDecimals: 2, sizeDecimals: 4 } });
  const deltas: number[] = [];
  actor.on("book.updated", (e) => void deltas.push(e.nonce));
  bridgeMarket(actor, { venue: "lighter", clock, recorder, candles, defer });
  actor.start();
  actor.send({ type: "feed.snapshot", bids: [[320000, 10000]], asks: [[320100, 15000]], nonce: 10, ts: 1000 });
  return { actor, clock, calls, deltas };
}

describe("bridgeMarket", () => {
  test("without a lane, consumers run inline (seeding)", () => {
    const { actor, calls } = bridged();
    actor.send({ type: "feed.trades", trades: [trade(1)] });
    expect(calls).toEqual(["trades:1", "candles:1"]);
  });

  test("with the deferred lane, a burst's deltas all go out before its trades are recorded", () => {
    const turns = manualTurns();
    const lane = createDeferredLane({ schedule: turns.schedule, onError: (err) => { throw err; } });
    const { actor, calls, deltas } = bridged(lane.run);
    actor.send({ type: "feed.trades", trades: [trade(1)] });
    actor.send({ type: "feed.delta", changes: [{ side: "bid", price: 320000, size: 0 }], beginNonce: 10, nonce: 11, ts: 1100 });
    actor.send({ type: "feed.trades", trades: [trade(2)] });
    actor.send({ type: "feed.delta", changes: [{ side: "ask", price: 320100, size: 0 }], beginNonce: 11, nonce: 12, ts: 1200 });
    expect(deltas).toEqual([10, 11, 12]);
    expect(calls).toEqual([]);
    turns.turn();
    expect(calls).toEqual(["trades:1", "candles:1", "trades:2", "candles:1"]);
  });

  test("a deferred book sample keeps the time it was taken", () => {
    const turns = manualTurns();
    const lane = createDeferredLane({ schedule: turns.schedule, onError: (err) => { throw err; } });
    const { clock, calls } = bridged(lane.run);
    const sampledAt = clock.now() + 1000;
    clock.advance(1000);
    clock.advance(500);
    turns.turn();
    expect(calls).toEqual([`snapshot@${sampledAt}`]);
  });
});
