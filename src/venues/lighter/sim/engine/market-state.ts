/**
 * Mutable state of one simulated market, and the id/time bases that make every id unique and
 * increasing across runs that continue each other (a history run up to T, then a live run from T).
 */
import { OrderBook, type RestingOrder } from "./book.ts";
import { MinuteBars } from "./candles.ts";
import { PremiumAccumulator, hourlyFundingRatePct, truncateRate4 } from "./funding.ts";
import { priceToTicks, type MarketSpec } from "./markets.ts";
import { FairPrice } from "./price.ts";

/** Ids and heights are derived from time elapsed since this instant. */
export const GENESIS_MS = Date.UTC(2023, 0, 1);
/** One L2 block every 300 ms. */
export const BLOCK_MS = 300;
const CANDLE_RETENTION_MS = 35 * 86_400_000;

/** Block height at virtual time `t` (ms). */
export const heightAt = (t: number): number => Math.floor(Math.max(0, t - GENESIS_MS) / BLOCK_MS);

/** A market maker's ladder in one market: order ids by level, best first (undefined = empty slot). */
export interface Ladder {
  bids: (RestingOrder | undefined)[];
  asks: (RestingOrder | undefined)[];
}

/** Everything the engine tracks for one market. */
export class MarketState {
  readonly book: OrderBook;
  readonly fair: FairPrice;
  readonly bars = new MinuteBars(CANDLE_RETENTION_MS);
  readonly premium = new PremiumAccumulator();
  /** Index, mark and last trade prices, ticks. */
  index: number;
  mark: number;
  lastTrade: number;
  /** Per-market version counter and the nonce of the last delta. */
  offset: number;
  nonce: number;
  /** `begin_nonce` of the last delta (a snapshot's own begin_nonce repeats it). */
  beginNonce = 0;
  /** µs of the last book change. */
  lastUpdatedUs: number;
  /** Long open interest, size ticks. */
  openInterest = 0;
  /** Last settled hourly rate (0.0001 % units, signed) and its settlement time (ms); starts at the baseline. */
  fundingRate4 = truncateRate4(hourlyFundingRatePct(0));
  fundingTime: number;
  /**
   * Basis of the perp over the index (a fraction, mean-reverting): where makers centre their quotes.
   * It moves the impact prices away from the index, so funding premiums vary as on the venue.
   */
  basis = 0;
  /** Resting passive orders of traders, oldest expiry first. */
  readonly retail: RestingOrder[] = [];
  readonly ladders = new Map<number, Ladder>();
  /** Virtual times of this market's next maker and taker actions and funding sample. */
  nextMaker = Infinity;
  nextTaker = Infinity;
  nextSample = Infinity;

  constructor(readonly spec: MarketSpec, start: number) {
    this.book = new OrderBook(spec.id);
    this.fair = new FairPrice(spec, start);
    this.index = priceToTicks(spec, spec.startPrice);
    this.mark = this.index;
    this.lastTrade = this.index;
    this.offset = 1_000_000 + Math.floor(Math.max(0, start - GENESIS_MS) / 1_000);
    this.nonce = 0;
    this.lastUpdatedUs = start * 1000;
    this.fundingTime = Math.floor(start / 3_600_000) * 3_600_000 + 1;
  }

  /** The price the perp trades around: the fair (index) price times (1 + basis), USD. */
  perpFair(): number {
    return this.fair.value * (1 + this.basis);
  }

  /** Mid price in ticks (float), falling back to the index when a side is empty. */
  mid(): number {
    const bid = this.book.bestBid();
    const ask = this.book.bestAsk();
    if (bid === undefined || ask === undefined) return this.index;
    return (bid + ask) / 2;
  }
}

/** Integer mixing (splitmix32 finaliser) for ids that must not consume the main random stream. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 64-hex-character transaction hash derived from the seed and a transaction sequence number. */
export function txHash(seed: number, seq: number): string {
  const parts: string[] = new Array(8);
  let h = mix32(seed ^ 0x9e3779b9) ^ mix32(seq >>> 0) ^ mix32(Math.floor(seq / 4294967296) + 0x632be5ab);
  for (let i = 0; i < 8; i++) {
    h = mix32(h + i * 0x27d4eb2f);
    parts[i] = (h + 0x100000000).toString(16).slice(1);
  }
  // join() yields one flat string; `+=` would keep a rope of eight fibres alive per trade.
  return parts.join("");
}
