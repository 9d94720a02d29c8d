/**
 * MarketActor: one per venue market. `syncing → live ⇄ resyncing`, `halted`.
 *
 * - syncing: no trustworthy book yet; waits for a full snapshot.
 * - live: applies deltas whose `beginNonce` equals the last nonce; anything else is a gap.
 * - resyncing: after a gap, a venue resync or a disconnect; waits for the next snapshot.
 * - halted: the market is closed or was halted by the operator; feed events are ignored.
 *
 * The machine is pure: no I/O and no clock reads. Time enters through named delays (the actor is
 * created with an injected clock), effects leave as emitted domain events. For speed, the book is
 * a mutable aggregate inside the context that actions update in place — copying a deep book on
 * every delta would cost more than the whole pipeline; nothing outside the actor holds it.
 */
import { emit, setup } from "xstate";
import { L2Book } from "../../venues/lighter/book";
import type { Level } from "../../store/ports";
import type { MarketEmitted, MarketInput, MarketStats } from "./market.events";

export interface MarketContext {
  venue: string;
  marketId: number;
  book: L2Book;
  /** Nonce of the last applied book state; -1 before the first snapshot. */
  nonce: number;
  /** Venue time of the last book state (ms). */
  bookTs: number;
  stats: MarketStats | null;
  /** Levels per side kept in sampled snapshots. */
  sampleDepth: number;
  gaps: number;
  haltReason?: string;
}

export interface MarketMachineInput {
  venue: string;
  marketId: number;
  priceDecimals: number;
  sizeDecimals: number;
  /** Levels per side in the 1 s samples (default 50). */
  sampleDepth?: number;
}

const toTuples = (levels: { price: number; size: number }[]): Level[] => levels.map((l) => [l.price, l.size] as const);

export const marketMachine = setup({
  types: {
    context: {} as MarketContext,
    events: {} as MarketInput,
    input: {} as MarketMachineInput,
    emitted: {} as MarketEmitted,
  },
  delays: {
    /** The product promises one full book snapshot per second per market. */
    SNAPSHOT_INTERVAL: 1000,
  },
  guards: {
    continuous: ({ context, event }) => event.type === "feed.delta" && event.beginNonce === context.nonce,
    stale: ({ context, event }) => event.type === "feed.delta" && event.nonce <= context.nonce,
  },
  actions: {
    loadSnapshot: ({ context, event }) => {
      if (event.type !== "feed.snapshot") return;
      const book = context.book;
      book.clear();
      for (const [p, s] of event.bids) book.set("bid", p, s);
      for (const [p, s] of event.asks) book.set("ask", p, s);
      context.nonce = event.nonce;
      context.bookTs = event.ts;
    },
    applyDelta: ({ context, event }) => {
      if (event.type !== "feed.delta") return;
      context.book.apply(event.changes);
      context.nonce = event.nonce;
      context.bookTs = event.ts;
    },
    countGap: ({ context }) => {
      context.gaps++;
    },
    storeStats: ({ context, event }) => {
      if (event.type === "feed.stats") context.stats = event.stats;
    },
    emitSnapshotUpdate: emit(({ context }) => ({
      type: "book.updated" as const,
      marketId: context.marketId,
      snapshot: true,
      changes: [],
      bids: toTuples(context.book.levels("bid")),
      asks: toTuples(context.book.levels("ask")),
      beginNonce: context.nonce,
      nonce: context.nonce,
      ts: context.bookTs,
    })),
    emitDelta: emit(({ context, event }) => {
      const e = event as Extract<MarketInput, { type: "feed.delta" }>;
      return { type: "book.updated" as const, marketId: context.marketId, snapshot: false, changes: e.changes, beginNonce: e.beginNonce, nonce: e.nonce, ts: e.ts };
    }),
    emitSample: emit(({ context }) => ({
      type: "book.sampled" as const,
      marketId: context.marketId,
      bids: toTuples(context.book.levels("bid", context.sampleDepth)),
      asks: toTuples(context.book.levels("ask", context.sampleDepth)),
      nonce: context.nonce,
      ts: context.bookTs,
    })),
    emitTrades: emit(({ context, event }) => {
      const trades = event.type === "feed.trades" ? event.trades : [];
      return { type: "trade.executed" as const, marketId: context.marketId, trades };
    }),
    emitLiquidations: emit(({ context, event }) => {
      const trades = event.type === "feed.trades" ? event.trades.filter((t) => t.kind !== "trade") : [];
      return { type: "liquidation.occurred" as const, marketId: context.marketId, trades };
    }),
    emitStats: emit(({ context, event }) => ({
      type: "stats.updated" as const,
      marketId: context.marketId,
      stats: (event as Extract<MarketInput, { type: "feed.stats" }>).stats,
    })),
    emitFunding: emit(({ context, event }) => ({
      type: "funding.settled" as const,
      marketId: context.marketId,
      funding: (event as Extract<MarketInput, { type: "feed.funding" }>).funding,
    })),
    emitState: emit(({ context }, params: { state: "syncing" | "live" | "resyncing" | "halted"; reason?: string }) => ({
      type: "market.state" as const,
      marketId: context.marketId,
      state: params.state,
      reason: params.reason,
    })),
  },
}).createMachine({
  id: "market",
  context: ({ input }) => ({
    venue: input.venue,
    marketId: input.marketId,
    book: new L2Book(input.priceDecimals, input.sizeDecimals),
    nonce: -1,
    bookTs: 0,
    stats: null,
    sampleDepth: input.sampleDepth ?? 50,
    gaps: 0,
  }),
  initial: "syncing",
  // Trades, stats and funding do not depend on the book's state: they flow in every state but halted.
  on: {
    "feed.trades": [
      { guard: ({ event }) => event.trades.some((t) => t.kind !== "trade"), actions: ["emitTrades", "emitLiquidations"] },
      { actions: "emitTrades" },
    ],
    "feed.stats": { actions: ["storeStats", "emitStats"] },
    "feed.funding": { actions: "emitFunding" },
    "market.halt": { target: ".halted" },
  },
  states: {
    syncing: {
      entry: { type: "emitState", params: { state: "syncing" } },
      on: { "feed.snapshot": { target: "live", actions: ["loadSnapshot", "emitSnapshotUpdate"] } },
    },
    live: {
      entry: { type: "emitState", params: { state: "live" } },
      initial: "sampling",
      states: {
        // Re-entered every interval: a steady 1 s cadence of samples while live.
        sampling: { after: { SNAPSHOT_INTERVAL: { target: "sampling", reenter: true, actions: "emitSample" } } },
      },
      on: {
        "feed.delta": [
          { guard: "continuous", actions: ["applyDelta", "emitDelta"] },
          // A replayed delta the book already holds changes nothing.
          { guard: "stale" },
          { target: "resyncing", actions: "countGap" },
        ],
        "feed.snapshot": { target: "live", reenter: true, actions: ["loadSnapshot", "emitSnapshotUpdate"] },
        "feed.resync": { target: "resyncing" },
        "feed.disconnected": { target: "resyncing" },
      },
    },
    resyncing: {
      entry: { type: "emitState", params: { state: "resyncing" } },
      on: { "feed.snapshot": { target: "live", actions: ["loadSnapshot", "emitSnapshotUpdate"] } },
    },
    halted: {
      entry: emit(({ context, event }) => ({
        type: "market.state" as const,
        marketId: context.marketId,
        state: "halted" as const,
        reason: event.type === "market.halt" ? event.reason : undefined,
      })),
      on: {
        "feed.trades": {},
        "feed.stats": {},
        "feed.funding": {},
        "market.halt": {},
        "market.resume": { target: "syncing" },
      },
    },
  },
});

export type MarketMachine = typeof marketMachine;
