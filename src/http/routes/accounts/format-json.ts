/**
 * JSON text of an account's summary and positions, written directly (no object, no
 * JSON.stringify): the batch route serializes thousands of accounts whenever marks move, and this
 * is its hot path. Each is split in the part that depends only on the account (kept per account
 * version / position object) and the part that moves with the marks (written per view). Field for
 * field the same as format.ts's objects (the tests compare them).
 */
import type { TrackedAccount } from "../../../actors/accounts/account-book";
import type { AccountView, PositionView } from "../../../actors/accounts/account-view";
import type { MarketRisk, PositionState } from "../../../actors/accounts/account.events";
import { formatUnits } from "../params";
import { entryTicks, leverageText, usd } from "./format";

const quoted = new WeakMap<MarketRisk, string>();
/** `{"market_id":0,"symbol":"ETH"` of a market, built once. */
function marketHead(m: MarketRisk): string {
  let head = quoted.get(m);
  if (head === undefined) quoted.set(m, (head = `{"market_id":${m.marketId},"symbol":${JSON.stringify(m.symbol)}`));
  return head;
}

/** Positions are replaced, never mutated, when they change: their text is keyed by the object. */
const positionText = new WeakMap<PositionState, { market: MarketRisk; text: string }>();

/** The mark-independent fields of a position, with the opening brace and a trailing comma. */
function positionStatic(p: PositionView): string {
  const hit = positionText.get(p.state);
  if (hit && hit.market === p.market) return hit.text;
  const m = p.market;
  const text = `${marketHead(m)},"side":"${p.sign > 0 ? "long" : "short"}","size":"${formatUnits(p.size, m.sizeDecimals)}",` +
    `"entry_price":"${formatUnits(entryTicks(p), m.priceDecimals)}","realized_pnl":"${usd(p.realizedPnl)}","funding_paid":"${usd(p.fundingPaid)}",` +
    `"initial_margin_fraction":"${formatUnits(p.imfBp, 2)}","leverage":"${leverageText(p.imfBp)}",` +
    `"margin_mode":"${p.marginMode === 1 ? "isolated" : "cross"}","allocated_margin":"${usd(p.allocatedMargin)}",`;
  positionText.set(p.state, { market: m, text });
  return text;
}

/** One position as JSON text (see `formatPosition`). */
export function positionJson(p: PositionView): string {
  const pd = p.market.priceDecimals;
  const liq = p.liquidationPrice;
  let distance = "null";
  if (liq !== null && p.mark !== null && p.mark > 0) {
    const markUsd = p.mark / 10 ** pd;
    distance = `"${((Math.abs(markUsd - liq) / markUsd) * 100).toFixed(4)}"`;
  }
  return `${positionStatic(p)}"mark_price":${p.mark === null ? "null" : `"${formatUnits(p.mark, pd)}"`},"notional_usd":"${usd(p.value)}",` +
    `"unrealized_pnl":"${usd(p.unrealizedPnl)}","liquidation_price":${liq === null ? "null" : `"${String(liq)}"`},"liquidation_distance_pct":${distance}}`;
}

const summaryText = new WeakMap<TrackedAccount, { version: number; text: string }>();

/** The mark-independent summary fields, with the opening brace and a trailing comma. */
function summaryStatic(a: TrackedAccount): string {
  const hit = summaryText.get(a);
  if (hit?.version === a.version) return hit.text;
  let realized = 0;
  let funding = 0;
  for (const p of a.positions.values()) {
    realized += p.realizedPnl;
    funding += p.fundingPaid;
  }
  const text = `{"account_index":${a.id},"l1_address":${a.l1Address === null ? "null" : JSON.stringify(a.l1Address)},` +
    `"status":"${a.collateral === null ? "syncing" : a.needsSync ? "resyncing" : "live"}","collateral":${a.collateral === null ? "null" : `"${usd(a.collateral)}"`},` +
    `"realized_pnl":"${usd(realized)}","funding_paid":"${usd(funding)}","synced_at":${a.syncedAt ?? "null"},"updated_at":${a.updatedAt},`;
  summaryText.set(a, { version: a.version, text });
  return text;
}

/** The summary fields of an account as JSON text without the closing brace (see `formatSummary`). */
export function summaryJsonOpen(v: AccountView): string {
  const m = v.margin;
  let figures = `"total_asset_value":null,"available_balance":null,"initial_margin_requirement":null,"maintenance_margin_requirement":null,"margin_ratio":null`;
  if (m) {
    const ratio = m.maintenanceMarginRequirement > 0 ? `"${(m.totalAssetValue / m.maintenanceMarginRequirement).toFixed(4)}"` : "null";
    figures = `"total_asset_value":"${usd(m.totalAssetValue)}","available_balance":"${usd(m.availableBalance)}",` +
      `"initial_margin_requirement":"${usd(m.initialMarginRequirement)}","maintenance_margin_requirement":"${usd(m.maintenanceMarginRequirement)}","margin_ratio":${ratio}`;
  }
  return `${summaryStatic(v.account)}${figures},"health":${v.health === null ? "null" : `"${v.health}"`},"long_notional_usd":"${usd(v.longNotional)}",` +
    `"short_notional_usd":"${usd(v.shortNotional)}","unrealized_pnl":"${usd(v.unrealizedPnl)}"`;
}
