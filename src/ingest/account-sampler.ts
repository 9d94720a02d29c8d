/**
 * Periodic work over the tracked accounts, on the injected clock:
 *
 * - PnL snapshots at every `pnlEveryMs` boundary: one row per account whose collateral is known and
 *   that holds a position or changed since its last row (equity, collateral, unrealized, realized,
 *   funding, notional) — the history behind /accounts/:id/pnl.
 * - Heatmap totals at every minute boundary: per market, long and short notional at risk and the
 *   part within 5 % of the mark — the series the signal engine's backtests read.
 * - Persistence every `persistEveryMs`: accounts changed since they were last written, for warm
 *   restarts and for nodes that do not run the tracker.
 * - Heatmap updates for the WebSocket `liquidation_heatmap/{m}` channel, on demand.
 */
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { formatUsdc } from "../domain/margin";
import { formatScaled } from "../lib/decimal";
import type { Recorder } from "../recorder";
import type { AccountsStore, HeatmapTotalsRecord, PnlSnapshotRecord } from "../store/ports";
import type { AccountBook } from "../actors/accounts/account-book";
import { viewOf } from "../actors/accounts/account-view";
import type { AccountsReadModel } from "../actors/accounts/read-model";
import { marketHeatmap, marketTotals } from "../actors/accounts/risk-queries";
import { toTrackedRecord } from "./account-state";

const MINUTE_MS = 60_000;

/** One `liquidation_heatmap/{m}` payload (the `liquidation_heatmap` object of ws/protocol.ts's frame). */
export interface HeatmapUpdate {
  market_id: number;
  mark_price: string | null;
  bucket_size: string;
  buckets: { price: string; long_liquidation_usd: string; short_liquidation_usd: string }[];
  timestamp: number;
}

export interface AccountSamplerOptions {
  venue: string;
  clock: Clock;
  log: Logger;
  model: AccountsReadModel;
  books: () => AccountBook[];
  recorder: Pick<Recorder, "recordPnlSnapshots" | "recordHeatmapTotals">;
  store: Pick<AccountsStore, "upsertTrackedAccounts">;
  pnlEveryMs: number;
  persistEveryMs: number;
}

/** Periodic heatmap updates of a read model (the WebSocket layer's `liquidation_heatmap/{m}`). */
export interface HeatmapSource {
  /**
   * Calls `listener` every `intervalMs` (default 5 s) with each market's heatmap on the default
   * grid, for the markets `markets()` names (default: every market). Returns the unsubscribe.
   */
  onHeatmap(listener: (u: HeatmapUpdate) => void, opts?: { intervalMs?: number; markets?: () => Iterable<number> }): () => void;
}

/** Heatmap updates computed from `model` on demand (nothing runs without a listener). */
export function createHeatmapSource(o: { model: AccountsReadModel; clock: Clock }): HeatmapSource & { stop(): void } {
  const timers = new Set<unknown>();
  let stopped = false;
  return {
    onHeatmap(listener, opts = {}) {
      let active = true;
      const interval = opts.intervalMs ?? 5_000;
      const tick = () => {
        if (!active || stopped) return;
        for (const id of opts.markets?.() ?? o.model.markets().map((m) => m.marketId)) {
          const m = o.model.market(id);
          const h = m && marketHeatmap(o.model, id);
          if (!m || !h) continue;
          listener({
            market_id: id, mark_price: formatScaled(h.mark, m.priceDecimals), bucket_size: formatScaled(h.heatmap.grid.bucketTicks, m.priceDecimals),
            buckets: h.heatmap.buckets.map((b) => ({ price: formatScaled(b.priceTicks, m.priceDecimals), long_liquidation_usd: formatUsdc(b.long), short_liquidation_usd: formatUsdc(b.short) })),
            timestamp: o.clock.now(),
          });
        }
        const t = o.clock.setTimeout(() => (timers.delete(t), tick()), interval);
        timers.add(t);
      };
      tick();
      return () => void (active = false);
    },
    stop() {
      stopped = true;
      for (const t of timers) o.clock.clearTimeout(t);
      timers.clear();
    },
  };
}

export interface AccountSampler extends HeatmapSource {
  /** Writes every changed account now (shutdown). */
  persist(): Promise<void>;
  stop(): void;
}

export function startAccountSampler(o: AccountSamplerOptions): AccountSampler {
  const timers = new Set<unknown>();
  const heatmaps = createHeatmapSource({ model: o.model, clock: o.clock });
  let stopped = false;
  const snapshotted = new Map<number, number>();
  const persisted = new Map<number, number>();

  /** Runs `fn` at every multiple of `everyMs` (aligned), until stopped. */
  const every = (everyMs: number, aligned: boolean, fn: (at: number) => void) => {
    const arm = () => {
      const now = o.clock.now();
      const next = aligned ? Math.floor(now / everyMs) * everyMs + everyMs : now + everyMs;
      const t = o.clock.setTimeout(() => {
        timers.delete(t);
        if (stopped) return;
        try {
          fn(next);
        } catch (err) {
          o.log.error("accounts: sampler task failed", { err });
        }
        arm();
      }, next - now);
      timers.add(t);
    };
    arm();
  };

  every(o.pnlEveryMs, true, (ts) => {
    const rows: PnlSnapshotRecord[] = [];
    for (const book of o.books()) {
      for (const acct of book.accounts.values()) {
        if (acct.collateral === null) continue;
        const v = viewOf(book, acct);
        if (v.positions.length === 0 && snapshotted.get(acct.id) === acct.version) continue;
        snapshotted.set(acct.id, acct.version);
        rows.push({
          venue: o.venue, accountId: acct.id, ts, equity: acct.collateral + v.unrealizedPnl, collateral: acct.collateral,
          unrealizedPnl: v.unrealizedPnl, realizedPnl: v.realizedPnl, fundingPaid: v.fundingPaid, notional: v.longNotional + v.shortNotional,
          positions: v.positions.length,
        });
      }
    }
    if (rows.length > 0) o.recorder.recordPnlSnapshots(rows);
  });

  every(MINUTE_MS, true, (ts) => {
    const rows: HeatmapTotalsRecord[] = [];
    for (const m of o.model.markets()) {
      const t = marketTotals(o.model, m.marketId);
      if (!t) continue;
      rows.push({
        venue: o.venue, marketId: m.marketId, ts, markPrice: t.mark, longUsd: formatUsdc(t.long), shortUsd: formatUsdc(t.short),
        longNearUsd: formatUsdc(t.longNear), shortNearUsd: formatUsdc(t.shortNear), longPositions: t.longPositions, shortPositions: t.shortPositions,
        accounts: t.accounts,
      });
    }
    if (rows.length > 0) o.recorder.recordHeatmapTotals(rows);
  });

  const persist = async () => {
    const rows = [];
    for (const book of o.books()) {
      for (const acct of book.accounts.values()) {
        if (persisted.get(acct.id) === acct.version) continue;
        persisted.set(acct.id, acct.version);
        rows.push(toTrackedRecord(o.venue, book.persisted(acct)));
      }
    }
    for (let i = 0; i < rows.length; i += 1000) await o.store.upsertTrackedAccounts(rows.slice(i, i + 1000));
  };
  every(o.persistEveryMs, false, () => {
    void persist().catch((err) => o.log.warn("accounts: persisting tracked accounts failed; retrying next round", { err }));
  });

  return {
    onHeatmap: heatmaps.onHeatmap,
    persist,
    stop() {
      stopped = true;
      heatmaps.stop();
      for (const t of timers) o.clock.clearTimeout(t);
      timers.clear();
    },
  };
}
