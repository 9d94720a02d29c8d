/**
 * Liquidation risk of a cross-margin account (reference §D.5, §E.2), from `margin.ts`'s figures:
 * how far each position's mark is from its liquidation price, the account's margin ratio and
 * stage, what a price shock would do, and the uniform move of every mark that would bring the
 * account to its maintenance requirement.
 */
import { accountMargin, crossLiquidationPrice, marginHealth, positionValue, ratioToNumber, type AccountMargin, type MarginHealth, type MarginPosition } from "./margin.ts";

/** Risk of one position. */
export interface PositionRisk {
  /** Liquidation price in USD (float, as the venue prints it); null when there is none. */
  liquidationPrice: number | null;
  /** |mark − liquidation| / mark in %; null without a liquidation price. */
  distancePct: number | null;
  /** True when the mark is already beyond the liquidation price. */
  breached: boolean;
}

/** The account under one scenario. */
export interface MarginScenario {
  margin: AccountMargin;
  health: MarginHealth;
  /** Total asset value / maintenance requirement; null without positions. */
  marginRatio: number | null;
}

/** The mark in USD of a position (float). */
const markUsd = (p: MarginPosition): number => Number(p.mark) / 10 ** p.priceDecimals;

/** Per-position liquidation prices and distances at the current marks. */
export function positionRisks(collateral: bigint, positions: readonly MarginPosition[]): PositionRisk[] {
  return positions.map((p, k) => {
    const r = crossLiquidationPrice(collateral, positions, k);
    if (!r) return { liquidationPrice: null, distancePct: null, breached: false };
    const liq = ratioToNumber(r);
    const mark = markUsd(p);
    const breached = p.sign > 0 ? mark <= liq : mark >= liq;
    return { liquidationPrice: liq, distancePct: mark > 0 ? (Math.abs(mark - liq) / mark) * 100 : null, breached };
  });
}

/** The account's figures, stage and margin ratio at the positions' marks. */
export function scenario(collateral: bigint, positions: readonly MarginPosition[]): MarginScenario {
  const margin = accountMargin(collateral, positions);
  const mmr = margin.maintenanceMarginRequirement;
  return {
    margin,
    health: marginHealth(margin),
    marginRatio: mmr > 0n ? Number(margin.totalAssetValue) / Number(mmr) : null,
  };
}

/**
 * The positions with their marks moved by `fraction` (−0.1 = −10 %), for the markets `applies`
 * selects (all when absent). Marks are rounded to whole ticks and never go below one tick.
 */
export function shockedPositions(positions: readonly MarginPosition[], fraction: number, applies?: (k: number) => boolean): MarginPosition[] {
  // A fraction with 9 decimals as a rational, so the shocked mark is computed in integers.
  const num = BigInt(Math.round((1 + fraction) * 1e9));
  return positions.map((p, k) => {
    if (applies && !applies(k)) return p;
    const mark = (p.mark * num + 500_000_000n) / 1_000_000_000n;
    return { ...p, mark: mark > 0n ? mark : 1n };
  });
}

/**
 * The uniform relative move s of every mark at which total asset value meets the maintenance
 * requirement, or null when no move in (−100 %, +∞) does. With V the positions' values and N the
 * net exposure Σ sign·V, TAV(s) = TAV + s·N and MMR(s) = MMR·(1 + s), so s = (MMR − TAV) / (N − MMR).
 * 0 when the account is already at or below its requirement.
 */
export function uniformMoveToLiquidation(collateral: bigint, positions: readonly MarginPosition[]): number | null {
  if (positions.length === 0) return null;
  const m = accountMargin(collateral, positions);
  const tav = Number(m.totalAssetValue);
  const mmr = Number(m.maintenanceMarginRequirement);
  if (tav <= mmr) return 0;
  let net = 0;
  for (const p of positions) net += p.sign * Number(positionValue(p));
  const den = net - mmr;
  if (den === 0) return null;
  const s = (mmr - tav) / den;
  return s > -1 ? s : null;
}
