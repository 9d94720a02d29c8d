import { describe, expect, test } from "bun:test";
import { createActor, fromPromise } from "xstate";
import { ManualClock } from "../../lib/clock";
import type { TierId } from "../../domain/tiers";
import type { ClientFrame } from "../protocol";
import { connectionMachine } from "./connection.machine";
import type { AdmitResult, ConnectionEmitted } from "./connection.events";

const TIMING = { authTimeoutMs: 10_000, pingIntervalMs: 30_000, pongTimeoutMs: 10_000 };
const MARKETS = { priceDecimals: (id: number) => (id === 0 ? 2 : id === 1 ? 1 : undefined) };

/** A connection actor on a manual clock whose key check answers `result` (after a microtask). */
function start(result: AdmitResult | ((key: string) => AdmitResult) = admitAs("starter")) {
  const clock = new ManualClock(1_000_000);
  const out: ConnectionEmitted[] = [];
  const logic = connectionMachine.provide({
    actors: { admit: fromPromise<AdmitResult, { apiKey: string }>(async ({ input }) => (typeof result === "function" ? result(input.apiKey) : result)) },
  });
  const actor = createActor(logic, { clock, input: { connectionId: "c1", timing: TIMING, markets: MARKETS, openedAt: clock.now() } });
  actor.on("*", (e) => out.push(e as ConnectionEmitted));
  actor.start();
  const send = (frame: ClientFrame) => actor.send({ type: "client.frame", frame, at: clock.now() });
  const frames = () => out.flatMap((e) => (e.type === "conn.send" ? [e.frame] : []));
  const closes = () => out.filter((e): e is Extract<ConnectionEmitted, { type: "conn.close" }> => e.type === "conn.close");
  return { actor, clock, out, send, frames, closes };
}

function admitAs(tier: TierId): AdmitResult {
  return { ok: true, principal: { keyId: "key_1", userId: "usr_1", tier, plan: tier } };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

async function ready(tier: TierId = "starter") {
  const c = start(admitAs(tier));
  c.send({ type: "auth", api_key: "hlt_x" });
  await flush();
  expect(c.actor.getSnapshot().value).toEqual({ ready: "idle" });
  return c;
}

describe("connection machine", () => {
  test("answers a valid auth with tier and subscription limit", async () => {
    const c = await ready("starter");
    expect(c.frames()).toEqual([{ type: "authenticated", tier: "starter", max_subscriptions: 1000, connection_id: "c1" }]);
  });

  test("closes 1008 when no auth arrives before the deadline", () => {
    const c = start();
    c.clock.advance(TIMING.authTimeoutMs);
    expect(c.frames()[0]).toMatchObject({ type: "error", code: "unauthorized" });
    expect(c.closes()).toEqual([{ type: "conn.close", code: 1008, reason: "auth timeout" }]);
    expect(c.actor.getSnapshot().status).toBe("done");
  });

  test("closes 1008 when the first message is not auth", () => {
    const c = start();
    c.send({ type: "subscribe", channel: "trade/0" });
    expect(c.frames()[0]).toMatchObject({ type: "error", code: "unauthorized" });
    expect(c.closes()[0]?.code).toBe(1008);
  });

  test("a refused key gets its error code and a 1008 close", async () => {
    const c = start({ ok: false, code: "forbidden", message: "key expired" });
    c.send({ type: "auth", api_key: "hlt_x" });
    await flush();
    expect(c.frames()).toEqual([{ type: "error", code: "forbidden", message: "key expired" }]);
    expect(c.closes()[0]?.code).toBe(1008);
  });

  test("frames pipelined behind auth are handled once authenticated, in order", async () => {
    const c = start();
    c.send({ type: "auth", api_key: "hlt_x" });
    c.send({ type: "subscribe", channel: "trade/0" });
    c.send({ type: "subscribe", channel: "order_book/1" });
    await flush();
    const subs = c.out.filter((e) => e.type === "conn.subscribe").map((e) => (e as { topic: string }).topic);
    expect(subs).toEqual(["trade/0", "order_book/1"]);
    expect(c.frames()[0]?.type).toBe("authenticated");
  });

  test("subscribe: unknown channel, unknown market, duplicate and bad tick are errors, not closes", async () => {
    const c = await ready();
    c.send({ type: "subscribe", channel: "candles/0" });
    c.send({ type: "subscribe", channel: "trade/99" });
    c.send({ type: "subscribe", channel: "trade/0" });
    c.send({ type: "subscribe", channel: "trade/0" });
    c.send({ type: "subscribe", channel: "enriched_order_book/0", tick_size: "0.005" });
    c.send({ type: "subscribe", channel: "trade/0", tick_size: "1" });
    const codes = c.frames().flatMap((f) => (f.type === "error" ? [f.code] : []));
    expect(codes).toEqual(["bad_request", "not_found", "conflict", "bad_request", "bad_request"]);
    expect(c.closes()).toEqual([]);
  });

  test("a custom tick is its own canonical view; the venue tick is the base view", async () => {
    const c = await ready();
    c.send({ type: "subscribe", channel: "enriched_order_book/0", tick_size: 0.5 });
    c.send({ type: "subscribe", channel: "enriched_order_book/0", tick_size: "0.50" });
    c.send({ type: "subscribe", channel: "enriched_order_book/0", tick_size: "0.01" });
    const subs = c.out.filter((e) => e.type === "conn.subscribe").map((e) => (e as { topic: string }).topic);
    expect(subs).toEqual(["enriched_order_book/0@tick=0.50", "enriched_order_book/0"]);
    expect(c.frames().some((f) => f.type === "error" && f.code === "conflict")).toBe(true);
  });

  test("free plan: attributed channels become the anonymous view; the subscription limit holds", async () => {
    const c = await ready("free");
    for (const ch of ["enriched_order_book/0", "enriched_trade/0", "alert/0", "trade/0", "order_book/0", "trade/1"]) {
      c.send({ type: "subscribe", channel: ch });
    }
    const subs = c.out.filter((e) => e.type === "conn.subscribe").map((e) => (e as { topic: string }).topic);
    expect(subs).toEqual(["enriched_order_book/0@anon", "enriched_trade/0@anon", "alert/0@anon", "trade/0", "order_book/0"]);
    expect(c.frames().at(-1)).toMatchObject({ type: "error", code: "forbidden" });
  });

  test("unsubscribe leaves the topic and acks; an unknown one is an error", async () => {
    const c = await ready();
    c.send({ type: "subscribe", channel: "trade/0" });
    c.send({ type: "unsubscribe", channel: "trade/0" });
    c.send({ type: "unsubscribe", channel: "trade/0" });
    expect(c.out.find((e) => e.type === "conn.unsubscribe")).toMatchObject({ topic: "trade/0", ack: { type: "unsubscribed", channel: "trade/0" } });
    expect(c.frames().at(-1)).toMatchObject({ type: "error", code: "bad_request" });
  });

  test("rate: a burst of 60 passes, each frame beyond is a violation, the third in a row closes", async () => {
    const c = await ready();
    for (let i = 0; i < 59; i++) c.send({ type: "ping" }); // auth took one token
    expect(c.frames().filter((f) => f.type === "pong")).toHaveLength(59);
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    expect(c.frames().filter((f) => f.type === "error").map((f) => (f as { code: string }).code)).toEqual(["rate_limit_exceeded", "rate_limit_exceeded"]);
    expect(c.closes()).toEqual([]);
    c.send({ type: "ping" });
    expect(c.closes()).toEqual([{ type: "conn.close", code: 1008, reason: "rate limit violations" }]);
  });

  test("rate: a frame within budget resets the consecutive count", async () => {
    const c = await ready();
    for (let i = 0; i < 59; i++) c.send({ type: "ping" });
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    c.clock.advance(100); // 3 tokens back at 30/s
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    c.send({ type: "ping" });
    expect(c.closes()).toEqual([]);
    c.send({ type: "ping" });
    expect(c.closes()[0]?.code).toBe(1008);
  });

  test("heartbeat: a ping every interval; either pong keeps the connection; silence closes it", async () => {
    const c = await ready();
    c.clock.advance(TIMING.pingIntervalMs);
    expect(c.out.filter((e) => e.type === "conn.ping")).toHaveLength(1);
    c.actor.send({ type: "socket.pong" });
    c.clock.advance(TIMING.pingIntervalMs);
    c.send({ type: "pong" });
    c.clock.advance(TIMING.pingIntervalMs);
    expect(c.out.filter((e) => e.type === "conn.ping")).toHaveLength(3);
    expect(c.closes()).toEqual([]);
    c.clock.advance(TIMING.pongTimeoutMs);
    expect(c.closes()).toEqual([{ type: "conn.close", code: 1008, reason: "pong timeout" }]);
  });

  test("a socket that goes away ends the actor without effects", async () => {
    const c = await ready();
    const before = c.out.length;
    c.actor.send({ type: "socket.closed" });
    c.clock.advance(TIMING.pingIntervalMs * 3);
    expect(c.out.length).toBe(before);
    expect(c.actor.getSnapshot().status).toBe("done");
  });
});
