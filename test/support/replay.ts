/**
 * Replay test helpers: deterministic history written straight through the store port, and a raw
 * replay client (text frames kept byte for byte) that authenticates on /ws/replay.
 */
import type { BookSnapshotRecord, MarketDataStore, TradeRecord } from "../../src/store/ports";
import { connectRaw, type RawWs } from "./raw-ws";

/** What seedReplayHistory wrote. */
export interface SeededHistory {
  start: number;
  end: number;
  trades: number;
  snapshots: number;
}

/**
 * `minutes` of market `marketId` from `start`: a book snapshot every second (5 levels a side) and
 * trades at every snapshot's ts (a tie), at +500 ms, and a second trade at +500 ms every 10 s (a
 * trade–trade tie).
 */
export async function seedReplayHistory(store: MarketDataStore, opts: { start: number; minutes: number; marketId?: number; tradeIdBase?: number }): Promise<SeededHistory> {
  const marketId = opts.marketId ?? 0;
  const seconds = opts.minutes * 60;
  const snaps: BookSnapshotRecord[] = [];
  const trades: TradeRecord[] = [];
  let id = opts.tradeIdBase ?? 10_000_000;
  const trade = (ts: number, k: number): TradeRecord => ({
    venue: "lighter", marketId, tradeId: id++, ts, price: 300_000 + (k % 50) * 10, size: 1_000 + (k % 7), isMakerAsk: k % 2 === 0, askAccountId: 7, bidAccountId: 9, kind: "trade",
  });
  for (let k = 0; k < seconds; k++) {
    const ts = opts.start + k * 1000;
    const mid = 300_000 + (k % 50) * 10;
    snaps.push({
      venue: "lighter", marketId, ts, nonce: 1_000 + k,
      bids: Array.from({ length: 5 }, (_, i) => [mid - 5 - i * 10, 10_000 + i * 100 + k] as const),
      asks: Array.from({ length: 5 }, (_, i) => [mid + 5 + i * 10, 12_000 + i * 100 + k] as const),
    });
    trades.push(trade(ts, k), trade(ts + 500, k));
    if (k % 10 === 0) trades.push(trade(ts + 500, k + 1));
  }
  for (let i = 0; i < trades.length; i += 5_000) await store.insertTrades(trades.slice(i, i + 5_000));
  for (let i = 0; i < snaps.length; i += 1_000) await store.insertBookSnapshots(snaps.slice(i, i + 1_000));
  return { start: opts.start, end: opts.start + seconds * 1000, trades: trades.length, snapshots: snaps.length };
}

/** A parsed frame. */
export type Json = Record<string, unknown>;

/** Opens /ws/replay and authenticates with `key`. */
export async function replayClient(wsBase: string, key: string): Promise<RawWs> {
  const c = await connectRaw(`${wsBase}/ws/replay`);
  c.send(JSON.stringify({ type: "auth", api_key: key }));
  const first = await c.next((m) => m.type === "authenticated" || m.type === "error");
  if (first.type !== "authenticated") throw new Error(`replay auth refused: ${JSON.stringify(first)}`);
  return c;
}

/** Parsed frames of a client, optionally of one type. */
export const framesOf = (c: RawWs, type?: string): Json[] => c.messages.map((m) => JSON.parse(m) as Json).filter((f) => type === undefined || f.type === type);

/** Yields to the event loop once (socket I/O, store reads). */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
