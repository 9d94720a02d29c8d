/**
 * What each signal field means, its unit, and how values become comparison keys.
 *
 * FIELD DEFINITIONS (for docs/signals.md):
 *
 * - `trade_price` — the price of one trade, in the quote currency (USD).
 * - `trade_size` — the size of one trade, in the base asset.
 * - `trade_notional` — price × size of one trade, in USD.
 *   Trade fields are evaluated once per trade, in the venue's order; liquidation and deleverage
 *   trades count as trades.
 * - `orderbook_spread` — best ask − best bid, in price units (USD, not percent or basis points).
 * - `bid_depth` / `ask_depth` — the USD notional (Σ price × size) resting on that side within 1 %
 *   of the mid price (bids at or above 0.99 × mid; asks at or below 1.01 × mid), counted over the
 *   best 50 levels per side. Depth updates once per second, from the same 1 s book samples the
 *   service records, so live signals and backtests see the same values.
 *   Book fields update only while both sides of the book have a level. Live, the spread updates on
 *   every book change; backtests read it from the stored snapshots (1 s; seeded history 30 s).
 * - `funding_rate` — the last settled funding rate in percent per funding interval (one hour on
 *   Lighter), signed, updated at each settlement; estimates between settlements are not used.
 * - `heatmap_long_at_risk` / `heatmap_short_at_risk` — USD notional of the tracked long (short)
 *   positions that have a liquidation price, i.e. would be liquidated by a large enough fall (rise):
 *   the liquidation heatmap's totals. Live they update with the accounts sampler's heatmaps;
 *   backtests use the per-minute totals stored with the heatmaps.
 *
 * Comparisons are exact: values are compared in fixed point in the field's unit (price and size in
 * the market's own precision, USD amounts in micro-dollars, funding in 10^-10 percent).
 */
import { formatScaled } from "../../lib/decimal.ts";
import type { Level } from "../../store/ports.ts";
import type { SignalField } from "./rule.ts";

/** Decimals of USD amounts (trade notional, depth, heatmap). */
export const USD_DECIMALS = 6;
/** Decimals kept of funding rates. */
export const FUNDING_DECIMALS = 10;
/** Depth counts levels within this percentage of the mid price. */
export const DEPTH_BAND_PCT = 1;
/** Most levels per side counted for depth (the book samples keep 50). */
export const DEPTH_MAX_LEVELS = 500;

/** Fields as small integers (index into per-market state arrays). */
export const FIELD_INDEX: Readonly<Record<SignalField, number>> = {
  trade_price: 0, trade_size: 1, trade_notional: 2, orderbook_spread: 3, bid_depth: 4, ask_depth: 5,
  funding_rate: 6, heatmap_long_at_risk: 7, heatmap_short_at_risk: 8,
};
export const FIELD_COUNT = 9;

/** Decimals of a field's fixed-point unit for a market. */
export function fieldDecimals(field: SignalField, m: { priceDecimals: number; sizeDecimals: number }): number {
  switch (field) {
    case "trade_price":
    case "orderbook_spread":
      return m.priceDecimals;
    case "trade_size":
      return m.sizeDecimals;
    case "funding_rate":
      return FUNDING_DECIMALS;
    default:
      return USD_DECIMALS;
  }
}

/*
 * Keys. A value x (an integer in the field's unit) has key 2x. A threshold v has key 2·⌊v⌋ + 1 when
 * it has a fraction finer than the unit, 2v otherwise. Then, for every op, comparing keys gives
 * exactly the comparison of x with v (x > v ⇔ 2x > key, x = v ⇔ 2x = key, …), with plain numbers.
 * Values finer than the unit (funding beyond 10 decimals, USD below a micro-dollar) take the same
 * odd key: they compare as "between two units".
 */
const MAX_KEY = Number.MAX_SAFE_INTEGER; // odd: a clamped key never equals a value's key

const clampKey = (k: bigint): number => (k > BigInt(MAX_KEY) ? MAX_KEY : k < -BigInt(MAX_KEY) ? -MAX_KEY : Number(k));

/** Key of an exact number `scaled` / 10^from at a unit of 10^-to (to ≤ from). */
export function keyOfScaled(scaled: bigint, from: number, to: number): number {
  if (to >= from) return clampKey(2n * scaled * 10n ** BigInt(to - from));
  const div = 10n ** BigInt(from - to);
  let q = scaled / div;
  const r = scaled - q * div;
  if (r < 0n) q -= 1n; // floor
  return clampKey(2n * q + (r !== 0n ? 1n : 0n));
}

/** Key of an integer in the field's unit (price or size ticks). */
export const keyOfTicks = (ticks: number): number => 2 * ticks;

/** Key of a positive product of two safe integers, at `decimals` = pd + sd, in micro-dollars. */
export function keyOfNotional(price: number, size: number, decimals: number): number {
  const p = price * size;
  if (!Number.isSafeInteger(p)) return keyOfScaled(BigInt(price) * BigInt(size), decimals, USD_DECIMALS);
  if (decimals <= USD_DECIMALS) {
    // Exact when the result is a safe integer (a product of integers rounds only beyond 2^53).
    const k = 2 * p * POW10[USD_DECIMALS - decimals]!;
    return Number.isSafeInteger(k) ? k : clampKey(2n * BigInt(p) * 10n ** BigInt(USD_DECIMALS - decimals));
  }
  const div = POW10[decimals - USD_DECIMALS]!;
  const r = p % div; // exact on integers
  return 2 * ((p - r) / div) + (r !== 0 ? 1 : 0);
}
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;
/** Key of a decimal string (funding rate, heatmap USD) at `decimals`; null when not a decimal. */
export function keyOfDecimal(text: string, decimals: number): number | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign, whole = "0", frac = ""] = m;
  const scale = Math.max(frac.length, decimals);
  const mag = BigInt(whole + frac.padEnd(scale, "0"));
  return keyOfScaled(sign === "-" ? -mag : mag, scale, decimals);
}

/** Best first book sides as stored ([price, size] tuples in ticks). */
export interface BookSides {
  bids: readonly Level[];
  asks: readonly Level[];
}

/**
 * Σ price × size of the levels (best first) while `inBand(price)`, over at most `DEPTH_MAX_LEVELS`
 * levels. Sums in plain numbers while they stay exact, in bigint beyond 2^53.
 */
function sumBand(levels: readonly Level[], inBand: (p: number) => boolean): bigint {
  let s = 0;
  let big: bigint | null = null;
  const n = Math.min(levels.length, DEPTH_MAX_LEVELS);
  for (let i = 0; i < n; i++) {
    const l = levels[i]!;
    const p = l[0];
    if (!inBand(p)) break;
    const q = l[1];
    if (big === null) {
      const next = s + p * q;
      if (Number.isSafeInteger(next)) {
        s = next;
        continue;
      }
      big = BigInt(s);
    }
    big += BigInt(p) * BigInt(q);
  }
  return big ?? BigInt(s);
}

/**
 * Σ price × size (ticks × ticks, so at pd + sd decimals) of each side within `DEPTH_BAND_PCT` of
 * the mid; null when a side is empty.
 */
export function bandDepth(book: BookSides): { bid: bigint; ask: bigint } | null {
  const bb = book.bids[0];
  const ba = book.asks[0];
  if (!bb || !ba) return null;
  const twiceMid = bb[0] + ba[0];
  return {
    bid: sumBand(book.bids, (p) => inDepthBand("bid", p, twiceMid)),
    ask: sumBand(book.asks, (p) => inDepthBand("ask", p, twiceMid)),
  };
}

/** Whether a level at `price` of `side` is within the depth band around mid = twiceMid / 2. */
function inDepthBand(side: "bid" | "ask", price: number, twiceMid: number): boolean {
  // A bid p counts when p ≥ mid·(1 − pct/100) ⇔ 200·p ≥ (100 − pct)·(bb + ba); asks mirror it.
  return side === "bid" ? 200 * price >= (100 - DEPTH_BAND_PCT) * twiceMid : 200 * price <= (100 + DEPTH_BAND_PCT) * twiceMid;
}

/** Formats an exact value for a firing's `values`. */
export const formatField = formatScaled;
