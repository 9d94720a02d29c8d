/**
 * Translates the Lighter client's event stream into venue-neutral MarketActor inputs, one actor
 * per market. The only ingest code that knows Lighter's event shapes.
 */
import type { ClientTrade, LighterEvent, MarketInfo as LighterMarket } from "../venues/lighter/events";
import type { PerpsMarketStatsIn } from "../venues/lighter/protocol";
import { scaledInt } from "../lib/decimal";
import type { FundingRecord, Level, TradeRecord } from "../store/ports";
import type { MarketInfo } from "../market/live";
import type { MarketInput, MarketStats } from "../actors/market/market.events";

export const LIGHTER = "lighter";

/** Venue-neutral facts of a Lighter market. */
export function toMarketInfo(m: LighterMarket): MarketInfo {
  return {
    venue: LIGHTER,
    marketId: m.marketId,
    symbol: m.symbol,
    priceDecimals: m.priceDecimals,
    sizeDecimals: m.sizeDecimals,
    status: m.status,
    minInitialMarginFraction: m.minInitialMarginFraction ?? 0,
    maintenanceMarginFraction: m.maintenanceMarginFraction ?? 0,
    closeoutMarginFraction: m.closeoutMarginFraction ?? 0,
  };
}

export function toTradeRecord(t: ClientTrade): TradeRecord {
  return {
    venue: LIGHTER,
    marketId: t.marketId,
    tradeId: t.id,
    ts: t.timestamp,
    price: t.price,
    size: t.size,
    isMakerAsk: t.takerSide === "buy",
    askAccountId: t.askAccountId,
    bidAccountId: t.bidAccountId,
    kind: t.liquidation ? (t.kind === "deleverage" ? "deleverage" : "liquidation") : "trade",
  };
}

export function toMarketStats(s: PerpsMarketStatsIn, m: MarketInfo, ts: number): MarketStats {
  const price = (text: string | undefined) => (text && Number(text) > 0 ? scaledInt(text, m.priceDecimals) : null);
  return {
    markPrice: price(s.mark_price),
    indexPrice: price(s.index_price),
    lastTradePrice: price(s.last_trade_price),
    openInterestUsd: s.open_interest,
    fundingRate: s.funding_rate,
    predictedFundingRate: s.current_funding_rate,
    lastFundingTime: s.funding_timestamp || null,
    ts,
  };
}

/** Where routed inputs go: something that accepts MarketActor inputs for a market. */
export interface MarketSink {
  send(input: MarketInput): void;
}

export interface RouterTarget {
  /** Called once the market list is known (perp markets only). */
  onMarkets(markets: MarketInfo[]): void;
  market(marketId: number): MarketSink | undefined;
  /** Every market (for connection-wide events). */
  all(): Iterable<MarketSink>;
}

/** Feeds client events to market actors as venue-neutral inputs. */
export function routeLighterEvents(target: RouterTarget) {
  const infos = new Map<number, MarketInfo>();
  const tuples = (levels: { price: number; size: number }[]): Level[] => levels.map((l) => [l.price, l.size] as const);

  return (event: LighterEvent): void => {
    switch (event.type) {
      case "markets": {
        const list = event.markets.filter((m) => m.marketType === "perp").map(toMarketInfo);
        for (const m of list) infos.set(m.marketId, m);
        target.onMarkets(list);
        return;
      }
      case "connection":
        if (event.state === "disconnected") for (const a of target.all()) a.send({ type: "feed.disconnected" });
        return;
      case "book.snapshot":
        target.market(event.marketId)?.send({
          type: "feed.snapshot",
          bids: tuples(event.book.levels("bid")),
          asks: tuples(event.book.levels("ask")),
          nonce: event.nonce,
          ts: event.ts,
        });
        return;
      case "book.delta":
        target.market(event.marketId)?.send({ type: "feed.delta", changes: event.changes, beginNonce: event.beginNonce, nonce: event.nonce, ts: event.ts });
        return;
      case "book.resync":
        target.market(event.marketId)?.send({ type: "feed.resync", reason: event.reason });
        return;
      case "trades": {
        const trades: TradeRecord[] = event.trades.map(toTradeRecord);
        target.market(event.marketId)?.send({ type: "feed.trades", trades });
        return;
      }
      case "stats": {
        const m = infos.get(event.marketId);
        if (m) target.market(event.marketId)?.send({ type: "feed.stats", stats: toMarketStats(event.stats, m, event.ts) });
        return;
      }
      case "funding": {
        const m = infos.get(event.marketId);
        if (!m) return;
        const funding: FundingRecord = {
          venue: LIGHTER,
          marketId: event.marketId,
          ts: event.fundingTimestamp,
          rate: event.rate,
          markPrice: scaledInt(event.markPrice, m.priceDecimals),
          indexPrice: scaledInt(event.indexPrice, m.priceDecimals),
        };
        target.market(event.marketId)?.send({ type: "feed.funding", funding });
        return;
      }
      default:
        return;
    }
  };
}

/**
 * Merges consecutive `trades` events of one market and source into one, keeping every trade and
 * the order of all events; anything between two batches keeps them apart.
 */
export function mergeAdjacentTrades(events: LighterEvent[]): LighterEvent[] {
  const out: LighterEvent[] = [];
  // The event at the end of `out` is a copy made here (its trades array may be extended).
  let merged = false;
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === "trades" && last?.type === "trades" && last.marketId === e.marketId && last.source === e.source) {
      if (!merged) out[out.length - 1] = { ...last, trades: [...last.trades, ...e.trades] };
      else last.trades.push(...e.trades);
      merged = true;
    } else {
      out.push(e);
      merged = false;
    }
  }
  return out;
}
