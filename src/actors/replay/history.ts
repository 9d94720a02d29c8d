/**
 * Reading a replay's history from the store: per market, trades and book snapshots each by cursor
 * in bounded pages, merged into one chronological sequence; across markets, a k-way merge of those
 * sequences. Never more than one page per market and kind in memory.
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
import type { BookSnapshotRecord, Cursor, HistoryPage, Level, MarketDataStore, TradeKind, TradeRecord } from "../../store/ports";
import { createRenderer, type EventRenderer } from "./render";

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
}
/** The read position of `markets` at `ts` (inclusive). */
export const readStateAt = (markets: readonly MarketInfo[], ts: number): ReadState => ({
  markets: [...markets].sort((a, b) => a.marketId - b.marketId).map((market) => ({ market, cursor: cursorAt(ts), exhausted: false, pending: emptyRun(), at: 0 })),
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
}
/**
 * Reads and renders one market's next merged page. In process (`storePageReader`) or on a worker
 * thread (history-worker.ts); the merge across markets stays with the session either way.
 */
export type MarketPageReader = (q: MarketPageQuery) => Promise<MarketPage>;

/** How many pages, and how many pages' rows, a reader keeps read ahead across all its sessions (oldest dropped first). */
export const READ_AHEAD_PAGES = 64;
/** A page read ahead but not asked for within this long is read again when it is (ms). */
export const READ_AHEAD_MAX_AGE_MS = 5_000;

/**
 * The reader over a store's column-wise page read (renderers are kept per market and precision).
 * `store` needs only `readHistoryPage`.
 *
 * `readAhead`, for a reader on its own thread over a database server: a market's pages follow one
 * another (each starts where the last one ended), so read one at a time each costs a whole round
 * trip, and the store's time is not the bottleneck but its latency. Three things overlap them:
 * - Split reads. When a full page comes, the time it spanned says where the page after next will
 *   likely begin; from that time (`until`) a page is read at once, beside the pages up to it,
 *   which now stop there. So two reads of each market are in flight, and when the session reaches
 *   `until` its page is there. No row is skipped or read twice: the pages before `until` hold
 *   `ts < until`, the page from it `ts >= until`, each by its own cursor.
 * - Rows ahead: once a page's rows arrive, the next page's are asked for before this one is
 *   rendered (which rows a page releases, and so where the next starts, is known before
 *   rendering: `planMerge`).
 * - Pages ahead: once a page has been served, the next one is rendered, a turn later.
 * Whatever was started ahead is kept under its query (market, end, cursor) and used only by that
 * query, at most READ_AHEAD_PAGES of each and for READ_AHEAD_MAX_AGE_MS: a session that stopped or
 * sought elsewhere leaves nothing behind for long, and one that paused reads fresh rows on resume.
 * A read ahead that failed is read again by whoever asks. In process there is no reading ahead: it
 * would render pages nobody asked for yet on the thread every socket shares.
 */
export function storePageReader(
  store: Pick<MarketDataStore, "readHistoryPage">,
  venue: string,
  limits: PageLimits = DEFAULT_PAGE_LIMITS,
  opts: { readAhead?: boolean; now?: () => number } = {},
): MarketPageReader {
  const renderers = new Map<string, EventRenderer>();
  const rendererOf = (m: MarketInfo) => {
    const key = `${m.marketId}:${m.priceDecimals}:${m.sizeDecimals}`;
    let r = renderers.get(key);
    if (!r) renderers.set(key, (r = createRenderer(m)));
    return r;
  };
  const readAhead = opts.readAhead === true;
  const now = opts.now ?? (() => performance.now());
  const rowsAhead = new ReadAheadCache<Rows>(now);
  const pagesAhead = new ReadAheadCache<MarketPage>(now);
  const readRows = (q: MarketPageQuery, snapshots: number): Promise<Rows> =>
    store.readHistoryPage({
      venue, marketId: q.market.marketId, end: Math.min(q.end, q.cursor.until ?? q.end), after: q.cursor.trade,
      tradeLimit: limits.trades, afterSnapshotTs: q.cursor.snapTs, snapshotLimit: snapshots,
    }).then((page) => ({ page, snapshots }));
  const startRows = (q: MarketPageQuery) => {
    if (!pagesAhead.has(q)) rowsAhead.start(q, () => readRows(q, Math.min(limits.snapshots, q.cursor.snapshots ?? limits.snapshots)));
  };
  const readPage = async (q: MarketPageQuery): Promise<MarketPage> => {
    const snapshotLimit = Math.min(limits.snapshots, q.cursor.snapshots ?? limits.snapshots);
    const { page, snapshots } = await (rowsAhead.take(q)?.catch(() => readRows(q, snapshotLimit)) ?? readRows(q, snapshotLimit));
    const plan = planMerge(page, { trades: limits.trades, snapshots }, q.cursor);
    const nextSnapshots = nextSnapshotLimit(plan.snapshots, page.snapshots.ts.length, snapshots, limits.snapshots);
    const until = q.cursor.until;
    let cursor: ReadCursor;
    let exhausted = plan.exhausted;
    if (plan.exhausted && until !== undefined && until < q.end) {
      // Every row before `until` is out: the rest starts with the page read from there.
      cursor = { ...cursorAt(until), snapshots: nextSnapshots };
      exhausted = false;
    } else {
      cursor = { ...plan.cursor, snapshots: nextSnapshots, until };
      if (readAhead && !exhausted) {
        const split = until === undefined ? splitAfter(page, plan) : undefined;
        if (split !== undefined && split < q.end) {
          cursor.until = split;
          startRows({ market: q.market, end: q.end, cursor: { ...cursorAt(split), snapshots: nextSnapshots } });
        }
        startRows({ market: q.market, end: q.end, cursor });
      }
    }
    return { run: renderPlan(page, q.market, plan, rendererOf(q.market)), cursor, exhausted };
  };
  if (!readAhead) return readPage;
  return (q) => {
    const page = pagesAhead.take(q)?.catch(() => readPage(q)) ?? readPage(q);
    // A turn later, so this page's reply goes out first.
    page.then((p) => p.exhausted || void setImmediate(() => pagesAhead.start({ market: q.market, end: q.end, cursor: p.cursor }, () => readPage({ market: q.market, end: q.end, cursor: p.cursor }))), () => {});
    return page;
  };
}

/** A page's rows and the snapshot limit they were read with. */
interface Rows {
  page: HistoryPage;
  snapshots: number;
}

/**
 * Where to split a market's reads after a full page: past every row the page released (the split
 * must not fall on one, or the page from it would hold it again), by as long as those rows
 * spanned (at least 1 ms), so the pages before the split hold about one page's worth. None when
 * the page released nothing.
 */
export function splitAfter(page: HistoryPage, plan: MergePlan): number | undefined {
  const t = page.trades.ts;
  const s = page.snapshots.ts;
  if (plan.trades === 0 && plan.snapshots === 0) return undefined;
  const first = Math.min(plan.trades > 0 ? (t[0] as number) : Infinity, plan.snapshots > 0 ? (s[0] as number) : Infinity);
  const last = Math.max(plan.trades > 0 ? (t[plan.trades - 1] as number) : -Infinity, plan.snapshots > 0 ? (s[plan.snapshots - 1] as number) : -Infinity);
  return last + Math.max(1, last - first);
}

/**
 * Reads started ahead of their query, kept under the query (the snapshot limit aside: any limit
 * gives a valid page), handed over once, for at most READ_AHEAD_MAX_AGE_MS; the oldest dropped past
 * READ_AHEAD_PAGES. Exported for tests.
 */
export class ReadAheadCache<T> {
  private readonly started = new Map<string, { at: number; value: Promise<T> }>();
  constructor(private readonly now: () => number) {}
  private static keyOf(q: MarketPageQuery): string {
    const { market: m, cursor: c } = q;
    return `${m.marketId}:${m.priceDecimals}:${m.sizeDecimals}:${q.end}:${c.trade.ts}:${c.trade.id}:${c.snapTs}:${c.until}`;
  }
  /** Something was started for `q` and is still fresh. */
  has(q: MarketPageQuery): boolean {
    const entry = this.started.get(ReadAheadCache.keyOf(q));
    return entry !== undefined && this.now() - entry.at <= READ_AHEAD_MAX_AGE_MS;
  }
  /** What was started for `q`, if it is still fresh. */
  take(q: MarketPageQuery): Promise<T> | undefined {
    const key = ReadAheadCache.keyOf(q);
    const entry = this.started.get(key);
    if (!entry) return undefined;
    this.started.delete(key);
    return this.now() - entry.at <= READ_AHEAD_MAX_AGE_MS ? entry.value : undefined;
  }
  start(q: MarketPageQuery, work: () => Promise<T>): void {
    const key = ReadAheadCache.keyOf(q);
    if (this.started.has(key)) return;
    const value = work();
    // Nobody may ever ask for it: a failure is left to whoever does (who reads again), not unhandled.
    value.catch(() => {});
    this.started.set(key, { at: this.now(), value });
    if (this.started.size > READ_AHEAD_PAGES) this.started.delete(this.started.keys().next().value as string);
  }
}

/** The fewest snapshots a page asks for. */
export const MIN_SNAPSHOTS = 8;

/**
 * How many snapshots the next page asks for, from the `used` snapshots this page released of the
 * `read` it got for the `asked` it asked. A page ends at its last trade (or snapshot), and the
 * snapshots read past that point are read again by the next page: with a snapshot every thousand
 * trades, a fixed 200 per page meant reading ~40 times as many as were sent, and turning their
 * levels into text was a third of PostgreSQL's time per page. So the next page asks for twice what
 * this one used (at least MIN_SNAPSHOTS), and twice as many as this one asked for when this one
 * ran short, up to the limit. Asking for too few only ends a page early; nothing is skipped.
 */
export function nextSnapshotLimit(used: number, read: number, asked: number, limit: number): number {
  const wanted = read >= asked && used === read ? asked * 2 : used * 2;
  return Math.min(limit, Math.max(MIN_SNAPSHOTS, wanted));
}

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
      const page = await read({ market: cur.market, end: q.end, cursor: cur.cursor });
      cur = { market: cur.market, cursor: page.cursor, exhausted: page.exhausted, pending: page.run, at: 0 };
    }
    return cur;
  };
  return mergeMarkets({ markets: await Promise.all(q.state.markets.map(refill)) });
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
  return { run, state: { markets }, exhausted: markets.every((m) => m.exhausted && m.at >= m.pending.ts.length) };
}
