import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../lib/clock.ts";
import type { MarketDataStore, TradeRecord } from "../store/ports.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { createRecorder } from "./recorder.ts";

const T0 = 1_700_000_000_000;
const trades = (from: number, n: number): TradeRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    venue: "lighter", marketId: 1, tradeId: from + i, ts: T0 + from + i, price: 100, size: 1,
    isMakerAsk: true, askAccountId: 1, bidAccountId: 2, kind: "trade" as const,
  }));

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * A real store whose `insertTrades` "holds the loop" for `msPerCall` plus `msPerRow` per row on a fake monotonic
 * clock, can be made to fail, and logs each call (its trade ids) and each loop turn in between.
 */
async function setup(msPerRow: number, msPerCall = 0) {
  const dataDir = mkdtempSync(join(tmpdir(), "hl-recorder-slicing-"));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const sqlite = await openSqliteStore({ path: ":memory:" });
  await sqlite.migrate();
  cleanup.push(() => sqlite.close());
  let now = 0;
  const ctl = { failNext: 0, calls: [] as number[][], log: [] as string[] };
  const inner = sqlite.marketData;
  const store: MarketDataStore = new Proxy(inner, {
    get(target, prop) {
      if (prop !== "insertTrades") return Reflect.get(target, prop);
      return (rows: TradeRecord[]) => {
        now += msPerCall + rows.length * msPerRow;
        ctl.calls.push(rows.map((r) => r.tradeId));
        ctl.log.push(`call:${rows.length}`);
        if (ctl.failNext > 0) {
          ctl.failNext -= 1;
          return Promise.reject(new Error("down"));
        }
        return inner.insertTrades(rows);
      };
    },
  });
  // Marks every loop turn while the test runs, so the log shows whether calls were separated by one.
  let ticking = true;
  const tick = () => {
    if (!ticking) return;
    ctl.log.push("turn");
    setImmediate(tick);
  };
  setImmediate(tick);
  cleanup.push(() => (ticking = false));
  const clock = new ManualClock(T0);
  const rec = createRecorder({ store, dataDir, clock, fsync: false, batchRows: 1000, sliceBudgetMs: 1, monotonicNow: () => now, retryMinMs: 100 });
  cleanup.push(() => rec.close());
  const stored = async () =>
    (await inner.queryTrades({ venue: "lighter", marketId: 1, start: 0, end: T0 * 2, limit: 5000, offset: 0 })).rows.map((t) => t.tradeId);
  return { ctl, rec, clock, stored };
}

const turn = () => new Promise<void>((r) => setImmediate(r));
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await turn();
  if (!cond()) throw new Error(`never happened: ${what}`);
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("recorder: store calls in slices of the event loop", () => {
  test("a batch that would hold the loop past the budget goes in several calls, in order, with loop turns between them", async () => {
    const { ctl, rec, stored } = await setup(0.01); // 10 µs a row: 100 rows fill the 1 ms budget

    rec.recordTrades(trades(1, 1000));
    await rec.flush();

    const sizes = ctl.calls.map((c) => c.length);
    expect(sizes[0]).toBe(1); // the first call of a kind probes its cost
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(100);
    expect(ctl.calls.flat()).toEqual(range(1, 1000));
    // Calls not separated by a loop turn hold the loop together: at most about the budget's rows.
    const together = ctl.log.join(" ").split("turn").map((run) => run.split(" ").reduce((n, e) => n + (e.startsWith("call:") ? Number(e.slice(5)) : 0), 0));
    expect(Math.max(...together)).toBeLessThanOrEqual(101);
    expect(await stored()).toEqual(range(1, 1000));
  });

  test("a store whose every call costs more than the budget still gets calls of several rows", async () => {
    const { ctl, rec, stored } = await setup(0, 1.5); // a fixed 1.5 ms per call, whatever its size

    rec.recordTrades(trades(1, 1000));
    await rec.flush();

    const sizes = ctl.calls.map((c) => c.length);
    expect(sizes[0]).toBe(1);
    expect(Math.min(...sizes.slice(1, -1))).toBeGreaterThanOrEqual(16);
    expect(sizes.length).toBeLessThanOrEqual(1 + Math.ceil(999 / 16));
    expect(await stored()).toEqual(range(1, 1000));
  });

  test("a store that does not block the loop gets whole batches", async () => {
    const { ctl, rec, stored } = await setup(0);

    rec.recordTrades(trades(1, 1000));
    await rec.flush();
    rec.recordTrades(trades(1001, 1000));
    await rec.flush();

    expect(ctl.calls.map((c) => c.length)).toEqual([1, 999, 1000]);
    expect(await stored()).toEqual(range(1, 2000));
  });

  test("after a failed slice only the rows not yet stored are retried, still in order", async () => {
    const { ctl, rec, clock, stored } = await setup(0.01);
    rec.recordTrades(trades(1, 1000));
    await until("two calls", () => ctl.calls.length >= 2);
    ctl.failNext = 1;
    await until("the failed call", () => rec.stats().writeErrors === 1);
    const failed = ctl.calls[ctl.calls.length - 1] ?? [];

    clock.advance(100); // the retry
    await rec.whenIdle();

    const calls = ctl.calls;
    const i = calls.indexOf(failed);
    expect(calls[i + 1]?.[0]).toBe(failed[0]); // the retry starts where the failed call did
    expect(calls.slice(0, i).flat()).toEqual(range(1, (failed[0] ?? 0) - 1)); // nothing before it again
    expect(calls.slice(i + 1).flat()).toEqual(range(failed[0] ?? 0, 1001 - (failed[0] ?? 0)));
    expect(await stored()).toEqual(range(1, 1000));
    expect(rec.stats()).toMatchObject({ bufferedRows: 0, rowsWritten: 1000 });
  });
});
