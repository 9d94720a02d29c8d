/**
 * Replay test helpers: deterministic history written straight through the store port, a raw
 * replay client (text frames kept byte for byte) that authenticates on /ws/replay, keys a test can
 * revoke, the event order, and waiting on a simulated pacing clock.
 */
import type { ManualClock } from "../../src/lib/clock";
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

/** A replay-capable key with what its owner needs to revoke or disable it through the public routes. */
export interface OwnedKey {
  apiKey: string;
  keyId: string;
  /** The owner's JWT (for /api/v1/keys). */
  token: string;
}

/** Registers a user and has the admin route create a key at `tier` for them. */
export async function ownedKey(baseUrl: string, adminToken: string, tier: string): Promise<OwnedKey> {
  const email = `replay-${crypto.randomUUID().slice(0, 12)}@example.com`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as { data: Record<string, unknown> };
    if (!res.ok) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  const reg = await post("/api/v1/auth/register", { email, password: "a long enough password", tos_accepted: true });
  const created = await post(`/admin/users/${encodeURIComponent(email)}/keys`, { tier }, { authorization: `Bearer ${adminToken}` });
  return { apiKey: created.api_key as string, keyId: (created.key as { id: string }).id, token: reg.token as string };
}

/** The total order of replay events: ts, snapshots before trades, market id, trade id. */
export function inReplayOrder(events: Json[]): boolean {
  const key = (e: Json) => [e.ts as number, e.event_type === "trade" ? 1 : 0, e.market_id as number, e.event_type === "trade" ? ((e.data as Json).trade_id as number) : 0];
  return events.every((e, i) => {
    if (i === 0) return true;
    const [a, b] = [key(events[i - 1] as Json), key(e)];
    for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return (a[k] as number) < (b[k] as number);
    return false;
  });
}

/** Event frames of a client as text without `replay_ts` (what determinism compares). */
export const eventBytes = (c: RawWs): string[] => c.messages.filter((m) => m.startsWith('{"type":"replay_event"')).map((m) => m.replace(/"replay_ts":\d+}$/, ""));

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

/** Waiting helpers for sessions paced by a ManualClock the test drives. */
export function pacing(clock: ManualClock) {
  /**
   * Advances the pacing clock `step` ms at a time, letting I/O run, until `pred` holds. Gives up
   * after `timeoutMs` of real time (reads may cross a worker thread, so no fixed number of turns).
   */
  const until = async (pred: () => boolean, step = 0, timeoutMs = 10_000) => {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (performance.now() > deadline) throw new Error("condition not reached");
      clock.advance(step);
      await tick();
    }
  };
  /** The `n`th frame of `type` once it has arrived. */
  const nth = async (c: RawWs, type: string, n = 1) => (await until(() => framesOf(c, type).length >= n), framesOf(c, type)[n - 1] as Json);
  /** Lets pages load without moving the clock. */
  const settle = async () => {
    for (let i = 0; i < 30; i++) await tick();
  };
  return { until, nth, settle };
}
