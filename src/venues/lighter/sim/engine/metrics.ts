/**
 * Hourly exchange metrics per market (`/api/v1/exchangeMetrics`): volume, fees, trade and
 * liquidation counts, open interest and active accounts.
 */

const HOUR_MS = 3_600_000;
const RETENTION_HOURS = 24 * 400;

/** The metric kinds `exchangeMetrics` accepts (reference §B.2). */
export const METRIC_KINDS = [
  "volume", "maker_fee", "taker_fee", "liquidation_fee", "trade_count", "liquidation_count",
  "liquidation_volume", "inflow", "outflow", "transfer_fee", "withdraw_fee", "open_interest",
  "account_count", "active_account_count", "tps", "buyback", "buyback_usdc",
] as const;
/** One of `METRIC_KINDS`. */
export type MetricKind = (typeof METRIC_KINDS)[number];

/** One hour of one market; money in USDC (floats, as the endpoint reports them). */
interface HourBucket {
  t: number;
  volume: number;
  makerFee: number;
  takerFee: number;
  liquidationFee: number;
  trades: number;
  liquidations: number;
  liquidationVolume: number;
  /** Open interest in USD at the last sample of the hour. */
  openInterest: number;
  active: Set<number> | null;
  activeCount: number;
}

const newBucket = (t: number): HourBucket => ({
  t, volume: 0, makerFee: 0, takerFee: 0, liquidationFee: 0, trades: 0, liquidations: 0,
  liquidationVolume: 0, openInterest: 0, active: new Set(), activeCount: 0,
});

/** Period → window length (ms) and point spacing (ms). */
const PERIODS: Readonly<Record<string, readonly [number, number]>> = {
  h: [HOUR_MS, HOUR_MS],
  d: [24 * HOUR_MS, HOUR_MS],
  w: [7 * 24 * HOUR_MS, 24 * HOUR_MS],
  m: [30 * 24 * HOUR_MS, 24 * HOUR_MS],
  q: [91 * 24 * HOUR_MS, 24 * HOUR_MS],
  y: [365 * 24 * HOUR_MS, 24 * HOUR_MS],
  all: [RETENTION_HOURS * HOUR_MS, 24 * HOUR_MS],
};

/** True for a period `exchangeMetrics` accepts. */
export const isMetricPeriod = (p: string): boolean => p in PERIODS;

/** Hourly metric buckets of every market. */
export class MetricsLog {
  private readonly byMarket = new Map<number, HourBucket[]>();

  constructor(private readonly accountCount: number) {}

  private bucket(marketId: number, time: number): HourBucket {
    let list = this.byMarket.get(marketId);
    if (!list) {
      list = [];
      this.byMarket.set(marketId, list);
    }
    const t = Math.floor(time / HOUR_MS) * HOUR_MS;
    let last = list[list.length - 1];
    if (!last || last.t < t) {
      if (last) {
        last.activeCount = last.active?.size ?? last.activeCount;
        last.active = null;
      }
      last = newBucket(t);
      if (list.length > 0) last.openInterest = (list[list.length - 1] as HourBucket).openInterest;
      list.push(last);
      if (list.length > RETENTION_HOURS) list.splice(0, list.length - RETENTION_HOURS);
    }
    return last;
  }

  /** Records a fill (USDC amounts as floats). */
  trade(marketId: number, time: number, quoteUsd: number, makerFee: number, takerFee: number, liquidation: boolean, taker: number, maker: number): void {
    // Liquidation fees (up to 1% to the insurance fund) are booked by `liquidationFee`.
    const b = this.bucket(marketId, time);
    b.volume += quoteUsd;
    b.makerFee += makerFee;
    b.takerFee += takerFee;
    b.trades++;
    if (liquidation) {
      b.liquidations++;
      b.liquidationVolume += quoteUsd;
    }
    b.active?.add(taker).add(maker);
  }

  /** Books a liquidation fee paid to the insurance fund (USDC). */
  liquidationFee(marketId: number, time: number, usd: number): void {
    this.bucket(marketId, time).liquidationFee += usd;
  }

  /** Samples a market's open interest (USD). */
  openInterest(marketId: number, time: number, usd: number): void {
    this.bucket(marketId, time).openInterest = usd;
  }

  /** The series of `kind` over `period` ending at `now`, optionally for one market. */
  series(kind: MetricKind, period: string, now: number, marketId?: number): { timestamp: number; data: number }[] {
    const [windowMs, stepMs] = PERIODS[period] ?? (PERIODS.d as readonly [number, number]);
    const start = Math.floor((now - windowMs) / stepMs) * stepMs;
    // Stock figures keep the latest hour of each step; flows add up.
    const stock = kind === "open_interest" || kind === "account_count";
    const total = new Map<number, number>();
    const markets = marketId === undefined ? [...this.byMarket.keys()] : [marketId];
    for (const id of markets) {
      const perMarket = new Map<number, number>();
      for (const b of this.byMarket.get(id) ?? []) {
        if (b.t < start || b.t > now) continue;
        const t = Math.floor(b.t / stepMs) * stepMs;
        const v = this.value(kind, b);
        perMarket.set(t, stock ? v : (perMarket.get(t) ?? 0) + v);
      }
      for (const [t, v] of perMarket) total.set(t, kind === "account_count" ? v : (total.get(t) ?? 0) + v);
    }
    return [...total.entries()].sort((a, b) => a[0] - b[0]).map(([t, data]) => ({ timestamp: Math.floor(t / 1000), data }));
  }

  private value(kind: MetricKind, b: HourBucket): number {
    switch (kind) {
      case "volume": return b.volume;
      case "maker_fee": return b.makerFee;
      case "taker_fee": return b.takerFee;
      case "liquidation_fee": return b.liquidationFee;
      case "trade_count": return b.trades;
      case "liquidation_count": return b.liquidations;
      case "liquidation_volume": return b.liquidationVolume;
      case "open_interest": return b.openInterest;
      case "active_account_count": return b.active?.size ?? b.activeCount;
      case "account_count": return this.accountCount;
      case "tps": return b.trades / 3600;
      default: return 0;
    }
  }
}
