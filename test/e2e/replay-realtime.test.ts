/**
 * /ws/replay on the real clock: 10 minutes of history at 100x take 6 s (within 1%), a client that
 * stops reading gets backpressure (bounded buffers, nothing dropped, the stream resumes intact),
 * and a client that leaves mid-replay ends its session.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { createLiveMarkets } from "../../src/market/live";
import { startService, type RunningService } from "../../src/service";
import { tempDir } from "../support/process";
import type { RawWs } from "../support/raw-ws";
import { framesOf, replayClient, seedReplayHistory, type SeededHistory } from "../support/replay";
import { issueKey } from "../support/ws-client";

const ADMIN = "admin-token-for-replay-rt-tests-0123456789ab";
let svc: RunningService;
let dir: string;
let key: string;
let h: SeededHistory;
const open: RawWs[] = [];

beforeAll(async () => {
  dir = tempDir("replay-rt");
  // The default reader (the read worker), on the real clock.
  svc = await startService(loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false", REPLAY_READ_WORKER: "true" }));
  h = await seedReplayHistory(svc.deps.store.marketData, { start: Date.UTC(2026, 9, 1), minutes: 10 });
  key = await issueKey(svc.url, ADMIN, "enterprise");
  const live = createLiveMarkets(svc.deps.cache);
  while (!(await live.market("lighter", 0))) await Bun.sleep(20);
});

afterAll(async () => {
  for (const c of open) c.destroy();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = async () => {
  const c = await replayClient(svc.url.replace("http", "ws"), key);
  open.push(c);
  return c;
};

test("10 minutes of history at 100x take 6 s within 1%, every event on time", async () => {
  const c = await client();
  c.send(JSON.stringify({ type: "replay", market_id: 0, start: h.start, end: h.end, speed: 100 }));
  await c.next((m) => m.type === "replay_started");
  const t0 = Date.now();
  await c.next((m) => m.type === "replay_complete", 10_000);
  const elapsed = Date.now() - t0;
  expect(Math.abs(elapsed - 6_000)).toBeLessThanOrEqual(60);
  const events = framesOf(c, "replay_event");
  expect(events.length).toBe(h.trades + h.snapshots);
  // Each event left when (ts − start)/100 had elapsed: replay_ts − (ts − start)/100 is the play
  // start plus the event's lateness; no event is early, so the smallest value is the play start.
  const offsets = events.map((e) => (e.replay_ts as number) - ((e.ts as number) - h.start) / 100);
  const playStart = Math.min(...offsets);
  const sorted = offsets.map((o) => o - playStart).sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThanOrEqual(5);
  expect(sorted.at(-1)!).toBeLessThanOrEqual(60);
}, 15_000);

test("a client that stops reading gets backpressure: bounded buffering, nothing dropped, order intact", async () => {
  const c = await client();
  const blockedBefore = svc.replay.gateway.stats.backpressurePauses;
  // 60,000 trades (~20 MB of frames) within 6 s of history: at 100x all due within 60 ms, far
  // more than the kernel's socket buffers hold for a reader that stopped.
  const dense = Date.UTC(2026, 8, 1);
  const trades = Array.from({ length: 60_000 }, (_, i) => ({
    venue: "lighter", marketId: 0, tradeId: 50_000_000 + i, ts: dense + Math.floor(i / 10), price: 300_000 + (i % 100), size: 1_000 + (i % 9),
    isMakerAsk: i % 2 === 0, askAccountId: 1_000_000 + i, bidAccountId: 2_000_000 + i, kind: "trade" as const,
  }));
  for (let i = 0; i < trades.length; i += 10_000) await svc.deps.store.marketData.insertTrades(trades.slice(i, i + 10_000));
  c.pause();
  c.send(JSON.stringify({ type: "replay", market_id: 0, start: dense, end: dense + 6_000, speed: 100 }));
  const deadline = Date.now() + 8_000;
  while (svc.replay.gateway.stats.backpressurePauses === blockedBefore && Date.now() < deadline) await Bun.sleep(10);
  expect(svc.replay.gateway.stats.backpressurePauses).toBeGreaterThan(blockedBefore);
  c.resume();
  await c.next((m) => m.type === "replay_complete", 15_000);
  const events = framesOf(c, "replay_event");
  expect(events.length).toBe(60_000);
  expect(events.every((e, i) => (e.data as { trade_id: number }).trade_id === 50_000_000 + i)).toBe(true);
  expect(svc.replay.gateway.stats.dropped).toBe(0);
}, 20_000);

test("a client that goes away mid-replay ends its session", async () => {
  const c = await client();
  c.send(JSON.stringify({ type: "replay", market_id: 0, start: h.start, end: h.end, speed: 1 }));
  await c.next((m) => m.type === "replay_event");
  const { connections, activeSessions } = svc.replay.gateway;
  expect(activeSessions).toBe(1);
  c.destroy();
  await c.closed;
  const deadline = Date.now() + 2_000;
  while (svc.replay.gateway.connections === connections && Date.now() < deadline) await Bun.sleep(5);
  expect(svc.replay.gateway.connections).toBe(connections - 1);
  expect(svc.replay.gateway.activeSessions).toBe(0);
  expect(svc.replay.gateway.slots()).toEqual([]);
});
