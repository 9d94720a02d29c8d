/**
 * Encoded /candles bars, reused across requests. Nearly every bar a client asks for is closed and
 * identical to what the previous request read, and formatting its eight decimals costs more than
 * reading it. So the bars of each request are grouped into chunks of CHUNK_BARS bar slots aligned
 * to time (per market, decimals and resolution); a chunk's encoded bytes are kept with the values
 * they were encoded from, and a later request reuses them for any run of bars whose values it has
 * just read from the store and found equal, bar for bar.
 *
 * The store stays the truth: rows are still read on every request, and a bar that changed (the open
 * bar, a late write after a journal drain, history seeded while the API answers) no longer equals
 * its cached values, so its chunk is encoded afresh and replaces the cached one. Nothing is served
 * that the store does not hold at that moment.
 *
 * Memory is bounded by `maxBars` (least recently used chunks go first); about 300 bytes per bar.
 */
import { RESOLUTION_MS } from "../../../domain/time";
import type { MarketInfo } from "../../../market/live";
import type { CandleRecord, CandleResolution } from "../../../store/ports";
import { candlesHead, CANDLES_TAIL, encodeCandleRows } from "./candles-json";

/** Bar slots per chunk: 1m chunks span 16 h 40 min, 1h chunks about 6 weeks. */
export const CHUNK_BARS = 1_000;
/** Numbers kept per bar to compare with: open_time, open, high, low, close, volume, buy_volume, trades. */
const STRIDE = 8;
const COMMA = new Uint8Array([44]);

interface Chunk {
  /** STRIDE numbers per bar, in open_time order. */
  values: Float64Array;
  /** quote_volume per bar (a bigint: it can pass 2^53). */
  quotes: bigint[];
  /** Byte offset where each bar starts in `bytes`; bars are separated by one comma. */
  starts: Uint32Array;
  bytes: Uint8Array;
}

/** Options of {@link CandleChunkCache}. */
export interface CandleChunkCacheOptions {
  /** Bars kept at most, over all chunks. Default 100,000 (about 30 MB). */
  maxBars?: number;
}

/** The encoded-bar cache of one app instance. */
export class CandleChunkCache {
  private readonly chunks = new Map<string, Chunk>();
  private bars = 0;
  private readonly maxBars: number;

  constructor(opts: CandleChunkCacheOptions = {}) {
    this.maxBars = opts.maxBars ?? 100_000;
  }

  /** Bars held now (for tests and metrics). */
  get size(): number {
    return this.bars;
  }

  /**
   * The `data` object of /candles for `rows` (one market and resolution, oldest first, as just
   * read from the store) as byte parts to send in order; equal to `encodeCandlesData`.
   */
  encode(m: MarketInfo, resolution: CandleResolution, rows: readonly CandleRecord[]): Uint8Array[] {
    const parts: Uint8Array[] = [candlesHead(m, resolution)];
    const spanMs = RESOLUTION_MS[resolution] * CHUNK_BARS;
    const prefix = `${m.venue}|${m.marketId}|${m.priceDecimals}|${m.sizeDecimals}|${resolution}|`;
    for (let from = 0; from < rows.length; ) {
      const index = Math.floor((rows[from] as CandleRecord).openTime / spanMs);
      let to = from + 1;
      while (to < rows.length && Math.floor((rows[to] as CandleRecord).openTime / spanMs) === index) to++;
      if (from > 0) parts.push(COMMA);
      parts.push(this.group(prefix + index, m, rows, from, to));
      from = to;
    }
    parts.push(CANDLES_TAIL);
    return parts;
  }

  /** rows[from, to) (all in one chunk) as bytes: a slice of the cached chunk, or freshly encoded. */
  private group(key: string, m: MarketInfo, rows: readonly CandleRecord[], from: number, to: number): Uint8Array {
    const cached = this.chunks.get(key);
    if (cached) {
      const at = findBar(cached, (rows[from] as CandleRecord).openTime);
      const count = cached.quotes.length;
      if (at >= 0 && at + (to - from) <= count && sameBars(cached, at, rows, from, to)) {
        // Most recently used: re-inserted at the end of the map's order.
        this.chunks.delete(key);
        this.chunks.set(key, cached);
        const last = at + (to - from);
        return cached.bytes.subarray(cached.starts[at], last < count ? (cached.starts[last] as number) - 1 : cached.bytes.length);
      }
    }
    const { bytes, starts } = encodeCandleRows(m, rows, from, to);
    // A stale chunk is replaced; one that only covered other bars is replaced when this run is longer.
    if (!cached || to - from >= cached.quotes.length || !overlapsEqual(cached, rows, from, to)) this.store(key, rows, from, to, bytes.slice(), starts);
    return bytes;
  }

  private store(key: string, rows: readonly CandleRecord[], from: number, to: number, bytes: Uint8Array, starts: Uint32Array): void {
    const n = to - from;
    if (n > this.maxBars) return;
    const values = new Float64Array(n * STRIDE);
    const quotes = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      const c = rows[from + i] as CandleRecord;
      const o = i * STRIDE;
      values[o] = c.openTime;
      values[o + 1] = c.open;
      values[o + 2] = c.high;
      values[o + 3] = c.low;
      values[o + 4] = c.close;
      values[o + 5] = c.volume;
      values[o + 6] = c.buyVolume;
      values[o + 7] = c.tradeCount;
      quotes[i] = c.quoteVolume;
    }
    this.evict(key);
    this.chunks.set(key, { values, quotes, starts, bytes });
    this.bars += n;
    while (this.bars > this.maxBars) {
      const oldest = this.chunks.keys().next();
      if (oldest.done) break;
      this.evict(oldest.value);
    }
  }

  private evict(key: string): void {
    const c = this.chunks.get(key);
    if (!c) return;
    this.chunks.delete(key);
    this.bars -= c.quotes.length;
  }
}

/** Index of the cached bar opening at `openTime`, or -1 (binary search: bars are in time order). */
function findBar(c: Chunk, openTime: number): number {
  let lo = 0;
  let hi = c.quotes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = c.values[mid * STRIDE] as number;
    if (t === openTime) return mid;
    if (t < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** True when rows[from, to) equal the cached bars from index `at` on, value for value. */
function sameBars(c: Chunk, at: number, rows: readonly CandleRecord[], from: number, to: number): boolean {
  const v = c.values;
  for (let i = from, j = at; i < to; i++, j++) {
    const r = rows[i] as CandleRecord;
    const o = j * STRIDE;
    if (
      v[o] !== r.openTime || v[o + 1] !== r.open || v[o + 2] !== r.high || v[o + 3] !== r.low || v[o + 4] !== r.close ||
      v[o + 5] !== r.volume || v[o + 6] !== r.buyVolume || v[o + 7] !== r.tradeCount || c.quotes[j] !== r.quoteVolume
    ) {
      return false;
    }
  }
  return true;
}

/** True when every bar of rows[from, to) that the chunk also holds is equal there (the chunk is not stale, only elsewhere). */
function overlapsEqual(c: Chunk, rows: readonly CandleRecord[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const at = findBar(c, (rows[i] as CandleRecord).openTime);
    if (at >= 0 && !sameBars(c, at, rows, i, i + 1)) return false;
  }
  return true;
}
