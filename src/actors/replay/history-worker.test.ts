import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { MarketInfo } from "../../market/live";
import postgres from "postgres";
import { openSqliteStore } from "../../store/sqlite";
import { openPostgresStore } from "../../store/postgres";
import type { Store, TradeRecord } from "../../store/ports";
import { tempDir } from "../../../test/support/process";
import { hasPostgres, PG_URL, uniqueName } from "../../../test/support/services";
import { cursorAt, DEFAULT_PAGE_LIMITS, readNext, readStateAt, type MarketPageReader } from "./history";
import { storePageReader } from "./page-reader";
import { createWorkerPageReader, fromWire, toWire, type HistoryLocation, type WorkerPageReader } from "./history-worker";

const T0 = 1_767_225_600_000;
const market = (marketId: number, priceDecimals: number): MarketInfo => ({
  venue: "lighter", marketId, symbol: `M${marketId}`, priceDecimals, sizeDecimals: 3, status: "active",
  minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
});
const MARKETS = [market(0, 2), market(3, 6)];
let dir: string;
let store: Store;
let worker: WorkerPageReader;

beforeAll(async () => {
  dir = tempDir("replay-worker");
  store = await openSqliteStore({ path: join(dir, "replay.db") });
  await store.migrate();
  const trades: TradeRecord[] = [];
  for (const [k, m] of MARKETS.entries()) {
    for (let i = 0; i < 3_000; i++) trades.push({ venue: "lighter", marketId: m.marketId, tradeId: k * 10_000 + i, ts: T0 + i * 3 + k, price: 1_000 + i, size: 7 + k, isMakerAsk: i % 3 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade" });
  }
  await store.marketData.insertTrades(trades);
  await store.marketData.insertBookSnapshots(MARKETS.flatMap((m) => Array.from({ length: 30 }, (_, i) => ({ venue: "lighter", marketId: m.marketId, ts: T0 + i * 300, nonce: i, bids: [[990, 5]] as const, asks: [[1_010, 4]] as const }))));
  worker = createWorkerPageReader({ location: { sqlitePath: join(dir, "replay.db") }, venue: "lighter", limits: { trades: 700, snapshots: 9 } });
});
afterAll(async () => {
  worker?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function readAll(read: MarketPageReader, markets = MARKETS) {
  const heads: string[] = [];
  for (let state = readStateAt(markets, T0); ; ) {
    const p = await readNext(read, { end: T0 + 100_000, state });
    heads.push(...p.run.heads);
    state = p.state;
    if (p.exhausted) return heads;
  }
}

describe("read worker", () => {
  test("pages read on the worker are the pages read in process, byte for byte", async () => {
    const inProcess = await readAll(storePageReader(store.marketData, "lighter", { trades: 700, snapshots: 9 }));
    expect(inProcess.length).toBe(6_000 + 60);
    expect(await readAll(worker.read)).toEqual(inProcess);
  });

  test("a page survives the trip across threads unchanged, empty pages included", async () => {
    const page = await storePageReader(store.marketData, "lighter")({ market: MARKETS[1] as MarketInfo, end: T0 + 500, cursor: cursorAt(T0) });
    expect(page.run.heads.length).toBeGreaterThan(100);
    expect(fromWire(toWire(page)[0])).toEqual(page);
    const empty = { run: { ts: [], kind: [], heads: [] }, cursor: cursorAt(T0), exhausted: true };
    expect(fromWire(toWire(empty)[0])).toEqual(empty);
  });

  test("the thread starts with the first read, not before", async () => {
    const lazy = createWorkerPageReader({ location: { sqlitePath: join(dir, "replay.db") }, venue: "lighter" });
    expect(lazy.started).toBe(false);
    const page = await lazy.read({ market: MARKETS[0] as MarketInfo, end: T0 + 30, cursor: cursorAt(T0) });
    expect(lazy.started).toBe(true);
    expect(page.run.heads.length).toBe(11);
    lazy.close();
  });

  test("a thread that dies fails its reads and is replaced by the next read", async () => {
    // A malformed open message throws inside the thread's handler: the thread's error event.
    const crashing = createWorkerPageReader({ location: null as unknown as HistoryLocation, venue: "lighter" });
    const q = { market: MARKETS[0] as MarketInfo, end: T0 + 1, cursor: cursorAt(T0) };
    await expect(crashing.read(q)).rejects.toThrow(/replay history worker failed/);
    expect(crashing.started).toBe(false);
    // Not "closed": the next read gets a thread of its own (which dies the same way here).
    await expect(crashing.read(q)).rejects.toThrow(/replay history worker failed/);
    crashing.close();
    expect(crashing.started).toBe(false);
    await expect(crashing.read(q)).rejects.toThrow("closed");
  });

  test("a failed read rejects with the store's reason; after close every read fails", async () => {
    const broken = createWorkerPageReader({ location: { sqlitePath: join(dir, "empty.db") }, venue: "lighter" });
    // A file without the schema: the read fails inside the worker and the reason comes back.
    await expect(broken.read({ market: MARKETS[0] as MarketInfo, end: T0 + 1, cursor: cursorAt(T0) })).rejects.toThrow(/replay history read failed: .*no such table/);
    broken.close();
    await expect(broken.read({ market: MARKETS[0] as MarketInfo, end: T0 + 1, cursor: cursorAt(T0) })).rejects.toThrow("closed");
  });
});

describe.skipIf(!hasPostgres)("read worker on PostgreSQL", () => {
  const schema = uniqueName("replay_worker");
  let pg: Store;
  const m = MARKETS[1] as MarketInfo;
  const rows = 2 * DEFAULT_PAGE_LIMITS.trades + 2_500;
  beforeAll(async () => {
    pg = await openPostgresStore({ url: PG_URL, schema, max: 2 });
    await pg.migrate();
    const trades: TradeRecord[] = Array.from({ length: rows }, (_, i) => ({
      venue: "lighter", marketId: m.marketId, tradeId: i + 1, ts: T0 + Math.floor(i / 4), price: 5_000 + (i % 300), size: 1 + (i % 9), isMakerAsk: i % 2 === 0, askAccountId: 3, bidAccountId: 4, kind: "trade",
    }));
    for (let i = 0; i < trades.length; i += 10_000) await pg.marketData.insertTrades(trades.slice(i, i + 10_000));
  });
  afterAll(async () => {
    await pg?.close();
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
  });

  test("pages read from PostgreSQL on the worker are the pages read in process", async () => {
    const w = createWorkerPageReader({ location: { postgresUrl: PG_URL, schema }, venue: "lighter" });
    try {
      const first = await w.read({ market: m, end: T0 + 100_000, cursor: cursorAt(T0) });
      expect(first.run.ts.length).toBe(DEFAULT_PAGE_LIMITS.trades);
      const heads = await readAll(w.read, [m]);
      expect(heads.length).toBe(rows);
      expect(heads).toEqual(await readAll(storePageReader(pg.marketData, "lighter"), [m]));
    } finally {
      w.close();
    }
  });
});
