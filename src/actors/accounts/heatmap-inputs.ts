/**
 * The heatmap input of one tracked position (its side, value at the current mark, liquidation
 * price and whether the account's figures are known), kept incrementally.
 *
 * A position's liquidation price does not depend on its own market's mark — it cancels out of
 * §E.2 — only on the account and the other markets' marks. So each position keeps its heatmap
 * figures apart from the value, valid while the account (its version) and the marks of the
 * account's *other* markets stand; the value is size × mark at read time. After a market's mark
 * moves, its heatmap recomputes nothing for accounts holding only that market, and for the others
 * only this position's figures (`positionRisk`), never the account's whole view.
 */
import type { HeatmapPosition } from "../../domain/heatmap";
import type { AccountBook } from "./account-book";
import { positionRisk } from "./account-view";
import type { TrackedAccount } from "./tracked-account";

/** A position's heatmap figures but the value; see the file comment for when they hold. */
export interface RiskMemo {
  version: number;
  marketsEpoch: number;
  /** [marketId, mark version, …] of the account's other open positions. */
  marks: number[];
  sign: 1 | -1;
  /** Unsigned size, and the factor that turns size × mark into micro-units. */
  size: number;
  scale: number;
  liquidationTicks: number | null;
  unknown: boolean;
}

/** The heatmap input of `acct`'s position in `marketId` at the book's current mark. */
export function heatmapInput(b: AccountBook, acct: TrackedAccount, marketId: number): HeatmapPosition {
  const mark = b.marks.get(marketId)?.mark;
  const memo = acct.risk?.get(marketId);
  if (mark !== undefined && memo && memo.version === acct.version && memo.marketsEpoch === b.marketsEpoch && otherMarksUnchanged(b, memo.marks, marketId)) {
    const value = memo.size * mark * memo.scale;
    // A safe product is exactly what the margin maths computes; past 2^53 it takes the exact path.
    if (Number.isSafeInteger(value)) return { sign: memo.sign, notional: value, liquidationTicks: memo.liquidationTicks, unknown: memo.unknown };
  }
  const r = positionRisk(b, acct, marketId);
  if (!r) return { sign: 1, notional: 0, liquidationTicks: null, unknown: true };
  const pos = acct.positions.get(marketId);
  const market = b.markets.get(marketId);
  const shift = market ? 6 - market.sizeDecimals - market.priceDecimals : -1;
  if (mark !== undefined && pos && shift >= 0) {
    const marks: number[] = [];
    for (const p of acct.positions.values()) if (p.size !== 0 && p.marketId !== marketId) marks.push(p.marketId, b.markVersions.get(p.marketId) ?? 0);
    (acct.risk ??= new Map()).set(marketId, {
      version: acct.version, marketsEpoch: b.marketsEpoch, marks, sign: r.sign, size: Math.abs(pos.size), scale: 10 ** shift,
      liquidationTicks: r.liquidationTicks, unknown: r.unknown,
    });
  }
  return { sign: r.sign, notional: r.value, liquidationTicks: r.liquidationTicks, unknown: r.unknown };
}

/** `marks` holds [marketId, version, …] pairs; true when every market but `except` is unchanged. */
function otherMarksUnchanged(b: AccountBook, marks: readonly number[], except: number): boolean {
  for (let i = 0; i < marks.length; i += 2) {
    const id = marks[i] as number;
    if (id !== except && (b.markVersions.get(id) ?? 0) !== marks[i + 1]) return false;
  }
  return true;
}
