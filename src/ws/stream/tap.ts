/**
 * The ingest side of the streams: turns each MarketActor's emitted domain events into stream
 * events on the bus, resends each live book as a checkpoint (only when other nodes listen), reads
 * the venue's level-3 orders of the markets somebody needs attributed, and forwards the liquidation
 * heatmaps of the markets somebody watches (computed by the accounts capability).
 */
import type { Actor } from "xstate";
import type { Clock } from "../../lib/clock";
import type { Logger } from "../../lib/log";
import type { MarketMachine } from "../../actors/market/market.machine";
import type { MarketInfo } from "../../market/live";
import type { SimpleOrder } from "../../venues/lighter/protocol";
import { scaledInt } from "../../lib/decimal";
import type { StreamBus } from "./bus";
import type { RestingOrder, StreamMarket } from "./events";
import { demanded } from "./demand";
import type { LiquidationHeatmapUpdateFrame } from "../protocol";

/** Most level-3 orders per side the venue returns (its page cap of orderBookOrders). */
export const L3_DEPTH = 250;

/** The venue call level-3 reads need. */
export interface L3Source {
  orderBookOrders(q: { market_id: number; limit: number }): Promise<{ asks: SimpleOrder[]; bids: SimpleOrder[] }>;
}

/** Where liquidation heatmaps come from (the accounts capability's `heatmaps`): a periodic callback per market. */
export interface HeatmapSource {
  onHeatmap(
    listener: (u: LiquidationHeatmapUpdateFrame["liquidation_heatmap"]) => void,
    opts: { intervalMs: number; markets: () => Iterable<number> },
  ): () => void;
}

/** What the ingest pipeline calls. */
export interface StreamTap {
  /** Wires one MarketActor incarnation (from the pipeline's `wire`, before the actor starts). */
  attach(actor: Actor<MarketMachine>, market: MarketInfo): void;
  /** Starts checkpoints, level-3 reads and (given a source) heatmap forwarding. */
  start(venue: L3Source, heatmaps?: HeatmapSource): void;
  stop(): void;
}

/** Options of {@link createStreamTap}. */
export interface StreamTapOptions {
  bus: StreamBus;
  clock: Clock;
  log: Logger;
  /** Period of book checkpoints for other nodes (unused on a local bus). */
  checkpointMs: number;
  /** Least time between two level-3 reads of one market. */
  l3IntervalMs: number;
  /** Period of liquidation heatmaps per watched market. */
  heatmapIntervalMs: number;
  /** What someone needs, on any node (demand.ts keys). */
  demand: () => Promise<string[]>;
}

const toOrders = (orders: SimpleOrder[], pd: number, sd: number): RestingOrder[] =>
  orders.map((o) => ({ id: o.order_id, account: o.owner_account_index, price: scaledInt(o.price, pd), size: scaledInt(o.remaining_base_amount, sd) }));

/** Creates the tap; `start` begins checkpoints and level-3 reads, `stop` ends them. */
export function createStreamTap(opts: StreamTapOptions): StreamTap {
  const { bus, clock, log } = opts;
  const markets = new Map<number, { actor: Actor<MarketMachine>; market: StreamMarket }>();
  const timers: unknown[] = [];
  let stopped = false;
  let l3Failures = 0;
  let heatmapMarkets: number[] = [];
  let stopHeatmaps: (() => void) | null = null;

  const checkpoint = () => {
    for (const { actor, market } of markets.values()) {
      const snap = actor.getSnapshot();
      if (snap.status !== "active" || !snap.matches("live")) continue;
      const { book, nonce, bookTs } = snap.context;
      const levels = (side: "bid" | "ask") => book.levels(side).map((l) => [l.price, l.size] as const);
      bus.publish({ type: "book.snapshot", ...market, bids: levels("bid"), asks: levels("ask"), nonce, ts: bookTs, checkpoint: true });
    }
    if (!stopped) timers[0] = clock.setTimeout(checkpoint, opts.checkpointMs);
  };

  const readL3 = async (venue: L3Source) => {
    try {
      const wanted = await opts.demand();
      heatmapMarkets = demanded(wanted, "heatmap");
      for (const m of demanded(wanted, "l3")) {
        const entry = markets.get(m);
        if (!entry || stopped) continue;
        const { pd, sd } = entry.market;
        const res = await venue.orderBookOrders({ market_id: m, limit: L3_DEPTH });
        bus.publish({ type: "orders", ...entry.market, bids: toOrders(res.bids, pd, sd), asks: toOrders(res.asks, pd, sd), depth: L3_DEPTH, ts: clock.now() });
      }
      if (l3Failures > 0) log.info("level-3 reads recovered", { failures: l3Failures });
      l3Failures = 0;
    } catch (err) {
      if (l3Failures++ === 0) log.warn("level-3 read failed; attribution is stale until it recovers", { err });
    }
    if (!stopped) timers[1] = clock.setTimeout(() => void readL3(venue), opts.l3IntervalMs);
  };

  return {
    attach(actor, info) {
      const market: StreamMarket = { m: info.marketId, pd: info.priceDecimals, sd: info.sizeDecimals };
      markets.set(info.marketId, { actor, market });
      actor.on("book.updated", (e) => {
        if (e.snapshot) bus.publish({ type: "book.snapshot", ...market, bids: e.bids ?? [], asks: e.asks ?? [], nonce: e.nonce, ts: e.ts });
        else bus.publish({ type: "book.delta", ...market, changes: e.changes, beginNonce: e.beginNonce, nonce: e.nonce, ts: e.ts });
      });
      actor.on("market.state", (e) => {
        if (e.state !== "live") bus.publish({ type: "book.stale", ...market, reason: e.reason ?? e.state });
      });
      actor.on("trade.executed", (e) => {
        const trades = e.trades.map((t) => ({ id: t.tradeId, ts: t.ts, price: t.price, size: t.size, isMakerAsk: t.isMakerAsk, askAccountId: t.askAccountId, bidAccountId: t.bidAccountId, kind: t.kind }));
        if (trades.length > 0) bus.publish({ type: "trades", ...market, trades });
      });
    },
    start(venue, heatmaps) {
      stopped = false;
      if (bus.kind === "redis") timers[0] = clock.setTimeout(checkpoint, opts.checkpointMs);
      timers[1] = clock.setTimeout(() => void readL3(venue), opts.l3IntervalMs);
      stopHeatmaps = heatmaps?.onHeatmap(
        (heatmap) => {
          const entry = markets.get(heatmap.market_id);
          if (entry) bus.publish({ type: "heatmap", ...entry.market, heatmap });
        },
        { intervalMs: opts.heatmapIntervalMs, markets: () => heatmapMarkets },
      ) ?? null;
    },
    stop() {
      stopped = true;
      stopHeatmaps?.();
      stopHeatmaps = null;
      for (const t of timers) if (t !== undefined) clock.clearTimeout(t);
      markets.clear();
    },
  };
}
