/**
 * The leader-side signals runtime: the glue between stored signals, the evaluating engine
 * (SignalActors), the durable outbox and the delivery worker. It runs only where ingest runs:
 *
 * - at start, every enabled signal is loaded into the engine and the delivery worker starts;
 * - a change made through this node's API reaches the engine at once (`changed(id)`); changes made
 *   on other nodes arrive through the store, polled every `pollMs` (`changesSince`);
 * - each firing is committed to the outbox first and the worker is then woken, so a crash between
 *   the two loses nothing (the worker finds the row on its next start); firings are committed in
 *   batches, one store transaction each (see `onFire`);
 * - the ingest pipeline hands it every MarketActor (`attach`) and the accounts read model's heatmap totals.
 */
import type { Actor } from "xstate";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { MarketMachine } from "../actors/market/market.machine";
import type { MarketInfo } from "../market/live";
import type { SignalDefinition, SignalFiring } from "../domain/signals/rule";
import type { SignalRecord, SignalsStore } from "../store/signals.port";

/** First wait before retrying an outbox commit the store refused, doubling up to the max. */
const COMMIT_RETRY_BASE_MS = 500;
const COMMIT_RETRY_MAX_MS = 30_000;
/** Most firings committed in one store transaction. */
export const COMMIT_BATCH = 500;
/**
 * How far each poll for changes reaches back before the newest change seen. Change times come from
 * the writing node's clock, so node clocks must agree to within this (NTP keeps them far closer).
 */
const DEFAULT_OVERLAP_MS = 60_000;

/** What the runtime drives of the engine (src/signals/engine.ts). */
export interface SignalEnginePort {
  upsert(def: SignalDefinition, market?: { priceDecimals: number; sizeDecimals: number }): void;
  remove(id: string): void;
  attach(actor: Actor<MarketMachine>, market: MarketInfo): void;
  heatmap(venue: string, marketId: number, totals: { long: string; short: string }, ts: number): void;
  stats(): { active: number; evaluations: number; firings: number };
  stop(): void;
}

/** Outbox and worker (src/signals/delivery). */
export interface DeliveryPort {
  fire(signal: SignalRecord, firing: SignalFiring): Promise<unknown>;
  /** Many firings in one store transaction. */
  fireMany(items: Array<{ signal: SignalRecord; firing: SignalFiring }>): Promise<unknown>;
}
export interface WorkerPort {
  start(): void;
  stop(): Promise<void> | void;
  kick(): void;
}

/** Liquidation-heatmap totals of one market now (USD decimal strings), from the tracked accounts; null when unknown. */
export type HeatmapTotals = (marketId: number) => { long: string; short: string } | null;

const HEATMAP_FIELDS = new Set(["heatmap_long_at_risk", "heatmap_short_at_risk"]);

export interface SignalRuntimeOptions {
  venue: string;
  clock: Clock;
  log: Logger;
  store: Pick<SignalsStore, "listEnabled" | "byId" | "byIds" | "changesSince">;
  /** Builds the engine; `onFire` is the runtime's. */
  engine(onFire: (firing: SignalFiring, def: SignalDefinition) => void): SignalEnginePort;
  outbox: DeliveryPort;
  worker: WorkerPort;
  /** Periodic pruning of old outbox rows (signals/retention.ts); runs while the runtime does. */
  retention?: { start(): void; stop(): Promise<void> };
  /** How often other nodes' changes are read from the store. */
  pollMs: number;
  /** How often heatmap totals are read for markets whose signals watch them (the WebSocket heatmap's cadence). */
  heatmapMs: number;
  /** How far each poll reaches back before the newest change seen (node clocks differ; commits land out of order). */
  overlapMs?: number;
  /** Most firings per outbox transaction (default COMMIT_BATCH). On SQLite a batch commits synchronously: smaller, shorter stalls. */
  commitBatch?: number;
}

export interface SignalRuntime {
  /** Loads enabled signals, starts the worker and the change poll; `heatmaps` feeds the heatmap fields. */
  start(heatmaps?: HeatmapTotals): Promise<void>;
  stop(): Promise<void>;
  /** A signal was created, changed or deleted through this node: reload it now. */
  changed(id: string): void;
  attach(actor: Actor<MarketMachine>, market: MarketInfo): void;
  stats(): { active: number; evaluations: number; firings: number; fireErrors: number };
}

/** The engine's view of a stored signal. */
export const definitionOf = (s: SignalRecord): SignalDefinition => ({
  id: s.id, venue: s.venue, marketId: s.marketId, rule: s.rule, cooldownSecs: s.cooldownSecs, enabled: s.enabled, lastFiredAt: s.lastFiredAt,
});

export function createSignalRuntime(o: SignalRuntimeOptions): SignalRuntime {
  const markets = new Map<number, MarketInfo>();
  let running = false;
  let timer: unknown;
  /** Newest `updatedAt` seen; polls read from `cursor - overlap`, and applying a change twice is harmless. */
  let cursor = 0;
  const overlap = o.overlapMs ?? DEFAULT_OVERLAP_MS;
  let heatmapTimer: unknown;
  /** Markets of the loaded signals that watch a heatmap field (id → market). */
  const heatmapWatchers = new Map<string, number>();
  let fireErrors = 0;
  /** Firings being committed, so stop() waits for them before the store closes. */
  const inFlight = new Set<Promise<void>>();

  /** Waits on the clock; stop() cuts every wait short so a retrying commit makes its last try at once. */
  const sleepers = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        o.clock.clearTimeout(handle);
        sleepers.delete(wake);
        resolve();
      };
      const handle = o.clock.setTimeout(wake, ms);
      sleepers.add(wake);
    });
  /**
   * Commits a batch of firings to the outbox, retrying the whole batch with backoff while the store
   * refuses it: the engine has already started each signal's cooldown, so giving up would lose the
   * firings. Retries stop only when the runtime stops (leadership lost or shutdown); the batch is
   * then logged as lost. The signals are read in one query; a firing of a signal deleted or disabled
   * since its market event has nothing to deliver. A batch of one takes the single-firing path.
   */
  const commit = async (batch: SignalFiring[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const signals = new Map((await o.store.byIds([...new Set(batch.map((f) => f.signalId))])).map((s) => [s.id, s]));
        const items = batch.flatMap((firing) => {
          const signal = signals.get(firing.signalId);
          return signal && signal.enabled ? [{ signal, firing }] : [];
        });
        if (items.length === 1) await o.outbox.fire(items[0]!.signal, items[0]!.firing);
        else if (items.length > 1) await o.outbox.fireMany(items);
        if (items.length > 0) o.worker.kick();
        return;
      } catch (err) {
        fireErrors += batch.length;
        if (!running) {
          o.log.error("signals: firings could not be committed before stop; they are lost", { firings: batch.length, first: batch[0]?.signalId, err });
          return;
        }
        const waitMs = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_BASE_MS * 2 ** Math.min(attempt, 10));
        o.log.warn("signals: could not commit firings to the outbox; retrying", { firings: batch.length, attempt: attempt + 1, waitMs, err });
        await pause(waitMs);
      }
    }
  };
  /**
   * Firings handed over are collected and committed in batches of up to `commitBatch`, one batch in
   * flight at a time; firings arriving meanwhile wait for the next batch. A firing storm thus costs
   * one store transaction per batch instead of a read and a transaction per firing, and never opens
   * unbounded concurrent transactions. Each batch starts on a turn of its own (setImmediate: a
   * yield, not a delay, so it is not on the injected clock): bun:sqlite commits synchronously, and
   * the engine's hand-over chunk and the commit must not add up to one long stall.
   */
  const waiting: SignalFiring[] = [];
  const batchSize = Math.max(1, o.commitBatch ?? COMMIT_BATCH);
  let flushing = false;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const flush = async () => {
    try {
      do {
        await nextTurn();
        if (waiting.length > 0) await commit(waiting.splice(0, batchSize));
      } while (waiting.length > 0);
    } finally {
      flushing = false;
    }
  };
  const onFire = (firing: SignalFiring) => {
    waiting.push(firing);
    if (flushing) return;
    flushing = true;
    const p = flush();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const engine = o.engine(onFire);

  /**
   * What the engine holds per signal, as a fingerprint of the fields it evaluates. Re-applying resets
   * a SignalActor (previous values, cooldown), so overlapping polls and changes the engine does not
   * read (name, channels) are skipped; two changes in the same millisecond are still told apart.
   */
  const applied = new Map<string, string>();
  const apply = (id: string, s: SignalRecord | null) => {
    const print = s && s.enabled && s.venue === o.venue ? JSON.stringify([s.marketId, s.rule, s.cooldownSecs]) : "off";
    if ((applied.get(id) ?? "off") === print) return;
    if (print === "off") applied.delete(id);
    else applied.set(id, print);
    heatmapWatchers.delete(id);
    if (!s || !s.enabled || s.venue !== o.venue) return engine.remove(id);
    engine.upsert(definitionOf(s), markets.get(s.marketId));
    if (s.rule.conditions.some((c) => HEATMAP_FIELDS.has(c.field))) heatmapWatchers.set(id, s.marketId);
  };
  const reload = async (id: string) => apply(id, await o.store.byId(id));

  const poll = async () => {
    try {
      const changes = await o.store.changesSince(Math.max(0, cursor - overlap));
      for (const c of changes) {
        apply(c.id, c.signal);
        cursor = Math.max(cursor, c.updatedAt);
      }
    } catch (err) {
      o.log.warn("signals: could not read signal changes", { err });
    }
  };
  /** Totals are a walk over the market's positions: read only for markets a signal watches them in. */
  const feedHeatmaps = (totals: HeatmapTotals) => {
    if (!running) return;
    const ts = o.clock.now();
    for (const marketId of new Set(heatmapWatchers.values())) {
      const t = totals(marketId);
      if (t) engine.heatmap(o.venue, marketId, t, ts);
    }
    heatmapTimer = o.clock.setTimeout(() => feedHeatmaps(totals), o.heatmapMs);
  };
  const schedule = () => {
    if (!running) return;
    timer = o.clock.setTimeout(() => void poll().finally(schedule), o.pollMs);
  };

  return {
    async start(heatmaps) {
      if (running) return;
      running = true;
      // Polls start from the boot time minus the overlap, so a change racing the load is read again, not missed.
      cursor = o.clock.now();
      for (const s of await o.store.listEnabled()) apply(s.id, s);
      if (heatmaps) feedHeatmaps(heatmaps);
      o.worker.start();
      o.retention?.start();
      schedule();
      o.log.info("signals runtime started", { active: engine.stats().active });
    },
    async stop() {
      if (!running) return;
      running = false;
      o.clock.clearTimeout(timer);
      o.clock.clearTimeout(heatmapTimer);
      engine.stop();
      for (const wake of [...sleepers]) wake();
      await Promise.all(inFlight);
      await o.retention?.stop();
      await o.worker.stop();
    },
    changed(id) {
      if (running) void reload(id).catch((err) => o.log.warn("signals: could not reload a signal", { signal: id, err }));
    },
    attach(actor, market) {
      markets.set(market.marketId, market);
      engine.attach(actor, market);
    },
    stats: () => ({ ...engine.stats(), fireErrors }),
  };
}
