/**
 * Tracked-account views and stored rows → the accounts group's wire shapes (model.ts). Decimal
 * strings only; no float reaches the wire except the liquidation price, which is printed the way
 * the venue prints it (a float solving reference §E.2).
 */
import type { Static } from "elysia";
import { averageEntryPrice, formatUsdc } from "../../../domain/margin";
import { quoteMicro } from "../../../domain/positions";
import type { AccountView, PositionView } from "../../../actors/accounts/account-view";
import type { OrderState } from "../../../actors/accounts/account.events";
import type { MarketInfo } from "../../../market/live";
import type { AccountFillRecord, LiquidationRecord } from "../../../store/ports";
import { formatUnits } from "../../../lib/decimal";
import type { accountSummaryFields, Fill, LiquidationEvent, Order, Position } from "./model";

type Summary = { [K in keyof typeof accountSummaryFields]: Static<(typeof accountSummaryFields)[K]> };

/** USDC micro-units as a 6-decimal string (string slicing for safe integers: no bigint per value). */
export const usd = (micro: number | bigint): string =>
  typeof micro === "number" && Number.isSafeInteger(micro) ? formatUnits(micro, 6) : formatUsdc(micro);

const leverages = new Map<number, string>();
/** 100 / IMF% as text ("20.00"), per IMF (a handful of values), made once. */
export function leverageText(imfBp: number): string {
  let text = leverages.get(imfBp);
  if (text === undefined) leverages.set(imfBp, (text = imfBp > 0 ? (10_000 / imfBp).toFixed(2) : "0.00"));
  return text;
}

/** Average entry price in ticks (entry quote / size, half away from zero): floats while exact. */
export function entryTicks(p: PositionView): number {
  const m = p.market;
  const shift = m.sizeDecimals + m.priceDecimals - 6;
  const num = shift >= 0 ? p.entryQuote * 10 ** shift : p.entryQuote;
  const den = shift >= 0 ? p.size : p.size * 10 ** -shift;
  const a = 2 * num + den;
  const b = 2 * den;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
    // ⌊a / b⌋ with the float quotient corrected by its integer remainder.
    let q = Math.floor(a / b);
    const r = a - q * b;
    if (r < 0) q--;
    else if (r >= b) q++;
    return q;
  }
  return Number(averageEntryPrice({ size: BigInt(p.size), sizeDecimals: m.sizeDecimals, entryQuote: BigInt(p.entryQuote), priceDecimals: m.priceDecimals }));
}

/** A position on the wire. */
export function formatPosition(p: PositionView): Static<typeof Position> {
  const m = p.market;
  const entry = entryTicks(p);
  const distance = p.liquidationPrice !== null && p.mark !== null && p.mark > 0
    ? ((Math.abs(p.mark / 10 ** m.priceDecimals - p.liquidationPrice) / (p.mark / 10 ** m.priceDecimals)) * 100).toFixed(4)
    : null;
  return {
    market_id: p.marketId, symbol: m.symbol, side: p.sign > 0 ? "long" : "short", size: formatUnits(p.size, m.sizeDecimals),
    entry_price: formatUnits(entry, m.priceDecimals), mark_price: p.mark === null ? null : formatUnits(p.mark, m.priceDecimals),
    notional_usd: usd(p.value), unrealized_pnl: usd(p.unrealizedPnl), realized_pnl: usd(p.realizedPnl), funding_paid: usd(p.fundingPaid),
    initial_margin_fraction: formatUnits(p.imfBp, 2), leverage: leverageText(p.imfBp),
    margin_mode: p.marginMode === 1 ? "isolated" : "cross", allocated_margin: usd(p.allocatedMargin),
    liquidation_price: p.liquidationPrice === null ? null : String(p.liquidationPrice), liquidation_distance_pct: distance,
  };
}

/** The account-level figures of a view. */
export function formatSummary(v: AccountView): Summary {
  const a = v.account;
  const m = v.margin;
  const ratio = m && m.maintenanceMarginRequirement > 0 ? (m.totalAssetValue / m.maintenanceMarginRequirement).toFixed(4) : null;
  return {
    account_index: a.id, l1_address: a.l1Address, status: a.collateral === null ? "syncing" : a.needsSync ? "resyncing" : "live",
    collateral: a.collateral === null ? null : usd(a.collateral), total_asset_value: m ? usd(m.totalAssetValue) : null,
    available_balance: m ? usd(m.availableBalance) : null, initial_margin_requirement: m ? usd(m.initialMarginRequirement) : null,
    maintenance_margin_requirement: m ? usd(m.maintenanceMarginRequirement) : null, margin_ratio: ratio, health: v.health,
    long_notional_usd: usd(v.longNotional), short_notional_usd: usd(v.shortNotional), unrealized_pnl: usd(v.unrealizedPnl),
    realized_pnl: usd(v.realizedPnl), funding_paid: usd(v.fundingPaid), synced_at: a.syncedAt, updated_at: a.updatedAt,
  };
}

/** An open order on the wire (orders of markets the catalog does not list are skipped by the caller). */
export function formatOrder(o: OrderState, m: Pick<MarketInfo, "symbol" | "priceDecimals" | "sizeDecimals">): Static<typeof Order> {
  return {
    order_id: o.id, market_id: o.marketId, symbol: m.symbol, side: o.isAsk ? "ask" : "bid", type: o.type,
    price: formatUnits(o.price, m.priceDecimals), size: formatUnits(o.size, m.sizeDecimals), remaining_size: formatUnits(o.remaining, m.sizeDecimals),
    reduce_only: o.reduceOnly, trigger_price: o.triggerPrice > 0 ? formatUnits(o.triggerPrice, m.priceDecimals) : null, created_at: o.createdAt,
  };
}

/** A stored fill on the wire. */
export function formatFill(f: AccountFillRecord, m: MarketInfo): Static<typeof Fill> {
  return {
    trade_id: f.tradeId, market_id: f.marketId, symbol: m.symbol, side: f.side, role: f.role, price: formatUnits(f.price, m.priceDecimals),
    size: formatUnits(f.size, m.sizeDecimals), notional_usd: usd(quoteMicro(m, f.size, f.price)),
    fee_usd: usd(f.fee), realized_pnl: f.realizedPnl === null ? null : usd(f.realizedPnl), type: f.kind, timestamp: f.ts,
  };
}

/** A stored liquidation on the wire. */
export function formatLiquidationEvent(l: LiquidationRecord, m: MarketInfo): Static<typeof LiquidationEvent> {
  return {
    id: l.id, market_id: l.marketId, symbol: m.symbol, side: l.side, price: formatUnits(l.price, m.priceDecimals), size: formatUnits(l.size, m.sizeDecimals),
    notional_usd: usd(quoteMicro(m, l.size, l.price)), type: l.kind, timestamp: l.ts,
  };
}
