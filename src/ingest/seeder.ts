/**
 * Seeds the store with history through the live ingest path: a history source hands out the
 * venue's own WebSocket frames in time order; they go through the client's frame handling
 * (validation, book continuity, trade de-duplication), the router, MarketActors, the candle keeper
 * and the recorder — the same code live data takes — with a virtual clock set to each frame's time,
 * so one-second samples and candle closes happen in virtual time.
 *
 * Seeded windows keep one book snapshot per `snapshotEveryMs` of virtual time (30 s by default) —
 * a 1 s cadence over days of synthetic history would cost gigabytes; live recording keeps 1 s.
 */
import { join } from "node:path";
import type { Actor } from "xstate";
import { ManualClock, systemClock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { MarketDataStore } from "../store/ports";
import { createActorSystem } from "../actors/system";
import { marketMachine, type MarketMachine } from "../actors/market/market.machine";
import { createRecorder } from "../recorder";
import { LighterFeed } from "../venues/lighter/feed";
import { newStats, type MarketInfo as LighterMarket } from "../venues/lighter/events";
import { createCandleKeeper } from "./candle-keeper";
import { createMetricsSampler } from "./metrics-sampler";
import { bridgeMarket } from "./market-bridge";
import { LIGHTER, routeLighterEvents, toMarketInfo } from "./lighter-router";

/** Produces a venue's frames for a time range. */
export interface HistoryFrameSource {
  /** Markets as the venue lists them (what the live client loads at start). */
  markets: readonly LighterMarket[];
  run(opts: {
    from: number;
    to: number;
    snapshotEveryMs: number;
    /** One venue WebSocket frame (JSON text) and its venue time (ms). */
    onFrame(frame: string, time: number): void;
    onProgress(fraction: number): void;
  }): Promise<void>;
}

export interface SeedWindow {
  label: string;
  from: number;
  to: number;
}

export interface SeedReport {
  label: string;
  skipped: boolean;
  frames: number;
  trades: number;
  wallMs: number;
}

/** True when the store already holds trades in the last ten minutes of the window. */
async function alreadySeeded(store: MarketDataStore, markets: readonly LighterMarket[], w: SeedWindow): Promise<boolean> {
  const probe = markets[0];
  if (!probe) return true;
  const { total } = await store.queryTrades({ venue: LIGHTER, marketId: probe.marketId, start: Math.max(w.from, w.to - 600_000), end: w.to, limit: 1, offset: 0 });
  return total > 0;
}

async function seedWindow(opts: { store: MarketDataStore; dataDir: string; log: Logger; source: HistoryFrameSource; window: SeedWindow; snapshotEveryMs: number; onProgress: (fraction: number) => void }): Promise<SeedReport> {
  const { window: w, log } = opts;
  const started = performance.now();
  const clock = new ManualClock(w.from);
  // The recorder flushes on wall time (batches fill fast); its journal is kept apart from the live one.
  const recorder = createRecorder({ store: opts.store, dataDir: join(opts.dataDir, "seed"), clock: systemClock, log });
  // Open bars are upserted once a virtual minute instead of every second: same result, far fewer rows.
  const candles = createCandleKeeper({ store: opts.store, recorder, clock, intervalMs: 60_000, closeGraceMs: 0 });
  const sampler = createMetricsSampler({ clock, record: (rows) => recorder.recordMarketMetrics(rows), log });
  const system = createActorSystem({ clock, log });
  const sampled = marketMachine.provide({ delays: { SNAPSHOT_INTERVAL: opts.snapshotEveryMs } });
  const sinks = new Map<number, Actor<MarketMachine>>();
  let trades = 0;
  for (const m of opts.source.markets.filter((x) => x.marketType === "perp").map(toMarketInfo)) {
    const supervised = system.spawn(`seed:${m.marketId}`, sampled, {
      input: { venue: LIGHTER, marketId: m.marketId, priceDecimals: m.priceDecimals, sizeDecimals: m.sizeDecimals },
      wire: (ref) => {
        bridgeMarket(ref, { venue: LIGHTER, clock, recorder, candles, metrics: sampler });
        ref.on("trade.executed", (e) => void (trades += e.trades.length));
      },
    });
    sinks.set(m.marketId, supervised.ref);
  }
  const route = routeLighterEvents({ onMarkets: () => {}, market: (id) => sinks.get(id), all: () => sinks.values() });
  // The live client announces its markets before any frame; so does a seeding run (the router needs
  // their decimals for stats and funding). The actors exist already, so the announcement adds none.
  route({ type: "markets", markets: opts.source.markets });
  const feed = new LighterFeed({
    markets: opts.source.markets,
    stats: newStats(),
    log,
    clock,
    emit: route,
    // No socket: frames come from the history source, so there is nothing to send or reconnect.
    port: { send: () => {}, connected: () => {}, requestReconnect: (reason) => log.warn("seed: feed asked to reconnect", { reason }), backfill: async () => ({ trades: [], reachedAfterId: true }) },
  });
  feed.sessionStarted(false);
  let frames = 0;
  sampler.start();
  try {
    await opts.source.run({
      from: w.from,
      to: w.to,
      snapshotEveryMs: opts.snapshotEveryMs,
      onFrame(frame, time) {
        if (time > clock.now()) clock.set(time);
        feed.handleText(frame);
        frames++;
      },
      onProgress: opts.onProgress,
    });
    clock.set(w.to);
  } finally {
    sampler.stop();
    candles.stop();
    system.stopAll();
    await recorder.close();
  }
  return { label: w.label, skipped: false, frames, trades, wallMs: performance.now() - started };
}

/**
 * Seeds each window the store does not hold yet, in order, logging progress (and drawing a bar on
 * a terminal). Safe to interrupt: writes are idempotent and an incomplete window is seeded again.
 */
export async function seedHistory(opts: {
  store: MarketDataStore;
  dataDir: string;
  log: Logger;
  source: HistoryFrameSource;
  windows: SeedWindow[];
  snapshotEveryMs?: number;
  /** Progress of each window, in percent. */
  onProgress?: (label: string, percent: number) => void;
  /** Where to draw a progress bar (default: stderr when it is a terminal). */
  bar?: { write(text: string): void } | null;
}): Promise<SeedReport[]> {
  const reports: SeedReport[] = [];
  const bar = opts.bar === undefined ? (process.stderr.isTTY ? process.stderr : null) : opts.bar;
  for (const w of opts.windows) {
    if (await alreadySeeded(opts.store, opts.source.markets, w)) {
      reports.push({ label: w.label, skipped: true, frames: 0, trades: 0, wallMs: 0 });
      continue;
    }
    opts.log.info("seeding history", { window: w.label, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });
    let lastLog = 0;
    const report = await seedWindow({
      ...opts,
      snapshotEveryMs: opts.snapshotEveryMs ?? 30_000,
      window: w,
      onProgress(fraction) {
        const pct = Math.min(100, Math.floor(fraction * 100));
        opts.onProgress?.(w.label, pct);
        bar?.write(`\rseeding ${w.label} [${"#".repeat(Math.floor(pct / 4)).padEnd(25, ".")}] ${pct}%`);
        const now = performance.now();
        if (now - lastLog > 5_000) {
          lastLog = now;
          opts.log.info("seeding progress", { window: w.label, percent: pct });
        }
      },
    });
    bar?.write("\n");
    opts.log.info("seeded history", { window: w.label, frames: report.frames, trades: report.trades, seconds: Math.round(report.wallMs / 100) / 10 });
    reports.push(report);
  }
  return reports;
}
