/**
 * One node's ingest path for one market, without a network, assembled as src/ingest/pipeline.ts
 * does it: venue frames (text) through the live client's frame handling (LighterFeed, the part of
 * LighterClient that parses and validates frames) and the ingest router into a MarketActor, whose
 * events reach the real bridge — recorder on a SQLite store in `dir`, candle keeper, live publisher
 * on an in-memory cache, exchange-metrics sampler — through the deferred lane, and, optionally, the
 * signal engine. Account tracking is left out.
 *
 * `frame(text)` handles one frame and then runs the deferred lane (the live node runs it once per
 * loop turn, after a burst of frames), so a frame's time includes its share of the bridge's work.
 */
import { join } from "node:path";
import type { Actor } from "xstate";
import { createActorSystem } from "../../src/actors/system";
import { marketMachine, type MarketMachine } from "../../src/actors/market/market.machine";
import type { Logger } from "../../src/lib/log";
import type { MarketInfo } from "../../src/market/live";
import { createLiveMarkets } from "../../src/market/live";
import { createRecorder } from "../../src/recorder";
import { createCandleKeeper } from "../../src/ingest/candle-keeper";
import { createDeferredLane } from "../../src/ingest/deferred-lane";
import { LIGHTER, routeLighterEvents } from "../../src/ingest/lighter-router";
import { createLivePublisher } from "../../src/ingest/live-publisher";
import { bridgeMarket } from "../../src/ingest/market-bridge";
import { createMetricsSampler } from "../../src/ingest/metrics-sampler";
import { createSignalEngine } from "../../src/signals/engine";
import type { SignalDefinition } from "../../src/domain/signals/rule";
import { createMemoryCache } from "../../src/store/memory/cache";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { LighterFeed } from "../../src/venues/lighter/feed";
import { newStats } from "../../src/venues/lighter/events";
import type { SimHistorySource } from "../../src/venues/lighter/sim/history-source";
import { HeapClock } from "./heap-clock";

export interface IngestWorld {
  clock: HeapClock;
  engine: ReturnType<typeof createSignalEngine> | null;
  /** Handles one venue frame, then the deferred work it queued. */
  frame(text: string): void;
  stop(): Promise<void>;
}

export async function ingestWorld(opts: {
  dir: string;
  name: string;
  from: number;
  /** The venue's market list (as the simulator's history source gives it). */
  markets: SimHistorySource["markets"];
  info: MarketInfo;
  log: Logger;
  /** Signals to load (none: no engine at all). */
  defs: readonly SignalDefinition[] | null;
  onFire(): void;
}): Promise<IngestWorld> {
  const { info, log } = opts;
  const clock = new HeapClock(opts.from);
  const store = await openSqliteStore({ path: join(opts.dir, `${opts.name}.db`) });
  await store.migrate();
  const system = createActorSystem({ clock, log });
  const engine = opts.defs ? createSignalEngine({ clock, log, system, onFire: opts.onFire }) : null;
  if (engine) for (const d of opts.defs!) engine.upsert(d, info);
  const recorder = createRecorder({ store: store.marketData, accounts: store.accounts, dataDir: join(opts.dir, opts.name), clock, log });
  const candles = createCandleKeeper({ store: store.marketData, recorder, clock });
  const sampler = createMetricsSampler({ clock, record: (rows) => recorder.recordMarketMetrics(rows), log });
  const lane = createDeferredLane({ onError: (err) => log.error("deferred task failed", { err }), schedule: () => {} });
  let actor: Actor<MarketMachine> | undefined;
  const publisher = createLivePublisher({
    venue: LIGHTER, writer: createLiveMarkets(createMemoryCache(clock)), clock, log,
    market: (id) => (id === info.marketId ? info : undefined),
    book: () => {
      const ctx = actor?.getSnapshot().context;
      return ctx && ctx.nonce >= 0 ? { book: ctx.book, nonce: ctx.nonce, ts: ctx.bookTs } : undefined;
    },
  });
  const route = routeLighterEvents({
    onMarkets: () => {},
    market: (id) => (id === info.marketId ? actor : undefined),
    all: () => (actor ? [actor] : []),
  });
  const feed = new LighterFeed({
    markets: opts.markets, stats: newStats(), log, clock, emit: route,
    port: { send: () => {}, connected: () => {}, requestReconnect: () => {}, backfill: async () => ({ trades: [], reachedAfterId: true }) },
  });
  actor = system.spawn(`market:${LIGHTER}:${info.marketId}`, marketMachine, {
    input: { venue: LIGHTER, marketId: info.marketId, priceDecimals: info.priceDecimals, sizeDecimals: info.sizeDecimals },
    wire: (ref) => {
      engine?.attach(ref, info);
      bridgeMarket(ref, { venue: LIGHTER, clock, recorder, candles, live: publisher, metrics: sampler, defer: lane.run });
    },
  }).ref;
  route({ type: "markets", markets: opts.markets });
  feed.sessionStarted(false);
  sampler.start();
  return {
    clock,
    engine,
    frame(text) {
      feed.handleText(text);
      lane.flush();
    },
    async stop() {
      engine?.stop();
      sampler.stop();
      publisher.stop();
      candles.stop();
      system.stopAll();
      await recorder.close();
      await store.close();
    },
  };
}
