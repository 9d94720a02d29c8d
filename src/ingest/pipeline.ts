/**
 * The ingest pipeline of the leader node:
 *   venue client → router → MarketActors (supervised) → bridge → recorder, candles, live read model.
 * Before any market event is applied, each market's open candles are recovered from the store and
 * trades already stored are skipped, so restarts neither lose nor double-count anything.
 */
import type { Actor } from "xstate";
import type { Config } from "../config";
import type { Deps } from "../deps";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Metrics } from "../http/metrics";
import type { CheckState, UpstreamView } from "../http/routes/health/service";
import type { Cursor } from "../store/ports";
import { createActorSystem } from "../actors/system";
import { marketMachine, type MarketMachine } from "../actors/market/market.machine";
import type { MarketInput } from "../actors/market/market.events";
import { createLiveMarkets, type MarketInfo } from "../market/live";
import { createRecorder, type Recorder } from "../recorder";
import { LighterClient } from "../venues/lighter/client";
import { createCandleKeeper } from "./candle-keeper";
import { createLivePublisher } from "./live-publisher";
import { bridgeMarket } from "./market-bridge";
import { LIGHTER, routeLighterEvents, type MarketSink } from "./lighter-router";

export interface IngestPipeline {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The venue feed as a /health check state. */
  feedState(): CheckState;
  upstream(): UpstreamView;
  readonly recorder: Recorder;
}

/** Where the venue is: a remote URL or the embedded simulator started by the composition root. */
export interface Upstream {
  restUrl: string;
  wsUrl: string;
  source: "simulator" | "remote";
}

/**
 * Holds a market's inputs until its candles are recovered, then forwards them, dropping trades at
 * or before the last stored one (already recorded and counted before this start).
 */
class MarketGate implements MarketSink {
  private pending: MarketInput[] | null = [];
  private after: Cursor | null = null;
  constructor(private readonly actor: () => Actor<MarketMachine>) {}

  send(input: MarketInput): void {
    if (this.pending) this.pending.push(input);
    else this.forward(input);
  }

  open(after: Cursor | null): void {
    this.after = after;
    const queued = this.pending ?? [];
    this.pending = null;
    for (const input of queued) this.forward(input);
  }

  private forward(input: MarketInput): void {
    const after = this.after;
    if (after && input.type === "feed.trades") {
      const fresh = input.trades.filter((t) => t.ts > after.ts || (t.ts === after.ts && t.tradeId > after.id));
      if (fresh.length === 0) return;
      input = { type: "feed.trades", trades: fresh };
    }
    this.actor().send(input);
  }
}

export async function createIngestPipeline(opts: {
  config: Config;
  deps: Deps;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  upstream: Upstream;
}): Promise<IngestPipeline> {
  const { config, deps, clock, log, upstream } = opts;
  const store = deps.store.marketData;
  const recorder = createRecorder({ store, dataDir: config.dataDir, clock, log: log.child({ component: "recorder" }) });
  const live = createLiveMarkets(deps.cache);
  const system = createActorSystem({ clock, log });
  const candles = createCandleKeeper({ store, recorder, clock });
  const infos = new Map<number, MarketInfo>();
  const gates = new Map<number, MarketGate>();
  const actorOf = (id: number) => system.get(`market:${LIGHTER}:${id}`)?.ref as Actor<MarketMachine> | undefined;
  const publisher = createLivePublisher({
    venue: LIGHTER,
    writer: live,
    clock,
    log,
    market: (id) => infos.get(id),
    book: (id) => {
      const ctx = actorOf(id)?.getSnapshot().context;
      return ctx && ctx.nonce >= 0 ? { book: ctx.book, nonce: ctx.nonce, ts: ctx.bookTs } : undefined;
    },
  });
  const client = new LighterClient({ restUrl: upstream.restUrl, wsUrl: upstream.wsUrl, markets: config.lighterMarkets, log: log.child({ component: "lighter" }), clock });

  let connection: "connecting" | "connected" | "disconnected" = "connecting";
  let lastEventAt: number | undefined;

  const onMarkets = (markets: MarketInfo[]) => {
    void live.putMarkets(LIGHTER, markets).catch((err) => log.warn("could not publish the market list", { err }));
    for (const m of markets) {
      if (gates.has(m.marketId)) continue;
      infos.set(m.marketId, m);
      const gate = new MarketGate(() => actorOf(m.marketId)!);
      gates.set(m.marketId, gate);
      system.spawn(`market:${LIGHTER}:${m.marketId}`, marketMachine, {
        input: { venue: LIGHTER, marketId: m.marketId, priceDecimals: m.priceDecimals, sizeDecimals: m.sizeDecimals },
        wire: (ref) => bridgeMarket(ref, { venue: LIGHTER, clock, recorder, candles, live: publisher }),
      });
      candles.recover(LIGHTER, m.marketId).then(
        (after) => gate.open(after),
        (err) => {
          log.error("candle recovery failed; continuing from an empty bar", { market: m.marketId, err });
          gate.open(null);
        },
      );
    }
  };

  const route = routeLighterEvents({ onMarkets, market: (id) => gates.get(id), all: () => gates.values() });
  client.on((event) => {
    lastEventAt = clock.now();
    if (event.type === "connection") connection = event.state;
    route(event);
  });

  opts.metrics.gauge("hl_recorder_buffered_rows", "Rows waiting to be written to the store.", () => recorder.stats().bufferedRows);
  opts.metrics.gauge("hl_recorder_journal_bytes", "Bytes spilled to the recorder journal.", () => recorder.stats().journalBytes);
  opts.metrics.gauge("hl_feed_frames_received", "Frames received from the venue feed.", () => client.stats.framesReceived);
  opts.metrics.gauge("hl_feed_malformed_frames", "Venue frames rejected by validation.", () => client.stats.malformedFrames);
  opts.metrics.gauge("hl_feed_resyncs", "Order-book resyncs after gaps or reconnects.", () => client.stats.resyncs);

  return {
    recorder,
    async start() {
      // The client retries loading markets on its own; do not hold up the caller.
      void client.start().catch((err) => log.error("venue client stopped", { err }));
    },
    async stop() {
      client.stop();
      publisher.stop();
      candles.stop();
      system.stopAll();
      await recorder.close();
    },
    feedState: () => (connection === "connected" ? "ok" : connection === "connecting" ? "connecting" : "down"),
    upstream: () => ({
      venue: LIGHTER,
      network: connection === "connected" ? "ok" : connection === "connecting" ? "unknown" : "down",
      source: upstream.source,
      rest_url: upstream.restUrl,
      ws_url: upstream.wsUrl,
      connection,
      markets: infos.size,
      last_message_at: lastEventAt,
    }),
  };
}
