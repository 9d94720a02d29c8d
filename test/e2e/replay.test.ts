/**
 * /ws/replay end to end with a simulated pacing clock: the service in-process (SQLite in a temp
 * dir, real sockets), history written through the store port, replay sessions paced by a
 * ManualClock the test advances. Ordering, pacing, controls in every state, limits, disconnects,
 * determinism and equality with the REST history endpoints.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import { loadConfig } from "../../src/config";
import { ManualClock } from "../../src/lib/clock";
import { createLiveMarkets } from "../../src/market/live";
import { startService, type RunningService } from "../../src/service";
import { ReplayServerFrame } from "../../src/ws/replay/protocol";
import { tempDir } from "../support/process";
import type { RawWs } from "../support/raw-ws";
import { eventBytes, framesOf, inReplayOrder, pacing, replayClient, seedReplayHistory, type Json, type SeededHistory } from "../support/replay";
import { issueKey } from "../support/ws-client";

const ADMIN = "admin-token-for-replay-tests-0123456789abcd";
const clock = new ManualClock(Date.now());
let svc: RunningService;
let dir: string;
let wsBase: string;
let h: SeededHistory;
const keys: Record<string, string> = {};
const open: RawWs[] = [];

beforeAll(async () => {
  dir = tempDir("replay");
  // Pages read in process (not the default): the exact pacing steps below count on a page loading
  // within a few event-loop turns, which a thread hand-off does not promise. replay-sessions.test.ts
  // and replay-realtime.test.ts run the read worker.
  svc = await startService(
    loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false", REGISTRATIONS_PER_IP_PER_HOUR: "1000", REPLAY_READ_WORKER: "false" }),
    { replayClock: clock },
  );
  wsBase = svc.url.replace("http", "ws");
  h = await seedReplayHistory(svc.deps.store.marketData, { start: Date.UTC(2026, 9, 1), minutes: 10 });
  for (const t of ["free", "starter", "enterprise"]) keys[t] = await issueKey(svc.url, ADMIN, t);
  // The catalog (decimals) arrives with the simulator's market list.
  const live = createLiveMarkets(svc.deps.cache);
  while (!(await live.market("lighter", 0))) await Bun.sleep(20);
});

afterAll(async () => {
  for (const c of open) c.destroy();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = async (tier = "enterprise") => {
  const c = await replayClient(wsBase, keys[tier] as string);
  open.push(c);
  return c;
};
const send = (c: RawWs, msg: Json) => c.send(JSON.stringify(msg));
const count = (c: RawWs, type: string) => framesOf(c, type).length;
const { until, nth, settle } = pacing(clock);
const start = (c: RawWs, extra: Json = {}) => send(c, { type: "replay", market_id: 0, start: h.start, end: h.end, speed: 100, ...extra });
const sent = () => svc.replay.gateway.stats.eventsSent;

describe("replay stream", () => {
  let run: RawWs;
  test("every event of the range, in (ts, snapshot-before-trade, trade id) order, with an exact estimate", async () => {
    run = await client();
    start(run);
    const started = await nth(run, "replay_started");
    expect(started).toMatchObject({ market_id: 0, start: h.start, end: h.end, speed: 100, estimated_events: h.trades + h.snapshots, trades: h.trades, orderbook_snapshots: h.snapshots, exact: true });
    await until(() => count(run, "replay_complete") === 1, 50);
    const events = framesOf(run, "replay_event");
    expect(events.length).toBe(h.trades + h.snapshots);
    expect(framesOf(run, "replay_complete")[0]).toEqual({ type: "replay_complete", events_sent: events.length });
    expect(inReplayOrder(events)).toBe(true);
    for (const f of framesOf(run)) expect(Value.Check(ReplayServerFrame, f)).toBe(true);
  });

  test("the same request gives the same bytes except replay_ts", async () => {
    const again = await client();
    start(again);
    await until(() => count(again, "replay_complete") === 1, 50);
    expect(eventBytes(again)).toEqual(eventBytes(run));
  });

  test("events carry the trades and book states of the REST history endpoints for the range", async () => {
    const get = async (path: string) => ((await (await fetch(`${svc.url}${path}`, { headers: { "x-api-key": keys.enterprise as string } })).json()) as { data: Json }).data;
    const rest: Json[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await get(`/api/v1/trades/by-time?market_id=0&start=${h.start}&end=${h.end}&limit=1000&offset=${offset}`)).trades as Json[];
      rest.push(...page);
      if (page.length < 1000) break;
    }
    const replayed = framesOf(run, "replay_event").filter((e) => e.event_type === "trade").map((e) => e.data as Json);
    expect(replayed).toEqual(rest);
    const snaps: Json[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = (await get(`/api/v1/orderbook/0/snapshots?start=${h.start}&end=${h.end}&limit=100&offset=${offset}`)).snapshots as Json[];
      snaps.push(...page);
      if (page.length < 100) break;
    }
    const books = framesOf(run, "replay_event").filter((e) => e.event_type === "orderbook_snapshot").map((e) => e.data as Json);
    expect(books.length).toBe(snaps.length);
    books.forEach((b, i) => {
      const s = snaps[i] as Json;
      const pairs = (levels: Json[]) => levels.map((l) => [l.price, l.size]);
      expect(b).toEqual({ market_id: 0, nonce: s.nonce, bids: pairs(s.bids as Json[]), asks: pairs(s.asks as Json[]), best_bid: s.best_bid, best_ask: s.best_ask, spread: s.spread, mid: s.mid, timestamp: s.timestamp });
    });
  });
});

describe("pacing on the injected clock", () => {
  test("an event goes out when (ts − start) / speed has elapsed, pauses excluded; replay_ts is the clock", async () => {
    const c = await client();
    start(c, { speed: 10, start: h.start + 1, end: h.start + 60_000 });
    await nth(c, "replay_started");
    await settle();
    const base = sent();
    // First event: the trade at +500 ms → due 49.9 ms of pacing time after play began.
    clock.advance(49);
    expect(sent()).toBe(base);
    clock.advance(1);
    expect(sent()).toBe(base + 2); // two trades stamped +500
    const first = await nth(c, "replay_event");
    expect(first).toMatchObject({ event_type: "trade", ts: h.start + 500, replay_ts: clock.now() });
    // Paused for 10 s of pacing time: the next event (snapshot at +1000, due at 99.9 ms) waits.
    send(c, { type: "pause" });
    expect(await nth(c, "replay_paused")).toMatchObject({ type: "replay_paused" });
    clock.advance(10_000);
    expect(sent()).toBe(base + 2);
    send(c, { type: "resume" });
    await nth(c, "replay_resumed");
    await settle();
    const resumedAt = clock.now();
    const pos = (framesOf(c, "replay_paused")[0] as Json).position as number;
    clock.advance(Math.ceil((h.start + 1000 - pos) / 10) - 1);
    expect(sent()).toBe(base + 2);
    clock.advance(1);
    expect(sent()).toBe(base + 4); // the snapshot and the trade stamped with it
    expect(clock.now() - resumedAt).toBeLessThanOrEqual(Math.ceil((h.start + 1000 - pos) / 10));
    // set_speed 100: the next event (+1500) is due 5 ms later instead of 50.
    send(c, { type: "set_speed", speed: 100 });
    expect(await nth(c, "replay_speed")).toMatchObject({ speed: 100 });
    await settle();
    clock.advance(5);
    expect(sent()).toBe(base + 5);
    send(c, { type: "stop" });
    expect(await nth(c, "replay_stopped")).toMatchObject({ events_sent: framesOf(c, "replay_event").length });
  });

  test("seek resumes at the latest snapshot at or before ts, in playing and in paused", async () => {
    const c = await client();
    start(c, { speed: 1 });
    await nth(c, "replay_started");
    await settle();
    const seen = count(c, "replay_event");
    send(c, { type: "seek", ts: h.start + 120_400 });
    expect(await nth(c, "replay_seeked")).toMatchObject({ ts: h.start + 120_400, position: h.start + 120_000 });
    await settle();
    clock.advance(0);
    const ev = await nth(c, "replay_event", seen + 1);
    expect(ev).toMatchObject({ event_type: "orderbook_snapshot", ts: h.start + 120_000 });
    send(c, { type: "pause" });
    await nth(c, "replay_paused");
    send(c, { type: "seek", ts: h.start + 300_000 });
    expect(await nth(c, "replay_seeked", 2)).toMatchObject({ position: h.start + 300_000 });
    await settle();
    const before = count(c, "replay_event");
    clock.advance(5_000);
    await settle();
    expect(count(c, "replay_event")).toBe(before); // still paused
    send(c, { type: "resume" });
    await nth(c, "replay_resumed");
    await until(() => count(c, "replay_event") > before);
    expect(framesOf(c, "replay_event")[before]).toMatchObject({ ts: h.start + 300_000, event_type: "orderbook_snapshot" });
    send(c, { type: "seek", ts: h.end + 5 });
    expect(await nth(c, "error")).toMatchObject({ code: "bad_request", message: expect.stringContaining("inside the replay range") });
    send(c, { type: "stop" });
    await nth(c, "replay_stopped");
  });
});

describe("controls in every state", () => {
  test("without a replay (before one, after completion, after stop) controls get an error", async () => {
    const c = await client();
    for (const type of ["pause", "resume", "stop"]) send(c, { type });
    send(c, { type: "seek", ts: h.start });
    send(c, { type: "set_speed", speed: 2 });
    await until(() => count(c, "error") === 5);
    expect(framesOf(c, "error").every((e) => e.code === "bad_request" && String(e.message).startsWith("no active replay"))).toBe(true);
    start(c, { end: h.start + 2_000 });
    await until(() => count(c, "replay_complete") === 1, 50);
    send(c, { type: "pause" });
    await until(() => count(c, "error") === 6);
    // After completion a new replay may start on the same connection.
    start(c, { end: h.start + 2_000 });
    await until(() => count(c, "replay_complete") === 2, 50);
    expect(framesOf(c, "replay_complete")[1]).toEqual({ type: "replay_complete", events_sent: 7 });
  });

  test("controls pipelined behind replay apply in order: a pause before play holds playback, stop ends it", async () => {
    const c = await client();
    start(c);
    send(c, { type: "pause" });
    await nth(c, "replay_started");
    await nth(c, "replay_paused");
    clock.advance(60_000);
    await settle();
    expect(count(c, "replay_event")).toBe(0);
    send(c, { type: "resume" });
    await nth(c, "replay_resumed");
    const d = await client();
    start(d);
    send(d, { type: "stop" });
    expect(await nth(d, "replay_stopped")).toEqual({ type: "replay_stopped", events_sent: 0 });
    send(c, { type: "stop" });
    await nth(c, "replay_stopped");
  });

  test("playing and paused: pause and resume are idempotent, stop works in both, seeking can be stopped", async () => {
    // Sessions of earlier tests may still be running (or end meanwhile): this test's must not remain.
    const before = svc.replay.gateway.activeSessions;
    const c = await client();
    start(c, { speed: 1 });
    await nth(c, "replay_started");
    send(c, { type: "resume" });
    await nth(c, "replay_resumed");
    send(c, { type: "pause" });
    send(c, { type: "pause" });
    await nth(c, "replay_paused", 2);
    send(c, { type: "stop" });
    await nth(c, "replay_stopped");
    start(c, { speed: 1 });
    await nth(c, "replay_started", 2);
    send(c, { type: "seek", ts: h.start + 30_000 });
    send(c, { type: "stop" });
    await nth(c, "replay_stopped", 2);
    expect(svc.replay.gateway.activeSessions).toBeLessThanOrEqual(before);
  });
});

describe("protocol and plan limits", () => {
  test("Free: a clear error and close 1008 at auth", async () => {
    const { connectRaw } = await import("../support/raw-ws");
    const c = await connectRaw(`${wsBase}/ws/replay`);
    open.push(c);
    c.send(JSON.stringify({ type: "auth", api_key: keys.free }));
    expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "forbidden", message: expect.stringContaining("not available on the Free plan") });
    expect((await c.closed).code).toBe(1008);
  });

  test("speed outside 0.1–100, bad times and unknown markets are refused", async () => {
    const c = await client();
    start(c, { speed: 0.05 });
    start(c, { speed: 101 });
    start(c, { start: "yesterday" });
    send(c, { type: "replay", market_id: 999, start: h.start, end: h.end });
    await until(() => count(c, "error") === 4);
    const [a, b, t, m] = framesOf(c, "error");
    expect(a).toMatchObject({ code: "bad_request", message: expect.stringContaining("between 0.1 and 100") });
    expect(b).toMatchObject({ code: "bad_request" });
    expect(t).toMatchObject({ code: "bad_request", message: expect.stringContaining("'start'") });
    expect(m).toMatchObject({ code: "not_found" });
    start(c, { speed: 2, start: "2026-10-01", end: undefined });
    expect(await nth(c, "replay_started")).toMatchObject({ start: h.start, speed: 2 });
    send(c, { type: "set_speed", speed: 500 });
    expect(await nth(c, "error", 5)).toMatchObject({ message: expect.stringContaining("between 0.1 and 100") });
    start(c);
    expect(await nth(c, "error", 6)).toMatchObject({ code: "conflict", message: expect.stringContaining("already active") });
    send(c, { type: "stop" });
  });

  test("Starter: 7-day window and 2 concurrent replays per account, named in the errors", async () => {
    const a = await client("starter");
    expect(JSON.parse(a.messages[0] as string)).toMatchObject({ tier: "starter", max_replay_window_days: 7, max_concurrent_replays: 2 });
    start(a, { end: h.start + 8 * 86_400_000 });
    expect(await nth(a, "error")).toMatchObject({ code: "forbidden", message: expect.stringContaining("at most 7 days") });
    start(a, { speed: 0.1 });
    await nth(a, "replay_started");
    const b = await client("starter");
    start(b, { speed: 0.1 });
    await nth(b, "replay_started");
    const c = await client("starter");
    start(c, { speed: 0.1 });
    expect(await nth(c, "error")).toMatchObject({ code: "forbidden", message: expect.stringContaining("allows 2 concurrent replays") });
    // A client that goes away mid-replay frees its slot.
    const sockets = svc.replay.gateway.connections;
    b.destroy();
    await until(() => svc.replay.gateway.connections === sockets - 1);
    start(c, { speed: 0.1 });
    expect(await nth(c, "replay_started")).toMatchObject({ speed: 0.1 });
    for (const x of [a, c]) send(x, { type: "stop" });
    await nth(a, "replay_stopped");
  });
});
