/**
 * The page reader a replay session reads through (`MarketPageReader`): one market's next page from
 * the store's column-wise read, merged and rendered (history.ts), in process or on the read
 * worker, and reading ahead on a database server.
 */
import { type Clock, systemClock } from "../../lib/clock";
import { atTurnEnd } from "../../lib/turn-end";
import type { MarketInfo } from "../../market/live";
import type { HistoryPage, MarketDataStore } from "../../store/ports";
import {
  cursorAt, DEFAULT_PAGE_LIMITS, planMerge, renderPlan, type MarketPage, type MarketPageQuery, type MarketPageReader, type MergePlan, type PageLimits,
  type ReadCursor,
} from "./history";
import { createRenderer, type EventRenderer } from "./render";

/**
 * How many pages, and how many pages' rows, a reader keeps read ahead across all its sessions. A
 * full cache starts nothing more (the sessions past it read a page at a time) rather than drop
 * what is about to be used.
 */
export const READ_AHEAD_PAGES = 16;
/** A page read ahead but not asked for within this long is read again when it is (ms). */
export const READ_AHEAD_MAX_AGE_MS = 5_000;
/** A reading reads ahead while it asks for its next page within this long of the last one being served (ms). */
export const EAGER_WITHIN_MS = 1_000;

/**
 * The reader over a store's column-wise page read (renderers are kept per market and precision).
 * `store` needs only `readHistoryPage`.
 *
 * `readAhead`, for a reader on its own thread over a database server: a market's pages follow one
 * another (each starts where the last one ended), so read one at a time each costs a whole round
 * trip, and the server's latency, not its work, sets the pace. For a reading (`ReadState`) that
 * asks for its next page within EAGER_WITHIN_MS of being served (a replay at full speed), three
 * things overlap the trips:
 * - Split reads. When a full page comes, the time its released rows spanned, counted on from past
 *   the last of them, says where the page after next will likely begin (`splitAfter`); from that
 *   time (`until`) a page is read at once, beside the pages up to it, which now stop there. So two
 *   reads of each market are in flight, and when the session reaches `until` its page is there.
 *   No row is skipped or sent twice: the pages before `until` hold `ts < until`, the page from it
 *   `ts >= until`, each by its own cursor.
 * - Rows ahead: once a page's rows arrive, the next page's are asked for before this one is
 *   rendered (which rows a page releases, and so where the next starts, is known before
 *   rendering: `planMerge`).
 * - Pages ahead: once a page has been served, the next one is rendered, a turn later (after the
 *   reply), unless the session has asked for it meanwhile.
 * Whatever was started ahead is kept under its query (reading, market, end, cursor) and used only
 * by that query, at most READ_AHEAD_PAGES of each kind and for READ_AHEAD_MAX_AGE_MS: a session
 * that stopped or sought elsewhere leaves nothing behind for long, and one that paused reads fresh
 * rows on resume. A read ahead that failed is read again by whoever asks. A slower reading reads
 * a page at a time: what it read ahead would go stale before it asked. In process there is no
 * reading ahead at all: it would render pages nobody asked for yet on the thread every socket
 * shares.
 */
export function storePageReader(
  store: Pick<MarketDataStore, "readHistoryPage">,
  venue: string,
  limits: PageLimits = DEFAULT_PAGE_LIMITS,
  opts: { readAhead?: boolean; clock?: Clock; defer?: (fn: () => void) => void } = {},
): MarketPageReader {
  const renderers = new Map<string, EventRenderer>();
  const rendererOf = (m: MarketInfo) => {
    const key = `${m.marketId}:${m.priceDecimals}:${m.sizeDecimals}`;
    let r = renderers.get(key);
    if (!r) renderers.set(key, (r = createRenderer(m)));
    return r;
  };
  const readAhead = opts.readAhead === true;
  const clock = opts.clock ?? systemClock;
  const defer = opts.defer ?? atTurnEnd;
  const rowsAhead = new ReadAheadCache<Rows>(clock);
  const pagesAhead = new ReadAheadCache<MarketPage>(clock);
  const readRows = (q: MarketPageQuery): Promise<Rows> => {
    const snapshots = Math.min(limits.snapshots, q.cursor.snapshots ?? limits.snapshots);
    return store.readHistoryPage({
      venue, marketId: q.market.marketId, end: Math.min(q.end, q.cursor.until ?? q.end), after: q.cursor.trade,
      tradeLimit: limits.trades, afterSnapshotTs: q.cursor.snapTs, snapshotLimit: snapshots,
    }).then((page) => ({ page, snapshots }));
  };
  const startRows = (q: MarketPageQuery): boolean => !pagesAhead.has(q) && rowsAhead.start(q, () => readRows(q));
  const readPage = async (q: MarketPageQuery, eager = false): Promise<MarketPage> => {
    const { page, snapshots } = await (rowsAhead.take(q)?.catch(() => readRows(q)) ?? readRows(q));
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
      if (eager && !exhausted) {
        const split = until === undefined ? splitAfter(page, plan) : undefined;
        if (split !== undefined && split < q.end && startRows({ ...q, cursor: { ...cursorAt(split), snapshots: nextSnapshots } })) cursor.until = split;
        startRows({ ...q, cursor });
      }
    }
    return { run: renderPlan(page, q.market, plan, rendererOf(q.market)), cursor, exhausted };
  };
  if (!readAhead) return (q) => readPage(q);
  // Per reading and market: when its last page was served and the last query asked (the oldest forgotten first).
  const streams = new Map<string, { servedAt: number; asked: string }>();
  return (q) => {
    const key = ReadAheadCache.keyOf(q);
    const stream = `${q.reading}:${q.market.marketId}`;
    // Reading ahead pays for a session that asks again as soon as it is served (at full speed, or
    // filling its buffer); one that asks minutes apart would find what was read ahead stale, and
    // the store would read it twice.
    const seen = streams.get(stream);
    const eager = seen !== undefined && clock.now() - seen.servedAt <= EAGER_WITHIN_MS;
    if (seen) seen.asked = key;
    const page = pagesAhead.take(q)?.catch(() => readPage(q, eager)) ?? readPage(q, eager);
    page.then((p) => {
      streams.delete(stream);
      if (p.exhausted) return;
      const served = { servedAt: clock.now(), asked: key };
      streams.set(stream, served);
      if (streams.size > READ_AHEAD_PAGES) streams.delete(streams.keys().next().value as string);
      if (!eager) return;
      const next = { ...q, cursor: p.cursor };
      // A turn later, so this page's reply goes out first; not once the session has asked for it.
      defer(() => void (served.asked === key && pagesAhead.start(next, () => readPage(next, true))));
    }, () => {});
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
 * gives a valid page), handed over once. An entry older than READ_AHEAD_MAX_AGE_MS is stale: it is
 * not handed over, and it is dropped at the next start or take, or by a sweep that runs while
 * entries are kept. At most READ_AHEAD_PAGES at once. Exported for tests.
 */
export class ReadAheadCache<T> {
  /** Oldest first: an entry started again moves to the end. */
  private readonly started = new Map<string, { at: number; value: Promise<T> }>();
  private sweep: unknown = null;
  constructor(private readonly clock: Clock) {}
  /** The key of a query: reading, market, end and cursor, not the snapshot limit. */
  static keyOf(q: MarketPageQuery): string {
    const { market: m, cursor: c } = q;
    return `${q.reading}:${m.marketId}:${m.priceDecimals}:${m.sizeDecimals}:${q.end}:${c.trade.ts}:${c.trade.id}:${c.snapTs}:${c.until}`;
  }
  private fresh(entry: { at: number }): boolean {
    return this.clock.now() - entry.at <= READ_AHEAD_MAX_AGE_MS;
  }
  /** Drops the stale entries (the oldest come first). */
  private dropStale(): void {
    for (const [key, entry] of this.started) {
      if (this.fresh(entry)) break;
      this.started.delete(key);
    }
  }
  /** Something was started for `q` and is still fresh. */
  has(q: MarketPageQuery): boolean {
    const entry = this.started.get(ReadAheadCache.keyOf(q));
    return entry !== undefined && this.fresh(entry);
  }
  /** What was started for `q`, if it is still fresh; handed over once. */
  take(q: MarketPageQuery): Promise<T> | undefined {
    this.dropStale();
    const key = ReadAheadCache.keyOf(q);
    const entry = this.started.get(key);
    if (!entry) return undefined;
    this.started.delete(key);
    return entry.value;
  }
  /** Starts `work` for `q` unless something fresh was started for it or the cache is full; whether `q` now has something started. */
  start(q: MarketPageQuery, work: () => Promise<T>): boolean {
    if (this.has(q)) return true;
    this.dropStale();
    if (this.started.size >= READ_AHEAD_PAGES) return false;
    const value = work();
    // Nobody may ever ask for it: a failure is left to whoever does (who reads again), not unhandled.
    value.catch(() => {});
    this.started.set(ReadAheadCache.keyOf(q), { at: this.clock.now(), value });
    this.armSweep();
    return true;
  }
  /** How many entries are kept, stale ones included until dropped. */
  get size(): number {
    return this.started.size;
  }
  private armSweep(): void {
    if (this.sweep !== null) return;
    this.sweep = this.clock.setTimeout(() => {
      this.sweep = null;
      this.dropStale();
      if (this.started.size > 0) this.armSweep();
    }, READ_AHEAD_MAX_AGE_MS + 1);
    // A kept page must not keep a process (or the worker thread) alive.
    (this.sweep as { unref?: () => void }).unref?.();
  }
}

/** The fewest snapshots a page asks for. */
export const MIN_SNAPSHOTS = 8;

/**
 * How many snapshots the next page asks for, from the `used` snapshots this page released of the
 * `read` it got for the `asked` it asked. A page ends at its last trade (or snapshot), and the
 * snapshots read past that point are read again by the next page: with a snapshot every thousand
 * trades, a fixed 200 per page would read ~40 times as many as are sent, and turning their levels
 * into text is a third of PostgreSQL's time for such a page. So the next page asks for twice what
 * this one used (at least MIN_SNAPSHOTS), and twice as many as this one asked for when this one
 * ran short, up to the limit. Asking for too few only ends a page early; nothing is skipped.
 */
export function nextSnapshotLimit(used: number, read: number, asked: number, limit: number): number {
  const wanted = read >= asked && used === read ? asked * 2 : used * 2;
  return Math.min(limit, Math.max(MIN_SNAPSHOTS, wanted));
}
