/**
 * Engine accounts → Lighter account shapes (reference §B.2 account endpoints, §E.2 derived fields).
 * Every derived figure comes from `domain/margin.ts`, so the simulator reports exactly what the
 * reference formulas give.
 */
import {
  accountMargin,
  averageEntryPrice,
  crossLiquidationPrice,
  formatUsdc,
  imfPercent,
  positionValue,
  ratioToNumber,
  unrealizedPnl,
  type AccountMargin,
  type MarginPosition,
} from "../../../../domain/margin.ts";
import type {
  AccountAsset,
  AccountPosition,
  DetailedAccount,
  Liquidation,
  Order,
  PositionFunding,
  RiskParameters,
  SubAccount,
} from "../../protocol.ts";
import type { SimAccount } from "../engine/accounts.ts";
import type { RestingOrder } from "../engine/book.ts";
import type { Exchange } from "../engine/exchange.ts";
import { formatRate4 } from "../engine/funding.ts";
import type { LiquidationRecord, PositionFundingRecord, PositionSnapshot } from "../engine/ledger.ts";
import { price, size, usdc } from "./format.ts";

const big = (n: number): bigint => BigInt(Math.round(n));
const usdcBig = formatUsdc;

/** Snapshots of an account's positions at the current marks. */
function snapshots(ex: Exchange, acct: SimAccount): PositionSnapshot[] {
  return [...acct.positions.values()].map((p) => ({
    marketId: p.marketId, size: p.size, entryQuote: p.entryQuote, imfBp: p.imfBp,
    realizedPnl: p.realizedPnl, fundingPaid: p.fundingPaid, mark: ex.mark(p.marketId),
  }));
}

function marginInput(ex: Exchange, p: PositionSnapshot): MarginPosition {
  const spec = ex.spec(p.marketId);
  return {
    sign: p.size >= 0 ? 1 : -1, size: big(Math.abs(p.size)), sizeDecimals: spec.sizeDecimals, entryQuote: big(p.entryQuote),
    mark: big(p.mark), priceDecimals: spec.priceDecimals, imfBp: p.imfBp, mmfBp: spec.mmfBp, closeoutBp: spec.closeoutBp,
  };
}

/** Positions in the wire shape, with cross liquidation prices against `collateral`. */
export function positions(ex: Exchange, collateral: number, snaps: readonly PositionSnapshot[], orders?: SimAccount["orders"]): AccountPosition[] {
  const open = snaps.filter((p) => p.size !== 0);
  const inputs = open.map((p) => marginInput(ex, p));
  return snaps.map((p) => {
    const spec = ex.spec(p.marketId);
    const k = open.indexOf(p);
    const input = marginInput(ex, p);
    const liq = k >= 0 ? crossLiquidationPrice(big(collateral), inputs, k) : null;
    let openOrders = 0;
    if (orders) for (const id of orders) if (ex.market(p.marketId)?.book.orders.has(id)) openOrders++;
    return {
      market_id: p.marketId, symbol: spec.symbol, initial_margin_fraction: imfPercent(p.imfBp),
      open_order_count: openOrders, pending_order_count: 0, position_tied_order_count: 0,
      sign: p.size > 0 ? 1 : p.size < 0 ? -1 : 0, position: size(spec, Math.abs(p.size)),
      avg_entry_price: price(spec, Number(averageEntryPrice(input))),
      position_value: usdcBig(positionValue(input)), unrealized_pnl: usdcBig(p.size === 0 ? 0n : unrealizedPnl(input)),
      realized_pnl: usdc(p.realizedPnl), liquidation_price: liq ? String(ratioToNumber(liq)) : "0",
      total_funding_paid_out: usdc(p.fundingPaid), margin_mode: 0, allocated_margin: "0.000000",
      margin_set_flag: 0, total_discount: "0.000000",
    };
  });
}

function usdcAsset(collateral: number): AccountAsset {
  return { symbol: "USDC", asset_id: 3, balance: "0.000000", locked_balance: "0.000000", margin_mode: "enabled", margin_balance: usdc(collateral), multiplier: "1" };
}

/** The accountsByL1Address row of an account. */
export function subAccount(ex: Exchange, acct: SimAccount): SubAccount {
  const m = accountMargin(big(acct.collateral), snapshots(ex, acct).filter((p) => p.size !== 0).map((p) => marginInput(ex, p)));
  return {
    code: 0, account_type: acct.accountType, index: acct.index, l1_address: acct.l1Address, cancel_all_time: 0,
    total_order_count: acct.orderCount, total_isolated_order_count: 0, pending_order_count: 0,
    available_balance: usdcBig(m.availableBalance), status: 1, collateral: usdc(acct.collateral),
    transaction_time: 0, account_trading_mode: 0,
  };
}

/** The `DetailedAccount` of `GET /api/v1/account` (§E.2 derived fields). */
export function detailedAccount(ex: Exchange, acct: SimAccount): DetailedAccount {
  const snaps = snapshots(ex, acct);
  const m = accountMargin(big(acct.collateral), snaps.filter((p) => p.size !== 0).map((p) => marginInput(ex, p)));
  return {
    ...subAccount(ex, acct), account_index: acct.index, name: "", description: "", can_invite: true,
    referral_points_percentage: "", can_rfq: false, can_rfq_market_ids: [], created_at: acct.createdAt,
    metadata: { color: "" }, positions: positions(ex, acct.collateral, snaps, acct.orders), assets: [usdcAsset(acct.collateral)],
    total_asset_value: usdcBig(m.totalAssetValue), cross_asset_value: usdcBig(m.totalAssetValue),
    cross_initial_margin_requirement: usdcBig(m.initialMarginRequirement),
    cross_maintenance_margin_requirement: usdcBig(m.maintenanceMarginRequirement), shares: [],
  };
}

function risk(m: AccountMargin, collateral: number): RiskParameters {
  const tav = usdcBig(m.totalAssetValue);
  return {
    market_id: 255, total_account_value: tav, initial_margin_req: usdcBig(m.initialMarginRequirement),
    maintenance_margin_req: usdcBig(m.maintenanceMarginRequirement), close_out_margin_req: usdcBig(m.closeOutMarginRequirement),
    total_account_liquidation_threshold: usdcBig(m.maintenanceMarginRequirement), collateral: usdc(collateral),
    usdc_collateral_with_funding: usdc(collateral), usdc_portfolio_value: tav, total_portfolio_value: tav,
  };
}

/** A `/liquidations` entry. */
export function liquidation(ex: Exchange, r: LiquidationRecord): Liquidation {
  const spec = ex.spec(r.marketId);
  const marks: Record<string, number> = {};
  for (const [id, ticks] of Object.entries(r.marks)) marks[id] = ticks / 10 ** ex.spec(Number(id)).priceDecimals;
  return {
    id: r.id, market_id: r.marketId, type: r.kind,
    trade: { price: price(spec, r.price), size: size(spec, r.size), taker_fee: "0.000000", maker_fee: "0.000000", transaction_time: r.transactionTime },
    info: {
      positions: positions(ex, r.collateralAfter, r.positionsAfter),
      risk_info_before: { cross_risk_parameters: risk(r.riskBefore, r.collateralBefore), isolated_risk_parameters: [] },
      risk_info_after: { cross_risk_parameters: risk(r.riskAfter, r.collateralAfter), isolated_risk_parameters: [] },
      mark_prices: marks, assets: [usdcAsset(r.collateralAfter)], asset_index_prices: {},
    },
    executed_at: r.time,
  };
}

/** A `positionFunding` row (timestamp in seconds, as `/fundings`). */
export function positionFunding(ex: Exchange, r: PositionFundingRecord): PositionFunding {
  const spec = ex.spec(r.marketId);
  return {
    timestamp: Math.floor(r.time / 1000), market_id: r.marketId, funding_id: r.fundingId, change: usdc(r.change),
    rate: formatRate4(Math.abs(r.rate4)), position_size: size(spec, Math.abs(r.size)),
    position_side: r.size >= 0 ? "long" : "short", discount: "0.000000",
  };
}

/** An open order of `accountActiveOrders` (order timestamps in seconds, as ccxt parses them). */
export function order(ex: Exchange, o: RestingOrder): Order {
  const spec = ex.spec(o.marketId);
  const filled = o.initial - o.remaining;
  const seconds = Math.floor(o.createdAt / 1000);
  return {
    order_index: o.orderIndex, client_order_index: o.clientOrderIndex, order_id: String(o.orderIndex),
    client_order_id: String(o.clientOrderIndex), market_index: o.marketId, owner_account_index: o.account,
    initial_base_amount: size(spec, o.initial), price: price(spec, o.price), nonce: o.nonce,
    remaining_base_amount: size(spec, o.remaining), is_ask: o.isAsk, base_size: o.initial, base_price: o.price,
    filled_base_amount: size(spec, filled), filled_quote_amount: usdc(o.filledQuote), side: "", type: "limit",
    time_in_force: "good-till-time", reduce_only: false, trigger_price: price(spec, 0), order_expiry: o.expiry,
    status: "open", trigger_status: "na", trigger_time: 0, parent_order_index: 0, parent_order_id: "0",
    to_trigger_order_id_0: "0", to_trigger_order_id_1: "0", to_cancel_order_id_0: "0",
    integrator_fee_collector_index: "0", integrator_taker_fee: "0", integrator_maker_fee: "0", order_flags: 0,
    block_height: o.blockHeight, timestamp: seconds, created_at: seconds, updated_at: seconds, transaction_time: o.transactionTime,
  };
}
