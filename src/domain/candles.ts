/**
 * OHLCV candles: an incremental builder for the live tape, exact rollups from lower resolutions to
 * higher ones, and a naive reference aggregation that the tests hold both against.
 *
 * Bars without trades do not exist (no zero-volume filler bars): a gap in the series means a quiet
 * market, which is what the OHLCV quality scores count as missing candles. All trade kinds
 * (trade, liquidation, deleverage) print on the tape and so count in candles.
 */
import type { CandleRecord, CandleResolution, TradeRecord, Venue } from "../store/ports.ts";
import { alignToInterval, RESOLUTION_MS, WEEK_ORIGIN_MS } from "./time.ts";
import { NotionalSum } from "./trade-aggregate.ts";

export interface CandleBuilderOptions {
  venue: Venue;
  marketId: number;
  /** Default "1m": the stored base resolution from which the others are rolled up. */
  resolution?: CandleResolution;
}

/**
 * Folds one market's trades, in arrival order, into bars of one resolution.
 *
 * - A trade exactly on a bar boundary opens the new bar (bars are [open, open + length)).
 * - A trade in a later bar closes the current one, which `add` returns; the builder never emits
 *   empty bars for the gap.
 * - Within the open bar, trades may arrive slightly out of order: the earliest `ts` sets the open
 *   and the latest the close (ties keep arrival order).
 * - A **late** trade, older than the open bar (or than the end of the last closed bar), is ignored
 *   and counted in `lateTrades`: its bar was already emitted and persisted, and re-emitting it would
 *   make every consumer handle amendments. The recorder still stores the trade, so a repair job can
 *   recompute that bar from stored trades with `candleFromTrades`.
 */
export class CandleBuilder {
  readonly venue: Venue;
  readonly marketId: number;
  readonly resolution: CandleResolution;
  /** Trades ignored because their bar was already closed. */
  lateTrades = 0;

  private readonly barMs: number;
  private readonly origin: number;
  private hasBar = false;
  /** Trades older than this are late: the open bar's open time, or the end of the last closed bar. */
  private floor = Number.NEGATIVE_INFINITY;
  // The open bar, kept as flat fields rather than a CandleRecord so folding allocates nothing.
  private openTime = 0;
  private open = 0;
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private buyVolume = 0;
  private tradeCount = 0;
  private readonly quote = new NotionalSum();
  private firstTs = 0;
  private lastTs = 0;

  constructor(opts: CandleBuilderOptions) {
    this.venue = opts.venue;
    this.marketId = opts.marketId;
    this.resolution = opts.resolution ?? "1m";
    this.barMs = RESOLUTION_MS[this.resolution];
    this.origin = this.resolution === "1w" ? WEEK_ORIGIN_MS : 0;
  }

  /** Folds a trade. Returns the bar this trade closed (it opened a later one), else null. */
  add(trade: TradeRecord): CandleRecord | null {
    const { ts, price, size } = trade;
    if (ts < this.floor) {
      this.lateTrades++;
      return null;
    }
    const barOpen = alignToInterval(ts, this.barMs, this.origin);
    if (this.hasBar && barOpen === this.openTime) {
      if (ts < this.firstTs) {
        this.firstTs = ts;
        this.open = price;
      }
      if (ts >= this.lastTs) {
        this.lastTs = ts;
        this.close = price;
      }
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
      this.volume += size;
      if (trade.isMakerAsk) this.buyVolume += size;
      this.tradeCount++;
      this.quote.add(price, size);
      return null;
    }
    // ts ≥ floor = the open bar's open time, so a different bar can only be a later one.
    const closed = this.hasBar ? this.closeBar() : null;
    this.hasBar = true;
    this.floor = barOpen;
    this.openTime = barOpen;
    this.open = this.high = this.low = this.close = price;
    this.volume = size;
    this.buyVolume = trade.isMakerAsk ? size : 0;
    this.tradeCount = 1;
    this.quote.reset();
    this.quote.add(price, size);
    this.firstTs = this.lastTs = ts;
    return closed;
  }

  /**
   * Continues a bar built earlier (recovered after a restart) as the open bar. Later trades fold
   * into it as if the builder had seen the trades behind it; older bars become late.
   */
  resume(bar: CandleRecord): void {
    if (bar.resolution !== this.resolution) throw new RangeError(`cannot resume a ${bar.resolution} bar in a ${this.resolution} builder`);
    this.hasBar = true;
    this.floor = this.openTime = bar.openTime;
    this.open = bar.open;
    this.high = bar.high;
    this.low = bar.low;
    this.close = bar.close;
    this.volume = bar.volume;
    this.buyVolume = bar.buyVolume;
    this.tradeCount = bar.tradeCount;
    this.quote.reset();
    this.quote.addRaw(bar.quoteVolume);
    // The resumed bar's trades all precede any new one, so new trades move the close, never the open.
    this.firstTs = bar.openTime;
    this.lastTs = bar.openTime;
  }

  /** A copy of the open bar, or null when none is open (before the first trade, after a close). */
  get current(): CandleRecord | null {
    return this.hasBar ? this.record() : null;
  }

  /**
   * Closes the open bar once `now` (from the injected clock) has reached its end, so a quiet market's
   * last bar is emitted without waiting for the next trade. Returns it, or null if nothing was due.
   */
  closeIfDue(now: number): CandleRecord | null {
    return this.hasBar && now >= this.openTime + this.barMs ? this.closeBar() : null;
  }

  /** Closes and returns the open bar regardless of time (shutdown, end of a replayed range). */
  flush(): CandleRecord | null {
    return this.hasBar ? this.closeBar() : null;
  }

  private closeBar(): CandleRecord {
    const bar = this.record();
    this.hasBar = false;
    this.floor = this.openTime + this.barMs;
    return bar;
  }

  private record(): CandleRecord {
    return {
      venue: this.venue,
      marketId: this.marketId,
      resolution: this.resolution,
      openTime: this.openTime,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
      quoteVolume: this.quote.value,
      tradeCount: this.tradeCount,
      buyVolume: this.buyVolume,
    };
  }
}

/** True when a bar carries no prints (a venue's filler bar: flat at the previous close). */
function isEmptyBar(c: CandleRecord): boolean {
  return c.tradeCount === 0 && c.volume === 0;
}

/**
 * Derives `to` candles from lower-resolution ones exactly: open of the first, close of the last,
 * max high, min low, sums of volume, quote volume, trade count and buy volume. Works from any
 * resolution to any multiple of it (1m→5m, 1h→4h, 1d→1w; weeks on the Monday grid, which every
 * resolution up to 1d divides). `to` equal to the input resolution returns copies.
 *
 * Input: one market, one resolution, strictly increasing `openTime`; otherwise RangeError. Bars
 * with no trades and no volume (fillers some venues send) do not move OHLC; a bucket made only of
 * them becomes one flat bar. A bucket is emitted even if only partly covered: to roll up a time
 * range, query the lower resolution over the range aligned outward to `to`.
 */
export function rollupCandles(candles: readonly CandleRecord[], to: CandleResolution): CandleRecord[] {
  const out: CandleRecord[] = [];
  const first = candles[0];
  if (first === undefined) return out;
  const from = first.resolution;
  const fromMs = RESOLUTION_MS[from];
  const toMs = RESOLUTION_MS[to];
  if (toMs < fromMs || toMs % fromMs !== 0) throw new RangeError(`cannot roll ${from} candles up to ${to}`);
  const origin = to === "1w" ? WEEK_ORIGIN_MS : 0;

  let acc: CandleRecord | null = null;
  let accEmpty = true;
  let prevOpen = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as CandleRecord;
    if (c.resolution !== from || c.venue !== first.venue || c.marketId !== first.marketId) {
      throw new RangeError(`rollup input mixes series at index ${i}`);
    }
    if (c.openTime <= prevOpen) throw new RangeError(`rollup input not strictly increasing at index ${i}`);
    prevOpen = c.openTime;

    const bucket = alignToInterval(c.openTime, toMs, origin);
    const empty = isEmptyBar(c);
    if (acc === null || bucket !== acc.openTime) {
      acc = {
        venue: c.venue,
        marketId: c.marketId,
        resolution: to,
        openTime: bucket,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
        quoteVolume: c.quoteVolume,
        tradeCount: c.tradeCount,
        buyVolume: c.buyVolume,
      };
      accEmpty = empty;
      out.push(acc);
      continue;
    }
    if (empty) {
      // Fillers only extend a bucket that has no prints yet (it stays flat at the latest close).
      if (accEmpty) acc.close = c.close;
      continue;
    }
    if (accEmpty) {
      // First real bar of the bucket: it owns the open; earlier fillers carried no prints.
      acc.open = c.open;
      acc.high = c.high;
      acc.low = c.low;
      accEmpty = false;
    } else {
      if (c.high > acc.high) acc.high = c.high;
      if (c.low < acc.low) acc.low = c.low;
    }
    acc.close = c.close;
    acc.volume += c.volume;
    acc.quoteVolume += c.quoteVolume;
    acc.tradeCount += c.tradeCount;
    acc.buyVolume += c.buyVolume;
  }
  return out;
}

/**
 * Reference aggregation: trades (any order, one market) straight into `resolution` candles, sorted
 * by open time. Open/close are the trades with the smallest/largest (ts, tradeId). Deliberately
 * naive — a Map and a bigint per trade — so tests can trust it to check the builder and rollups.
 */
export function candleFromTrades(trades: Iterable<TradeRecord>, resolution: CandleResolution): CandleRecord[] {
  const barMs = RESOLUTION_MS[resolution];
  const origin = resolution === "1w" ? WEEK_ORIGIN_MS : 0;
  const bars = new Map<number, { candle: CandleRecord; first: TradeRecord; last: TradeRecord }>();
  for (const t of trades) {
    const openTime = alignToInterval(t.ts, barMs, origin);
    const bar = bars.get(openTime);
    if (bar === undefined) {
      bars.set(openTime, {
        first: t,
        last: t,
        candle: {
          venue: t.venue,
          marketId: t.marketId,
          resolution,
          openTime,
          open: t.price,
          high: t.price,
          low: t.price,
          close: t.price,
          volume: t.size,
          quoteVolume: BigInt(t.price) * BigInt(t.size),
          tradeCount: 1,
          buyVolume: t.isMakerAsk ? t.size : 0,
        },
      });
      continue;
    }
    const c = bar.candle;
    if (before(t, bar.first)) {
      bar.first = t;
      c.open = t.price;
    }
    if (before(bar.last, t)) {
      bar.last = t;
      c.close = t.price;
    }
    c.high = Math.max(c.high, t.price);
    c.low = Math.min(c.low, t.price);
    c.volume += t.size;
    c.quoteVolume += BigInt(t.price) * BigInt(t.size);
    c.tradeCount += 1;
    if (t.isMakerAsk) c.buyVolume += t.size;
  }
  return [...bars.values()].map((b) => b.candle).sort((a, b) => a.openTime - b.openTime);
}

function before(a: TradeRecord, b: TradeRecord): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.tradeId < b.tradeId);
}
