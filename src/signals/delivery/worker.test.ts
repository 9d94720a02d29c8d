import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { ManualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/log.ts";
import type { Store } from "../../store/ports.ts";
import type { NewSignal, SignalRecord } from "../../store/signals.port.ts";
import { openSqliteStore } from "../../store/sqlite/index.ts";
import { type Outbox, createOutbox } from "./outbox.ts";
import { retryPolicy } from "./retry.ts";
import { createWebhookPolicy } from "./ssrf.ts";
import { type DeliveryWorker, createDeliveryWorker } from "./worker.ts";

const SECRET = "worker-test-secret-0123456789";
const T0 = Date.UTC(2026, 0, 1);

interface Hit { id: string; timestamp: number; body: string; headers: Record<string, string> }

/** A receiver answering from a script of statuses (the last one repeats). */
function receiver(statuses: number[]) {
  const hits: Hit[] = [];
  const server = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      const headers = Object.fromEntries(req.headers);
      hits.push({ id: headers["webhook-id"] ?? "", timestamp: Number(headers["webhook-timestamp"]), body, headers });
      return new Response(null, { status: statuses[Math.min(hits.length, statuses.length) - 1] });
    },
  });
  return { hits, url: `http://127.0.0.1:${server.port}/hook`, stop: () => server.stop(true) };
}

describe("delivery worker", () => {
  let store: Store;
  let clock: ManualClock;
  let worker: DeliveryWorker;
  let outbox: Outbox;
  const stops: Array<() => void> = [];
  const policy = createWebhookPolicy({ allowHttp: true, allowHosts: ["127.0.0.0/8"] });

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    await store.migrate();
    clock = new ManualClock(T0);
    worker = createDeliveryWorker({
      store: store.signals, clock, log: silentLogger(), workerId: "w1", policy, retry: retryPolicy(1_000), concurrency: 4, timeoutMs: 2_000,
      random: () => 0, // full jitter at its upper bound: delays equal the steps
    });
    outbox = createOutbox({ store: store.signals, clock, worker });
  });
  afterEach(async () => {
    await worker.stop(0);
    for (const stop of stops.splice(0)) stop();
    await store.close();
  });

  const signalWith = async (urls: string[], over: Partial<NewSignal> = {}): Promise<SignalRecord> =>
    store.signals.create({
      userId: "usr_1", name: "alert", venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
      rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
      channels: urls.map((url) => ({ type: "webhook" as const, url, secret: SECRET })), ...over,
    }, T0);
  const firing = (s: SignalRecord, ts = clock.now()) => ({ signalId: s.id, venue: s.venue, marketId: s.marketId, ts, values: { trade_price: "2" } });
  const deliveries = async (s: SignalRecord) => (await store.signals.listDeliveries(s.userId, s.id, { limit: 50, offset: 0 })).rows;
  /** Lets the worker finish what is due, then moves the clock to its next wake-up. */
  const runUntil = async (at: number) => {
    await worker.whenIdle();
    while ((await store.signals.nextDue()) !== null && (await store.signals.nextDue())! <= at) {
      clock.set((await store.signals.nextDue())!);
      await worker.whenIdle();
    }
    clock.set(at);
    await worker.whenIdle();
  };

  test("a firing is sent once, signed, and recorded as delivered with its attempt", async () => {
    const r = receiver([200]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    worker.start();
    const [row] = await outbox.fire(s, firing(s));
    await worker.whenIdle();
    expect(r.hits.map((h) => h.id)).toEqual([row!.id]);
    expect(r.hits[0]!.body).toBe(row!.body);
    // The signature covers the attempt time, which the verifier compares with its own wall clock: sign against that here.
    expect(new Webhook(SECRET, { format: "raw" }).sign(row!.id, new Date(r.hits[0]!.timestamp * 1000), row!.body)).toBe(r.hits[0]!.headers["webhook-signature"]!);
    expect((await deliveries(s))[0]).toMatchObject({ status: "delivered", attempts: 1, lastStatus: 200, deliveredAt: T0 });
    expect((await store.signals.listAttempts(s.userId, row!.id, 5)).map((a) => [a.attempt, a.httpStatus, a.outcome])).toEqual([[1, 200, "delivered"]]);
    expect(worker.stats()).toMatchObject({ attempts: 1, delivered: 1, retried: 0, failed: 0 });
  });

  test("one claim batch reads each signal once; a deleted signal's rows are cancelled, never sent", async () => {
    const r = receiver([200]);
    stops.push(r.stop);
    const reads: string[] = [];
    const counted = createDeliveryWorker({
      store: { ...store.signals, byId: (id) => (reads.push(id), store.signals.byId(id)) },
      clock, log: silentLogger(), workerId: "w-count", policy, retry: retryPolicy(1_000), concurrency: 8, timeoutMs: 2_000,
    });
    try {
      const three = await signalWith([r.url, r.url + "?b", r.url + "?c"]);
      const one = await signalWith([r.url + "?d"]);
      const gone = await signalWith([r.url + "?e"]);
      await outbox.fire(three, firing(three));
      await outbox.fire(one, firing(one));
      await outbox.fire(gone, firing(gone));
      await store.signals.delete(gone.userId, gone.id, clock.now());
      counted.start();
      await counted.whenIdle();
      expect(r.hits).toHaveLength(4);
      expect(reads.sort()).toEqual([three.id, one.id].sort());
      expect((await deliveries(three)).map((d) => d.status)).toEqual(["delivered", "delivered", "delivered"]);
      const [cancelled] = (await store.signals.listDeliveries(gone.userId, gone.id, { limit: 5, offset: 0 })).rows;
      expect(cancelled).toMatchObject({ status: "cancelled" });
    } finally {
      await counted.stop(0);
    }
  });

  test("errors are retried on the schedule with the same webhook-id until a 2xx", async () => {
    const r = receiver([500, 503, 302, 200]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    worker.start();
    const [row] = await outbox.fire(s, firing(s));
    await worker.whenIdle();
    expect(r.hits).toHaveLength(1);
    expect((await deliveries(s))[0]).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500, nextAttemptAt: T0 + 1_000 });
    clock.set(T0 + 999);
    await worker.whenIdle();
    expect(r.hits).toHaveLength(1);
    await runUntil(T0 + 1_000 + 6_000 + 24_000);
    expect(r.hits.map((h) => h.id)).toEqual([row!.id, row!.id, row!.id, row!.id]);
    expect(r.hits.map((h) => h.timestamp)).toEqual([T0, T0 + 1_000, T0 + 7_000, T0 + 31_000].map((t) => t / 1000));
    expect((await deliveries(s))[0]).toMatchObject({ status: "delivered", attempts: 4 });
    expect((await store.signals.listAttempts(s.userId, row!.id, 10)).map((a) => a.httpStatus)).toEqual([200, 302, 503, 500]);
  });

  test("a 410 fails the delivery and disables the channel; the other channel keeps receiving", async () => {
    const gone = receiver([410]);
    const live = receiver([200]);
    stops.push(gone.stop, live.stop);
    const s = await signalWith([gone.url, live.url]);
    worker.start();
    await outbox.fire(s, firing(s));
    await worker.whenIdle();
    expect((await deliveries(s)).map((d) => [d.channel, d.status]).sort()).toEqual([[0, "failed"], [1, "delivered"]]);
    const after = (await store.signals.byId(s.id))!;
    expect(after.channels.map((c) => c.disabledAt)).toEqual([T0, null]);
    clock.advance(60_000);
    const second = await outbox.fire(after, firing(after));
    await worker.whenIdle();
    expect(second.map((d) => d.channel)).toEqual([1]);
    expect(gone.hits).toHaveLength(1);
    expect(live.hits).toHaveLength(2);
  });

  test("an address refused at delivery fails without retry and is never contacted", async () => {
    const canary = receiver([200]);
    stops.push(canary.stop);
    const s = await signalWith([canary.url.replace("127.0.0.1", "rebind.example.com")]);
    const strict = createDeliveryWorker({
      store: store.signals, clock, log: silentLogger(), workerId: "w2", policy: createWebhookPolicy({ allowHttp: true, allowHosts: [] }),
      resolver: async () => [{ address: "127.0.0.1", family: 4 }], retry: retryPolicy(1_000), concurrency: 1, timeoutMs: 2_000,
    });
    strict.start();
    await createOutbox({ store: store.signals, clock, worker: strict }).fire(s, firing(s));
    await strict.whenIdle();
    await strict.stop(0);
    expect(canary.hits).toHaveLength(0);
    expect((await deliveries(s))[0]).toMatchObject({ status: "failed", attempts: 1, lastStatus: null, nextAttemptAt: null });
    expect((await deliveries(s))[0]!.lastError).toContain("non-public address");
  });

  test("a failing receiver is given up on at the horizon", async () => {
    const r = receiver([500]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    worker.start();
    await outbox.fire(s, firing(s));
    await runUntil(T0 + retryPolicy(1_000).horizonMs + 1);
    const [d] = await deliveries(s);
    expect(d).toMatchObject({ status: "failed", attempts: r.hits.length, nextAttemptAt: null });
    expect(r.hits.length).toBe(11);
    expect(d!.lastError).toContain("gave up after 11 attempts");
  });

  test("test events go out as signal.test; a channel replaced since the firing is cancelled", async () => {
    const r = receiver([200]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    const [probe] = await outbox.sendTest(s);
    expect(JSON.parse(probe!.body)).toMatchObject({ type: "signal.test", data: { test: true, signal_id: s.id } });
    await store.signals.update(s.userId, s.id, { channels: [{ type: "webhook", url: `${r.url}?v=2`, secret: SECRET }] }, T0 + 1);
    worker.start();
    await worker.whenIdle();
    expect(r.hits).toHaveLength(0);
    expect((await deliveries(s))[0]).toMatchObject({ status: "cancelled", lastError: "channel removed from the signal" });
    expect((await store.signals.byId(s.id))?.lastFiredAt).toBeNull();
  });

  test("a paced test event (backtest dry run) waits for its due time", async () => {
    const r = receiver([200]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    worker.start();
    const [row] = await outbox.sendTest(s, { firedAt: T0 - 60_000, values: { trade_price: "3" }, dueAt: T0 + 5_000 });
    expect(JSON.parse(row!.body).data).toMatchObject({ fired_at: T0 - 60_000, values: { trade_price: "3" }, test: true });
    await runUntil(T0 + 4_999);
    expect(r.hits).toHaveLength(0);
    await runUntil(T0 + 5_000);
    expect(r.hits.map((h) => h.id)).toEqual([row!.id]);
  });

  test("the start delay holds the first claim back; a row written before start goes out under its id", async () => {
    const r = receiver([200]);
    stops.push(r.stop);
    const s = await signalWith([r.url]);
    const [row] = await createOutbox({ store: store.signals, clock }).fire(s, firing(s));
    const delayed = createDeliveryWorker({
      store: store.signals, clock, log: silentLogger(), workerId: "w3", policy, retry: retryPolicy(1_000), concurrency: 1, timeoutMs: 2_000, startDelayMs: 5_000,
    });
    delayed.start();
    delayed.kick();
    await delayed.whenIdle();
    clock.advance(4_999);
    await delayed.whenIdle();
    expect(r.hits).toHaveLength(0);
    clock.advance(1);
    await delayed.whenIdle();
    await delayed.stop(0);
    expect(r.hits.map((h) => h.id)).toEqual([row!.id]);
  });
});
