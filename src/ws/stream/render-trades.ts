/**
 * Frames driven by trades: trade/{m} (the guide's `trade_update`), enriched_trade/{m} (maker and
 * taker accounts, notional, whale and liquidation flags) and the trade alerts of alert/{m} (large
 * trades, large liquidations). Account ids are withheld in anonymous views.
 */
import type { AlertUpdateFrame, EnrichedTradeUpdateFrame, TradeUpdateFrame } from "../protocol";
import type { StreamMarket, StreamTrade } from "./events";
import { formatNotionalValue, notional, type MarketThresholds } from "./notional";
import { formatUnits } from "../../lib/decimal";

/** The body of an alert, before the anonymous view strips the account. */
export type Alert = AlertUpdateFrame["alert"];

/** A trade's figures in its market's units, computed once for every frame and alert that shows it. */
export interface TradeFigures {
  /** price × size, exact. */
  value: bigint;
  price: string;
  size: string;
  notional: string;
}

export function tradeFigures(t: StreamTrade, m: StreamMarket): TradeFigures {
  const value = notional(t.price, t.size);
  return { value, price: formatUnits(t.price, m.pd), size: formatUnits(t.size, m.sd), notional: formatNotionalValue(value, m.pd, m.sd) };
}

/** trade/{m}: one venue trade. */
export function tradeFrame(channel: string, t: StreamTrade, f: TradeFigures, m: StreamMarket, now: number): string {
  const frame: TradeUpdateFrame = {
    type: "trade_update",
    channel,
    trade: {
      trade_id: t.id,
      price: f.price,
      size: f.size,
      is_maker_ask: t.isMakerAsk,
      ask_account_id: t.askAccountId,
      bid_account_id: t.bidAccountId,
      market_id: m.m,
      timestamp: t.ts,
    },
    timestamp: now,
  };
  return JSON.stringify(frame);
}

/** enriched_trade/{m}: the trade with its accounts (null when anonymous), notional and flags. */
export function enrichedTradeFrame(channel: string, t: StreamTrade, f: TradeFigures, m: StreamMarket, th: MarketThresholds, anonymous: boolean, now: number): string {
  const maker = t.isMakerAsk ? t.askAccountId : t.bidAccountId;
  const taker = t.isMakerAsk ? t.bidAccountId : t.askAccountId;
  const frame: EnrichedTradeUpdateFrame = {
    type: "enriched_trade_update",
    channel,
    trade: {
      trade_id: t.id,
      market_id: m.m,
      price: f.price,
      size: f.size,
      notional_usd: f.notional,
      side: t.isMakerAsk ? "buy" : "sell",
      maker_account_id: anonymous ? null : maker,
      taker_account_id: anonymous ? null : taker,
      whale: f.value >= th.whale,
      liquidation: t.kind !== "trade",
      kind: t.kind,
      timestamp: t.ts,
    },
    timestamp: now,
  };
  return JSON.stringify(frame);
}

/**
 * Alerts a trade raises: `large_trade` at or above the whale threshold (the taker's side and
 * account), `liquidation` for a liquidation fill at or above the liquidation threshold (the closed
 * position's side and the liquidated account — the taker of the engine's IOC order).
 */
export function tradeAlerts(t: StreamTrade, m: StreamMarket, th: MarketThresholds, figures?: TradeFigures): Alert[] {
  const value = figures?.value ?? notional(t.price, t.size);
  const whale = value >= th.whale;
  const liquidation = t.kind !== "trade" && value >= th.liquidation;
  // Most trades raise nothing: format only for those that do.
  if (!whale && !liquidation) return [];
  const f = figures ?? tradeFigures(t, m);
  const out: Alert[] = [];
  const taker = t.isMakerAsk ? t.bidAccountId : t.askAccountId;
  const base = {
    market_id: m.m,
    price: f.price,
    size: f.size,
    notional_usd: f.notional,
    account_id: taker,
    trade_id: t.id,
    timestamp: t.ts,
  };
  if (whale) out.push({ kind: "large_trade", side: t.isMakerAsk ? "buy" : "sell", threshold_usd: th.whaleText, ...base });
  if (liquidation) {
    out.push({ kind: "liquidation", side: t.isMakerAsk ? "short" : "long", threshold_usd: th.liquidationText, ...base });
  }
  return out;
}

/** alert/{m}: one alert; the anonymous view has no account. */
export function alertFrame(channel: string, alert: Alert, anonymous: boolean, now: number): string {
  const frame: AlertUpdateFrame = { type: "alert_update", channel, alert: anonymous ? { ...alert, account_id: null } : alert, timestamp: now };
  return JSON.stringify(frame);
}
