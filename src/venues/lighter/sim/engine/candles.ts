/**
 * Per-market trade aggregates: one-minute bars (the source of every candle resolution and of the
 * rolling 24-hour statistics), kept for a bounded retention.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Monday 1970-01-05: weekly bars start on Mondays, not on the epoch's Thursday. */
const WEEK_ORIGIN_MS = 4 * DAY_MS;

/** Candle resolutions of `/api/v1/candles` (reference §B.2) and their bar length. */
export const RESOLUTIONS: Readonly<Record<string, number>> = {
  "1m": MINUTE_MS,
  "5m": 5 * MINUTE_MS,
  "15m": 15 * MINUTE_MS,
  "30m": 30 * MINUTE_MS,
  "1h": 60 * MINUTE_MS,
  "4h": 240 * MINUTE_MS,
  "12h": 720 * MINUTE_MS,
  "1d": DAY_MS,
  "1w": 7 * DAY_MS,
};

/** Start of the bar of length `barMs` containing `t`. */
export function barStart(t: number, barMs: number): number {
  const origin = barMs === RESOLUTIONS["1w"] ? WEEK_ORIGIN_MS : 0;
  return Math.floor((t - origin) / barMs) * barMs + origin;
}

/** An OHLCV bar in engine units: prices in ticks, `v` in size ticks, `V` in USDC micro-units. */
export interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  V: number;
  /** Last trade id. */
  i: number;
  /** Number of trades. */
  n: number;
}

/** Rolling 24-hour statistics in engine units. */
export interface DailyStats {
  trades: number;
  baseVolume: number;
  quoteVolume: number;
  low: number;
  high: number;
  /** Price 24 h ago (open of the first bar in the window), ticks; 0 when there is none. */
  open: number;
}

/** One-minute bars of a market, oldest first. */
export class MinuteBars {
  private readonly bars: Bar[] = [];

  constructor(private readonly retentionMs: number) {}

  /** Adds a trade (time ms, price ticks, size ticks, quote micro-units). */
  add(time: number, price: number, size: number, quote: number, tradeId: number): void {
    const t = barStart(time, MINUTE_MS);
    let last = this.bars[this.bars.length - 1];
    if (!last || last.t < t) {
      last = { t, o: price, h: price, l: price, c: price, v: 0, V: 0, i: tradeId, n: 0 };
      this.bars.push(last);
      const cutoff = t - this.retentionMs;
      if ((this.bars[0] as Bar).t < cutoff) {
        const drop = this.firstAtOrAfter(cutoff);
        this.bars.splice(0, drop);
      }
    }
    if (price > last.h) last.h = price;
    if (price < last.l) last.l = price;
    last.c = price;
    last.v += size;
    last.V += quote;
    last.i = tradeId;
    last.n++;
  }

  /** Bars of length `barMs` from the one containing `from` up to `to` (exclusive), oldest first. */
  aggregate(barMs: number, from: number, to: number): Bar[] {
    const out: Bar[] = [];
    for (let k = this.firstAtOrAfter(barStart(from, barMs)); k < this.bars.length; k++) {
      const b = this.bars[k] as Bar;
      const t = barStart(b.t, barMs);
      if (t >= to) break;
      const cur = out[out.length - 1];
      if (cur && cur.t === t) {
        if (b.h > cur.h) cur.h = b.h;
        if (b.l < cur.l) cur.l = b.l;
        cur.c = b.c;
        cur.v += b.v;
        cur.V += b.V;
        cur.i = b.i;
        cur.n += b.n;
      } else {
        out.push({ ...b, t });
      }
    }
    return out;
  }

  /** Statistics over the 24 hours ending at `now`. */
  daily(now: number): DailyStats {
    const stats: DailyStats = { trades: 0, baseVolume: 0, quoteVolume: 0, low: 0, high: 0, open: 0 };
    for (let k = this.firstAtOrAfter(now - DAY_MS); k < this.bars.length; k++) {
      const b = this.bars[k] as Bar;
      if (stats.trades === 0) {
        stats.open = b.o;
        stats.low = b.l;
        stats.high = b.h;
      }
      stats.trades += b.n;
      stats.baseVolume += b.v;
      stats.quoteVolume += b.V;
      if (b.l < stats.low) stats.low = b.l;
      if (b.h > stats.high) stats.high = b.h;
    }
    return stats;
  }

  /** The oldest bar, if any. */
  get first(): Bar | undefined {
    return this.bars[0];
  }

  private firstAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.bars[mid] as Bar).t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
