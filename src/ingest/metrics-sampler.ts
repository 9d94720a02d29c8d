/**
 * Samples exchange metrics once a minute: at every minute boundary of the injected clock, one
 * `MarketMetricRecord` per market whose stats are known, stamped with the minute that starts at
 * that boundary (a row at T is the venue's state as of T). The rows go to the recorder, so they
 * take the same buffered, journaled path as trades.
 *
 * What is recorded is the latest `stats.updated` of each market as received. A market is left out
 * of a minute when its stats are older than `maxStaleMs` (the feed stopped: repeating a frozen open
 * interest as if current would be wrong), when the venue gave no mark or index price, or when its
 * open interest or funding rate is not a plain decimal (one bad row must never block the recorder).
 */
import type { MarketStats } from "../actors/market/market.events";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { isStorableDecimal } from "../store/market-metrics";
import type { MarketMetricRecord } from "../store/ports";

const MINUTE_MS = 60_000;

/** Where sampled rows go (the recorder's `recordMarketMetrics`). */
export type MetricsSink = (rows: readonly MarketMetricRecord[]) => void;

/** Dependencies and tuning of a sampler. */
export interface MetricsSamplerOptions {
  clock: Clock;
  record: MetricsSink;
  log?: Logger;
  /** Stats received longer ago than this (ms, on the clock) are not sampled. Default 120,000. */
  maxStaleMs?: number;
}

/** Takes the markets' latest stats and records them once a minute while started. */
export interface MetricsSampler {
  /** The latest stats of a market (from its `stats.updated` events). */
  update(venue: string, marketId: number, stats: MarketStats): void;
  /** Starts sampling at the next minute boundary. Idempotent. */
  start(): void;
  /** Stops the timer; nothing is sampled after it. Idempotent. */
  stop(): void;
}

interface Latest {
  venue: string;
  marketId: number;
  stats: MarketStats;
  receivedAt: number;
}

/** Start of the minute containing `ts`. */
const minuteOf = (ts: number): number => ts - (((ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

/** Creates a sampler; call `start()` to begin sampling on the clock's minute boundaries. */
export function createMetricsSampler(opts: MetricsSamplerOptions): MetricsSampler {
  const { clock } = opts;
  const maxStaleMs = opts.maxStaleMs ?? 2 * MINUTE_MS;
  const latest = new Map<string, Latest>();
  /** Warned once per market and reason, not once a minute. */
  const warned = new Set<string>();
  let timer: unknown = null;
  let running = false;
  /** The minute the running timer was set for, and the last minute sampled (never sampled twice). */
  let due = 0;
  let lastSampled = Number.NEGATIVE_INFINITY;

  const skip = (l: Latest, reason: string): null => {
    const key = `${l.venue}:${l.marketId}:${reason}`;
    if (!warned.has(key)) {
      warned.add(key);
      opts.log?.warn("metrics sampler: market left out of the minute samples", { venue: l.venue, market: l.marketId, reason });
    }
    return null;
  };

  const toRow = (l: Latest, minute: number): MarketMetricRecord | null => {
    const s = l.stats;
    if (clock.now() - l.receivedAt > maxStaleMs) return null; // a stopped feed: normal during outages, not worth a warning
    if (s.markPrice === null || s.indexPrice === null) return skip(l, "no mark or index price");
    if (!isStorableDecimal(s.openInterestUsd)) return skip(l, `open interest is not a decimal: ${JSON.stringify(s.openInterestUsd)}`);
    if (s.fundingRate !== null && !isStorableDecimal(s.fundingRate)) return skip(l, `funding rate is not a decimal: ${JSON.stringify(s.fundingRate)}`);
    return {
      venue: l.venue,
      marketId: l.marketId,
      ts: minute,
      openInterestUsd: s.openInterestUsd,
      markPrice: s.markPrice,
      indexPrice: s.indexPrice,
      fundingRate: s.fundingRate,
    };
  };

  const sample = (minute: number): void => {
    if (minute <= lastSampled) return;
    lastSampled = minute;
    const rows: MarketMetricRecord[] = [];
    for (const l of latest.values()) {
      const row = toRow(l, minute);
      if (row) rows.push(row);
    }
    if (rows.length > 0) opts.record(rows);
  };

  /** Sets the timer for the next boundary after both `now` and the last minute sampled. */
  const schedule = () => {
    const now = clock.now();
    due = Math.max(minuteOf(now), lastSampled) + MINUTE_MS;
    timer = clock.setTimeout(tick, due - now);
  };

  const tick = () => {
    if (!running) return;
    const now = clock.now();
    // A timer that fires a hair early still samples the minute it was set for; one that fires
    // minutes late (a stalled loop) samples the current minute, and the missed ones stay gaps.
    const minute = now < due ? due : minuteOf(now);
    try {
      sample(minute);
    } catch (err) {
      opts.log?.error("metrics sampler: sampling failed", { err, minute });
    }
    schedule();
  };

  return {
    update(venue, marketId, stats) {
      latest.set(`${venue}:${marketId}`, { venue, marketId, stats, receivedAt: clock.now() });
    },
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
