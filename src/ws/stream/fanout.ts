/**
 * A node's WebSocket fan-out: applies stream events to per-market mirrors and publishes frames for
 * the topics this node's sockets hold, through the Broadcaster port (Bun's `server.publish`). Each
 * frame is rendered once per topic — for a topic nobody here holds, nothing is rendered at all.
 *
 * - order_book: every delta as it comes; a new subscriber first gets a snapshot of the mirror,
 *   rendered once per book state and shared by every socket that joins at that state.
 * - trade, enriched_trade, alert: per trade (and per level-3 read for order alerts).
 * - enriched_order_book views: conflated full states, at most one per view per interval, and only
 *   when the book or its attribution changed; a new subscriber gets the current state at once.
 * - liquidation_heatmap: each heatmap the ingest node computes from tracked accounts, as it comes;
 *   a new subscriber gets the latest one at once.
 */
import type { Clock } from "../../lib/clock";
import type { Broadcaster } from "../broadcaster/port";
import { channelName, marketTopics, type MarketTopics, type View } from "../topics";
import type { StreamEvent, StreamMarket } from "./events";
import type { LiquidationHeatmapUpdateFrame } from "../protocol";
import { MarketMirror } from "./market-mirror";
import { marketThresholds, type MarketThresholds, type StreamThresholds } from "./notional";
import { orderBookDeltaFrame, orderBookSnapshotFrame } from "./render-book";
import { alertFrame, enrichedTradeFrame, tradeAlerts, tradeFigures, tradeFrame, type Alert } from "./render-trades";
import { enrichedBookFrame, indexOrders } from "./enriched-book";
import { fillKey, orderAlerts } from "./order-alerts";

/** Options of {@link createFanout}. */
export interface FanoutOptions {
  broadcaster: Broadcaster;
  clock: Clock;
  thresholds: StreamThresholds;
  /** Least time between two frames of one enriched_order_book view. */
  enrichedIntervalMs: number;
  /** Levels (or buckets) per side in enriched_order_book frames. */
  enrichedDepth: number;
}

/** Counters for /metrics. */
export interface FanoutStats {
  events: number;
  frames: number;
  snapshots: number;
  gaps: number;
}

/** A node's fan-out: stream events in, frames out to the topics its sockets hold. */
export interface StreamFanout {
  apply(e: StreamEvent): void;
  /** A socket took `topic` (rendering `view`). */
  retain(topic: string, view: View): void;
  /** A socket left `topic`. */
  release(topic: string): void;
  /** What a socket that just subscribed to `topic` gets first, or null (none, or the book is resyncing). */
  initialFrame(topic: string): string | null;
  /**
   * What this node's subscribers need produced (demand.ts keys): `l3:{m}` for enriched books and
   * alerts, `heatmap:{m}` for liquidation heatmaps.
   */
  demand(): string[];
  readonly stats: FanoutStats;
  stop(): void;
}

interface EnrichedState {
  view: View;
  channel: string;
  frame: string | null;
  frameVersion: number;
  publishedVersion: number;
}

interface MarketEntry {
  mirror: MarketMirror;
  topics: MarketTopics;
  market: StreamMarket;
  th: MarketThresholds;
  index: { bids: ReturnType<typeof indexOrders>; asks: ReturnType<typeof indexOrders> } | null;
  /** Maker fills since the last level-3 read, by fillKey. */
  fills: Map<string, number>;
  snapshot: { version: number; frame: string } | null;
  /** The latest liquidation_heatmap frame. */
  heatmap: string | null;
}

/** Creates a fan-out publishing through `opts.broadcaster`. */
export function createFanout(opts: FanoutOptions): StreamFanout {
  const { broadcaster, clock } = opts;
  const counts = new Map<string, number>();
  const enriched = new Map<number, Map<string, EnrichedState>>();
  const enrichedByTopic = new Map<string, EnrichedState>();
  const markets = new Map<number, MarketEntry>();
  const stats: FanoutStats = { events: 0, frames: 0, snapshots: 0, gaps: 0 };
  let timer: unknown = null;

  const has = (topic: string) => (counts.get(topic) ?? 0) > 0;
  const publish = (topic: string, frame: string) => {
    stats.frames++;
    broadcaster.publish(topic, frame);
  };

  const entryOf = (e: StreamMarket): MarketEntry => {
    let entry = markets.get(e.m);
    if (!entry || entry.market.pd !== e.pd || entry.market.sd !== e.sd) {
      const market = { m: e.m, pd: e.pd, sd: e.sd };
      entry = { mirror: new MarketMirror(e.m, e.pd, e.sd), topics: marketTopics(e.m), market, th: marketThresholds(opts.thresholds, e.m, e.pd, e.sd), index: null, fills: new Map(), snapshot: null, heatmap: null };
      markets.set(e.m, entry);
    }
    return entry;
  };

  const snapshotFrame = (entry: MarketEntry): string => {
    const v = entry.mirror.version;
    if (entry.snapshot?.version !== v) {
      stats.snapshots++;
      entry.snapshot = { version: v, frame: orderBookSnapshotFrame(entry.topics.orderBook, entry.mirror, clock.now()) };
    }
    return entry.snapshot.frame;
  };

  const renderEnriched = (entry: MarketEntry, state: EnrichedState): string => {
    if (state.frame === null || state.frameVersion !== entry.mirror.version) {
      state.frame = enrichedBookFrame(state.channel, state.view, entry.mirror, entry.index, entry.th, opts.enrichedDepth, clock.now());
      state.frameVersion = entry.mirror.version;
    }
    return state.frame;
  };

  const flushEnriched = () => {
    timer = null;
    for (const [m, views] of enriched) {
      const entry = markets.get(m);
      if (!entry?.mirror.live) continue;
      for (const [topic, state] of views) {
        if (state.publishedVersion === entry.mirror.version) continue;
        publish(topic, renderEnriched(entry, state));
        state.publishedVersion = entry.mirror.version;
      }
    }
    if (enriched.size > 0) timer = clock.setTimeout(flushEnriched, opts.enrichedIntervalMs);
  };

  const publishAlerts = (entry: MarketEntry, alerts: Alert[]) => {
    const { alert: named, alertAnonymous: anon } = entry.topics;
    for (const a of alerts) {
      if (has(named)) publish(named, alertFrame(named, a, false, clock.now()));
      if (has(anon)) publish(anon, alertFrame(named, a, true, clock.now()));
    }
  };

  const onTrades = (entry: MarketEntry, e: Extract<StreamEvent, { type: "trades" }>) => {
    const { trade: raw, enrichedTrade: rich, enrichedTradeAnonymous: anon } = entry.topics;
    const [toRaw, toRich, toAnon] = [has(raw), has(rich), has(anon)];
    const alerting = has(entry.topics.alert) || has(entry.topics.alertAnonymous);
    // Maker fills tell a filled large order from a pulled one; only markets read at level 3 need them.
    const fills = entry.mirror.l3 !== null;
    const now = clock.now();
    for (const t of e.trades) {
      if (fills) {
        const key = fillKey(t.isMakerAsk ? t.askAccountId : t.bidAccountId, t.isMakerAsk ? "ask" : "bid", t.price);
        entry.fills.set(key, (entry.fills.get(key) ?? 0) + t.size);
      }
      // Price, size and notional are formatted once per trade, whichever frames show them.
      const f = toRaw || toRich || toAnon ? tradeFigures(t, entry.market) : undefined;
      if (f) {
        if (toRaw) publish(raw, tradeFrame(raw, t, f, entry.market, now));
        if (toRich) publish(rich, enrichedTradeFrame(rich, t, f, entry.market, entry.th, false, now));
        if (toAnon) publish(anon, enrichedTradeFrame(rich, t, f, entry.market, entry.th, true, now));
      }
      if (alerting) publishAlerts(entry, tradeAlerts(t, entry.market, entry.th, f));
    }
  };

  return {
    stats,
    apply(e) {
      stats.events++;
      const entry = entryOf(e);
      switch (e.type) {
        case "book.snapshot":
        case "book.delta":
        case "book.stale": {
          const outcome = entry.mirror.apply(e);
          const topic = entry.topics.orderBook;
          if (outcome === "gap") stats.gaps++;
          else if (outcome === "loaded" && has(topic)) publish(topic, snapshotFrame(entry));
          else if (outcome === "applied" && e.type === "book.delta" && has(topic)) publish(topic, orderBookDeltaFrame(topic, e, clock.now()));
          return;
        }
        case "trades":
          onTrades(entry, e);
          return;
        case "orders": {
          const prev = entry.mirror.l3;
          entry.mirror.setOrders(e);
          entry.index = { bids: indexOrders(e.bids), asks: indexOrders(e.asks) };
          const alerts = orderAlerts(prev, entry.mirror.l3!, entry.fills, entry.market, entry.th);
          entry.fills = new Map();
          publishAlerts(entry, alerts);
          return;
        }
        case "heatmap": {
          const frame: LiquidationHeatmapUpdateFrame = { type: "liquidation_heatmap_update", channel: entry.topics.liquidationHeatmap, liquidation_heatmap: e.heatmap, timestamp: clock.now() };
          entry.heatmap = JSON.stringify(frame);
          if (has(entry.topics.liquidationHeatmap)) publish(entry.topics.liquidationHeatmap, entry.heatmap);
          return;
        }
      }
    },
    retain(topic, view) {
      counts.set(topic, (counts.get(topic) ?? 0) + 1);
      if (view.kind !== "enriched_order_book") return;
      let views = enriched.get(view.marketId);
      if (!views) enriched.set(view.marketId, (views = new Map()));
      if (!views.has(topic)) {
        const state: EnrichedState = { view, channel: channelName(view.kind, view.marketId), frame: null, frameVersion: -1, publishedVersion: -1 };
        views.set(topic, state);
        enrichedByTopic.set(topic, state);
      }
      timer ??= clock.setTimeout(flushEnriched, opts.enrichedIntervalMs);
    },
    release(topic) {
      const n = (counts.get(topic) ?? 0) - 1;
      if (n > 0) {
        counts.set(topic, n);
        return;
      }
      counts.delete(topic);
      const state = enrichedByTopic.get(topic);
      if (!state) return;
      enrichedByTopic.delete(topic);
      const views = enriched.get(state.view.marketId);
      if (views?.delete(topic) && views.size === 0) enriched.delete(state.view.marketId);
    },
    initialFrame(topic) {
      const view = enrichedByTopic.get(topic);
      const m = view ? view.view.marketId : Number(topic.slice(topic.indexOf("/") + 1));
      const entry = markets.get(m);
      if (entry && topic === entry.topics.liquidationHeatmap) return entry.heatmap;
      if (!entry?.mirror.live) return null;
      if (view) return renderEnriched(entry, view);
      return topic === entry.topics.orderBook ? snapshotFrame(entry) : null;
    },
    demand() {
      const out = new Set([...enriched.keys()].map((m) => `l3:${m}`));
      const market = (topic: string) => topic.slice(topic.indexOf("/") + 1).split("@")[0];
      for (const topic of counts.keys()) {
        if (topic.startsWith("alert/")) out.add(`l3:${market(topic)}`);
        else if (topic.startsWith("liquidation_heatmap/")) out.add(`heatmap:${market(topic)}`);
      }
      return [...out];
    },
    stop() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
