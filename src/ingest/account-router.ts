/**
 * Translates Lighter's account-related shapes into the AccountTracker's venue-neutral inputs: the
 * trade feed into per-account fills (with each side's position before the fill, which trades
 * carry), `account_all` frames into positions and funding payments, REST `account` and
 * `accountActiveOrders` answers into snapshots and orders. The only account code that knows
 * Lighter's field names.
 */
import { parseScaled, scaledInt } from "../lib/decimal";
import { USDC_DECIMALS } from "../domain/margin";
import type { ClientTrade, MarketInfo as LighterMarket } from "../venues/lighter/events";
import type { AccountPositionIn, DetailedAccountIn, Order, WsAccountAllFrameIn } from "../venues/lighter/protocol";
import type { AccountSnapshotInput, FillInput, FundingPaymentInput, MarketRisk, OrderState, PositionState } from "../actors/accounts/account.events";
import type { TradeKind } from "../store/ports";

const isDigit = (c: number) => c >= 48 && c <= 57;

/** A decimal string in units of 10^-decimals, as a safe integer (0 for anything unparsable). */
function units(text: string | undefined, decimals: number): number {
  if (text === undefined) return 0;
  // Fast path without a regex or BigInt (this runs for every fill and position field): `scaledInt`
  // gives the same result for a plain decimal that fits a safe integer. It also accepts ".5" and
  // "5.", which `parseScaled` rejects, so those (and anything it refuses) take the exact path.
  const n = text.length;
  const first = n > 0 && text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (n > first && isDigit(text.charCodeAt(first)) && isDigit(text.charCodeAt(n - 1))) {
    try {
      return scaledInt(text, decimals);
    } catch {
      // not a plain decimal, or too large: the exact path below decides
    }
  }
  const v = parseScaled(text, decimals);
  return v === null ? 0 : Number(v);
}
const micro = (text: string | undefined): number => units(text, USDC_DECIMALS);

/** The margin facts of a perp market (fractions in basis points). */
export function toMarketRisk(m: LighterMarket): MarketRisk {
  return {
    marketId: m.marketId, symbol: m.symbol, priceDecimals: m.priceDecimals, sizeDecimals: m.sizeDecimals,
    mmfBp: m.maintenanceMarginFraction ?? 0, closeoutBp: m.closeoutMarginFraction ?? 0,
  };
}

const tradeKind = (t: ClientTrade): TradeKind => (t.kind === "deleverage" ? "deleverage" : t.liquidation ? "liquidation" : "trade");

/**
 * The two fills of each trade, taker first (the venue books the taker's side first, so the
 * maker's "before" of a self-trade already includes it). `is_maker_ask` means the taker bought.
 */
export function fillsOfTrades(trades: readonly ClientTrade[], m: MarketRisk, receivedAt: number): FillInput[] {
  const out: FillInput[] = [];
  for (const t of trades) {
    const raw = t.raw;
    const takerBuys = t.takerSide === "buy";
    const kind = tradeKind(t);
    const before = (size: string | undefined, quote: string | undefined, imf: number | undefined) =>
      size === undefined || quote === undefined ? null : { size: units(size, m.sizeDecimals), entryQuote: micro(quote), imfBp: imf ?? 0 };
    const common = { marketId: t.marketId, tradeId: t.id, ts: t.timestamp, price: t.price, size: t.size, kind, receivedAt };
    out.push({
      ...common, accountId: takerBuys ? t.bidAccountId : t.askAccountId, isBuy: takerBuys, role: "taker",
      feeRate: kind === "trade" ? (raw.taker_fee ?? 0) : 0,
      before: before(raw.taker_position_size_before, raw.taker_entry_quote_before, raw.taker_initial_margin_fraction_before),
    });
    out.push({
      ...common, accountId: takerBuys ? t.askAccountId : t.bidAccountId, isBuy: !takerBuys, role: "maker",
      feeRate: kind === "trade" ? (raw.maker_fee ?? 0) : 0,
      before: before(raw.maker_position_size_before, raw.maker_entry_quote_before, raw.maker_initial_margin_fraction_before),
    });
  }
  return out;
}

/**
 * A venue position. The entry quote is not on the wire; it is value − sign × unrealized PnL
 * (both computed by the venue at the same mark), exact in micro-units.
 */
export function toPositionState(p: AccountPositionIn, m: MarketRisk): PositionState {
  const sign = p.sign > 0 ? 1 : p.sign < 0 ? -1 : 0;
  const size = units(p.position, m.sizeDecimals);
  return {
    marketId: p.market_id,
    size: sign * size,
    entryQuote: sign === 0 || size === 0 ? 0 : micro(p.position_value) - sign * micro(p.unrealized_pnl),
    imfBp: units(p.initial_margin_fraction, 2),
    realizedPnl: micro(p.realized_pnl),
    fundingPaid: micro(p.total_funding_paid_out),
    marginMode: p.margin_mode === 1 ? 1 : 0,
    allocatedMargin: micro(p.allocated_margin),
  };
}

/** Positions of markets we know (others cannot be valued and are left out). */
function positionsOf(list: Iterable<AccountPositionIn>, markets: ReadonlyMap<number, MarketRisk>): PositionState[] {
  const out: PositionState[] = [];
  for (const p of list) {
    const m = markets.get(p.market_id);
    if (m) out.push(toPositionState(p, m));
  }
  return out;
}

/** A REST `DetailedAccount` as a snapshot. */
export function toSnapshot(d: DetailedAccountIn, markets: ReadonlyMap<number, MarketRisk>): AccountSnapshotInput {
  return { accountId: d.index, l1Address: d.l1_address || null, collateral: micro(d.collateral), positions: positionsOf(d.positions, markets) };
}

/** An `account_all` frame's positions and funding payments (funding `timestamp` is in seconds). */
export function fromAccountFrame(frame: WsAccountAllFrameIn, markets: ReadonlyMap<number, MarketRisk>): { positions: PositionState[]; fundings: FundingPaymentInput[] } {
  const fundings: FundingPaymentInput[] = [];
  for (const list of Object.values(frame.funding_histories ?? {})) {
    for (const f of list) fundings.push({ marketId: f.market_id, ts: f.timestamp * 1000, change: micro(f.change) });
  }
  return { positions: positionsOf(Object.values(frame.positions ?? {}), markets), fundings };
}

/** Resting orders (order timestamps are seconds on Lighter; see reference §H). */
export function toOrders(orders: readonly Order[], markets: ReadonlyMap<number, MarketRisk>, max: number): OrderState[] {
  const out: OrderState[] = [];
  for (const o of orders) {
    const m = markets.get(o.market_index);
    if (!m) continue;
    if (out.length >= max) break;
    out.push({
      id: o.order_id, marketId: o.market_index, isAsk: o.is_ask, price: o.base_price, size: o.base_size,
      remaining: units(o.remaining_base_amount, m.sizeDecimals), type: o.type, reduceOnly: o.reduce_only,
      triggerPrice: units(o.trigger_price, m.priceDecimals), createdAt: o.created_at < 1e11 ? o.created_at * 1000 : o.created_at,
    });
  }
  return out;
}
