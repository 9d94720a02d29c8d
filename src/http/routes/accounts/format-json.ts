/**
 * An account's summary and positions written straight into JSON bytes (no object, no
 * JSON.stringify, no intermediate strings): the batch route writes thousands of accounts, and
 * right after the marks move every figure that depends on them is new. Each part is split:
 *
 * - what depends only on the account (or the position, which is replaced, never mutated, when it
 *   changes) is encoded once into bytes and copied per request;
 * - what moves with the marks (values, PnL, margin figures) is written as fixed-point digits
 *   directly from the integers of the view, and the mark text is shared per market and mark.
 *
 * Field for field the same as format.ts's objects (the tests compare them).
 */
import type { TrackedAccount } from "../../../actors/accounts/account-book";
import type { AccountView, PositionView } from "../../../actors/accounts/account-view";
import type { MarketRisk, PositionState } from "../../../actors/accounts/account.events";
import type { JsonBytes } from "../../../lib/json-bytes";
import { formatUnits } from "../../../lib/decimal";
import { entryTicks, leverageText, usd } from "./format";

const utf8 = new TextEncoder();

/** Micro-units as a quoted 6-decimal string (digits in place while the value is a safe integer). */
function money(w: JsonBytes, micro: number): void {
  if (Number.isSafeInteger(micro)) w.fixed(micro, 6);
  else w.text(`"${usd(micro)}"`);
}

const marks = new WeakMap<MarketRisk, { mark: number; text: string }>();
/** `"mark_price":"3013.80"` (or null) of a market, made once per mark. */
function markField(m: MarketRisk, mark: number | null): string {
  if (mark === null) return `"mark_price":null`;
  const hit = marks.get(m);
  if (hit?.mark === mark) return hit.text;
  const text = `"mark_price":"${formatUnits(mark, m.priceDecimals)}"`;
  marks.set(m, { mark, text });
  return text;
}

/** Positions are replaced, never mutated, when they change: their bytes are keyed by the object. */
const positionBytes = new WeakMap<PositionState, { market: MarketRisk; bytes: Uint8Array }>();

/** The mark-independent fields of a position, with the opening brace and a trailing comma. */
function positionStatic(p: PositionView): Uint8Array {
  const hit = positionBytes.get(p.state);
  if (hit && hit.market === p.market) return hit.bytes;
  const m = p.market;
  const text = `{"market_id":${m.marketId},"symbol":${JSON.stringify(m.symbol)},"side":"${p.sign > 0 ? "long" : "short"}","size":"${formatUnits(p.size, m.sizeDecimals)}",` +
    `"entry_price":"${formatUnits(entryTicks(p), m.priceDecimals)}","realized_pnl":"${usd(p.realizedPnl)}","funding_paid":"${usd(p.fundingPaid)}",` +
    `"initial_margin_fraction":"${formatUnits(p.imfBp, 2)}","leverage":"${leverageText(p.imfBp)}",` +
    `"margin_mode":"${p.marginMode === 1 ? "isolated" : "cross"}","allocated_margin":"${usd(p.allocatedMargin)}",`;
  const bytes = utf8.encode(text);
  positionBytes.set(p.state, { market: m, bytes });
  return bytes;
}

/** Constant fragments, encoded once. */
const F = {
  notional: utf8.encode(`,"notional_usd":`),
  upnl: utf8.encode(`,"unrealized_pnl":`),
  noLiquidation: utf8.encode(`,"liquidation_price":null,"liquidation_distance_pct":null}`),
  liquidation: utf8.encode(`,"liquidation_price":"`),
  distance: utf8.encode(`","liquidation_distance_pct":`),
  quote: utf8.encode(`"`),
  closeNull: utf8.encode(`null}`),
  closeQuoted: utf8.encode(`"}`),
  figures: utf8.encode(`"total_asset_value":`),
  available: utf8.encode(`,"available_balance":`),
  imr: utf8.encode(`,"initial_margin_requirement":`),
  mmr: utf8.encode(`,"maintenance_margin_requirement":`),
  ratio: utf8.encode(`,"margin_ratio":"`),
  ratioNull: utf8.encode(`,"margin_ratio":null`),
  noFigures: utf8.encode(`"total_asset_value":null,"available_balance":null,"initial_margin_requirement":null,"maintenance_margin_requirement":null,"margin_ratio":null`),
  healthNull: utf8.encode(`,"health":null,"long_notional_usd":`),
  short: utf8.encode(`,"short_notional_usd":`),
};
const healthBytes = new Map<string, Uint8Array>();
/** `,"health":"healthy","long_notional_usd":` for each stage, encoded once. */
function healthField(health: string): Uint8Array {
  let bytes = healthBytes.get(health);
  if (!bytes) healthBytes.set(health, (bytes = utf8.encode(`,"health":"${health}","long_notional_usd":`)));
  return bytes;
}

/** One position as JSON (see `formatPosition`). */
export function writePosition(w: JsonBytes, p: PositionView): void {
  w.raw(positionStatic(p));
  w.text(markField(p.market, p.mark));
  w.raw(F.notional);
  money(w, p.value);
  w.raw(F.upnl);
  money(w, p.unrealizedPnl);
  const liq = p.liquidationPrice;
  if (liq === null) return w.raw(F.noLiquidation);
  w.raw(F.liquidation);
  w.text(String(liq));
  w.raw(F.distance);
  if (p.mark !== null && p.mark > 0) {
    const markUsd = p.mark / 10 ** p.market.priceDecimals;
    w.raw(F.quote);
    w.text(((Math.abs(markUsd - liq) / markUsd) * 100).toFixed(4));
    w.raw(F.closeQuoted);
  } else w.raw(F.closeNull);
}

/** `[…]` of a view's positions. */
export function writePositions(w: JsonBytes, v: AccountView): void {
  w.text("[");
  for (let i = 0; i < v.positions.length; i++) {
    if (i > 0) w.text(",");
    writePosition(w, v.positions[i] as PositionView);
  }
  w.text("]");
}

const summaryBytes = new WeakMap<TrackedAccount, { version: number; bytes: Uint8Array }>();

/** The mark-independent summary fields, with the opening brace and a trailing comma. */
function summaryStatic(a: TrackedAccount): Uint8Array {
  const hit = summaryBytes.get(a);
  if (hit?.version === a.version) return hit.bytes;
  let realized = 0;
  let funding = 0;
  for (const p of a.positions.values()) {
    realized += p.realizedPnl;
    funding += p.fundingPaid;
  }
  const text = `{"account_index":${a.id},"l1_address":${a.l1Address === null ? "null" : JSON.stringify(a.l1Address)},` +
    `"status":"${a.collateral === null ? "syncing" : a.needsSync ? "resyncing" : "live"}","collateral":${a.collateral === null ? "null" : `"${usd(a.collateral)}"`},` +
    `"realized_pnl":"${usd(realized)}","funding_paid":"${usd(funding)}","synced_at":${a.syncedAt ?? "null"},"updated_at":${a.updatedAt},`;
  const bytes = utf8.encode(text);
  summaryBytes.set(a, { version: a.version, bytes });
  return bytes;
}

/** The summary fields of an account without the closing brace (see `formatSummary`). */
export function writeSummaryOpen(w: JsonBytes, v: AccountView): void {
  w.raw(summaryStatic(v.account));
  const m = v.margin;
  if (m) {
    w.raw(F.figures);
    money(w, m.totalAssetValue);
    w.raw(F.available);
    money(w, m.availableBalance);
    w.raw(F.imr);
    money(w, m.initialMarginRequirement);
    w.raw(F.mmr);
    money(w, m.maintenanceMarginRequirement);
    if (m.maintenanceMarginRequirement > 0) {
      w.raw(F.ratio);
      w.text((m.totalAssetValue / m.maintenanceMarginRequirement).toFixed(4));
      w.raw(F.quote);
    } else w.raw(F.ratioNull);
  } else {
    w.raw(F.noFigures);
  }
  w.raw(v.health === null ? F.healthNull : healthField(v.health));
  money(w, v.longNotional);
  w.raw(F.short);
  money(w, v.shortNotional);
  w.raw(F.upnl);
  money(w, v.unrealizedPnl);
}
