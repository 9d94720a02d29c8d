/**
 * Liquidation cascade estimate for one market (model described in docs/accounts.md):
 *
 * 1. A price shock moves the market from the mark to the shock price. The resting liquidity the
 *    shock itself went through (bids above the shock price for a fall, asks below it for a rise) is
 *    taken as consumed.
 * 2. Every position whose liquidation price the current price has reached is liquidated in full
 *    (an upper bound: the venue closes just enough to restore maintenance margin) by a market order
 *    into the remaining book: longs sell into the bids, shorts buy from the asks.
 * 3. Walking the book moves the price to the last level the liquidation orders touched. If that
 *    reaches further liquidation prices, those positions are liquidated in the next step.
 * 4. It stops when a step triggers no new position (`stable`), the known book depth runs out
 *    (`book_exhausted`: the rest could not be filled within the depth we hold), or after
 *    `maxSteps` steps (`max_steps`).
 *
 * Pure integer arithmetic on ticks and micro-units, except percentages (floats for display).
 */
import { quoteMicro, type MarketScale } from "./positions.ts";

/** A position that can be liquidated in the direction of the shock. */
export interface CascadePosition {
  /** Liquidation price, price ticks (fractional allowed). */
  liquidationTicks: number;
  /** Unsigned size, size ticks. */
  size: number;
}

export interface CascadeInput {
  /** "down": longs are liquidated into the bids; "up": shorts into the asks. */
  direction: "down" | "up";
  markTicks: number;
  shockTicks: number;
  /** Positions on the liquidated side (longs for "down", shorts for "up"), any order. */
  positions: readonly CascadePosition[];
  /** The opposite side of the book, best first: bids (descending) for "down", asks (ascending) for "up". */
  book: readonly (readonly [price: number, size: number])[];
  market: MarketScale;
  maxSteps: number;
}

export interface CascadeStep {
  /** Price at which this step's positions were triggered. */
  triggerTicks: number;
  positions: number;
  /** Size sent to the book, and filled (less when the book ran out). */
  size: number;
  filledSize: number;
  /** Executed notional, micro-units. */
  filledQuote: number;
  /** Volume-weighted fill price in ticks (fractional), null when nothing filled. */
  vwapTicks: number | null;
  /** Last price touched: where the market stands after the step. */
  endTicks: number;
  /** (trigger − vwap) / trigger in %, signed so that a loss for the liquidated side is positive. */
  slippagePct: number;
}

export type CascadeStop = "stable" | "book_exhausted" | "max_steps";

export interface CascadeResult {
  steps: CascadeStep[];
  finalTicks: number;
  stoppedBy: CascadeStop;
  /** Positions triggered but not (fully) filled because the book ran out. */
  unfilledSize: number;
}

/** Runs the cascade. */
export function simulateCascade(input: CascadeInput): CascadeResult {
  const down = input.direction === "down";
  // Reached first = highest liquidation price for longs (a fall), lowest for shorts (a rise).
  const queue = [...input.positions].sort((a, b) => (down ? b.liquidationTicks - a.liquidationTicks : a.liquidationTicks - b.liquidationTicks));
  const reached = (liq: number, price: number) => (down ? liq >= price : liq <= price);
  // The shock consumed the liquidity between the mark and the shock price.
  const book = input.book.filter(([p]) => (down ? p <= input.shockTicks : p >= input.shockTicks)).map(([p, s]) => [p, s] as [number, number]);
  let level = 0;
  let price = input.shockTicks;
  let next = 0;
  const steps: CascadeStep[] = [];
  let stoppedBy: CascadeStop = "stable";
  let unfilledSize = 0;

  while (true) {
    let count = 0;
    let size = 0;
    while (next < queue.length && reached((queue[next] as CascadePosition).liquidationTicks, price)) {
      size += (queue[next] as CascadePosition).size;
      count++;
      next++;
    }
    if (count === 0) break;
    if (steps.length >= input.maxSteps) {
      stoppedBy = "max_steps";
      break;
    }
    let left = size;
    let quote = 0;
    let end = price;
    while (left > 0 && level < book.length) {
      const lv = book[level] as [number, number];
      const take = Math.min(left, lv[1]);
      quote += quoteMicro(input.market, take, lv[0]);
      left -= take;
      lv[1] -= take;
      end = lv[0];
      if (lv[1] === 0) level++;
    }
    const filled = size - left;
    const vwapTicks = filled > 0 ? (quote / 10 ** (6 - input.market.sizeDecimals - input.market.priceDecimals)) / filled : null;
    const slippagePct = vwapTicks === null ? 0 : ((down ? price - vwapTicks : vwapTicks - price) / price) * 100;
    steps.push({ triggerTicks: price, positions: count, size, filledSize: filled, filledQuote: quote, vwapTicks, endTicks: end, slippagePct });
    // Prices beyond the shock only move away from the mark.
    price = down ? Math.min(price, end) : Math.max(price, end);
    if (left > 0) {
      unfilledSize = left;
      stoppedBy = "book_exhausted";
      break;
    }
  }
  return { steps, finalTicks: price, stoppedBy, unfilledSize };
}
