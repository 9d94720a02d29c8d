import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../lib/log.ts";
import type { CandleRecord, TradeRecord } from "../store/ports.ts";
import { Journal, type JournalRecord } from "./journal.ts";
import type { Batch } from "./types.ts";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "hl-journal-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const trade = (id: number): TradeRecord => ({
  venue: "lighter", marketId: 1, tradeId: id, ts: 1_700_000_000_000 + id, price: 100_000 + id, size: 5,
  isMakerAsk: id % 2 === 0, askAccountId: 7, bidAccountId: 8, kind: "trade",
});
const trades = (from: number, n: number): Batch => ({ kind: "trades", rows: Array.from({ length: n }, (_, i) => trade(from + i)) });
const open = (dir: string, segmentBytes = 1 << 20) => new Journal({ dir, segmentBytes, fsync: true, log: silentLogger() });

async function drainAll(j: Journal): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let rec: JournalRecord | null; (rec = await j.next()); ) {
    out.push(rec.batch);
    await j.ack(rec);
  }
  return out;
}

describe("Journal", () => {
  test("reads records back in append order and removes drained segments", async () => {
    const dir = freshDir();
    const j = open(dir, 4096);
    await j.append([trades(1, 10), trades(11, 10)]);
    await j.append([trades(21, 50)]);
    expect(j.segments).toBeGreaterThan(0);

    const ids = (await drainAll(j)).flatMap((b) => (b.kind === "trades" ? b.rows.map((t) => t.tradeId) : []));

    expect(ids).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(j.segments).toBe(0);
    expect(j.hasRecords()).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("rotates segments at the size limit", async () => {
    const dir = freshDir();
    const j = open(dir, 2048);
    for (let i = 0; i < 10; i++) await j.append([trades(i * 20 + 1, 20)]);
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    await j.close();
  });

  test("a reopened journal recovers what a previous instance left, oldest first", async () => {
    const dir = freshDir();
    const first = open(dir, 2048);
    for (let i = 0; i < 6; i++) await first.append([trades(i * 20 + 1, 20)]);
    // No close(): the previous process died with its segment open.

    const second = open(dir, 2048);
    await second.append([trades(121, 5)]);
    const ids = (await drainAll(second)).flatMap((b) => (b.kind === "trades" ? b.rows.map((t) => t.tradeId) : []));

    expect(ids).toEqual(Array.from({ length: 125 }, (_, i) => i + 1));
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a record not acknowledged is handed out again", async () => {
    const j = open(freshDir());
    await j.append([trades(1, 3), trades(4, 3)]);
    const a = await j.next();
    const again = await j.next();
    expect(again?.index).toBe(a?.index ?? -1);
    await expect(j.ack({ seq: a?.seq ?? 0, index: 1 })).rejects.toThrow("in order");
  });

  test("candles keep their bigint quote volume across the journal", async () => {
    const candle: CandleRecord = {
      venue: "lighter", marketId: 1, resolution: "1m", openTime: 60_000, open: 1, high: 3, low: 1, close: 2,
      volume: 10, quoteVolume: 9_007_199_254_740_993n, tradeCount: 4, buyVolume: 6,
    };
    const j = open(freshDir());
    await j.append([{ kind: "candles", rows: [candle] }]);
    const [batch] = await drainAll(j);
    expect(batch).toEqual({ kind: "candles", rows: [candle] });
  });
});
