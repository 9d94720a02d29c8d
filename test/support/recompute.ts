/**
 * Independent recomputation of what the market-data API should say, straight from raw trades (the
 * simulator's ground truth, or trades read back over HTTP): OHLCV bars and VWAP buckets, formatted
 * as the API's decimal strings. Deliberately naive — bigint sums, a sort, no code shared with the
 * implementation under test.
 */

/** A trade in venue units, whatever its source. */
export interface RawTrade {
  id: number;
  ts: number;
  /** Price and size ticks. */
  price: number;
  size: number;
  /** Taker bought. */
  buy: boolean;
}

export interface Decimals {
  priceDecimals: number;
  sizeDecimals: number;
}

/** A bar as /api/v1/candles returns it. */
export interface WireCandle {
  open_time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quote_volume: string;
  buy_volume: string;
  trades: number;
  vwap: string | null;
}

/** An interval as /api/v1/trades/aggregate returns it. */
export interface WireBucket {
  start: number;
  end: number;
  vwap: string | null;
  volume: string;
  notional: string;
  count: number;
  buy_volume: string;
  sell_volume: string;
  buy_count: number;
  sell_count: number;
}

/** `units` × 10^-decimals as a plain decimal string ("0.05", "-12.300"). */
export function decimal(units: bigint | number, decimals: number): string {
  let v = BigInt(units);
  const sign = v < 0n ? "-" : "";
  if (v < 0n) v = -v;
  if (decimals === 0) return sign + v.toString();
  const s = v.toString().padStart(decimals + 1, "0");
  return `${sign}${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

/** A decimal string back to integer units at `decimals` places (exact; throws on excess digits). */
export function units(text: string, decimals: number): bigint {
  const [whole = "0", frac = ""] = text.replace(/^-/, "").split(".");
  if (frac.length > decimals) throw new Error(`${text} has more than ${decimals} decimals`);
  const v = BigInt(whole + frac.padEnd(decimals, "0"));
  return text.startsWith("-") ? -v : v;
}

/** quote / volume at 2 more decimals than the price, rounded half-up; null without volume. */
export function vwap(quote: bigint, volume: bigint, priceDecimals: number): string | null {
  if (volume === 0n) return null;
  return decimal((quote * 100n * 2n + volume) / (2n * volume), priceDecimals + 2);
}

const byTimeThenId = (a: RawTrade, b: RawTrade) => a.ts - b.ts || a.id - b.id;

/** Bars of `barMs` (UTC-aligned, bars without trades absent), oldest first. */
export function candlesFrom(trades: readonly RawTrade[], barMs: number, d: Decimals): WireCandle[] {
  const bars = new Map<number, RawTrade[]>();
  for (const t of trades) {
    const open = Math.floor(t.ts / barMs) * barMs;
    const list = bars.get(open);
    if (list) list.push(t);
    else bars.set(open, [t]);
  }
  return [...bars.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([openTime, list]) => {
      const sorted = [...list].sort(byTimeThenId);
      let high = -Infinity;
      let low = Infinity;
      let volume = 0n;
      let quote = 0n;
      let buyVolume = 0n;
      for (const t of sorted) {
        high = Math.max(high, t.price);
        low = Math.min(low, t.price);
        volume += BigInt(t.size);
        quote += BigInt(t.price) * BigInt(t.size);
        if (t.buy) buyVolume += BigInt(t.size);
      }
      return {
        open_time: openTime,
        open: decimal(sorted[0]!.price, d.priceDecimals),
        high: decimal(high, d.priceDecimals),
        low: decimal(low, d.priceDecimals),
        close: decimal(sorted[sorted.length - 1]!.price, d.priceDecimals),
        volume: decimal(volume, d.sizeDecimals),
        quote_volume: decimal(quote, d.priceDecimals + d.sizeDecimals),
        buy_volume: decimal(buyVolume, d.sizeDecimals),
        trades: sorted.length,
        vwap: vwap(quote, volume, d.priceDecimals),
      };
    });
}

/** Buckets of `intervalMs` from `start` over [start, end) (the last clipped), every one present. */
export function bucketsFrom(trades: readonly RawTrade[], start: number, end: number, intervalMs: number, d: Decimals): WireBucket[] {
  const out: WireBucket[] = [];
  for (let s = start; s < end; s += intervalMs) {
    const e = Math.min(s + intervalMs, end);
    let volume = 0n;
    let quote = 0n;
    let buyVolume = 0n;
    let sellVolume = 0n;
    let buyCount = 0;
    let sellCount = 0;
    for (const t of trades) {
      if (t.ts < s || t.ts >= e) continue;
      volume += BigInt(t.size);
      quote += BigInt(t.price) * BigInt(t.size);
      if (t.buy) {
        buyVolume += BigInt(t.size);
        buyCount++;
      } else {
        sellVolume += BigInt(t.size);
        sellCount++;
      }
    }
    out.push({
      start: s,
      end: e,
      vwap: vwap(quote, volume, d.priceDecimals),
      volume: decimal(volume, d.sizeDecimals),
      notional: decimal(quote, d.priceDecimals + d.sizeDecimals),
      count: buyCount + sellCount,
      buy_volume: decimal(buyVolume, d.sizeDecimals),
      sell_volume: decimal(sellVolume, d.sizeDecimals),
      buy_count: buyCount,
      sell_count: sellCount,
    });
  }
  return out;
}
