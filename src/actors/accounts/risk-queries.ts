/**
 * Market-level risk views over the tracked accounts: the liquidation heatmap of a market (with the
 * default grid the REST route and the WebSocket channel share), its minute totals, and the largest
 * positions. Read-only functions of the read model; the maths is domain/heatmap.ts.
 */
import { buildHeatmap, heatmapGrid, type Heatmap, type HeatmapPosition } from "../../domain/heatmap";
import type { AccountView, PositionView } from "./account-view";
import type { AccountsReadModel } from "./read-model";

/** Default half-width of the heatmap window around the mark. */
export const DEFAULT_RANGE_FRACTION = 0.2;
/** Default number of buckets across the window. */
export const DEFAULT_BUCKETS = 100;

/** The position of `view` in `marketId`, if it has one. */
export function positionIn(view: AccountView, marketId: number): PositionView | undefined {
  return view.positions.find((p) => p.marketId === marketId);
}

/** The heatmap inputs of a market: every tracked open position in it. */
export function heatmapPositions(model: AccountsReadModel, marketId: number): HeatmapPosition[] {
  return model.marketPositions(marketId);
}

/** A "round" bucket size near `ticks`: 1, 2 or 5 × 10^k ticks, at least one tick. */
export function roundBucket(ticks: number): number {
  if (!(ticks > 1)) return 1;
  const pow = 10 ** Math.floor(Math.log10(ticks));
  const m = ticks / pow;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * pow;
}

/** The default grid: ±20 % around the mark in about 100 round buckets. */
export function defaultGrid(markTicks: number, opts: { bucketTicks?: number; minTicks?: number; maxTicks?: number } = {}) {
  const min = opts.minTicks ?? markTicks * (1 - DEFAULT_RANGE_FRACTION);
  const max = opts.maxTicks ?? markTicks * (1 + DEFAULT_RANGE_FRACTION);
  const bucket = opts.bucketTicks ?? roundBucket((max - min) / DEFAULT_BUCKETS);
  return heatmapGrid(bucket, min, max);
}

/** The heatmap of a market on the default grid (or the one given); null before its first mark. */
export function marketHeatmap(model: AccountsReadModel, marketId: number, opts: Parameters<typeof defaultGrid>[1] = {}): { heatmap: Heatmap; mark: number } | null {
  const mark = model.mark(marketId);
  if (mark === undefined) return null;
  return { heatmap: buildHeatmap(heatmapPositions(model, marketId), defaultGrid(mark, opts)), mark };
}

/** Minute totals of a market: notional at risk per side, and the part within `near` of the mark. */
export interface MarketRiskTotals {
  mark: number;
  long: number;
  short: number;
  longNear: number;
  shortNear: number;
  longPositions: number;
  shortPositions: number;
  accounts: number;
}

/** Totals over every tracked position of a market with a known liquidation price. */
export function marketTotals(model: AccountsReadModel, marketId: number, near = 0.05): MarketRiskTotals | null {
  const mark = model.mark(marketId);
  if (mark === undefined) return null;
  const t: MarketRiskTotals = { mark, long: 0, short: 0, longNear: 0, shortNear: 0, longPositions: 0, shortPositions: 0, accounts: 0 };
  for (const p of model.marketPositions(marketId)) {
    t.accounts++;
    if (p.liquidationTicks === null) continue;
    if (p.sign > 0) {
      t.long += p.notional;
      t.longPositions++;
      if (p.liquidationTicks >= mark * (1 - near)) t.longNear += p.notional;
    } else {
      t.short += p.notional;
      t.shortPositions++;
      if (p.liquidationTicks <= mark * (1 + near)) t.shortNear += p.notional;
    }
  }
  return t;
}

/** The `n` largest positions of a market by value, on one side or both. */
export function topPositions(model: AccountsReadModel, marketId: number, side: "long" | "short" | "all", n: number): { view: AccountView; position: PositionView }[] {
  const rows: { view: AccountView; position: PositionView }[] = [];
  for (const v of model.inMarket(marketId)) {
    const p = positionIn(v, marketId);
    if (p && (side === "all" || (side === "long") === p.sign > 0)) rows.push({ view: v, position: p });
  }
  rows.sort((a, b) => b.position.value - a.position.value || a.view.account.id - b.view.account.id);
  return rows.slice(0, n);
}

/** The `n` accounts with the largest notional exchange-wide (gross, or one side). */
export function topAccounts(model: AccountsReadModel, side: "long" | "short" | "all", n: number): AccountView[] {
  const score = (v: AccountView) => (side === "long" ? v.longNotional : side === "short" ? v.shortNotional : v.longNotional + v.shortNotional);
  const rows: AccountView[] = [];
  for (const v of model.withPositions()) if (score(v) > 0) rows.push(v);
  rows.sort((a, b) => score(b) - score(a) || a.account.id - b.account.id);
  return rows.slice(0, n);
}
