/**
 * An L2 order book in fixed-point integers: prices × 10^price_decimals, sizes × 10^size_decimals
 * (both safe integers, so plain `number`s are exact and cheap).
 *
 * Each side is a pair of parallel sorted arrays stored **best last** (bids ascending, asks
 * descending): most activity is near the touch, so binary search + `splice` moves few elements,
 * and best/top-N reads walk from the end.
 */
import { scaledInt } from "../../lib/decimal.ts";

export type Side = "bid" | "ask";

/** One aggregated level in venue units. */
export interface Level {
  price: number;
  size: number;
}

/** A level change of a delta: `size` is the new absolute size; 0 removes the level. */
export interface LevelChange extends Level {
  side: Side;
}

/** Read-only access to a book. Valid only until the next event of its market; copy with `levels`. */
export interface BookView {
  readonly priceDecimals: number;
  readonly sizeDecimals: number;
  bestBid(): Level | null;
  bestAsk(): Level | null;
  /** Number of levels on a side. */
  depth(side: Side): number;
  /** Up to `n` levels (all when omitted), best first, freshly allocated. */
  levels(side: Side, n?: number): Level[];
}

class BookSide {
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  /** bids: ascending storage (best = highest, last); asks: descending (best = lowest, last). */
  constructor(private readonly ascending: boolean) {}

  /** Index of `price`, or `-(insertionPoint + 1)` when absent. */
  private locate(price: number): number {
    const prices = this.prices;
    let lo = 0;
    let hi = prices.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = prices[mid]!;
      if (p === price) return mid;
      if (p < price === this.ascending) lo = mid + 1;
      else hi = mid - 1;
    }
    return -(lo + 1);
  }

  set(price: number, size: number): void {
    const at = this.locate(price);
    if (at >= 0) {
      if (size === 0) {
        this.prices.splice(at, 1);
        this.sizes.splice(at, 1);
      } else this.sizes[at] = size;
    } else if (size !== 0) {
      const ins = -at - 1;
      this.prices.splice(ins, 0, price);
      this.sizes.splice(ins, 0, size);
    }
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
  }

  best(): Level | null {
    const last = this.prices.length - 1;
    return last < 0 ? null : { price: this.prices[last]!, size: this.sizes[last]! };
  }

  levels(n: number): Level[] {
    const out: Level[] = [];
    for (let i = this.prices.length - 1; i >= 0 && out.length < n; i--) {
      out.push({ price: this.prices[i]!, size: this.sizes[i]! });
    }
    return out;
  }
}

/** A mutable L2 book of one market. */
export class L2Book implements BookView {
  private readonly bids = new BookSide(true);
  private readonly asks = new BookSide(false);

  constructor(readonly priceDecimals: number, readonly sizeDecimals: number) {}

  /** Sets one level (absolute size; 0 removes). */
  set(side: Side, price: number, size: number): void {
    (side === "bid" ? this.bids : this.asks).set(price, size);
  }

  /** Applies a batch of changes in order. */
  apply(changes: readonly LevelChange[]): void {
    for (const c of changes) this.set(c.side, c.price, c.size);
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  bestBid(): Level | null {
    return this.bids.best();
  }

  bestAsk(): Level | null {
    return this.asks.best();
  }

  depth(side: Side): number {
    return (side === "bid" ? this.bids : this.asks).prices.length;
  }

  levels(side: Side, n = Number.POSITIVE_INFINITY): Level[] {
    return (side === "bid" ? this.bids : this.asks).levels(n);
  }
}

/**
 * Parses wire levels (`{price, size}` decimal strings) into changes appended to `out`.
 * All levels are parsed before any is applied, so a bad level never half-applies a frame.
 * Throws RangeError on a malformed, non-positive price or a negative size.
 */
export function parseLevels(
  side: Side,
  levels: readonly { price: string; size: string }[],
  priceDecimals: number,
  sizeDecimals: number,
  out: LevelChange[],
): void {
  for (const l of levels) {
    const price = scaledInt(l.price, priceDecimals);
    const size = scaledInt(l.size, sizeDecimals);
    if (price <= 0 || size < 0) throw new RangeError(`bad level ${l.price} × ${l.size}`);
    out.push({ side, price, size });
  }
}
