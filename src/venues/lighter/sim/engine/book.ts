/**
 * A price-time priority limit order book over integer ticks. Level 3 (individual resting orders
 * with owners) is the source of truth; level 2 (aggregated size per price) is maintained alongside
 * and always equals the sum of the level-3 remainders at that price. Every level touched since the
 * last `takeDirty()` is remembered, so one engine action yields one order-book delta.
 */

/** A resting order (level 3). Prices and sizes in ticks. */
export interface RestingOrder {
  orderIndex: number;
  clientOrderIndex: number;
  account: number;
  marketId: number;
  isAsk: boolean;
  price: number;
  initial: number;
  remaining: number;
  /** Filled quote so far, USDC micro-units. */
  filledQuote: number;
  /** ms. */
  createdAt: number;
  /** ms. */
  expiry: number;
  /** µs. */
  transactionTime: number;
  /** Account nonce of the creating transaction. */
  nonce: number;
  blockHeight: number;
}

/** A fill of a taker against one resting order. */
export interface BookFill {
  maker: RestingOrder;
  size: number;
  price: number;
}

/** An aggregated level: [price ticks, size ticks]. */
export type LevelTuple = readonly [price: number, size: number];

interface Level {
  total: number;
  orders: RestingOrder[];
}

/** One side of the book: prices kept sorted best first. */
class BookSide {
  /** Best first: ascending for asks, descending for bids. */
  readonly prices: number[] = [];
  readonly levels = new Map<number, Level>();
  readonly dirty = new Set<number>();

  constructor(readonly isAsk: boolean) {}

  /** True when `a` is a better price than `b` for this side. */
  better(a: number, b: number): boolean {
    return this.isAsk ? a < b : a > b;
  }

  best(): number | undefined {
    return this.prices[0];
  }

  add(order: RestingOrder): void {
    let level = this.levels.get(order.price);
    if (!level) {
      level = { total: 0, orders: [] };
      this.levels.set(order.price, level);
      this.prices.splice(this.insertionIndex(order.price), 0, order.price);
    }
    level.orders.push(order);
    level.total += order.remaining;
    this.dirty.add(order.price);
  }

  /** Removes `order` from its level; returns false when it is not resting here. */
  remove(order: RestingOrder): boolean {
    const level = this.levels.get(order.price);
    if (!level) return false;
    const i = level.orders.indexOf(order);
    if (i < 0) return false;
    level.orders.splice(i, 1);
    level.total -= order.remaining;
    this.dirty.add(order.price);
    if (level.orders.length === 0) this.dropLevel(order.price);
    return true;
  }

  /** Reduces a resting order after a fill (the order stays first in its queue). */
  reduce(order: RestingOrder, size: number): void {
    const level = this.levels.get(order.price) as Level;
    order.remaining -= size;
    level.total -= size;
    this.dirty.add(order.price);
    if (order.remaining === 0) {
      level.orders.shift();
      if (level.orders.length === 0) this.dropLevel(order.price);
    }
  }

  sizeAt(price: number): number {
    return this.levels.get(price)?.total ?? 0;
  }

  private dropLevel(price: number): void {
    this.levels.delete(price);
    const i = this.insertionIndex(price);
    if (this.prices[i] === price) this.prices.splice(i, 1);
  }

  /** Index of `price` in `prices`, or where it would be inserted (binary search). */
  private insertionIndex(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.prices[mid] as number, price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The order book of one market. */
export class OrderBook {
  readonly asks = new BookSide(true);
  readonly bids = new BookSide(false);
  readonly orders = new Map<number, RestingOrder>();

  constructor(readonly marketId: number) {}

  side(isAsk: boolean): BookSide {
    return isAsk ? this.asks : this.bids;
  }

  bestAsk(): number | undefined {
    return this.asks.best();
  }

  bestBid(): number | undefined {
    return this.bids.best();
  }

  /** Rests an order. The caller guarantees it does not cross the opposite side. */
  place(order: RestingOrder): void {
    this.side(order.isAsk).add(order);
    this.orders.set(order.orderIndex, order);
  }

  /** Cancels a resting order; returns it, or undefined if it is not resting. */
  cancel(orderIndex: number): RestingOrder | undefined {
    const order = this.orders.get(orderIndex);
    if (!order) return undefined;
    this.orders.delete(orderIndex);
    this.side(order.isAsk).remove(order);
    return order;
  }

  /**
   * Matches an incoming (taker) order against the opposite side in price-time priority: best price
   * first, oldest order first within a price. Fills at the maker's price, never beyond `limit`
   * (when given). Resting orders of `selfAccount` are cancelled instead of traded against
   * (self-trade prevention); they are reported through `onSelfTrade`.
   */
  match(
    isAsk: boolean,
    size: number,
    limit: number | undefined,
    selfAccount: number,
    onSelfTrade?: (order: RestingOrder) => void,
  ): BookFill[] {
    const opposite = this.side(!isAsk);
    const fills: BookFill[] = [];
    let left = size;
    while (left > 0) {
      const price = opposite.best();
      if (price === undefined) break;
      if (limit !== undefined && (isAsk ? price < limit : price > limit)) break;
      const level = opposite.levels.get(price) as Level;
      const maker = level.orders[0] as RestingOrder;
      if (maker.account === selfAccount) {
        this.cancel(maker.orderIndex);
        onSelfTrade?.(maker);
        continue;
      }
      const qty = Math.min(left, maker.remaining);
      opposite.reduce(maker, qty);
      if (maker.remaining === 0) this.orders.delete(maker.orderIndex);
      fills.push({ maker, size: qty, price });
      left -= qty;
    }
    return fills;
  }

  /** Levels touched since the last call, with their new absolute sizes (0 = removed). */
  takeDirty(): { asks: LevelTuple[]; bids: LevelTuple[] } | null {
    if (this.asks.dirty.size === 0 && this.bids.dirty.size === 0) return null;
    const collect = (side: BookSide): LevelTuple[] => {
      if (side.dirty.size === 0) return [];
      const out: LevelTuple[] = [];
      for (const price of side.dirty) out.push([price, side.sizeAt(price)]);
      side.dirty.clear();
      out.sort((a, b) => (side.isAsk ? a[0] - b[0] : b[0] - a[0]));
      return out;
    };
    return { asks: collect(this.asks), bids: collect(this.bids) };
  }

  /** Aggregated levels, best first, at most `depth` per side. */
  l2(depth = Infinity): { asks: LevelTuple[]; bids: LevelTuple[] } {
    const levels = (side: BookSide): LevelTuple[] =>
      side.prices.slice(0, Math.min(depth, side.prices.length)).map((p) => [p, side.sizeAt(p)] as const);
    return { asks: levels(this.asks), bids: levels(this.bids) };
  }

  /** Resting orders of one side, best price first and oldest first within a price. */
  l3(isAsk: boolean, limit = Infinity): RestingOrder[] {
    const side = this.side(isAsk);
    const out: RestingOrder[] = [];
    for (const price of side.prices) {
      for (const order of (side.levels.get(price) as Level).orders) {
        if (out.length >= limit) return out;
        out.push(order);
      }
    }
    return out;
  }

  /** Size available on the side a taker of `isAsk` would hit, down to (or up to) `limit`. */
  depthTo(isAsk: boolean, limit: number): number {
    const opposite = this.side(!isAsk);
    let total = 0;
    for (const price of opposite.prices) {
      if (isAsk ? price < limit : price > limit) break;
      total += opposite.sizeAt(price);
    }
    return total;
  }

  /**
   * Average fill price (ticks, float) of a taker buying (`isAsk` false) or selling `notionalTicks`
   * worth (size × price ticks); undefined when the book cannot fill it. Used for impact prices.
   */
  impactPrice(isAsk: boolean, notionalTicks: number): number | undefined {
    const opposite = this.side(!isAsk);
    let spent = 0;
    let filled = 0;
    for (const price of opposite.prices) {
      const size = opposite.sizeAt(price);
      const room = (notionalTicks - spent) / price;
      const take = Math.min(size, room);
      spent += take * price;
      filled += take;
      if (spent >= notionalTicks - 1e-9) return spent / filled;
    }
    return undefined;
  }
}
