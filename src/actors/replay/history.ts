/**
 * Reading a replay's history from the store: per market, trades and book snapshots each by cursor
 * in bounded pages, merged into one chronological sequence; across markets, a k-way merge of those
 * sequences. A session holds at most one page per market and kind (a reader reading ahead holds a
 * few more on its own thread: page-reader.ts).
 *
 * Order (the tie rule): by `ts`; at equal `ts` book snapshots come first, then trades; then by
 * market id, then trade id. A snapshot stamped t is the book as of t, so a backtest sees every
 * book before the trades printed in the same millisecond. Keys are unique, so the order is total
 * and the sequence does not depend on page sizes: within a market only rows up to the "horizon"
 * (the last row of a full page, beyond which the other kind may still have unseen rows) are
 * released; across markets nothing is released past a market whose next row is not read yet.
 *
 * Events travel as parallel arrays (ts, kind, head) rather than an object per event.
 */
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, Cursor, HistoryPage, Level, TradeKind, TradeRecord } from "../../store/ports";
import type { EventRenderer } from "./render";

/** Where a market's next read starts: after this trade (ts, id) and after this snapshot ts. */
export interface ReadCursor {
  trade: Cursor;
  snapTs: number;
  /** Snapshots the next page asks for, sized from what the previous page used (absent: the limit). */
  snapshots?: number;
  /**
   * Pages from here stop short of this time: the rows from it on are read by a page of their own,
   * started at the same time (`storePageReader`'s `readAhead`). Absent: they run to the query's end.
   */
  until?: number;
}
/** Page sizes of one read (per market). */
export interface PageLimits {
  trades: number;
  snapshots: number;
}
/** Default pages: trades are small rows, snapshots carry up to 2 × depth levels. */
export const DEFAULT_PAGE_LIMITS: PageLimits = Object.freeze({ trades: 5_000, snapshots: 200 });
/** A cursor that starts at `ts` (inclusive). */
export const cursorAt = (ts: number): ReadCursor => ({ trade: { ts: ts - 1, id: Number.MAX_SAFE_INTEGER }, snapTs: ts - 1 });

/** Rendered events in order, as parallel arrays; `kind` 0 = book snapshot, 1 = trade. */
export interface EventRun {
  ts: number[];
  kind: number[];
  heads: string[];
}
const emptyRun = (): EventRun => ({ ts: [], kind: [], heads: [] });

/** One market's read position. `pending[at…]` were read and merged but not yet released. Never mutated. */
export interface MarketRead {
  market: MarketInfo;
  cursor: ReadCursor;
  exhausted: boolean;
  pending: EventRun;
  at: number;
}
/** A session's read position over all its markets (ascending market id). */
export interface ReadState {
  markets: MarketRead[];
  /** Whose reads these are: what is read ahead for one reading is not handed to another (see `storePageReader`). */
  reading: number;
}
/** The read position of `markets` at `ts` (inclusive), as `reading`. */
export const readStateAt = (markets: readonly MarketInfo[], ts: number, reading = 0): ReadState => ({
  markets: [...markets].sort((a, b) => a.marketId - b.marketId).map((market) => ({ market, cursor: cursorAt(ts), exhausted: false, pending: emptyRun(), at: 0 })),
  reading,
});

/** One market's merged page. `exhausted`: nothing is left before `end` after it. */
export interface MarketPage {
  run: EventRun;
  cursor: ReadCursor;
  exhausted: boolean;
}
/** Sort key comparison within a market: (ts, kind: snapshot 0 < trade 1, trade id). */
const before = (aTs: number, aKind: number, aId: number, bTs: number, bKind: number, bId: number) =>
  aTs !== bTs ? aTs < bTs : aKind !== bKind ? aKind < bKind : aId <= bId;

/** The rows of one market's page that are released, and where the market's next page starts. */
export interface MergePlan {
  /** Trades released: `page.trades[0, trades)`. */
  trades: number;
  /** Snapshots released: `page.snapshots[0, snapshots)`. */
  snapshots: number;
  /** Where the market's next page starts (without its snapshot limit, see nextSnapshotLimit). */
  cursor: ReadCursor;
  /** Nothing is left before the query's end after this page. */
  exhausted: boolean;
}
/**
 * Which rows of one market's page (trades and snapshots, each sorted, column-wise as the store
 * returns them) are released: those up to the horizon, the smallest "last row" of the full pages
 * (beyond it the other kind may still have unread rows), so a prefix of each kind. Known before
 * anything is rendered, so the next page can be asked for first. Pure, exported for tests.
 */
export function planMerge(page: HistoryPage, limits: PageLimits, cursor: ReadCursor): MergePlan {
  const t = page.trades;
  const s = page.snapshots;
  const nT = t.ts.length;
  const nS = s.ts.length;
  const tradesFull = nT >= limits.trades;
  const snapsFull = nS >= limits.snapshots;
  // Horizon: the smallest "last row" of the full pages (Infinity when neither is full).
  let hTs = Number.POSITIVE_INFINITY;
  let hKind = 1;
  let hId = Number.MAX_SAFE_INTEGER;
  if (tradesFull && nT > 0) [hTs, hKind, hId] = [t.ts[nT - 1] as number, 1, t.tradeId[nT - 1] as number];
  if (snapsFull && nS > 0 && before(s.ts[nS - 1] as number, 0, 0, hTs, hKind, hId)) [hTs, hKind, hId] = [s.ts[nS - 1] as number, 0, 0];
  let trades = 0;
  while (trades < nT && before(t.ts[trades] as number, 1, t.tradeId[trades] as number, hTs, hKind, hId)) trades++;
  let snapshots = 0;
  while (snapshots < nS && before(s.ts[snapshots] as number, 0, 0, hTs, hKind, hId)) snapshots++;
  const trade = trades > 0 ? { ts: t.ts[trades - 1] as number, id: t.tradeId[trades - 1] as number } : cursor.trade;
  const snapTs = snapshots > 0 ? (s.ts[snapshots - 1] as number) : cursor.snapTs;
  return { trades, snapshots, cursor: { trade, snapTs }, exhausted: !tradesFull && !snapsFull };
}

/**
 * Renders the rows `plan` releases, trades and snapshots interleaved in the total order. Pure,
 * exported for tests.
 */
export function renderPlan(page: HistoryPage, market: MarketInfo, plan: MergePlan, render: EventRenderer): EventRun {
  const t = page.trades;
  const s = page.snapshots;
  const nT = plan.trades;
  const nS = plan.snapshots;
  // One scratch record per kind, refilled per row: the renderer reads it synchronously and keeps
  // nothing, so no object is allocated per event.
  const { venue, marketId } = market;
  const tr: TradeRecord = { venue, marketId, tradeId: 0, ts: 0, price: 0, size: 0, isMakerAsk: false, askAccountId: 0, bidAccountId: 0, kind: "trade" };
  const sr: BookSnapshotRecord = { venue, marketId, ts: 0, nonce: 0, bids: [], asks: [] };
  const run = emptyRun();
  let ti = 0;
  let si = 0;
  while (ti < nT || si < nS) {
    if (si < nS && (ti >= nT || before(s.ts[si] as number, 0, 0, t.ts[ti] as number, 1, t.tradeId[ti] as number))) {
      const ts = s.ts[si] as number;
      sr.ts = ts, sr.nonce = s.nonce[si] as number, sr.bids = s.bids[si] as Level[], sr.asks = s.asks[si] as Level[];
      run.ts.push(ts), run.kind.push(0), run.heads.push(render.snapshot(sr));
      si++;
    } else {
      const ts = t.ts[ti] as number;
      tr.tradeId = t.tradeId[ti] as number, tr.ts = ts, tr.price = t.price[ti] as number, tr.size = t.size[ti] as number;
      tr.isMakerAsk = t.isMakerAsk[ti] as boolean, tr.askAccountId = t.askAccountId[ti] as number;
      tr.bidAccountId = t.bidAccountId[ti] as number, tr.kind = t.kind[ti] as TradeKind;
      run.ts.push(ts), run.kind.push(1), run.heads.push(render.trade(tr));
      ti++;
    }
  }
  return run;
}

/** A market's next page query: [cursor, end). */
export interface MarketPageQuery {
  market: MarketInfo;
  end: number;
  cursor: ReadCursor;
  /** The reading it belongs to (`ReadState.reading`), if any. */
  reading?: number;
}
/**
 * Reads and renders one market's next merged page. In process (`storePageReader`) or on a worker
 * thread (history-worker.ts); the merge across markets stays with the session either way.
 */
export type MarketPageReader = (q: MarketPageQuery) => Promise<MarketPage>;

/** What `readNext` releases: the next events of all markets in order, and the position after them. */
export interface MergedPage {
  run: EventRun;
  state: ReadState;
  /** Nothing is left in any market. */
  exhausted: boolean;
}

/** Refills every market that has nothing pending (in parallel), then releases events in order (`mergeMarkets`). */
export async function readNext(read: MarketPageReader, q: { end: number; state: ReadState }): Promise<MergedPage> {
  const refill = async (m: MarketRead): Promise<MarketRead> => {
    let cur = m;
    // A page may release nothing (its rows ended at a split, `ReadCursor.until`): read on.
    while (!cur.exhausted && cur.at >= cur.pending.ts.length) {
      const page = await read({ market: cur.market, end: q.end, cursor: cur.cursor, reading: q.state.reading });
      cur = { market: cur.market, cursor: page.cursor, exhausted: page.exhausted, pending: page.run, at: 0 };
    }
    return cur;
  };
  return mergeMarkets({ markets: await Promise.all(q.state.markets.map(refill)), reading: q.state.reading });
}

/**
 * Releases pending events of all markets in the total order until a market that may have more rows
 * runs out of pending ones (its next row is unknown). Pure, exported for tests.
 */
export function mergeMarkets(state: ReadState): MergedPage {
  const ms = state.markets;
  // A market that may have more rows but has none read blocks the merge (readNext refills first).
  if (ms.some((m) => !m.exhausted && m.at >= m.pending.ts.length)) return { run: emptyRun(), state, exhausted: false };
  const at = ms.map((m) => m.at);
  let run: EventRun;
  if (ms.length === 1) {
    // One market: everything pending is already in order.
    const m = ms[0] as MarketRead;
    run = m.at === 0 ? m.pending : { ts: m.pending.ts.slice(m.at), kind: m.pending.kind.slice(m.at), heads: m.pending.heads.slice(m.at) };
    at[0] = m.pending.ts.length;
  } else {
    run = emptyRun();
    for (;;) {
      let best = -1;
      for (let k = 0; k < ms.length; k++) {
        const p = (ms[k] as MarketRead).pending;
        const i = at[k] as number;
        if (i >= p.ts.length) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const b = (ms[best] as MarketRead).pending;
        const j = at[best] as number;
        const [ts, kind, bts, bkind] = [p.ts[i] as number, p.kind[i] as number, b.ts[j] as number, b.kind[j] as number];
        // Markets are in ascending id, so on equal (ts, kind) the earlier market stays first.
        if (ts < bts || (ts === bts && kind < bkind)) best = k;
      }
      if (best < 0) break;
      const m = ms[best] as MarketRead;
      const i = at[best] as number;
      run.ts.push(m.pending.ts[i] as number), run.kind.push(m.pending.kind[i] as number), run.heads.push(m.pending.heads[i] as string);
      at[best] = i + 1;
      if (i + 1 >= m.pending.ts.length && !m.exhausted) break;
    }
  }
  const markets = ms.map((m, k) => (at[k] === m.at ? m : { ...m, at: at[k] as number }));
  return { run, state: { markets, reading: state.reading }, exhausted: markets.every((m) => m.exhausted && m.at >= m.pending.ts.length) };
}
