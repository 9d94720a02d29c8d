/**
 * The ReplayActor's effects, built from the store and the live catalog: `prepare` (markets, row
 * counts and the first page), `readPage` (the next merged events of every market) and `locate`
 * (where a seek resumes, and the first page from there).
 */
import { fromPromise } from "xstate";
import { notFound } from "../../lib/errors";
import type { LiveMarketView } from "../../market/live";
import type { MarketDataStore } from "../../store/ports";
import { readNext, readStateAt, storePageReader, type MarketPageReader, type PageLimits } from "./history";
import type { ResolvedReplay } from "./request";
import type { Located, LocateInput, MergedPage, PreparedMarket, PreparedReplay, ReadPageInput } from "./replay.events";
import { replayMachine } from "./replay.machine";

/** Where replay history comes from. */
export interface ReplaySourceDeps {
  store: MarketDataStore;
  live: LiveMarketView;
  venue: string;
  pageLimits?: PageLimits;
  /** Where pages are read and rendered; default: in process, from `store`. */
  pages?: MarketPageReader;
}

/** The machine with its effects provided. */
export function replayLogic(deps: ReplaySourceDeps) {
  const { store, venue } = deps;
  const pages = deps.pages ?? storePageReader(store, venue, deps.pageLimits);
  const prepareMarket = async (marketId: number, start: number, end: number): Promise<PreparedMarket> => {
    const market = await deps.live.market(venue, marketId);
    if (!market) throw notFound(`market ${marketId} not found on ${venue}`);
    const range = { venue, marketId, start, end, limit: 1, offset: 0 };
    const [trades, snaps] = await Promise.all([store.queryTrades(range), store.queryBookSnapshots(range)]);
    return { market, trades: trades.total, snapshots: snaps.total };
  };
  return replayMachine.provide({
    actors: {
      prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async ({ input }) => {
        const { marketIds, start, end } = input.request;
        const markets = await Promise.all(marketIds.map((id) => prepareMarket(id, start, end)));
        const first = await readNext(pages, { end, state: readStateAt(markets.map((m) => m.market), start) });
        return { markets, first };
      }),
      readPage: fromPromise<MergedPage, ReadPageInput>(({ input }) => readNext(pages, { end: input.end, state: input.state })),
      locate: fromPromise<Located, LocateInput>(async ({ input }) => {
        const at = await Promise.all(input.markets.map((m) => store.bookSnapshotAt({ venue, marketId: m.marketId, ts: input.ts })));
        const position = Math.min(...at.map((snap) => (snap !== null && snap.ts >= input.start ? snap.ts : input.ts)));
        return { position, first: await readNext(pages, { end: input.end, state: readStateAt(input.markets, position) }) };
      }),
    },
  });
}
