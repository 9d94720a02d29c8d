import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { MarketInfo } from "../../market/live";
import { openSqliteStore } from "../../store/sqlite";
import postgres from "postgres";
import { openPostgresStore } from "../../store/postgres";
import type { BookSnapshotRecord, MarketDataStore, Store, TradeRecord } from "../../store/ports";
import { hasPostgres, PG_URL, uniqueName } from "../../../test/support/services";
import { ManualClock } from "../../lib/clock";
import { manualTurns } from "../../../test/support/turns";
import { cursorAt, planMerge, readNext, readStateAt, type MarketPageQuery, type PageLimits } from "./history";
import {
  EAGER_WITHIN_MS, MIN_SNAPSHOTS, nextSnapshotLimit, READ_AHEAD_MAX_AGE_MS, READ_AHEAD_PAGES, ReadAheadCache, splitAfter, storePageReader,
} from "./page-reader";
import { recordsHistory } from "./history-records";
import { createRenderer } from "./render";

const T0 = 1_767_225_600_000;
const market = (marketId: number): MarketInfo => ({
  venue: "lighter", marketId, symbol: `M${marketId}`, priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
});
const MARKETS = [market(0), market(1), market(5)];
const trades: TradeRecord[] = [];
const snaps: BookSnapshotRecord[] = [];
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  // Dense ties: every market trades and snapshots on a 10 ms grid, with offsets that collide.
  let id = 1;
  for (const [k, m] of MARKETS.entries()) {
    for (let i = 0; i < 400; i++) {
      const ts = T0 + Math.floor(i / 3) * 10 + (k === 2 ? 5 * (i % 2) : 0);
      trades.push({ venue: "lighter", marketId: m.marketId, tradeId: id++, ts, price: 100 + i, size: 1 + k, isMakerAsk: i % 2 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade" });
    }
    for (let i = 0; i < 40; i++) snaps.push({ venue: "lighter", marketId: m.marketId, ts: T0 + i * (k === 1 ? 30 : 20), nonce: i, bids: [[99, 1]], asks: [[101, 1]] });
  }
  await store.marketData.insertTrades(trades);
  await store.marketData.insertBookSnapshots(snaps);
});
afterAll(async () => {
  await store?.close();
});

/** Every head of [start, end) for `markets`, page by page, and how many pages it took. */
async function readAll(markets: MarketInfo[], start: number, end: number, limits: PageLimits, md: MarketDataStore = store.marketData, readAhead = false) {
  const heads: string[] = [];
  let pages = 0;
  const read = storePageReader(md, "lighter", limits, { readAhead });
  for (let state = readStateAt(markets, start); ; pages++) {
    const p = await readNext(read, { end, state });
    heads.push(...p.run.heads);
    state = p.state;
    if (p.exhausted) return { heads, pages };
    if (pages > 10_000) throw new Error("no progress");
  }
}

/** The expected sequence: all rows sorted by (ts, snapshot first, market id, trade id). */
function expected(markets: MarketInfo[], start: number, end: number): string[] {
  const ids = new Set(markets.map((m) => m.marketId));
  const render = new Map(markets.map((m) => [m.marketId, createRenderer(m)]));
  const rows = [
    ...snaps.filter((s) => ids.has(s.marketId) && s.ts >= start && s.ts < end).map((s) => ({ key: [s.ts, 0, s.marketId, 0], head: render.get(s.marketId)!.snapshot(s) })),
    ...trades.filter((t) => ids.has(t.marketId) && t.ts >= start && t.ts < end).map((t) => ({ key: [t.ts, 1, t.marketId, t.tradeId], head: render.get(t.marketId)!.trade(t) })),
  ];
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return 0;
  };
  rows.sort((a, b) => cmp(a.key, b.key));
  return rows.map((r) => r.head);
}

describe("multi-market history", () => {
  test("the merged sequence is the total order of all rows, whatever the page sizes", async () => {
    const want = expected(MARKETS, T0, T0 + 10_000);
    expect(want.length).toBe(trades.length + snaps.length);
    for (const limits of [{ trades: 1, snapshots: 1 }, { trades: 7, snapshots: 2 }, { trades: 64, snapshots: 5 }, { trades: 5_000, snapshots: 200 }]) {
      for (const readAhead of [false, true]) expect({ limits, readAhead, heads: (await readAll(MARKETS, T0, T0 + 10_000, limits, store.marketData, readAhead)).heads }).toEqual({ limits, readAhead, heads: want });
    }
  });

  test("a sub-range and a subset of markets hold exactly their rows; one market reads in few pages", async () => {
    const two = [MARKETS[2] as MarketInfo, MARKETS[0] as MarketInfo];
    expect((await readAll(two, T0 + 155, T0 + 905, { trades: 16, snapshots: 3 })).heads).toEqual(expected(two, T0 + 155, T0 + 905));
    const one = await readAll([MARKETS[1] as MarketInfo], T0, T0 + 10_000, { trades: 100, snapshots: 100 });
    expect(one.heads).toEqual(expected([MARKETS[1] as MarketInfo], T0, T0 + 10_000));
    expect(one.pages).toBeLessThanOrEqual(5);
  });

  test("pages from the column-wise store read equal pages from the object reads, cursor for cursor", async () => {
    const limits = { trades: 9, snapshots: 2 };
    const columns = storePageReader(store.marketData, "lighter", limits);
    const objects = storePageReader(recordsHistory(store.marketData), "lighter", limits);
    let state = readStateAt(MARKETS, T0 + 3);
    for (let i = 0; ; i++) {
      const [a, b] = await Promise.all([readNext(columns, { end: T0 + 1_200, state }), readNext(objects, { end: T0 + 1_200, state })]);
      expect(a).toEqual(b);
      if (a.exhausted) break;
      if (i > 10_000) throw new Error("no progress");
      state = a.state;
    }
  });

  test("memory stays bounded: no market holds more than one page pending", async () => {
    const limits = { trades: 10, snapshots: 4 };
    let state = readStateAt(MARKETS, T0);
    for (let i = 0; i < 200; i++) {
      const p = await readNext(storePageReader(store.marketData, "lighter", limits), { end: T0 + 10_000, state });
      for (const m of p.state.markets) expect(m.pending.ts.length).toBeLessThanOrEqual(limits.trades + limits.snapshots);
      state = p.state;
      if (p.exhausted) return;
    }
    throw new Error("did not finish");
  });
});

describe.skipIf(!hasPostgres)("multi-market history on PostgreSQL", () => {
  // The same rows in a schema of its own: PostgreSQL's page read (one statement, JSON-encoded
  // columns) must give the same merged sequence as SQLite's, at every page size.
  const schema = uniqueName("replay_history");
  let pg: Store;
  beforeAll(async () => {
    pg = await openPostgresStore({ url: PG_URL, schema, max: 4 });
    await pg.migrate();
    await pg.marketData.insertTrades(trades);
    await pg.marketData.insertBookSnapshots(snaps);
  });
  afterAll(async () => {
    await pg?.close();
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
  });

  test("the merged sequence is the total order of all rows, whatever the page sizes", async () => {
    const want = expected(MARKETS, T0, T0 + 10_000);
    for (const limits of [{ trades: 1, snapshots: 1 }, { trades: 7, snapshots: 2 }, { trades: 5_000, snapshots: 200 }]) {
      for (const readAhead of [false, true]) expect({ limits, readAhead, heads: (await readAll(MARKETS, T0, T0 + 10_000, limits, pg.marketData, readAhead)).heads }).toEqual({ limits, readAhead, heads: want });
    }
  });
});

describe("reading ahead", () => {
  const limits = { trades: 50, snapshots: 8 };
  /**
   * The store, recording each page query (market, trade cursor, end) and failing the ones `fail`
   * picks; `started(n)` resolves once the n-th read has started.
   */
  const recording = (fail: (q: Parameters<MarketDataStore["readHistoryPage"]>[0]) => boolean = () => false) => {
    const asked: string[] = [];
    const waiting = new Map<number, () => void>();
    const md = {
      readHistoryPage: async (q: Parameters<MarketDataStore["readHistoryPage"]>[0]) => {
        asked.push(`${q.marketId}@${q.after.ts}/${q.after.id}<${q.end}`);
        waiting.get(asked.length)?.();
        if (fail(q)) throw new Error(`read ${asked.length} failed`);
        return store.marketData.readHistoryPage(q);
      },
    };
    const started = (n: number) => (asked.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(n, resolve)));
    return { md, asked, started, times: (q: MarketPageQuery) => asked.filter((x) => x === at(q)).length };
  };
  const query = (m: MarketInfo, cursor = cursorAt(T0)): MarketPageQuery => ({ market: m, end: T0 + 10_000, cursor });
  /** The store query a page query makes: its end stops at the cursor's split. */
  const at = (q: MarketPageQuery) => `${q.market.marketId}@${q.cursor.trade.ts}/${q.cursor.trade.id}<${Math.min(q.end, q.cursor.until ?? q.end)}`;
  const plain = (q: MarketPageQuery) => storePageReader(store.marketData, "lighter", limits)(q);
  const m = MARKETS[0] as MarketInfo;
  /** A reader reading ahead on a manual clock, with its end-of-turn work held until `turn()`. */
  const ahead = (md: Pick<MarketDataStore, "readHistoryPage">, clock = new ManualClock(0)) => {
    const held = manualTurns();
    return { read: storePageReader(md, "lighter", limits, { readAhead: true, clock, defer: held.schedule }), turn: held.turn, clock };
  };

  test("a reading that asks again at once reads ahead: after a full page, the rows up to a split and the rows from it, before it asks", async () => {
    const { md, asked, times } = recording();
    const { read } = ahead(md);
    const first = await read(query(m));
    expect(first.cursor.until).toBeUndefined(); // nothing to go by yet
    const second = query(m, first.cursor);
    const page = await read(second);
    const until = page.cursor.until as number;
    expect(until).toBeGreaterThan(page.run.ts.at(-1) as number);
    expect(asked).toEqual([at(query(m)), at(second), at(query(m, cursorAt(until))), at(query(m, page.cursor))]);
    // Served from what was read ahead, not read again: the events a reader without reading ahead gives.
    const third = query(m, page.cursor);
    expect((await read(third)).run).toEqual((await plain(third)).run);
    expect(times(third)).toBe(1);
  });

  test("a turn after a page is served, the next one is rendered before the session asks for it", async () => {
    const { md, asked, started } = recording();
    const { read, turn } = ahead(md);
    const first = await read(query(m));
    const page = await read(query(m, first.cursor));
    const until = page.cursor.until as number;
    expect(asked).toHaveLength(4); // two pages, then the rows from the split and up to it
    turn();
    // The third page ends at the split: the fourth is the page from it, whose rows are read already.
    const third = await read(query(m, page.cursor));
    expect(third.cursor.trade).toEqual(cursorAt(until).trade);
    expect(asked).toHaveLength(4);
    turn();
    // Rendering the fourth page, which nobody has asked for, splits again: two more reads.
    await started(6);
  });

  test("a page the session asked for before the turn is not rendered again", async () => {
    const { md, times } = recording();
    const { read, turn } = ahead(md);
    const first = await read(query(m));
    const page = await read(query(m, first.cursor));
    const third = query(m, page.cursor);
    await read(third);
    turn();
    expect(times(third)).toBe(1);
  });

  test("a reading that asks seconds apart (a slow replay) reads a page at a time", async () => {
    const { md, asked } = recording();
    const { read, clock } = ahead(md);
    let cursor = cursorAt(T0);
    for (let i = 0; i < 3; i++) {
      const p = await read(query(m, cursor));
      expect(p.cursor.until).toBeUndefined();
      cursor = p.cursor;
      clock.advance(EAGER_WITHIN_MS + 1);
    }
    expect(asked).toHaveLength(3);
  });

  test("a query at another place (a seek) reads the store and gets its own rows", async () => {
    const { md, times } = recording();
    const { read } = ahead(md);
    const first = await read(query(m));
    await read(query(m, first.cursor));
    const elsewhere = query(m, cursorAt(T0 + 600));
    // The same events; the cursor may differ, by the split this reader made.
    expect((await read(elsewhere)).run).toEqual((await plain(elsewhere)).run);
    expect(times(elsewhere)).toBe(1);
  });

  test("what one reading read ahead is not handed to another at the same place", async () => {
    const { md, times } = recording();
    const { read } = ahead(md);
    const first = await read({ ...query(m), reading: 1 });
    const page = await read({ ...query(m, first.cursor), reading: 1 });
    const third = query(m, page.cursor);
    await read({ ...third, reading: 2 });
    expect(times(third)).toBe(2);
    await read({ ...third, reading: 1 });
    expect(times(third)).toBe(2);
  });

  test("a read ahead that failed is read again by whoever asks for it", async () => {
    // The first read that stops at a split is the one read ahead up to it.
    let failed = false;
    const { md, times } = recording((q) => !failed && q.end < T0 + 10_000 && (failed = true));
    const { read } = ahead(md);
    const first = await read(query(m));
    const page = await read(query(m, first.cursor));
    const third = query(m, page.cursor);
    expect((await read(third)).run).toEqual((await plain(third)).run);
    expect(failed).toBe(true);
    expect(times(third)).toBe(2);
  });

  test("a split falls past every row the page released, snapshots included", () => {
    const cols = (ts: number[]) => ({ ts, tradeId: ts.map((_, i) => i + 1), price: ts, size: ts, isMakerAsk: ts.map(() => true), askAccountId: ts, bidAccountId: ts, kind: ts.map(() => "trade" as const) });
    const snaps = (ts: number[]) => ({ ts, nonce: ts, bids: ts.map(() => []), asks: ts.map(() => []) });
    const page = { trades: cols([100, 110, 120, 130]), snapshots: snaps([105, 125]) };
    // Both pages full: the horizon is the last snapshot (125), so trades 100–120 and both snapshots go out.
    const plan = planMerge(page, { trades: 4, snapshots: 2 }, cursorAt(0));
    expect([plan.trades, plan.snapshots]).toEqual([3, 2]);
    expect(splitAfter(page, plan)).toBe(125 + 25);
    expect(splitAfter({ trades: cols([7]), snapshots: snaps([]) }, planMerge({ trades: cols([7]), snapshots: snaps([]) }, { trades: 1, snapshots: 8 }, cursorAt(0)))).toBe(8);
    expect(splitAfter({ trades: cols([]), snapshots: snaps([]) }, planMerge({ trades: cols([]), snapshots: snaps([]) }, limits, cursorAt(0)))).toBeUndefined();
  });
});

describe("what was started ahead", () => {
  const q = (ts: number): MarketPageQuery => ({ market: MARKETS[0] as MarketInfo, end: T0 + 10_000, cursor: cursorAt(ts) });

  test("is handed over once, to the same query (the snapshot limit aside), while fresh", async () => {
    const clock = new ManualClock(0);
    const cache = new ReadAheadCache<string>(clock);
    expect(cache.start(q(1), async () => "one")).toBe(true);
    expect(cache.has(q(1))).toBe(true);
    expect(cache.take(q(2))).toBeUndefined();
    expect(cache.take({ ...q(1), reading: 7 })).toBeUndefined();
    expect(await cache.take({ ...q(1), cursor: { ...q(1).cursor, snapshots: 16 } })).toBe("one");
    expect(cache.take(q(1))).toBeUndefined();
    cache.start(q(3), async () => "three");
    clock.advance(READ_AHEAD_MAX_AGE_MS + 1);
    expect(cache.has(q(3))).toBe(false);
    // Stale: started again rather than kept.
    cache.start(q(3), async () => "three again");
    expect(await cache.take(q(3))).toBe("three again");
    cache.start(q(4), async () => "four");
    clock.advance(READ_AHEAD_MAX_AGE_MS + 1);
    expect(cache.take(q(4))).toBeUndefined();
  });

  test("when full starts nothing more until entries are taken or go stale; a sweep drops stale ones", async () => {
    const clock = new ManualClock(0);
    const cache = new ReadAheadCache<number>(clock);
    for (let i = 0; i < READ_AHEAD_PAGES; i++) expect(cache.start(q(i), async () => i)).toBe(true);
    let ran = false;
    expect(cache.start(q(-1), async () => ((ran = true), -1))).toBe(false);
    expect(ran).toBe(false);
    expect(await cache.take(q(0))).toBe(0); // the oldest is still there
    expect(cache.start(q(-1), async () => -1)).toBe(true);
    // Nothing taken, nothing started: the sweep drops them once stale.
    clock.advance(READ_AHEAD_MAX_AGE_MS + 1);
    expect(cache.size).toBe(0);
  });

  test("a failure waits for whoever asks", async () => {
    const cache = new ReadAheadCache<number>(new ManualClock(0));
    cache.start(q(-5), () => Promise.reject(new Error("store down")));
    await expect(cache.take(q(-5)) as Promise<number>).rejects.toThrow("store down");
  });
});

describe("snapshots per page follow what pages use", () => {
  test("twice what the page used (at least the minimum), twice what it asked when it ran short, never past the limit", () => {
    expect(nextSnapshotLimit(2, 200, 200, 200)).toBe(MIN_SNAPSHOTS); // used 2 of 200 read
    expect(nextSnapshotLimit(8, 12, 40, 200)).toBe(16); // used 8 of 12: the store had no more
    expect(nextSnapshotLimit(16, 16, 16, 200)).toBe(32); // all 16 used and the page was full: grow
    expect(nextSnapshotLimit(150, 150, 150, 200)).toBe(200);
  });

  test("a sparse range reads about as many snapshots as it sends, in the same order", async () => {
    const s = await openSqliteStore({ path: ":memory:" });
    try {
      await s.migrate();
      const m = market(7);
      const rows: TradeRecord[] = Array.from({ length: 6_000 }, (_, i) => ({
        venue: "lighter", marketId: 7, tradeId: i + 1, ts: T0 + i, price: 100, size: 1, isMakerAsk: i % 2 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade",
      }));
      const books: BookSnapshotRecord[] = Array.from({ length: 30 }, (_, i) => ({ venue: "lighter", marketId: 7, ts: T0 + i * 200 + 50, nonce: i, bids: [[99, 1]], asks: [[101, 1]] }));
      await s.marketData.insertTrades(rows);
      await s.marketData.insertBookSnapshots(books);
      let read = 0;
      const counting = {
        readHistoryPage: async (q: Parameters<MarketDataStore["readHistoryPage"]>[0]) => {
          const page = await s.marketData.readHistoryPage(q);
          read += page.snapshots.ts.length;
          return page;
        },
      };
      const heads: string[] = [];
      let pages = 0;
      for (let state = readStateAt([m], T0); ; pages++) {
        const p = await readNext(storePageReader(counting, "lighter", { trades: 200, snapshots: 1_000 }), { end: T0 + 10_000, state });
        heads.push(...p.run.heads);
        state = p.state;
        if (p.exhausted) break;
      }
      const render = createRenderer(m);
      const want = [...books.map((b) => ({ ts: b.ts, k: 0, head: render.snapshot(b) })), ...rows.map((t) => ({ ts: t.ts, k: 1, head: render.trade(t) }))]
        .sort((a, b) => a.ts - b.ts || a.k - b.k)
        .map((r) => r.head);
      expect(heads).toEqual(want);
      // 30 pages of 200 trades. A fixed 1,000 per page re-read every later snapshot on every page
      // (30 + 29 + … + 1 = 465 rows); now the first page reads all 30 and each later one about the minimum.
      expect(pages).toBeGreaterThanOrEqual(30);
      expect(read).toBeLessThanOrEqual(books.length + pages * MIN_SNAPSHOTS);
    } finally {
      await s.close();
    }
  });
});
