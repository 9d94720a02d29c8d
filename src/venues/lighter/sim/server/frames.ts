/**
 * WS frame builders (reference §C.2, §C.4, §C.5): subscription snapshots and the update frames the
 * publisher sends. Field order follows the reference's captured examples.
 */
import type {
  PerpsMarketStats,
  Trade,
  WsAccountAllFrame,
  WsFundingHistory,
  WsHeightFrame,
  WsMarketStatsFrame,
  WsTradeFrame,
} from "../../protocol.ts";
import type { SimAccount } from "../engine/accounts.ts";
import type { SimTrade } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import type { MarketState } from "../engine/market-state.ts";
import { bookFrame, marketStats, trade } from "./format.ts";
import { positionFunding, positions } from "./format-account.ts";

const RECENT_TRADES = 50;
const RECENT_ACCOUNT_TRADES = 20;

/** `subscribed/order_book`: the full book; `begin_nonce` repeats the last delta's (meaningless here). */
export function bookSnapshot(ex: Exchange, m: MarketState): string {
  const l2 = m.book.l2();
  return JSON.stringify(bookFrame("subscribed/order_book", m.spec, l2.asks, l2.bids, m.offset, m.nonce, m.beginNonce, m.lastUpdatedUs, ex.now));
}

/** A trade frame; `trades` and `liquidation_trades` newest first. */
export function tradeFrame(ex: Exchange, type: WsTradeFrame["type"], m: MarketState, nonce: number, trades: readonly SimTrade[], liquidations: readonly SimTrade[]): string {
  const wire = (list: readonly SimTrade[]): Trade[] => {
    const out: Trade[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = trade(list[list.length - 1 - i] as SimTrade, m.spec);
    return out;
  };
  const frame: WsTradeFrame = { channel: `trade:${m.spec.id}`, type, nonce, liquidation_trades: wire(liquidations), trades: wire(trades) };
  return JSON.stringify(frame);
}

/** `subscribed/trade`: recent history of the market (oldest first in, newest first out). */
export function tradeSnapshot(ex: Exchange, m: MarketState): string {
  const ring = ex.ledger.tradesByMarket.get(m.spec.id);
  const recent = (ring?.newest(RECENT_TRADES, (t) => t.type === "trade") ?? []).reverse();
  const liq = (ring?.newest(RECENT_TRADES, (t) => t.type !== "trade") ?? []).reverse();
  return tradeFrame(ex, "subscribed/trade", m, m.nonce, recent, liq);
}

/** `market_stats:{m}` or, with `m` null, `market_stats:all` (a map keyed by market id). */
export function statsFrame(ex: Exchange, type: WsMarketStatsFrame["type"], m: MarketState | null): string {
  let payload: PerpsMarketStats | Record<string, PerpsMarketStats>;
  if (m) payload = marketStats(ex, m);
  else {
    const all: Record<string, PerpsMarketStats> = {};
    for (const x of ex.markets) all[String(x.spec.id)] = marketStats(ex, x);
    payload = all;
  }
  const frame: WsMarketStatsFrame = { channel: `market_stats:${m ? m.spec.id : "all"}`, type, timestamp: ex.now, market_stats: payload };
  return JSON.stringify(frame);
}

/** The `height` channel. */
export function heightFrame(ex: Exchange, type: WsHeightFrame["type"]): string {
  const frame: WsHeightFrame = { channel: "height", type, height: ex.height, timestamp: ex.now };
  return JSON.stringify(frame);
}

/**
 * `account_all:{acct}`: positions keyed by market; trades and funding payments keyed by market —
 * recent ones in the snapshot, the current action's in an update.
 */
export function accountFrame(
  ex: Exchange, type: WsAccountAllFrame["type"], acct: SimAccount,
  trades?: ReadonlyMap<number, SimTrade[]>, fundingSince = -Infinity,
): string {
  const positionList = positions(ex, acct.collateral, [...acct.positions.values()].map((p) => ({
    marketId: p.marketId, size: p.size, entryQuote: p.entryQuote, imfBp: p.imfBp, realizedPnl: p.realizedPnl,
    fundingPaid: p.fundingPaid, mark: ex.mark(p.marketId),
  })), acct.orders);
  const positionMap: WsAccountAllFrame["positions"] = {};
  for (const p of positionList) positionMap[String(p.market_id)] = p;
  const tradeMap: Record<string, Trade[]> = {};
  if (trades) {
    for (const [id, list] of trades) tradeMap[String(id)] = list.map((t) => trade(t, ex.spec(id)));
  } else {
    for (const t of ex.ledger.tradesByAccount.get(acct.index)?.newest(RECENT_ACCOUNT_TRADES) ?? []) {
      (tradeMap[String(t.marketId)] ??= []).push(trade(t, ex.spec(t.marketId)));
    }
  }
  const fundings: Record<string, WsFundingHistory[]> = {};
  for (const r of ex.ledger.positionFundings.get(acct.index)?.newest(RECENT_ACCOUNT_TRADES, (x) => x.time >= fundingSince) ?? []) {
    const { discount: _discount, ...row } = positionFunding(ex, r);
    (fundings[String(r.marketId)] ??= []).push(row);
  }
  const frame: WsAccountAllFrame = {
    account: acct.index, channel: `account_all:${acct.index}`, type, positions: positionMap, trades: tradeMap,
    funding_histories: fundings, liquidations: [], shares: [],
  };
  return JSON.stringify(frame);
}
