/**
 * Signals as the composition root sees them: the routes' collaborators (every node), and one
 * runtime — engine, SignalActors, delivery worker, outbox retention — per ingest leadership term,
 * with its /metrics gauges, and the outbox backlog gauges (every node). `runtime()` is called when this node becomes the ingest leader (before the pipeline is
 * built, so the pipeline can hand it each MarketActor); `stop()` when it stops leading or shuts down.
 */
import type { Config } from "../config";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Metrics } from "../http/metrics";
import type { LiveMarketView } from "../market/live";
import type { Store } from "../store/ports";
import type { SignalsServiceDeps } from "../http/routes/signals/service";
import type { AccountsReadModel } from "../actors/accounts/read-model";
import { marketTotals } from "../actors/accounts/risk-queries";
import { formatUsdc } from "../domain/margin";
import { signalsApi } from "./api";
import { createSignalEngine } from "./engine";
import { createSignalRuntime, type HeatmapTotals, type SignalRuntime } from "./runtime";
import { createDeliveryWorker, createOutbox, deliveryConfig, webhookPolicyFromConfig, type DeliveryWorker } from "./delivery";
import { createBacklogSampler } from "./backlog";
import { createSignalRetention, DAY_MS } from "./retention";

/** Other nodes' signal changes are read from the store this often. */
export const SIGNAL_POLL_MS = 2_000;

export interface SignalsLayer {
  /** What the /api/v1/signals routes use. */
  readonly api: SignalsServiceDeps;
  /** Creates this leadership term's runtime (stopping any previous one first is the caller's job). */
  runtime(): SignalRuntime;
  /** Stops the current runtime, if any: no more evaluation, the worker finishes its attempts in flight. */
  stop(): Promise<void>;
}

/** Heatmap totals from the tracked accounts, as stored for backtests (USD, 6 decimals). */
export const heatmapTotalsOf = (model: AccountsReadModel): HeatmapTotals => (marketId) => {
  const t = marketTotals(model, marketId);
  return t ? { long: formatUsdc(t.long), short: formatUsdc(t.short) } : null;
};

export function createSignalsLayer(o: {
  config: Config;
  store: Store;
  live: LiveMarketView;
  venue: string;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  nodeId: string;
}): SignalsLayer {
  const log = o.log.child({ component: "signals" });
  let current: { runtime: SignalRuntime; worker: DeliveryWorker } | undefined;
  let terms = 0;

  const api = signalsApi({
    store: o.store, live: o.live, venue: o.venue, clock: o.clock, policy: webhookPolicyFromConfig(o.config),
    worker: () => current?.worker, changed: (id) => current?.runtime.changed(id),
  });

  const m = o.metrics;
  const engine = () => current?.runtime.stats();
  const worker = () => current?.worker.stats();
  m.gauge("hl_signals_active", "Enabled signals evaluated on this node (the ingest leader).", () => engine()?.active ?? 0);
  m.gauge("hl_signal_evaluations", "Rule evaluations since this node became the ingest leader.", () => engine()?.evaluations ?? 0);
  m.gauge("hl_signal_firings", "Signal firings since this node became the ingest leader.", () => engine()?.firings ?? 0);
  m.gauge("hl_signal_fire_errors", "Firings that could not be written to the outbox.", () => engine()?.fireErrors ?? 0);
  m.gauge("hl_signal_deliveries_in_flight", "Webhook attempts being sent now.", () => worker()?.inFlight ?? 0);
  m.gauge("hl_signal_deliveries_sent", "Webhook deliveries answered 2xx.", () => worker()?.delivered ?? 0);
  m.gauge("hl_signal_deliveries_retried", "Webhook attempts that failed and were rescheduled.", () => worker()?.retried ?? 0);
  m.gauge("hl_signal_deliveries_failed", "Webhook deliveries given up (retries exhausted, 410 Gone, refused by the SSRF policy).", () => worker()?.failed ?? 0);
  // Store-wide, on every node (read from the store, at most once a second): the backlog shows even while no leader delivers.
  const backlog = createBacklogSampler({ store: o.store.signals, clock: o.clock, log });
  const sampled = (v: number | undefined) => (v === undefined ? [] : v);
  m.gauge("hl_signal_deliveries_pending", "Webhook deliveries waiting in the outbox (store-wide; the same on every node).", () => sampled(backlog.read()?.pending));
  m.gauge("hl_signal_deliveries_oldest_due_seconds", "How long the oldest due pending webhook delivery has been waiting, in seconds (0: none overdue; store-wide).", () => sampled(backlog.oldestDueAgeSeconds()));

  return {
    api,
    runtime() {
      const w = createDeliveryWorker({ store: o.store.signals, clock: o.clock, log, workerId: `${o.nodeId}-${++terms}`, ...deliveryConfig(o.config) });
      const outbox = createOutbox({ store: o.store.signals, clock: o.clock, worker: w });
      const retention = createSignalRetention({ store: o.store.signals, clock: o.clock, log, horizonMs: o.config.signalRetentionDays * DAY_MS });
      const runtime = createSignalRuntime({
        venue: o.venue, clock: o.clock, log, store: o.store.signals, outbox, worker: w, retention, pollMs: SIGNAL_POLL_MS, heatmapMs: o.config.wsHeatmapIntervalMs,
        engine: (onFire) => createSignalEngine({ clock: o.clock, log, onFire }),
      });
      current = { runtime, worker: w };
      return runtime;
    },
    async stop() {
      const c = current;
      current = undefined;
      await c?.runtime.stop();
    },
  };
}
