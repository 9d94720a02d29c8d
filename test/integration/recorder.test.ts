/**
 * The durable recorder against the real SQLite store. "The store is down" is the real store
 * behind a fault injector (`withOutage`) whose calls reject while its switch is on; the recorder
 * itself is never mocked. The flush loop and retries run on a ManualClock; waits are conditions
 * with deadlines, never fixed sleeps.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ManualClock } from "../../src/lib/clock.ts";
import { createLogger, memorySink, silentLogger } from "../../src/lib/log.ts";
import { createRecorder, type Recorder, type RecorderOptions } from "../../src/recorder/index.ts";
import { scanFrames } from "../../src/recorder/frame.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { CandleRecord, MarketDataStore, Store, TradeRecord } from "../../src/store/ports.ts";
import { tempDir } from "../support/process.ts";

const VENUE = "lighter";
const T0 = 1_700_000_000_000;
const FAR = Number.MAX_SAFE_INTEGER;

const trade = (id: number): TradeRecord => ({
  venue: VENUE, marketId: 1, tradeId: id, ts: T0 + id, price: 100_000 + (id % 50), size: 1 + (id % 7),
  isMakerAsk: id % 2 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade",
});
const trades = (from: number, n: number) => Array.from({ length: n }, (_, i) => trade(from + i));
/** Version `v` of the 1m bar at `bar`: every version has one more trade than the one before. */
const candle = (bar: number, v: number): CandleRecord => ({
  venue: VENUE, marketId: 1, resolution: "1m", openTime: T0 + bar * 60_000, open: 100, high: 100 + v, low: 90,
  close: 95 + v, volume: 10 * v, quoteVolume: 1_000n * BigInt(v), tradeCount: v, buyVolume: 4 * v,
});

/**
 * Fault injector around a real store: while `down` is set every method rejects, as an unreachable
 * database would. A Proxy, so methods added to the port later are gated too.
 */
function withOutage(inner: MarketDataStore): { store: MarketDataStore; down: boolean } {
  const ctl = { store: inner, down: false };
  ctl.store = new Proxy(inner, {
    get(target, prop) {
      const member: unknown = Reflect.get(target, prop);
      if (typeof member !== "function") return member;
      return (...args: unknown[]): unknown =>
        ctl.down ? Promise.reject(new Error("injected outage: store unavailable")) : member.apply(target, args);
    },
  });
  return ctl;
}

/** Lets queued I/O callbacks and microtasks run once (one event-loop turn, not a timed wait). */
const turn = () => new Promise<void>((r) => setImmediate(r));

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await turn();
  }
}

function within<T>(what: string, p: Promise<T>, timeoutMs = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Ids of the stored trades of market 1, in (ts, id) order (= id order: ts grows with the id). */
async function storedTradeIds(store: MarketDataStore): Promise<number[]> {
  const page = await store.queryTrades({ venue: VENUE, marketId: 1, start: 0, end: FAR, limit: 1_000_000, offset: 0 });
  return page.rows.map((t) => t.tradeId);
}
/** -1 when `ids` is exactly 1..ids.length, else the first position that breaks it. */
const firstGap = (ids: readonly number[]) => ids.findIndex((id, i) => id !== i + 1);

const storedCandles = async (store: MarketDataStore) =>
  store.queryCandles({ venue: VENUE, marketId: 1, resolution: "1m", start: 0, end: FAR, limit: 1000 });

const journalFiles = (dataDir: string) => readdirSync(join(dataDir, "journal")).filter((f) => f.endsWith(".jnl"));
/** Bytes in the journal's segment files right now (a file may vanish between listing and stat). */
const journalBytesOnDisk = (dataDir: string) =>
  journalFiles(dataDir).reduce((sum, f) => sum + (statSync(join(dataDir, "journal", f), { throwIfNoEntry: false })?.size ?? 0), 0);

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ dataDir: string; sqlite: Store; outage: ReturnType<typeof withOutage>; clock: ManualClock }> {
  const dataDir = tempDir("recorder");
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const sqlite = await openSqliteStore({ path: join(dataDir, "hyperlight.db") });
  await sqlite.migrate();
  cleanup.push(() => sqlite.close());
  return { dataDir, sqlite, outage: withOutage(sqlite.marketData), clock: new ManualClock(T0) };
}

function recorder(opts: RecorderOptions): Recorder {
  const rec = createRecorder(opts);
  cleanup.push(() => rec.close());
  return rec;
}

describe("recorder: normal flow", () => {
  test("100k trades recorded in bursts are all stored exactly once", async () => {
    const { dataDir, sqlite, clock } = await setup();
    const rec = recorder({ store: sqlite.marketData, dataDir, clock });
    const sizes = [1, 7, 250, 999, 1000, 3333, 12, 4096];

    let next = 1;
    for (let i = 0; next <= 100_000; i++) {
      const n = Math.min(sizes[i % sizes.length] ?? 1, 100_001 - next);
      rec.recordTrades(trades(next, n));
      next += n;
      if (i % 3 === 0) clock.advance(100);
      await turn();
    }
    await within("flush", rec.flush());

    const ids = await storedTradeIds(sqlite.marketData);
    expect({ count: ids.length, firstGap: firstGap(ids) }).toEqual({ count: 100_000, firstGap: -1 });
    const s = rec.stats();
    expect(s).toMatchObject({ state: "ok", bufferedRows: 0, rowsWritten: 100_000, writeErrors: 0, rowsJournaled: 0, journalSegments: 0 });
  });

  test("a partial batch is written by the next flush tick of the clock", async () => {
    const { dataDir, sqlite, clock } = await setup();
    const rec = recorder({ store: sqlite.marketData, dataDir, clock, flushIntervalMs: 200, batchRows: 1000 });

    rec.recordTrades(trades(1, 10));
    await turn();
    expect(rec.stats().bufferedRows).toBe(10);

    clock.advance(200);
    await until("the tick's write", () => rec.stats().rowsWritten === 10);
    expect(await storedTradeIds(sqlite.marketData)).toEqual(trades(1, 10).map((t) => t.tradeId));
  });
});

describe("recorder: store outage", () => {
  test("rows past the memory bound go to the journal and all reach the store once it is back", async () => {
    const { dataDir, sqlite, outage, clock } = await setup();
    const rec = recorder({
      store: outage.store, dataDir, clock, batchRows: 500, maxBufferedRows: 5000, segmentBytes: 512 * 1024,
      retryMinMs: 100, retryMaxMs: 2000,
    });
    outage.down = true;

    for (let b = 0; b < 50; b++) {
      rec.recordTrades(trades(b * 1000 + 1, 1000));
      rec.recordBookSnapshot({ venue: VENUE, marketId: 1, ts: T0 + b, nonce: b, bids: [[100, b + 1]], asks: [[101, b + 2]] });
      rec.recordCandles([candle(b % 5, Math.floor(b / 5) + 1)]);
      rec.recordFunding([{ venue: VENUE, marketId: 1, ts: T0 + b * 3_600_000, rate: "-0.0012", markPrice: 100, indexPrice: 99 }]);
      rec.recordLiquidations([{ venue: VENUE, marketId: 1, id: b + 1, ts: T0 + b, accountId: 9, side: "long", price: 99, size: 3, kind: "liquidation" }]);
      clock.advance(250);
      await turn();
    }
    await until("the spill to catch up with the bound", () => rec.stats().bufferedRows <= 5000);
    const during = rec.stats();
    expect(during.state).toBe("spilling");
    expect(during.journalSegments).toBeGreaterThanOrEqual(2);
    expect(during.writeErrors).toBeGreaterThan(0);
    expect(journalFiles(dataDir).length).toBe(during.journalSegments);

    outage.down = false;
    clock.advance(5_000); // past the longest backoff: the retry finds the store again
    await within("the journal and buffer to drain", rec.whenIdle());

    const ids = await storedTradeIds(sqlite.marketData);
    expect({ count: ids.length, firstGap: firstGap(ids) }).toEqual({ count: 50_000, firstGap: -1 });
    const md = sqlite.marketData;
    const all = { start: 0, end: FAR, limit: 1000, offset: 0, venue: VENUE, marketId: 1 };
    expect((await md.queryBookSnapshots(all)).total).toBe(50);
    expect((await md.queryFunding(all)).total).toBe(50);
    expect((await md.queryLiquidations(all)).total).toBe(50);
    expect((await storedCandles(md)).map((c) => [c.openTime, c.tradeCount, c.quoteVolume])).toEqual(
      [0, 1, 2, 3, 4].map((bar) => [T0 + bar * 60_000, 10, 10_000n]),
    );
    expect(journalFiles(dataDir)).toEqual([]);
    expect(rec.stats()).toMatchObject({ state: "ok", bufferedRows: 0, journalSegments: 0, journalBytes: 0 });
  });
});

describe("recorder: crash while spilling", () => {
  test("after SIGKILL mid-spill every acknowledged row is stored once and the journal is gone", async () => {
    const { dataDir, sqlite, clock } = await setup();
    const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../fixtures/recorder-kill-child.ts"), dataDir], {
      stdout: "pipe",
      stderr: "inherit",
    });
    cleanup.push(() => void child.kill("SIGKILL"));

    // Reads `acked <id> <journal bytes>` lines until the child dies.
    let acked = 0;
    let ackedBytes = 0;
    const read = (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of child.stdout) {
        rest += decoder.decode(chunk, { stream: true });
        for (let i = rest.indexOf("\n"); i >= 0; i = rest.indexOf("\n")) {
          const m = /^acked (\d+) (\d+)$/.exec(rest.slice(0, i));
          rest = rest.slice(i + 1);
          if (m) {
            acked = Math.max(acked, Number(m[1]));
            ackedBytes = Math.max(ackedBytes, Number(m[2]));
          }
        }
      }
    })();

    // Kill mid-spill: once enough is acknowledged, at the first moment the segment files hold
    // bytes the child has not acknowledged yet (an append under way).
    const TARGET = 50_000;
    const deadline = performance.now() + 30_000;
    let unackedAtKill = 0;
    for (;;) {
      if (performance.now() > deadline || child.exitCode !== null) throw new Error(`child never got to ${TARGET} acknowledged rows (acked ${acked})`);
      if (acked >= TARGET) {
        unackedAtKill = journalBytesOnDisk(dataDir) - ackedBytes;
        if (unackedAtKill > 0) break;
      }
      await turn();
    }
    child.kill("SIGKILL");
    await within("the child to die", child.exited);
    await read; // every line the child wrote before dying: all of them are acknowledgements
    expect(child.signalCode).toBe("SIGKILL");
    expect(unackedAtKill).toBeGreaterThan(0);
    expect(journalFiles(dataDir).length).toBeGreaterThan(0);

    const rec = recorder({ store: sqlite.marketData, dataDir, clock });
    await within("recovery to drain the journal", rec.whenIdle(), 30_000);

    const ids = await storedTradeIds(sqlite.marketData);
    // The journal is an ordered prefix of the stream: ids 1..n, with n ≥ every acknowledged id.
    expect(firstGap(ids)).toBe(-1);
    expect(ids.length).toBeGreaterThanOrEqual(acked);
    expect(journalFiles(dataDir)).toEqual([]);
    expect(rec.stats()).toMatchObject({ state: "ok", journalSegments: 0 });
  }, 60_000);
});

describe("recorder: damaged journal tail", () => {
  /** A journal of 6 records × 500 trades (ids 1..3000) in one segment, as a run with the store down leaves it. */
  async function journalWithSixRecords(dataDir: string, store: MarketDataStore, clock: ManualClock): Promise<string> {
    const outage = withOutage(store);
    outage.down = true;
    const rec = createRecorder({ store: outage.store, dataDir, clock, batchRows: 500 });
    rec.recordTrades(trades(1, 3000));
    await within("spill", rec.flush());
    await rec.close();
    const [file, ...more] = journalFiles(dataDir);
    expect(more).toEqual([]);
    return join(dataDir, "journal", file ?? "missing");
  }

  const damage: Array<[defect: string, how: (segment: Uint8Array) => Uint8Array]> = [
    // SIGKILL in the middle of the last write.
    ["torn-payload", (data) => data.subarray(0, data.byteLength - 10)],
    // A bit flipped inside the last record.
    ["crc-mismatch", (data) => {
      const at = (scanFrames(data).payloads.at(-1)?.byteOffset ?? 0) + 20;
      data[at] = (data[at] ?? 0) ^ 0xff;
      return data;
    }],
  ];

  test.each(damage)("a final record that is %s is skipped with a warning and the ones before it are stored", async (defect, how) => {
    const { dataDir, sqlite, clock } = await setup();
    const segment = await journalWithSixRecords(dataDir, sqlite.marketData, clock);
    writeFileSync(segment, how(new Uint8Array(readFileSync(segment))));

    const sink = memorySink();
    const log = createLogger({ level: "warn", sink });
    const rec = recorder({ store: sqlite.marketData, dataDir, clock, log });
    await within("drain", rec.whenIdle());
    await log.flush();

    const ids = await storedTradeIds(sqlite.marketData);
    expect({ count: ids.length, firstGap: firstGap(ids) }).toEqual({ count: 2500, firstGap: -1 });
    const warning = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.defect !== undefined);
    expect(warning).toMatchObject({ level: "warn", defect, records: 5 });
    expect(journalFiles(dataDir)).toEqual([]);
  });
});

describe("recorder: candle ordering", () => {
  test("journaled versions of a bar are written before a newer version recorded after a restart", async () => {
    const { dataDir, sqlite, clock } = await setup();
    const outage = withOutage(sqlite.marketData);
    outage.down = true;
    const before = createRecorder({ store: outage.store, dataDir, clock, batchRows: 2 });
    for (let v = 1; v <= 10; v++) before.recordCandles([candle(0, v), candle(1, v)]);
    await within("spill", before.flush());
    await before.close();

    const after = recorder({ store: sqlite.marketData, dataDir, clock });
    after.recordCandles([candle(0, 11)]); // before the start-up drain has run
    await within("drain", after.whenIdle());

    expect((await storedCandles(sqlite.marketData)).map((c) => c.tradeCount)).toEqual([11, 10]);
  });

  test("a replayed journal never overwrites a newer candle already in the store", async () => {
    const { dataDir, sqlite, clock } = await setup();
    const outage = withOutage(sqlite.marketData);
    outage.down = true;
    const crashed = createRecorder({ store: outage.store, dataDir, clock, batchRows: 3 });
    for (let v = 1; v <= 10; v++) crashed.recordCandles([candle(0, v)]);
    await within("spill", crashed.flush());
    await crashed.close();
    // Meanwhile another ingest node stored a newer version of the bar.
    await sqlite.marketData.upsertCandles([candle(0, 12)]);

    const rec = recorder({ store: sqlite.marketData, dataDir, clock });
    await within("drain", rec.whenIdle());

    expect((await storedCandles(sqlite.marketData)).map((c) => c.tradeCount)).toEqual([12]);
    expect(journalFiles(dataDir)).toEqual([]);
  });

  test("during an outage the newest version wins although older ones went through the journal", async () => {
    const { dataDir, sqlite, outage, clock } = await setup();
    const rec = recorder({ store: outage.store, dataDir, clock, batchRows: 2, maxBufferedRows: 4, log: silentLogger() });
    outage.down = true;
    for (let v = 1; v <= 30; v++) {
      rec.recordCandles([candle(0, v)]);
      clock.advance(50);
      await turn();
    }
    await until("some versions to be journaled", () => rec.stats().rowsJournaled > 0);

    outage.down = false;
    clock.advance(10_000);
    await within("drain", rec.whenIdle());

    expect((await storedCandles(sqlite.marketData)).map((c) => c.tradeCount)).toEqual([30]);
  });
});
