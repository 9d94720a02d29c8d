import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../lib/clock.ts";
import type { MarketDataStore, MarketMetricRecord, Store, TradeRecord } from "../store/ports.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { createRecorder } from "./recorder.ts";
import type { Recorder, RecorderOptions } from "./types.ts";

const T0 = 1_700_000_000_000;
const trades = (from: number, n: number): TradeRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    venue: "lighter", marketId: 1, tradeId: from + i, ts: T0 + from + i, price: 100, size: 1,
    isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const,
  }));

type Mode = "up" | "down" | "hung";
/** The real store behind a switch: "down" rejects every call, "hung" never answers; `onCall` sees each call. */
function switchable(inner: MarketDataStore): { store: MarketDataStore; mode: Mode; onCall: () => void } {
  const ctl = { store: inner, mode: "up" as Mode, onCall: () => {} };
  ctl.store = new Proxy(inner, {
    get(target, prop) {
      const member: unknown = Reflect.get(target, prop);
      if (typeof member !== "function") return member;
      return (...args: unknown[]): unknown => {
        ctl.onCall();
        if (ctl.mode === "down") return Promise.reject(new Error("down"));
        return ctl.mode === "hung" ? new Promise(() => {}) : member.apply(target, args);
      };
    },
  });
  return ctl;
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), "hl-recorder-unit-"));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const sqlite: Store = await openSqliteStore({ path: ":memory:" });
  await sqlite.migrate();
  cleanup.push(() => sqlite.close());
  const sw = switchable(sqlite.marketData);
  const clock = new ManualClock(T0);
  const open = (o: Partial<RecorderOptions> = {}): Recorder => {
    const rec = createRecorder({ store: sw.store, dataDir, clock, batchRows: 100, ...o });
    cleanup.push(() => rec.close());
    return rec;
  };
  const stored = async () => (await sqlite.marketData.queryTrades({ venue: "lighter", marketId: 1, start: 0, end: T0 * 2, limit: 1, offset: 0 })).total;
  return { dataDir, sw, clock, open, stored, sqlite };
}

const turn = () => new Promise<void>((r) => setImmediate(r));
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await turn();
  }
}

describe("createRecorder", () => {
  test("close() with the store down journals everything, and the next recorder stores it", async () => {
    const { sw, open, stored } = await setup();
    sw.mode = "down";
    const first = open();
    first.recordTrades(trades(1, 250));
    await first.close();
    expect(first.stats()).toMatchObject({ bufferedRows: 0, rowsJournaled: 250 });
    expect(() => first.recordTrades(trades(251, 1))).toThrow("closed");

    sw.mode = "up";
    const second = open();
    await second.whenIdle();
    expect(await stored()).toBe(250);
  });

  test("close() gives a store that never answers closeTimeoutMs, then journals the rest", async () => {
    const { sw, clock, open } = await setup();
    sw.mode = "hung";
    const rec = open({ closeTimeoutMs: 1000 });
    rec.recordTrades(trades(1, 250));
    let closed = false;
    const closing = rec.close().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await turn();
    expect(closed).toBe(false);

    clock.advance(1000);
    await closing;
    expect(rec.stats()).toMatchObject({ bufferedRows: 0, rowsJournaled: 250 });
  });

  test("state follows the store: ok, degraded, spilling, draining, ok", async () => {
    const { sw, clock, open, stored } = await setup();
    const rec = open({ maxBufferedRows: 300, retryMinMs: 100 });
    expect(rec.stats().state).toBe("ok");

    sw.mode = "down";
    rec.recordTrades(trades(1, 100));
    await until("the first failed write", () => rec.stats().writeErrors > 0);
    expect(rec.stats()).toMatchObject({ state: "degraded", bufferedRows: 100, writeErrors: 1 });

    rec.recordTrades(trades(101, 300));
    await rec.flush();
    expect(rec.stats()).toMatchObject({ state: "spilling", bufferedRows: 0 });

    const seen: string[] = []; // the state as each store call starts
    sw.onCall = () => seen.push(rec.stats().state);
    sw.mode = "up";
    clock.advance(100);
    await rec.whenIdle();
    expect(seen).toEqual(["spilling", ...Array<string>(seen.length - 1).fill("draining")]);
    expect(rec.stats()).toMatchObject({ state: "ok", journalSegments: 0, lastError: { message: "store write: down" } });
    expect(await stored()).toBe(400);
  });

  test("a journal that cannot be written keeps rows in memory and is retried", async () => {
    const { dataDir, sw, clock, open, stored } = await setup();
    sw.mode = "down";
    const rec = open({ maxBufferedRows: 150, retryMinMs: 100 });
    const journalDir = join(dataDir, "journal");
    rmSync(journalDir, { recursive: true });
    writeFileSync(journalDir, "not a directory"); // every segment create now fails (ENOTDIR)

    rec.recordTrades(trades(1, 300));
    await until("the failed append", () => rec.stats().journalErrors > 0);
    expect(rec.stats()).toMatchObject({ bufferedRows: 300, journalErrors: 1, rowsJournaled: 0 });

    rmSync(journalDir);
    mkdirSync(journalDir);
    clock.advance(100);
    await rec.flush();
    expect(rec.stats()).toMatchObject({ bufferedRows: 0, rowsJournaled: 300 });
    expect(readdirSync(journalDir).length).toBeGreaterThan(0);

    sw.mode = "up";
    clock.advance(10_000);
    await rec.whenIdle();
    expect(await stored()).toBe(300);
  });

  test("market metrics take the buffered and journaled path: journaled while the store is down, stored once after", async () => {
    const { sw, open, sqlite } = await setup();
    const minute = 60_000;
    const metrics: MarketMetricRecord[] = Array.from({ length: 150 }, (_, i) => ({
      venue: "lighter", marketId: i % 3, ts: T0 - (T0 % minute) + Math.floor(i / 3) * minute, openInterestUsd: `${1000 + i}.5`,
      markPrice: 300_000 + i, indexPrice: 299_900 + i, fundingRate: i % 2 ? "0.0012" : null,
    }));
    sw.mode = "down";
    const first = open();
    first.recordMarketMetrics(metrics.slice(0, 100));
    first.recordTrades(trades(1, 10));
    first.recordMarketMetrics(metrics.slice(100));
    expect(first.stats().buffered.metrics).toBe(150);
    await first.close();
    expect(first.stats()).toMatchObject({ bufferedRows: 0, rowsJournaled: 160 });

    sw.mode = "up";
    const second = open();
    // A sample recorded again after the restart (a replayed minute) keeps the journaled version.
    second.recordMarketMetrics([{ ...metrics[0]!, openInterestUsd: "1" }]);
    await second.whenIdle();
    const got = await sqlite.marketData.queryMarketMetrics({ venue: "lighter", start: 0, end: T0 * 2, limit: 1000 });
    expect(got).toEqual(metrics);
  });
});
