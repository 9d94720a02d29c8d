/**
 * The ReplayActor's effects, built from the store and the live catalog: `prepare` (market and row
 * counts), `readPage` (one merged page by cursor) and `locate` (where a seek resumes).
 */
import { fromPromise } from "xstate";
import { notFound } from "../../lib/errors";
import type { LiveMarketView } from "../../market/live";
import type { MarketDataStore } from "../../store/ports";
import { readMergedPage, type PageLimits } from "./history";
import type { ResolvedReplay } from "./request";
import type { LocateInput, MergedPage, PreparedReplay, ReadPageInput } from "./replay.events";
import { replayMachine } from "./replay.machine";

/** Where replay history comes from. */
export interface ReplaySourceDeps {
  store: MarketDataStore;
  live: LiveMarketView;
  venue: string;
  pageLimits?: PageLimits;
}

/** The machine with its effects provided. */
export function replayLogic(deps: ReplaySourceDeps) {
  const { store, venue } = deps;
  return replayMachine.provide({
    actors: {
      prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async ({ input }) => {
        const { marketId, start, end } = input.request;
        const market = await deps.live.market(venue, marketId);
        if (!market) throw notFound(`market ${marketId} not found on ${venue}`);
        const range = { venue, marketId, start, end, limit: 1, offset: 0 };
        const [trades, snaps] = await Promise.all([store.queryTrades(range), store.queryBookSnapshots(range)]);
        return { market, trades: trades.total, snapshots: snaps.total };
      }),
      readPage: fromPromise<MergedPage, ReadPageInput>(({ input }) => readMergedPage(store, { venue, ...input, limits: deps.pageLimits })),
      locate: fromPromise<number, LocateInput>(async ({ input }) => {
        const snap = await store.bookSnapshotAt({ venue, marketId: input.market.marketId, ts: input.ts });
        return snap !== null && snap.ts >= input.start ? snap.ts : input.ts;
      }),
    },
  });
}
