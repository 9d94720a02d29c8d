/**
 * Market makers: each quotes a ladder of resting orders on both sides around the fair price, skewed
 * against its inventory. A maker action either re-centres the whole ladder (when the fair price has
 * walked away from it) or refreshes one or two levels — every cancel and placement shows up in the
 * action's L2 delta, and the orders carry the maker's account and order ids at level 3.
 */
import type { SimAccount } from "./accounts.ts";
import type { RestingOrder } from "./book.ts";
import type { Exchange } from "./exchange.ts";
import type { Ladder, MarketState } from "./market-state.ts";
import { pow10 } from "./markets.ts";

/** Resting orders expire after 28 days, as the venue's default. */
const ORDER_LIFETIME_MS = 28 * 86_400_000;

interface LadderShape {
  levels: number;
  /** Distance of the first level from the centre and between levels, bp. */
  halfSpreadBp: number;
  stepBp: number;
  /** Size of the first level, size ticks. */
  baseSize: number;
}

function shapeOf(m: MarketState, makerRank: number, fair: number): LadderShape {
  const s = m.spec;
  return {
    levels: 14 - 2 * makerRank,
    halfSpreadBp: s.ladderStepBp * (0.6 + makerRank * 0.7),
    stepBp: s.ladderStepBp * (1 + 0.5 * makerRank),
    baseSize: Math.max(s.minBaseTicks, Math.round(((s.takerNotional * 1.8) / fair / (1 + makerRank * 0.3)) * pow10(s.sizeDecimals))),
  };
}

/** Target prices (ticks) of every level of both sides, best first. */
function targets(ex: Exchange, m: MarketState, mm: SimAccount, shape: LadderShape): { bids: number[]; asks: number[] } {
  const fair = m.perpFair();
  const scale = pow10(m.spec.priceDecimals);
  const inventoryUsd = ((mm.positions.get(m.spec.id)?.size ?? 0) / pow10(m.spec.sizeDecimals)) * fair;
  const skewBp = -Math.max(-1, Math.min(1, inventoryUsd / (m.spec.takerNotional * 400))) * shape.halfSpreadBp * 2;
  const centre = fair * (1 + skewBp * 1e-4);
  const bids: number[] = [];
  const asks: number[] = [];
  for (let j = 0; j < shape.levels; j++) {
    const off = (shape.halfSpreadBp + j * shape.stepBp) * 1e-4;
    let bid = Math.floor(centre * (1 - off) * scale);
    let ask = Math.ceil(centre * (1 + off) * scale);
    if (j > 0) {
      bid = Math.min(bid, (bids[j - 1] as number) - 1);
      ask = Math.max(ask, (asks[j - 1] as number) + 1);
    }
    bids.push(Math.max(1, bid));
    asks.push(ask);
  }
  return { bids, asks };
}

function levelSize(ex: Exchange, shape: LadderShape, level: number): number {
  return Math.max(1, Math.round(shape.baseSize * (1 + 0.45 * level) * (0.7 + 0.6 * ex.rng.next())));
}

/** Places one ladder slot at its target, post-only: never crossing the opposite best price. */
function placeSlot(ex: Exchange, m: MarketState, mm: SimAccount, ladder: Ladder, isAsk: boolean, level: number, price: number, shape: LadderShape): void {
  const slots = isAsk ? ladder.asks : ladder.bids;
  const current = slots[level];
  if (current && m.book.orders.has(current.orderIndex)) ex.cancel(m, current);
  let p = price;
  if (isAsk) {
    const bestBid = m.book.bestBid();
    if (bestBid !== undefined && p <= bestBid) p = bestBid + 1;
  } else {
    const bestAsk = m.book.bestAsk();
    if (bestAsk !== undefined && p >= bestAsk) p = bestAsk - 1;
  }
  if (p < 1) {
    slots[level] = undefined;
    return;
  }
  slots[level] = ex.place(mm, m, isAsk, p, levelSize(ex, shape, level), ex.now + ORDER_LIFETIME_MS);
}

function ladderOf(m: MarketState, mm: SimAccount): Ladder {
  let ladder = m.ladders.get(mm.index);
  if (!ladder) {
    ladder = { bids: [], asks: [] };
    m.ladders.set(mm.index, ladder);
  }
  return ladder;
}

/** Re-quotes every level of one maker's ladder (cancels first, so its own stale quotes never block). */
function requoteAll(ex: Exchange, m: MarketState, mm: SimAccount, rank: number): void {
  const ladder = ladderOf(m, mm);
  for (const o of [...ladder.bids, ...ladder.asks]) if (o && m.book.orders.has(o.orderIndex)) ex.cancel(m, o);
  const shape = shapeOf(m, rank, m.perpFair());
  const t = targets(ex, m, mm, shape);
  for (let j = 0; j < shape.levels; j++) {
    placeSlot(ex, m, mm, ladder, false, j, t.bids[j] as number, shape);
    placeSlot(ex, m, mm, ladder, true, j, t.asks[j] as number, shape);
  }
}

/** Quotes the starting book of a market (all makers, full ladders). */
export function seedLadders(ex: Exchange, m: MarketState): void {
  ex.accounts.makers.forEach((mm, rank) => requoteAll(ex, m, mm, rank));
}

/**
 * Resting orders left through the maker's own quotes by a fair-price move (a stale passive bid
 * above where the maker would sell) are picked off with an IOC first: books stay near fair.
 */
function arbitrage(ex: Exchange, m: MarketState, mm: SimAccount, bidTarget: number, askTarget: number): void {
  const bestBid = m.book.bestBid();
  if (bestBid !== undefined && bestBid > askTarget) {
    ex.take(mm, m, true, m.book.depthTo(true, askTarget), askTarget, "trade");
  }
  const bestAsk = m.book.bestAsk();
  if (bestAsk !== undefined && bestAsk < bidTarget) {
    ex.take(mm, m, false, m.book.depthTo(false, bidTarget), bidTarget, "trade");
  }
}

/** One maker action on market `m`. */
export function makerAction(ex: Exchange, m: MarketState): void {
  m.fair.advance(ex.now, ex.rng);
  const makers = ex.accounts.makers;
  const rank = ex.rng.below(makers.length);
  const mm = makers[rank] as SimAccount;
  const ladder = ladderOf(m, mm);
  const shape = shapeOf(m, rank, m.perpFair());
  const t = targets(ex, m, mm, shape);
  arbitrage(ex, m, mm, t.bids[0] as number, t.asks[0] as number);
  const stepTicks = Math.max(1, (m.perpFair() * pow10(m.spec.priceDecimals) * shape.stepBp) / 1e4);
  const resting = (o: RestingOrder | undefined): o is RestingOrder => o !== undefined && m.book.orders.has(o.orderIndex);
  // Re-centre when the ladder has drifted from its targets; eaten slots alone are just refilled.
  const drift = (slots: (RestingOrder | undefined)[], target: number[]): boolean => {
    for (let j = 0; j < 3; j++) {
      const o = slots[j];
      if (resting(o)) return Math.abs(o.price - (target[j] as number)) > stepTicks * 1.5;
    }
    return false;
  };
  const drifted = drift(ladder.bids, t.bids) || drift(ladder.asks, t.asks);
  if (drifted) {
    requoteAll(ex, m, mm, rank);
  } else {
    const refreshes = 1 + ex.rng.below(2);
    for (let r = 0; r < refreshes; r++) {
      const isAsk = ex.rng.chance(0.5);
      const level = ex.rng.below(shape.levels);
      placeSlot(ex, m, mm, ladder, isAsk, level, (isAsk ? t.asks : t.bids)[level] as number, shape);
    }
    // Fill empty (eaten) slots of the top three levels so the inside market recovers quickly.
    for (let j = 0; j < 3; j++) {
      if (!resting(ladder.bids[j])) placeSlot(ex, m, mm, ladder, false, j, t.bids[j] as number, shape);
      if (!resting(ladder.asks[j])) placeSlot(ex, m, mm, ladder, true, j, t.asks[j] as number, shape);
    }
  }
  ex.finishAction(m);
}
