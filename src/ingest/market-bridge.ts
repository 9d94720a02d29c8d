/**
 * Connects one MarketActor's domain events to their consumers: the recorder (trades, liquidations,
 * funding, 1 s book snapshots), the candle keeper, the live read model and the per-minute metrics
 * sampler. Fan-out stays here, out of the actor.
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
  },
): void {
  const { venue, recorder } = deps;
  actor.on("trade.executed", (e) => {
    recorder.recordTrades(e.trades);
    deps.candles.add(venue, e.marketId, e.trades);
  });
  actor.on("liquidation.occurred", (e) => recorder.recordLiquidations(e.trades.map(toLiquidation)));
  actor.on("funding.settled", (e) => recorder.recordFunding([e.funding]));
  // Samples are stamped with the sampling time (the injected clock), one row per second even when
  // the book itself has not changed.
  actor.on("book.sampled", (e) => recorder.recordBookSnapshot({ venue, marketId: e.marketId, ts: deps.clock.now(), nonce: e.nonce, bids: e.bids, asks: e.asks }));
  actor.on("book.updated", (e) => deps.live?.bookChanged(e.marketId));
  actor.on("stats.updated", (e) => {
    deps.live?.stats(e.marketId, e.stats);
    deps.metrics?.update(venue, e.marketId, e.stats);
  });
}
