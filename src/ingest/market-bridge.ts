/**
 * Connects one MarketActor's domain events to their consumers: the recorder (trades, liquidations,
 * funding, 1 s book snapshots), the candle keeper, the live read model and the per-minute metrics
 * sampler. Fan-out stays here, out of the actor.
 *
 * None of these consumers is latency-critical, so on the live node they run in the deferred lane
 * (deferred-lane.ts): after the WebSocket fan-out of the whole burst of venue frames, not between
 * its deltas. Only `bookChanged` (a set insert) stays inline.
 */
import type { Actor } from "xstate";
import type { Clock } from "../lib/clock";
import type { LiquidationRecord, TradeRecord } from "../store/ports";
import type { Recorder } from "../recorder";
import type { MarketMachine } from "../actors/market/market.machine";
import type { CandleKeeper } from "./candle-keeper";
import type { LivePublisher } from "./live-publisher";
import type { MetricsSampler } from "./metrics-sampler";

/**
 * A liquidation fill is the engine's IOC order against the book, so the liquidated account is the
 * taker: a taker buy (maker ask) closes a short, a taker sell closes a long.
 */
export function toLiquidation(t: TradeRecord): LiquidationRecord {
  const closesShort = t.isMakerAsk;
  return {
    venue: t.venue,
    marketId: t.marketId,
    id: t.tradeId,
    ts: t.ts,
    accountId: closesShort ? t.bidAccountId : t.askAccountId,
    side: closesShort ? "short" : "long",
    price: t.price,
    size: t.size,
    kind: t.kind === "deleverage" ? "deleverage" : "liquidation",
  };
}

export function bridgeMarket(
  actor: Actor<MarketMachine>,
  deps: {
    venue: string; clock: Clock; recorder: Recorder; candles: CandleKeeper;
    /** The live read model; absent when replaying history (seeding), which must not touch it. */
    live?: LivePublisher;
    /** Takes each market's latest stats for the per-minute exchange metrics. */
    metrics?: Pick<MetricsSampler, "update">;
    /**
     * Where the consumers run (the live pipeline's deferred lane). Absent: inline, as seeding
     * wants (it replays history synchronously on a virtual clock).
     */
    defer?: (task: () => void) => void;
  },
): void {
  const { venue, recorder } = deps;
  const defer = deps.defer ?? ((task: () => void) => task());
  actor.on("trade.executed", (e) =>
    defer(() => {
      recorder.recordTrades(e.trades);
      deps.candles.add(venue, e.marketId, e.trades);
    }),
  );
  actor.on("liquidation.occurred", (e) => defer(() => recorder.recordLiquidations(e.trades.map(toLiquidation))));
  actor.on("funding.settled", (e) => defer(() => recorder.recordFunding([e.funding])));
  // Samples are stamped with the sampling time (the injected clock), one row per second even when
  // the book itself has not changed. The time is read here, not when the deferred write runs.
  actor.on("book.sampled", (e) => {
    const ts = deps.clock.now();
    defer(() => recorder.recordBookSnapshot({ venue, marketId: e.marketId, ts, nonce: e.nonce, bids: e.bids, asks: e.asks }));
  });
  actor.on("book.updated", (e) => deps.live?.bookChanged(e.marketId));
  actor.on("stats.updated", (e) =>
    defer(() => {
      deps.live?.stats(e.marketId, e.stats);
      deps.metrics?.update(venue, e.marketId, e.stats);
    }),
  );
}
