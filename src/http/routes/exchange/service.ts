/**
 * Exchange analytics, framework-free. Rolling 24h figures come from the stored 1m candles (exact
 * integers, the same numbers /candles serves), not from the venue's float statistics; open
 * interest and mark come from the live read model. The result is computed at most once per
 * `STATS_CACHE_MS`, and concurrent requests share one computation.
 */
import type { Static } from "elysia";
import { alignTime, MINUTE_MS } from "../../../domain/time";
import type { Clock } from "../../../lib/clock";
import { divRound, formatScaled, formatUnits, parseScaled, rescale } from "../../../lib/decimal";
import type { MarketInfo } from "../../../market/live";
import type { CandleRecord, MarketDataStore } from "../../../store/ports";
import type { MarketDataSource } from "../params";
import { type MarketStats, STATS_CACHE_MS, type StatsData } from "./model";

/** The store (1m candles), the live read model (open interest, mark) and the clock (the 1 s cache). */
export interface ExchangeDeps extends MarketDataSource {
  store: MarketDataStore;
  clock: Clock;
}

type Stats = Static<typeof StatsData>;
/** 1m bars in the rolling window: the current (open) bar and the 1439 before it. */
const WINDOW_BARS = 1_440;
const PCT_DECIMALS = 4;

/** An exact decimal: value × 10^-decimals. */
interface Scaled {
  value: bigint;
  decimals: number;
}

/** GET /api/v1/exchange/stats: computed on demand, shared by concurrent callers, reused for STATS_CACHE_MS. */
export class ExchangeService {
  private cached: { at: number; result: Promise<Stats> } | null = null;

  constructor(private readonly deps: ExchangeDeps) {}

  /** 24h statistics per market and exchange totals, at most `STATS_CACHE_MS` old. */
  stats(): Promise<Stats> {
    const now = this.deps.clock.now();
    const hit = this.cached;
    if (hit && now >= hit.at && now - hit.at < STATS_CACHE_MS) return hit.result;
    const result = this.compute(now);
    this.cached = { at: now, result };
    // A failed computation is not served to the next caller.
    result.catch(() => {
      if (this.cached?.result === result) this.cached = null;
    });
    return result;
  }

  private async compute(now: number): Promise<Stats> {
    const { venue, live, store } = this.deps;
    const windowEnd = alignTime(now, "1m") + MINUTE_MS;
    const windowStart = windowEnd - WINDOW_BARS * MINUTE_MS;
    const markets = [...(await live.markets(venue))].sort((a, b) => a.marketId - b.marketId);
    const rows = await Promise.all(
      markets.map(async (m) => {
        const [bars, stats] = await Promise.all([
          store.queryCandles({ venue, marketId: m.marketId, resolution: "1m", start: windowStart, end: windowEnd, limit: WINDOW_BARS }),
          live.stats(venue, m.marketId),
        ]);
        return summarize(m, bars, stats?.open_interest_usd ?? null, stats?.mark_price ?? null);
      }),
    );
    const quote = sumScaled(rows.map((r) => r.quote));
    const oi = sumScaled(rows.flatMap((r) => (r.row.open_interest_usd === null ? [] : [decimalOf(r.row.open_interest_usd)])));
    return {
      window_start: windowStart,
      window_end: windowEnd,
      computed_at: now,
      markets: rows.map((r) => r.row),
      totals: {
        markets: markets.length,
        active_markets: rows.filter((r) => r.row.trades_24h > 0).length,
        volume_24h_usd: formatScaled(quote.value, quote.decimals),
        trades_24h: rows.reduce((n, r) => n + r.row.trades_24h, 0),
        open_interest_usd: formatScaled(oi.value, oi.decimals),
      },
    };
  }
}

/** Folds one market's window of 1m bars (oldest first) into its 24h row. */
function summarize(m: MarketInfo, bars: CandleRecord[], openInterest: string | null, mark: string | null): { row: Static<typeof MarketStats>; quote: Scaled } {
  const pd = m.priceDecimals;
  let volume = 0;
  let quote = 0n;
  let trades = 0;
  let high = Number.NEGATIVE_INFINITY;
  let low = Number.POSITIVE_INFINITY;
  for (const b of bars) {
    volume += b.volume;
    quote += b.quoteVolume;
    trades += b.tradeCount;
    if (b.high > high) high = b.high;
    if (b.low < low) low = b.low;
  }
  const first = bars[0];
  const last = bars[bars.length - 1];
  const open = first?.open;
  const close = last?.close;
  const change = open !== undefined && close !== undefined ? close - open : null;
  const pct = change !== null && open ? divRound(BigInt(change) * 10n ** BigInt(PCT_DECIMALS + 2), BigInt(open)) : null;
  const price = (p: number | undefined) => (p === undefined ? null : formatUnits(p, pd));
  return {
    quote: { value: quote, decimals: pd + m.sizeDecimals },
    row: {
      market_id: m.marketId,
      symbol: m.symbol,
      volume_24h: formatUnits(volume, m.sizeDecimals),
      quote_volume_24h: formatScaled(quote, pd + m.sizeDecimals),
      trades_24h: trades,
      open_24h: price(open),
      high_24h: bars.length ? formatUnits(high, pd) : null,
      low_24h: bars.length ? formatUnits(low, pd) : null,
      last_price: price(close),
      price_change_24h: change === null ? null : formatUnits(change, pd),
      price_change_pct_24h: pct === null ? null : formatScaled(pct, PCT_DECIMALS),
      open_interest_usd: openInterest,
      mark_price: mark,
    },
  };
}

/** A decimal string from the live feed as an exact scaled integer (its own number of decimals). */
function decimalOf(text: string): Scaled {
  const dot = text.indexOf(".");
  const decimals = dot < 0 ? 0 : text.length - dot - 1;
  return { value: parseScaled(text, decimals) ?? 0n, decimals };
}

/** Exact sum of decimals of different precisions, at the finest of them. */
function sumScaled(values: Scaled[]): Scaled {
  const decimals = values.reduce((d, v) => Math.max(d, v.decimals), 0);
  let value = 0n;
  for (const v of values) value += rescale(v.value, v.decimals, decimals);
  return { value, decimals };
}
