/**
 * Derived, read-only views of tracked accounts: position values, unrealized PnL, the cross-margin
 * figures and liquidation prices of reference §E.2 — all from `domain/margin.ts`, at the marks the
 * book holds. A view is memoised on the account until the account or any mark changes, so reads
 * between mark updates (about once a second per market) cost nothing.
 *
 * Isolated positions (margin mode 1) are margined on their own allocated margin and left out of
 * the cross figures.
 */
import { crossMargin, notional, USDC_DECIMALS, type CrossMargin, type MarginHealth, type NumericMarginPosition } from "../../domain/margin";
import type { AccountBook, TrackedAccount } from "./account-book";
import type { MarketRisk, PositionState } from "./account.events";

/** One open position, valued. Money in micro-units, prices in ticks. */
export interface PositionView {
  /** The tracked position this values (replaced, never mutated, when the position changes). */
  state: PositionState;
  marketId: number;
  market: MarketRisk;
  sign: 1 | -1;
  /** Unsigned size, size ticks. */
  size: number;
  entryQuote: number;
  /** Mark in ticks; null before the market's first stats (value and PnL are then 0). */
  mark: number | null;
  value: number;
  unrealizedPnl: number;
  realizedPnl: number;
  fundingPaid: number;
  imfBp: number;
  marginMode: 0 | 1;
  allocatedMargin: number;
  /** Liquidation price in USD (the venue prints this float); null: none, or not known yet. */
  liquidationPrice: number | null;
  /** The same in price ticks (fractional), for bucketing. */
  liquidationTicks: number | null;
}

/** Cross-account figures (reference §E.2), USDC micro-units. */
export type MarginFigures = Omit<CrossMargin, "liquidationPrices" | "values" | "unrealized" | "health">;

/** An account with its derived figures. */
export interface AccountView {
  account: TrackedAccount;
  positions: PositionView[];
  /** Cross figures; null until collateral is known (or while a mark is missing). */
  margin: MarginFigures | null;
  health: MarginHealth | null;
  longNotional: number;
  shortNotional: number;
  unrealizedPnl: number;
  realizedPnl: number;
  fundingPaid: number;
}

function marginInput(p: { sign: 1 | -1; size: number; entryQuote: number; imfBp: number }, m: MarketRisk, mark: number): NumericMarginPosition {
  return {
    sign: p.sign, size: p.size, sizeDecimals: m.sizeDecimals, entryQuote: p.entryQuote, mark,
    priceDecimals: m.priceDecimals, imfBp: p.imfBp, mmfBp: m.mmfBp, closeoutBp: m.closeoutBp,
  };
}

/** The view of `acct` at the book's marks (memoised until the account or one of its markets' marks changes). */
export function viewOf(book: AccountBook, acct: TrackedAccount): AccountView {
  const memo = acct.view;
  if (memo && memo.version === acct.version && memo.marketsEpoch === book.marketsEpoch && marksUnchanged(book, memo.marks)) return memo.value;
  const marks: number[] = [];
  for (const p of acct.positions.values()) if (p.size !== 0) marks.push(p.marketId, book.markVersions.get(p.marketId) ?? 0);
  const value = derive(book, acct);
  acct.view = { version: acct.version, marketsEpoch: book.marketsEpoch, marks, value };
  return value;
}

/** `marks` holds [marketId, version, …] pairs. */
function marksUnchanged(book: AccountBook, marks: readonly number[]): boolean {
  for (let i = 0; i < marks.length; i += 2) if ((book.markVersions.get(marks[i] as number) ?? 0) !== marks[i + 1]) return false;
  return true;
}

function derive(book: AccountBook, acct: TrackedAccount): AccountView {
  const positions: PositionView[] = [];
  const cross: NumericMarginPosition[] = [];
  const crossViews: PositionView[] = [];
  let complete = true;
  const out = { long: 0, short: 0, upnl: 0, realized: 0, funding: 0 };
  for (const p of acct.positions.values()) {
    out.realized += p.realizedPnl;
    out.funding += p.fundingPaid;
    const market = book.markets.get(p.marketId);
    if (p.size === 0 || !market) continue;
    const mark = book.marks.get(p.marketId)?.mark ?? null;
    const sign: 1 | -1 = p.size > 0 ? 1 : -1;
    const view: PositionView = {
      state: p, marketId: p.marketId, market, sign, size: Math.abs(p.size), entryQuote: p.entryQuote, mark, value: 0, unrealizedPnl: 0,
      realizedPnl: p.realizedPnl, fundingPaid: p.fundingPaid, imfBp: p.imfBp, marginMode: p.marginMode, allocatedMargin: p.allocatedMargin,
      liquidationPrice: null, liquidationTicks: null,
    };
    positions.push(view);
    if (mark === null) {
      complete = false;
      continue;
    }
    const input = marginInput({ sign, size: view.size, entryQuote: p.entryQuote, imfBp: p.imfBp }, market, mark);
    if (p.marginMode === 1) {
      const iso = crossMargin(p.allocatedMargin, [input]);
      setFigures(view, iso, 0);
    } else {
      cross.push(input);
      crossViews.push(view);
    }
  }
  // Values and PnL need only the marks; the cross figures and liquidation prices need collateral too.
  const all = crossMargin(acct.collateral ?? 0, cross, (acct.liquidationMemo ??= []));
  for (let k = 0; k < crossViews.length; k++) setFigures(crossViews[k] as PositionView, all, k, acct.collateral !== null && complete);
  for (const v of positions) {
    if (v.sign > 0) out.long += v.value;
    else out.short += v.value;
    out.upnl += v.unrealizedPnl;
  }
  const known = acct.collateral !== null && complete;
  const figures: MarginFigures = {
    totalAssetValue: all.totalAssetValue, initialMarginRequirement: all.initialMarginRequirement, maintenanceMarginRequirement: all.maintenanceMarginRequirement,
    closeOutMarginRequirement: all.closeOutMarginRequirement, availableBalance: all.availableBalance,
  };
  return {
    account: acct, positions, margin: known ? figures : null, health: known ? all.health : null,
    longNotional: out.long, shortNotional: out.short, unrealizedPnl: out.upnl, realizedPnl: out.realized, fundingPaid: out.funding,
  };
}

/**
 * `longNotional + shortNotional` of `viewOf(book, acct)` without building the view: ranking every
 * account by size (the trackers' sweep) re-derived each account's whole view once its marks had
 * moved, several milliseconds per sweep on a busy shard. Each position's value is the margin
 * code's (`size × mark` in USDC micro-units, exact while it is a safe integer, else through the
 * BigInt `notional`); a position without a known market or mark is worth 0, as in the view.
 */
export function grossNotional(book: AccountBook, acct: TrackedAccount): number {
  let gross = 0;
  for (const p of acct.positions.values()) {
    if (p.size === 0) continue;
    const market = book.markets.get(p.marketId);
    const mark = market ? (book.marks.get(p.marketId)?.mark ?? null) : null;
    if (!market || mark === null) continue;
    const size = Math.abs(p.size);
    const shift = USDC_DECIMALS - market.sizeDecimals - market.priceDecimals;
    const value = shift >= 0 ? size * mark * 10 ** shift : Number.NaN;
    gross += Number.isSafeInteger(value) ? value : Number(notional(BigInt(size), market.sizeDecimals, BigInt(mark), market.priceDecimals));
  }
  return gross;
}

/** Copies position `k`'s value, PnL and (when `withLiquidation`) liquidation price from `m`. */
function setFigures(view: PositionView, m: CrossMargin, k: number, withLiquidation = true): void {
  view.value = m.values[k] as number;
  view.unrealizedPnl = m.unrealized[k] as number;
  const liq = withLiquidation ? (m.liquidationPrices[k] ?? null) : null;
  view.liquidationPrice = liq;
  view.liquidationTicks = liq === null ? null : liq * 10 ** view.market.priceDecimals;
}

/** What the heatmap needs of one position. */
export interface PositionRisk {
  sign: 1 | -1;
  /** Value at the mark, micro-units (0 while the mark is unknown). */
  value: number;
  liquidationTicks: number | null;
  /** The account's figures are not known (no collateral yet, or a mark is missing). */
  unknown: boolean;
}

/**
 * The figures `viewOf` would give the position of `acct` in `marketId` (null: none open), computed
 * without building the account's view — no position views, no account figures — for reads that
 * need one position of many accounts (the heatmap of a market).
 */
export function positionRisk(book: AccountBook, acct: TrackedAccount, marketId: number): PositionRisk | null {
  const cross: NumericMarginPosition[] = [];
  let complete = true;
  let target: NumericMarginPosition | undefined;
  let targetK = -1;
  let isolatedMargin: number | null = null;
  for (const p of acct.positions.values()) {
    const market = book.markets.get(p.marketId);
    if (p.size === 0 || !market) continue;
    const sign: 1 | -1 = p.size > 0 ? 1 : -1;
    const mark = book.marks.get(p.marketId)?.mark ?? null;
    if (mark === null) {
      if (p.marketId === marketId) return { sign, value: 0, liquidationTicks: null, unknown: true };
      complete = false;
      continue;
    }
    const input = marginInput({ sign, size: Math.abs(p.size), entryQuote: p.entryQuote, imfBp: p.imfBp }, market, mark);
    if (p.marginMode === 1) {
      if (p.marketId === marketId) (target = input), (isolatedMargin = p.allocatedMargin);
      continue;
    }
    if (p.marketId === marketId) (target = input), (targetK = cross.length);
    cross.push(input);
  }
  if (!target) return null;
  const known = acct.collateral !== null && complete;
  let value: number;
  let liq: number | null;
  if (isolatedMargin !== null) {
    const iso = crossMargin(isolatedMargin, [target]);
    value = iso.values[0] as number;
    liq = iso.liquidationPrices[0] ?? null;
  } else {
    // The same positions in the same order as `derive`, so the liquidation memo is shared with it.
    const all = crossMargin(acct.collateral ?? 0, cross, (acct.liquidationMemo ??= []));
    value = all.values[targetK] as number;
    liq = known ? (all.liquidationPrices[targetK] ?? null) : null;
  }
  return { sign: target.sign, value, liquidationTicks: liq === null ? null : liq * 10 ** target.priceDecimals, unknown: !known };
}
