/**
 * Engine events → WS topics. Frames are built only for topics someone listens to; order-book deltas
 * pass through the fault injector; account updates carry the trades of the action that changed the
 * account. Also sends the server's JSON pings.
 */
import type { SimEvent, SimTrade } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import type { MarketState } from "../engine/market-state.ts";
import type { FaultInjector } from "./faults.ts";
import { bookFrame } from "./format.ts";
import { accountFrame, heightFrame, statsFrame, tradeFrame } from "./frames.ts";
import type { Outbox } from "./outbox.ts";
import { ALL_SOCKETS_TOPIC } from "./ws.ts";

const PING_FRAME = JSON.stringify({ type: "ping" });

/** Publishes engine events; returns the function that detaches it. */
export function attachPublisher(ex: Exchange, out: Outbox, faults: FaultInjector): () => void {
  // Trades of the current action per subscribed account, flushed by the following `accounts` event.
  const pendingAccountTrades = new Map<number, Map<number, SimTrade[]>>();

  const collectAccountTrades = (t: SimTrade): void => {
    for (const account of [t.taker.account, t.maker.account]) {
      if (!out.wants(`account_all:${account}`)) continue;
      let perMarket = pendingAccountTrades.get(account);
      if (!perMarket) pendingAccountTrades.set(account, (perMarket = new Map()));
      let list = perMarket.get(t.marketId);
      if (!list) perMarket.set(t.marketId, (list = []));
      list.unshift(t);
    }
  };

  // Topic names per market, built once (the hot path would otherwise build a string per event).
  const topics = new Map(ex.markets.map((m) => [m.spec.id, { book: `order_book:${m.spec.id}`, trade: `trade:${m.spec.id}` }]));

  const onEvent = (e: SimEvent): void => {
    switch (e.type) {
      case "book.delta": {
        const topic = (topics.get(e.marketId) as { book: string }).book;
        if (!out.wants(topic)) return;
        const m = ex.market(e.marketId) as MarketState;
        const frame = JSON.stringify(bookFrame("update/order_book", m.spec, e.asks, e.bids, e.offset, e.nonce, e.beginNonce, e.timeUs, e.time));
        for (const f of faults.bookFrames(e.marketId, frame)) out.publish(topic, f);
        return;
      }
      case "trades": {
        const topic = (topics.get(e.marketId) as { trade: string }).trade;
        if (out.wants(topic)) {
          out.publish(topic, tradeFrame(ex, "update/trade", ex.market(e.marketId) as MarketState, e.nonce, e.trades, e.liquidationTrades));
        }
        if (out.accountTopics === 0) return;
        for (const t of e.trades) collectAccountTrades(t);
        for (const t of e.liquidationTrades) collectAccountTrades(t);
        return;
      }
      case "stats": {
        for (const [marketId, frame] of faults.releaseHeld()) out.publish(`order_book:${marketId}`, frame);
        for (const m of ex.markets) {
          if (out.wants(`market_stats:${m.spec.id}`)) out.publish(`market_stats:${m.spec.id}`, statsFrame(ex, "update/market_stats", m));
        }
        if (out.wants("market_stats:all")) out.publish("market_stats:all", statsFrame(ex, "update/market_stats", null));
        return;
      }
      case "height":
        if (out.wants("height")) out.publish("height", heightFrame(ex, "update/height"));
        return;
      case "accounts": {
        if (out.accountTopics === 0) return;
        for (const account of e.accounts) {
          const topic = `account_all:${account}`;
          if (!out.wants(topic)) continue;
          const acct = ex.accounts.get(account);
          if (!acct) continue;
          const trades = pendingAccountTrades.get(account) ?? new Map<number, SimTrade[]>();
          out.publish(topic, accountFrame(ex, "update/account_all", acct, trades, e.time));
        }
        pendingAccountTrades.clear();
        return;
      }
      default:
        return;
    }
  };
  return ex.on(onEvent);
}

/** Sends `{"type":"ping"}` to every connection. */
export function sendServerPing(out: Outbox): void {
  out.publish(ALL_SOCKETS_TOPIC, PING_FRAME);
}
