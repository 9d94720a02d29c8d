/**
 * Keeps every market's candles current as trades arrive: one incremental builder per resolution
 * (1m … 1w) fed the same trades — by the rollup property tests, identical to rolling 1m bars up.
 * Closed bars are recorded at once; open bars are upserted on an interval, so a stored candle is at
 * most that old. Higher resolutions are therefore stored, and served, without touching raw trades.
 *
 * After a restart the open bars are recovered exactly: the open 1m bar from the stored trades of
 * the current minute, each higher bar by rolling up its stored 1m bars plus that one.
 */
import { CandleBuilder, candleFromTrades, rollupCandles } from "../domain/candles";
import { alignTime, CANDLE_RESOLUTIONS } from "../domain/time";
import type { Clock } from "../lib/clock";
import type { CandleRecord, Cursor, MarketDataStore, TradeRecord } from "../store/ports";
import type { Recorder } from "../recorder";

interface MarketCandles {
  builders: CandleBuilder[];
  dirty: boolean;
}

export interface CandleKeeper {
  /** Recovers the open bars of a market from the store; returns the last stored trade. */
  recover(venue: string, marketId: number): Promise<Cursor | null>;
  add(venue: string, marketId: number, trades: readonly TradeRecord[]): void;
  /** Records every open bar that changed since the last call (and closes bars that are due). */
  flushOpen(): void;
  stop(): void;
}

/**
 * How long after its end a quiet bar is closed by time. Venue trades reach us after their own
 * timestamp (network latency, venue clock skew): closing a bar the moment our clock passes its end
 * made every trade of its last moments that was still in flight "late", stored but never counted in
 * the bar. A trade of a later bar still closes a bar at once; this only delays closing a quiet one.
 */
export const CLOSE_GRACE_MS = 5_000;

export function createCandleKeeper(deps: { store: MarketDataStore; recorder: Recorder; clock: Clock; intervalMs?: number; closeGraceMs?: number }): CandleKeeper {
  const markets = new Map<string, MarketCandles>();
  const keyOf = (venue: string, marketId: number) => `${venue}:${marketId}`;
  const get = (venue: string, marketId: number) => {
    const key = keyOf(venue, marketId);
    let m = markets.get(key);
    if (!m) {
      m = { builders: CANDLE_RESOLUTIONS.map((resolution) => new CandleBuilder({ venue, marketId, resolution })), dirty: false };
      markets.set(key, m);
    }
    return m;
  };

  const closeGrace = deps.closeGraceMs ?? CLOSE_GRACE_MS;
  const flushOpen = () => {
    const now = deps.clock.now() - closeGrace;
    const rows: CandleRecord[] = [];
    for (const m of markets.values()) {
      for (const b of m.builders) {
        const closed = b.closeIfDue(now);
        if (closed) rows.push(closed);
        else if (m.dirty) {
          const open = b.current;
          if (open) rows.push(open);
        }
      }
      m.dirty = false;
    }
    if (rows.length) deps.recorder.recordCandles(rows);
  };

  let timer: unknown;
  const interval = deps.intervalMs ?? 1000;
  const tick = () => {
    flushOpen();
    timer = deps.clock.setTimeout(tick, interval);
  };
  timer = deps.clock.setTimeout(tick, interval);

  return {
    async recover(venue, marketId) {
      const last = await deps.store.latestTrade({ venue, marketId });
      if (!last) return null;
      const m = get(venue, marketId);
      const minute = alignTime(last.ts, "1m");
      const minuteTrades = await deps.store.queryTrades({ venue, marketId, start: minute, end: last.ts + 1, limit: 1_000_000, offset: 0 });
      const open1m = candleFromTrades(minuteTrades.rows, "1m");
      for (const b of m.builders) {
        if (b.resolution === "1m") {
          if (open1m[0]) b.resume(open1m[0]);
          continue;
        }
        const start = alignTime(last.ts, b.resolution);
        const earlier = start < minute ? await deps.store.queryCandles({ venue, marketId, resolution: "1m", start, end: minute, limit: 1_000_000 }) : [];
        const bars = rollupCandles([...earlier, ...open1m], b.resolution);
        const bar = bars.at(-1);
        if (bar && bar.openTime === start) b.resume(bar);
      }
      return { ts: last.ts, id: last.tradeId };
    },
    add(venue, marketId, trades) {
      const m = get(venue, marketId);
      const closed: CandleRecord[] = [];
      for (const t of trades) {
        for (const b of m.builders) {
          const bar = b.add(t);
          if (bar) closed.push(bar);
        }
      }
      m.dirty = true;
      if (closed.length) deps.recorder.recordCandles(closed);
    },
    flushOpen,
    stop() {
      deps.clock.clearTimeout(timer);
      flushOpen();
    },
  };
}

