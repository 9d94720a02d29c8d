/**
 * The ReplayActor's effects, built from the store and the live catalog: `prepare` (markets, row
 * counts, exact or estimated, and the first page), `readPage` (the next merged events of every
 * market) and `locate` (where a seek resumes, and the first page from there).
 */
import { fromPromise } from "xstate";
import { notFound } from "../../lib/errors";
import type { LiveMarketView, MarketInfo } from "../../market/live";
import { estimateRows } from "../../domain/row-estimate";
import type { MarketDataStore } from "../../store/ports";
import { readNext, readStateAt, type MarketPageReader, type PageLimits } from "./history";
import { storePageReader } from "./page-reader";
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
  /** Rows counted per kind and market for `replay_started` (default COUNT_CAP). */
  countCap?: number;
}

/**
 * Rows counted per kind and market when a session starts. An exact count reads every row of the
 * range (about 45 ns a trade on SQLite, on the thread that serves every socket: 4.5 s for a
 * hundred million), so past this many the count is an estimate (domain/row-estimate.ts). Both
 * kinds up to the cap: under 1 ms per market on SQLite (20-level snapshots cost the most).
 */
export const COUNT_CAP = 2_000;

/** The machine with its effects provided. */
export function replayLogic(deps: ReplaySourceDeps) {
  const { store, venue } = deps;
  const pages = deps.pages ?? storePageReader(store, venue, deps.pageLimits);
  const cap = deps.countCap ?? COUNT_CAP;
  // Each start and seek is a reading of its own: what the reader reads ahead for one is not handed to another.
  let readings = 0;
  const marketOf = async (marketId: number): Promise<MarketInfo> => {
    const market = await deps.live.market(venue, marketId);
    if (!market) throw notFound(`market ${marketId} not found on ${venue}`);
    return market;
  };
  const counted = async (market: MarketInfo, start: number, end: number): Promise<PreparedMarket> => {
    const c = await store.countHistory({ venue, marketId: market.marketId, start, end, cap });
    const [trades, snapshots] = [estimateRows(c.trades), estimateRows(c.snapshots)];
    return { market, trades: trades.rows, snapshots: snapshots.rows, exact: trades.exact && snapshots.exact };
  };
  return replayMachine.provide({
    actors: {
      // The counts and the first page are independent reads (on the read worker, different
      // connections): asked for together, the first event waits for the slower of the two only.
      prepare: fromPromise<PreparedReplay, { request: ResolvedReplay }>(async ({ input }) => {
        const { marketIds, start, end } = input.request;
        const infos = await Promise.all(marketIds.map(marketOf));
        const [markets, first] = await Promise.all([
          Promise.all(infos.map((m) => counted(m, start, end))),
          readNext(pages, { end, state: readStateAt(infos, start, ++readings) }),
        ]);
        return { markets, first };
      }),
      readPage: fromPromise<MergedPage, ReadPageInput>(({ input }) => readNext(pages, { end: input.end, state: input.state })),
      locate: fromPromise<Located, LocateInput>(async ({ input }) => {
        const at = await Promise.all(input.markets.map((m) => store.bookSnapshotAt({ venue, marketId: m.marketId, ts: input.ts })));
        const position = Math.min(...at.map((snap) => (snap !== null && snap.ts >= input.start ? snap.ts : input.ts)));
        return { position, first: await readNext(pages, { end: input.end, state: readStateAt(input.markets, position, ++readings) }) };
      }),
    },
  });
}
