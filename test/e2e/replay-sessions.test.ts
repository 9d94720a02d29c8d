/**
 * /ws/replay sessions end to end (service in-process, SQLite, real sockets, pacing on a ManualClock,
 * history pages read on the read worker): multi-market replay merged by time, keys that stop being
 * valid mid-replay, and the replay counters in /metrics.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import { loadConfig } from "../../src/config";
import { ManualClock } from "../../src/lib/clock";
import { createLiveMarkets } from "../../src/market/live";
import { startService, type RunningService } from "../../src/service";
import { REPLAY_MAX_MARKETS } from "../../src/actors/replay/request";
import { ReplayServerFrame } from "../../src/ws/replay/protocol";
import { tempDir } from "../support/process";
import type { RawWs } from "../support/raw-ws";
import { eventBytes, framesOf, inReplayOrder, ownedKey, pacing, replayClient, seedReplayHistory, type Json, type OwnedKey, type SeededHistory } from "../support/replay";

const ADMIN = "admin-token-for-replay-session-tests-0123456";
const START = Date.UTC(2026, 9, 1);
const clock = new ManualClock(Date.now());
const { until, nth, settle } = pacing(clock);
let svc: RunningService;
let dir: string;
let wsBase: string;
let key: OwnedKey;
/** Markets 0 and 1 tie at every timestamp; market 2 is offset by 250 ms. */
const hist: SeededHistory[] = [];
const open: RawWs[] = [];

beforeAll(async () => {
  dir = tempDir("replay-sessions");
  svc = await startService(
    loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false", REGISTRATIONS_PER_IP_PER_HOUR: "1000", REPLAY_READ_WORKER: "true" }),
    { replayClock: clock },
  );
  wsBase = svc.url.replace("http", "ws");
  const store = svc.deps.store.marketData;
  hist.push(await seedReplayHistory(store, { start: START, minutes: 3, marketId: 0, tradeIdBase: 10_000_000 }));
  hist.push(await seedReplayHistory(store, { start: START, minutes: 3, marketId: 1, tradeIdBase: 20_000_000 }));
  hist.push(await seedReplayHistory(store, { start: START + 250, minutes: 2, marketId: 2, tradeIdBase: 30_000_000 }));
  key = await ownedKey(svc.url, ADMIN, "enterprise");
  const live = createLiveMarkets(svc.deps.cache);
  while (!(await live.market("lighter", 2))) await Bun.sleep(20);
});

afterAll(async () => {
  for (const c of open) c.destroy();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = async (apiKey = key.apiKey) => {
  const c = await replayClient(wsBase, apiKey);
  open.push(c);
  return c;
};
const send = (c: RawWs, msg: Json) => c.send(JSON.stringify(msg));
const END = START + 3 * 60_000;
const replay = (c: RawWs, extra: Json) => send(c, { type: "replay", start: START, end: END, speed: 100, ...extra });
const complete = async (c: RawWs, n = 1) => (await until(() => framesOf(c, "replay_complete").length >= n, 50), c);

describe("multi-market replay", () => {
  let merged: RawWs;
  test("market_ids merges every event of each market into one stream in (ts, snapshot first, market, trade id) order", async () => {
    merged = await client();
    replay(merged, { market_ids: [2, 0, 1] });
    const started = await nth(merged, "replay_started");
    const total = hist.reduce((n, h) => n + h.trades + h.snapshots, 0);
    expect(started).toMatchObject({ market_ids: [0, 1, 2], estimated_events: total, start: START, end: END, exact: true });
    expect(started.market_id).toBeUndefined();
    expect(started.markets).toEqual(hist.map((h, i) => ({ market_id: i, symbol: ["ETH", "BTC", "SOL"][i], trades: h.trades, orderbook_snapshots: h.snapshots, exact: true })));
    await complete(merged);
    const events = framesOf(merged, "replay_event");
    expect(events.length).toBe(total);
    expect(inReplayOrder(events)).toBe(true);
    expect(events.every((e) => e.market_id === (e.data as Json).market_id)).toBe(true);
    for (const [i, h] of hist.entries()) expect(events.filter((e) => e.market_id === i).length).toBe(h.trades + h.snapshots);
    // The first second: three snapshots at START (markets 0, 1), then the two trades at START.
    expect(events.slice(0, 4).map((e) => `${e.event_type}:${e.market_id}`)).toEqual(["orderbook_snapshot:0", "orderbook_snapshot:1", "trade:0", "trade:1"]);
    for (const f of framesOf(merged)) expect(Value.Check(ReplayServerFrame, f)).toBe(true);
  });

  test("deterministic byte for byte, and each market's events are exactly its single-market replay", async () => {
    const again = await client();
    replay(again, { market_ids: [0, 1, 2] });
    await complete(again);
    expect(eventBytes(again)).toEqual(eventBytes(merged));
    const single = await client();
    for (const [i, id] of [0, 1, 2].entries()) {
      replay(single, { market_id: id });
      await complete(single, i + 1);
    }
    const byMarket = (bytes: string[], id: number) => bytes.filter((b) => b.includes(`"market_id":${id},"data"`));
    for (const id of [0, 1, 2]) expect(byMarket(eventBytes(merged), id)).toEqual(byMarket(eventBytes(single), id));
  });

  test("seek resumes at the earliest of the markets' latest snapshots at or before ts", async () => {
    const c = await client();
    replay(c, { market_ids: [0, 2], speed: 1 });
    await nth(c, "replay_started");
    send(c, { type: "seek", ts: START + 60_100 });
    // Market 0's latest snapshot is at +60 000, market 2's at +59 250: both books are replayed.
    expect(await nth(c, "replay_seeked")).toMatchObject({ ts: START + 60_100, position: START + 59_250 });
    await settle();
    clock.advance(0);
    await until(() => framesOf(c, "replay_event").some((e) => e.ts === START + 60_000), 50);
    const after = framesOf(c, "replay_event").filter((e) => (e.ts as number) >= START + 59_250);
    expect(after[0]).toMatchObject({ event_type: "orderbook_snapshot", market_id: 2, ts: START + 59_250 });
    expect(after.find((e) => e.market_id === 0)).toMatchObject({ event_type: "trade", ts: START + 59_500 });
    send(c, { type: "stop" });
    await nth(c, "replay_stopped");
  });

  test("market lists are checked: the cap, repeats, both fields, none", async () => {
    const c = await client();
    replay(c, { market_ids: Array.from({ length: REPLAY_MAX_MARKETS + 1 }, (_, i) => i) });
    replay(c, { market_ids: [0, 0] });
    replay(c, { market_id: 0, market_ids: [1] });
    replay(c, { market_ids: [] });
    replay(c, { market_ids: [0, 999] });
    await until(() => framesOf(c, "error").length === 5);
    const [cap, repeat, both, none, unknown] = framesOf(c, "error");
    expect(cap).toMatchObject({ code: "bad_request", message: expect.stringContaining(`at most ${REPLAY_MAX_MARKETS}`) });
    expect(repeat).toMatchObject({ code: "bad_request", message: expect.stringContaining("must not repeat") });
    expect(both).toMatchObject({ code: "bad_request", message: expect.stringContaining("not both") });
    expect(none).toMatchObject({ code: "bad_request", message: expect.stringContaining("non-empty") });
    expect(unknown).toMatchObject({ code: "not_found", message: expect.stringContaining("market 999") });
  });
});

describe("keys that stop being valid", () => {
  const patch = (k: OwnedKey, method: "DELETE" | "PATCH", body?: Json) =>
    fetch(`${svc.url}/api/v1/keys/${k.keyId}`, { method, headers: { authorization: `Bearer ${k.token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });

  test("revoking the key ends a running replay: error naming the reason, close 1008, no event after, slot freed", async () => {
    const k = await ownedKey(svc.url, ADMIN, "starter");
    const c = await client(k.apiKey);
    replay(c, { market_ids: [0, 1], speed: 0.1 });
    await nth(c, "replay_started");
    await settle();
    const revokedBefore = svc.replay.gateway.stats.sessionsEnded.revoked;
    expect((await patch(k, "DELETE")).status).toBe(200);
    expect(await c.next((m) => m.type === "error")).toEqual({ type: "error", code: "unauthorized", message: "this API key has been revoked" });
    expect(await c.closed).toEqual({ code: 1008, reason: "unauthorized" });
    const types = c.messages.map((m) => (JSON.parse(m) as Json).type);
    expect(types.at(-1)).toBe("error");
    expect(svc.replay.gateway.stats.sessionsEnded.revoked).toBe(revokedBefore + 1);
    expect(svc.replay.gateway.slots().filter((s) => s.connectionId.startsWith(String((JSON.parse(c.messages[0] as string) as Json).connection_id)))).toEqual([]);
  });

  test("disabling the key ends its sockets too, idle ones included (forbidden, 1008)", async () => {
    const k = await ownedKey(svc.url, ADMIN, "starter");
    const playing = await client(k.apiKey);
    replay(playing, { market_id: 0, speed: 0.1 });
    await nth(playing, "replay_started");
    const idle = await client(k.apiKey);
    expect((await patch(k, "PATCH", { enabled: false })).status).toBe(200);
    for (const c of [playing, idle]) {
      expect(await c.next((m) => m.type === "error")).toMatchObject({ code: "forbidden", message: "this API key is disabled" });
      expect(await c.closed).toEqual({ code: 1008, reason: "forbidden" });
    }
  });
});

describe("/metrics", () => {
  test("replay sessions, outcomes, events, bytes and backpressure are exported", async () => {
    const scrape = async () => {
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      const value = (name: string) => Number(text.match(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
      return { text, value };
    };
    const before = await scrape();
    const c = await client();
    replay(c, { market_id: 1, end: START + 10_000 });
    await complete(c);
    const d = await client();
    replay(d, { market_id: 0, speed: 0.1 });
    await nth(d, "replay_started");
    const during = await scrape();
    expect(during.value("hl_replay_sessions_active")).toBe(1);
    send(d, { type: "stop" });
    await nth(d, "replay_stopped");
    const after = await scrape();
    const delta = (name: string) => after.value(name) - before.value(name);
    expect(after.text).toContain("# TYPE hl_replay_events_sent_total counter");
    expect(delta("hl_replay_sessions_started_total")).toBe(2);
    expect(delta('hl_replay_sessions_ended_total{outcome="completed"}')).toBe(1);
    expect(delta('hl_replay_sessions_ended_total{outcome="stopped"}')).toBe(1);
    expect(delta("hl_replay_events_sent_total")).toBe(framesOf(c, "replay_event").length + framesOf(d, "replay_event").length);
    expect(delta("hl_replay_bytes_sent_total")).toBe([...c.messages, ...d.messages].reduce((n, m) => n + Buffer.byteLength(m), 0));
    expect(after.value("hl_replay_sessions_active")).toBe(0);
    expect(Number.isFinite(after.value("hl_replay_backpressure_pauses_total"))).toBe(true);
    expect(Number.isFinite(after.value("hl_replay_connections"))).toBe(true);
  });
});
