/**
 * The ingest pipeline of the leader node:
 *   venue client → router → MarketActors (supervised) → bridge → recorder, candles, live read model.
 * Per venue frame only the hot path runs (client, MarketActor, the taps wired below, the stream tap
 * first); the bridge's consumers and account tracking run in the deferred lane, once per loop turn.
 * Before any market event is applied, each market's open candles are recovered from the store and
 * trades already stored are skipped, so restarts neither lose nor double-count anything.
 */
import type { Actor } from "xstate";
import type { Config } from "../config";
import type { Deps } from "../deps";
import { systemClock, type Clock } from "../lib/clock";
import { atTurnEnd, type TurnEnd } from "../lib/turn-end";
import type { Logger } from "../lib/log";
import type { Metrics } from "../http/metrics";
import type { CheckState, UpstreamView } from "../http/routes/health/service";
import type { Cursor } from "../store/ports";
import { createActorSystem, type SupervisedActor } from "../actors/system";
import { marketMachine, type MarketMachine } from "../actors/market/market.machine";
import type { MarketInput } from "../actors/market/market.events";
import { createLiveMarkets, type MarketInfo } from "../market/live";
import { createRecorder, type Recorder } from "../recorder";
import { LighterClient } from "../venues/lighter/client";
import { createCandleKeeper } from "./candle-keeper";
import { createLivePublisher } from "./live-publisher";
import { bridgeMarket } from "./market-bridge";
import { createMetricsSampler } from "./metrics-sampler";
import { LIGHTER, routeLighterEvents, type MarketSink } from "./lighter-router";
import type { StreamTap } from "../ws/stream/tap";
import { createAccountsIngest, isTrackerEvent, type AccountsIngest, type TrackerEvent } from "./accounts-ingest";
import { createAccountWorker } from "./account-worker";
import { createDeferredLane } from "./deferred-lane";

export interface IngestPipeline {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The venue feed as a /health check state. */
  feedState(): CheckState;
  upstream(): UpstreamView;
  readonly recorder: Recorder;
  /** Tracked venue accounts: read model (`accounts.model`), and heatmap updates for the WebSocket layer. */
  readonly accounts: AccountsIngest;
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
  /** The WebSocket streams' tap (ws/stream/tap.ts): gets every MarketActor and reads level-3 orders. */
  streams?: StreamTap;
  /** The process's end-of-turn queue: the deferred lane runs in its `later` priority, after cross-node sends. */
  turnEnd?: TurnEnd;
  /** The signals runtime (signals/runtime.ts): evaluates alert rules on every MarketActor's events. */
  signals?: { attach(actor: Actor<MarketMachine>, market: MarketInfo): void };
}): Promise<IngestPipeline> {
  const { config, deps, clock, log, upstream } = opts;
  const store = deps.store.marketData;
  const recorder = createRecorder({ store, accounts: deps.store.accounts, dataDir: config.dataDir, clock, log: log.child({ component: "recorder" }) });
  // Two lanes: the hot path (frame → MarketActor → listeners wired in `wire` below, the stream tap
  // first) runs per venue frame; everything else runs in `deferred`, once per loop turn, after the
  // whole burst of frames has been fanned out (deferred-lane.ts).
  const deferred = createDeferredLane({ onError: (err) => log.error("deferred ingest task failed", { err }), schedule: opts.turnEnd?.later });
  const live = createLiveMarkets(deps.cache);
  const system = createActorSystem({ clock, log });
  const candles = createCandleKeeper({ store, recorder, clock });
  const sampler = createMetricsSampler({ clock, record: (rows) => recorder.recordMarketMetrics(rows), log: log.child({ component: "metrics-sampler" }) });
  const infos = new Map<number, MarketInfo>();
  const gates = new Map<number, MarketGate>();
  // The supervised handles, kept so the hot path reads `.ref` instead of a lookup by id per event.
  const supervised = new Map<number, SupervisedActor<MarketMachine>>();
  const actorOf = (id: number) => supervised.get(id)?.ref;
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
  /** Per market, the recovery of its open candles and last stored trade (started on the market list). */
  const recoveries = new Map<number, Promise<Cursor | null>>();
  const client = new LighterClient({
    restUrl: upstream.restUrl,
    wsUrl: upstream.wsUrl,
    markets: config.lighterMarkets,
    log: log.child({ component: "lighter" }),
    clock,
    deferAccountFrames: true,
    // Trade frames (and what follows them, but order-book frames) wait for the end of the turn,
    // ahead of the deferred lane: the turn's order-book deltas are fanned out first (see
    // docs/market-data.md, "Order-book frames first").
    deferTradeFrames: opts.turnEnd?.first ?? atTurnEnd,
    // Before the stream opens, tell the client where each market's stored trades end, so trades
    // made while this node was down are backfilled over REST rather than lost.
    prepare: async () => {
      for (const [marketId, recovery] of recoveries) {
        const after = await recovery.catch(() => null);
        if (after) client.resumeTrades(marketId, after.id);
      }
    },
  });
  // On its own thread unless configured otherwise; a node on an injected clock (tests) keeps it
  // here, since a thread runs on the real clock.
  const accountWorker =
    config.accountThread === "worker" && clock === systemClock
      ? createAccountWorker({ venue: LIGHTER, config, deps, clock, log, recorder, client, restUrl: upstream.restUrl, source: upstream.source })
      : undefined;
  const accounts: AccountsIngest = accountWorker ?? createAccountsIngest({ venue: LIGHTER, config, deps, clock, log, recorder, system, client, source: upstream.source });
  log.info(accountWorker ? "account tracking runs on its own thread" : "account tracking runs on the event loop");

  let connection: "connecting" | "connected" | "disconnected" = "connecting";
  let lastEventAt: number | undefined;

  const onMarkets = (markets: MarketInfo[]) => {
    void live.putMarkets(LIGHTER, markets).catch((err) => log.warn("could not publish the market list", { err }));
    for (const m of markets) {
      if (gates.has(m.marketId)) continue;
      infos.set(m.marketId, m);
      const gate = new MarketGate(() => actorOf(m.marketId)!);
      gates.set(m.marketId, gate);
      const handle = system.spawn(`market:${LIGHTER}:${m.marketId}`, marketMachine, {
        input: { venue: LIGHTER, marketId: m.marketId, priceDecimals: m.priceDecimals, sizeDecimals: m.sizeDecimals },
        wire: (ref) => {
          // The place where taps attach. Listeners added here run on the hot path, synchronously for
          // every venue event and in this order: streams first, so sockets wait for nothing else.
          // A tap with heavier work queues it with `deferred.run` (after the burst's fan-out).
          opts.streams?.attach(ref, m);
          opts.signals?.attach(ref, m);
          bridgeMarket(ref, { venue: LIGHTER, clock, recorder, candles, live: publisher, metrics: sampler, defer: deferred.run });
        },
      });
      supervised.set(m.marketId, handle);
      const recovery = candles.recover(LIGHTER, m.marketId);
      recoveries.set(m.marketId, recovery);
      recovery.then(
        (after) => gate.open(after),
        (err) => {
          log.error("candle recovery failed; continuing from an empty bar", { market: m.marketId, err });
          gate.open(null);
        },
      );
    }
  };

  const route = routeLighterEvents({ onMarkets, market: (id) => gates.get(id), all: () => gates.values() });
  // Account tracking needs no book event; the rest reaches it once per loop turn, after the burst's
  // fan-out. `account_all` frames arrive unparsed (deferAccountFrames) and are parsed there.
  const toAccounts = deferred.batched<TrackerEvent>((events) => accounts.onEvents(events));
  client.on((event) => {
    lastEventAt = clock.now();
    if (event.type === "connection") connection = event.state;
    route(event);
    if (isTrackerEvent(event)) toAccounts(event);
  });

  opts.metrics.gauge("hl_recorder_buffered_rows", "Rows waiting to be written to the store.", () => recorder.stats().bufferedRows);
  opts.metrics.gauge("hl_recorder_journal_bytes", "Bytes spilled to the recorder journal.", () => recorder.stats().journalBytes);
  opts.metrics.gauge("hl_feed_frames_received", "Frames received from the venue feed.", () => client.stats.framesReceived);
  opts.metrics.gauge("hl_feed_malformed_frames", "Venue frames rejected by validation.", () => client.stats.malformedFrames);
  opts.metrics.gauge("hl_feed_resyncs", "Order-book resyncs after gaps or reconnects.", () => client.stats.resyncs);
  opts.metrics.gauge("hl_accounts_thread_restarts", "Account-tracking threads started after one died.", () => accountWorker?.restarts ?? 0);
  opts.metrics.gauge("hl_ingest_deferred_tasks", "Ingest tasks run after the fan-out of their burst (recorder, candles, accounts).", () => deferred.stats.tasks);
  opts.metrics.gauge("hl_ingest_deferred_failures", "Deferred ingest tasks that threw.", () => deferred.stats.failures);
  opts.metrics.gauge("hl_ingest_deferred_backlog", "Deferred ingest tasks queued and not run yet.", () => deferred.backlog);

  return {
    recorder,
    accounts,
    async start() {
      // The client retries loading markets on its own; do not hold up the caller.
      void client.start().catch((err) => log.error("venue client stopped", { err }));
      opts.streams?.start(client.rest, accounts.heatmaps);
      sampler.start();
    },
    async stop() {
      client.stop();
      opts.streams?.stop();
      // What the last burst queued still reaches the recorder, candles and trackers before they stop.
      deferred.flush();
      sampler.stop();
      publisher.stop();
      candles.stop();
      await accounts.stop();
      supervised.clear(); // as `system.get` did: no sends to stopped actors
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
