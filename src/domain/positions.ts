/**
 * One-way net positions (Lighter reference §E.1) driven by fills, and the cash a fill or a funding
 * settlement moves into an account's USDC collateral. Pure functions over safe integers:
 *
 * - sizes are signed integers in size ticks (positive long),
 * - prices are integers in price ticks,
 * - money (entry quote, realized PnL, fees, funding) is USDC in micro-units.
 *
 * The margin figures derived from a position (value, unrealized PnL, requirements, liquidation
 * price) are `margin.ts`'s; this module only moves the position and the collateral.
 */
import { notional, USDC_DECIMALS } from "./margin.ts";

/** A net position: signed size and the entry quote (size × average entry, unsigned). */
export interface NetPosition {
  /** Signed size, size ticks (positive long, 0 flat). */
  size: number;
  /** size × average entry price, USDC micro-units, unsigned (0 when flat). */
  entryQuote: number;
}

/** What one fill did to one side's position. */
export interface NetFillResult {
  after: NetPosition;
  /** PnL realised by the part of the fill that reduced the position, micro-units (signed). */
  realized: number;
}

/** Decimals of the market a fill happened in. */
export interface MarketScale {
  sizeDecimals: number;
  priceDecimals: number;
}

/**
 * Notional of `size` × `price` ticks in USDC micro-units: exact whenever `sizeDecimals +
 * priceDecimals ≤ 6` (every Lighter perp), through floats while the product is a safe integer.
 */
export function quoteMicro(m: MarketScale, size: number, price: number): number {
  const shift = USDC_DECIMALS - m.sizeDecimals - m.priceDecimals;
  if (shift >= 0) {
    const q = size * price * 10 ** shift;
    if (Number.isSafeInteger(q)) return q;
  }
  return Number(notional(BigInt(size), m.sizeDecimals, BigInt(price), m.priceDecimals));
}

/**
 * Applies a fill of `qty` size ticks at `price` to a net position. Adding to (or opening) a
 * position adds the fill's quote to the entry quote; reducing it removes the closed share of the
 * entry quote (floor of entryQuote × closed / held, the venue's proportional rule) and realises
 * the difference; a fill larger than the position flips it, opening the rest at the fill price.
 */
export function applyNetFill(before: NetPosition, m: MarketScale, isBuy: boolean, qty: number, price: number): NetFillResult {
  const signed = isBuy ? qty : -qty;
  if (before.size === 0 || Math.sign(before.size) === Math.sign(signed)) {
    return { after: { size: before.size + signed, entryQuote: before.entryQuote + quoteMicro(m, qty, price) }, realized: 0 };
  }
  const held = Math.abs(before.size);
  const closing = Math.min(qty, held);
  // entryQuote × closing may pass 2^53: take the proportional share in bigint.
  const closedEntry = Number((BigInt(before.entryQuote) * BigInt(closing)) / BigInt(held));
  const closedQuote = quoteMicro(m, closing, price);
  const realized = before.size > 0 ? closedQuote - closedEntry : closedEntry - closedQuote;
  if (qty > closing) {
    const rest = qty - closing;
    return { after: { size: isBuy ? rest : -rest, entryQuote: quoteMicro(m, rest, price) }, realized };
  }
  const size = before.size + (isBuy ? closing : -closing);
  return { after: { size, entryQuote: size === 0 ? 0 : before.entryQuote - closedEntry }, realized };
}

/** True when two net positions are the same state. */
export const samePosition = (a: NetPosition, b: NetPosition): boolean => a.size === b.size && a.entryQuote === b.entryQuote;

/**
 * The fee of a fill in micro-units: `quote × rate / 10^6` rounded to the nearest micro-unit, with
 * `rate` in millionths of notional as trades carry it (`taker_fee: 196` = 1.96 bp).
 */
export function fillFeeMicro(quote: number, rateMillionths: number): number {
  return rateMillionths === 0 ? 0 : Math.round((quote * rateMillionths) / 1e6);
}

/**
 * A funding settlement's payment to one position in micro-units, positive when received
 * (reference §D.4 step 6): `−sign × size × index × rate / 100`, rounded half away from zero.
 * `size` is signed (size ticks), `index` in price ticks, `rate4` the hourly rate in 0.0001 %.
 */
export function fundingPaymentMicro(size: number, m: MarketScale, index: number, rate4: number): number {
  const num = -BigInt(size) * BigInt(index) * BigInt(rate4);
  const den = 10n ** BigInt(m.sizeDecimals + m.priceDecimals);
  const q = num / den;
  const r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  return Number(twice >= den ? q + (num < 0n ? -1n : 1n) : q);
}

/** Parses a percent rate string ("-0.0012") into 0.0001 % units (-12); null when not a 4-dp decimal. */
export function rate4FromPercent(text: string): number | null {
  const m = /^([+-])?(\d+)(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m) return null;
  const value = Number(m[2]) * 10_000 + Number((m[3] ?? "").padEnd(4, "0"));
  return m[1] === "-" ? -value : value;
}
