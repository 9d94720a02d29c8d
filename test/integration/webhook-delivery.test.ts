/**
 * Webhook delivery end to end, on the real clock with the retry schedule compressed through
 * configuration (WEBHOOK_RETRY_BASE_MS): a flaky receiver gets every firing at least once under one
 * webhook-id, a 410 disables its channel, and two workers in two processes sharing one outbox
 * (a SQLite file, a PostgreSQL schema) never send the same attempt twice.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { loadConfig } from "../../src/config.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { createDeliveryWorker, createOutbox, deliveryConfig } from "../../src/signals/delivery/index.ts";
import type { Store } from "../../src/store/ports.ts";
import type { SignalRecord } from "../../src/store/signals.port.ts";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { LineReader, waitFor } from "../contract/wait.ts";
import { tempDir } from "../support/process.ts";
import { PG_URL, hasPostgres, uniqueName } from "../support/services.ts";

const SECRET = "integration-secret-0123456789";
const CHILD = resolve(import.meta.dir, "../fixtures/webhook-worker-child.ts");
const dir = tempDir("webhooks");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newSignal = (store: Store, urls: string[]) =>
  store.signals.create({
    userId: "usr_hooks", name: "flaky", venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
    rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
    channels: urls.map((url) => ({ type: "webhook" as const, url, secret: SECRET })),
  }, systemClock.now());
const firing = (s: SignalRecord, ts: number) => ({ signalId: s.id, venue: s.venue, marketId: s.marketId, ts, values: { trade_price: String(ts) } });

interface Hit { id: string; body: string; verified: boolean }

/** Bun.serve on loopback; `answer` decides each response from the hit and how often its id came before. */
function receiver(answer: (hit: Hit, seenBefore: number) => Response | Promise<Response>) {
  const hits: Hit[] = [];
  const wh = new Webhook(SECRET, { format: "raw" });
  const server = Bun.serve({
    port: 0, hostname: "127.0.0.1", idleTimeout: 0,
    async fetch(req) {
      const body = await req.text();
      const headers = Object.fromEntries(req.headers);
      let verified = true;
      try {
        wh.verify(body, headers);
      } catch {
        verified = false;
      }
      const hit = { id: headers["webhook-id"] ?? "", body, verified };
      const before = hits.filter((h) => h.id === hit.id).length;
      hits.push(hit);
      return answer(hit, before);
    },
  });
  return { hits, url: `http://127.0.0.1:${server.port}/hook`, stop: () => server.stop(true) };
}

describe("webhook delivery", () => {
  test("a flaky receiver (500, hang past the timeout, 302, then 200) gets every firing under one id; a 410 disables its channel", async () => {
    const config = loadConfig({ WEBHOOK_RETRY_BASE_MS: "10", WEBHOOK_TIMEOUT_MS: "250", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_CONCURRENCY: "8" });
    const hung: Array<() => void> = [];
    const flaky = receiver((_, before) => {
      if (before === 0) return new Response("boom", { status: 500 });
      if (before === 1) return new Promise<Response>((r) => hung.push(() => r(new Response("late"))));
      if (before === 2) return new Response(null, { status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } });
      return new Response("ok");
    });
    const gone = receiver(() => new Response("gone", { status: 410 }));
    const store = await openSqliteStore({ path: join(dir, "flaky.db") });
    await store.migrate();
    const worker = createDeliveryWorker({ store: store.signals, clock: systemClock, log: silentLogger(), workerId: "flaky-w", ...deliveryConfig(config) });
    const outbox = createOutbox({ store: store.signals, clock: systemClock, worker });
    try {
      const s = await newSignal(store, [flaky.url, gone.url]);
      worker.start();
      const t = systemClock.now();
      const rows = (await Promise.all(Array.from({ length: 10 }, (_, i) => outbox.fire(s, firing(s, t + i))))).flat();
      const toFlaky = rows.filter((r) => r.channel === 0);
      expect(toFlaky).toHaveLength(10);
      const settled = async () => (await store.signals.listDeliveries(s.userId, s.id, { limit: 100, offset: 0 })).rows.every((d) => d.status !== "pending");
      await waitFor("every delivery to settle", settled, { timeoutMs: 20_000 });

      const deliveries = (await store.signals.listDeliveries(s.userId, s.id, { limit: 100, offset: 0 })).rows;
      for (const d of toFlaky) {
        const mine = flaky.hits.filter((h) => h.id === d.id);
        expect(mine).toHaveLength(4);
        expect(new Set(mine.map((h) => h.body))).toEqual(new Set([d.body]));
        expect(deliveries.find((x) => x.id === d.id)).toMatchObject({ status: "delivered", attempts: 4 });
      }
      expect(flaky.hits.every((h) => h.verified)).toBe(true);
      expect(new Set(flaky.hits.map((h) => h.id))).toEqual(new Set(toFlaky.map((d) => d.id)));

      const toGone = deliveries.filter((d) => d.channel === 1);
      expect(toGone.some((d) => d.status === "failed" && d.lastStatus === 410)).toBe(true);
      expect(toGone.every((d) => d.status === "failed" || d.status === "cancelled")).toBe(true);
      expect(gone.hits.length).toBe(toGone.filter((d) => d.status === "failed").length);
      const after = (await store.signals.byId(s.id))!;
      expect(after.channels[1]!.disabledAt).not.toBeNull();
      const later = await outbox.fire(after, firing(after, t + 100));
      expect(later.map((d) => d.channel)).toEqual([0]);
    } finally {
      await worker.stop(1_000);
      for (const release of hung) release();
      flaky.stop();
      gone.stop();
      await store.close();
    }
  });

  describe.each([
    ["sqlite", true],
    ["postgres", hasPostgres],
  ] as const)("two workers in two processes on one %s outbox", (backend, available) => {
    const schema = uniqueName("hooks");
    afterAll(async () => {
      if (backend !== "postgres" || !available) return;
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
    });

    test.skipIf(!available)("never send the same attempt twice, and share the work", async () => {
      const N = 120;
      const env = { WEBHOOK_RETRY_BASE_MS: "10", WEBHOOK_TIMEOUT_MS: "10000", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_CONCURRENCY: "4" };
      const path = join(dir, "shared.db");
      const open = () => (backend === "sqlite" ? openSqliteStore({ path }) : openPostgresStore({ url: PG_URL, schema, max: 4 }));
      // Requests are held until 8 are in flight: more than one worker's concurrency (4), so every
      // release proves both workers were sending at once. The last few are released when all are in.
      let held: Array<() => void> = [];
      let released = 0;
      let peak = 0;
      const hooks = receiver(() => new Promise<Response>((r) => {
        held.push(() => r(new Response("ok")));
        peak = Math.max(peak, held.length);
        if (held.length >= 8 || released + held.length >= N) {
          released += held.length;
          const batch = held;
          held = [];
          for (const release of batch) release();
        }
      }));
      const store = await open();
      await store.migrate();
      const local = createDeliveryWorker({ store: store.signals, clock: systemClock, log: silentLogger(), workerId: "parent", ...deliveryConfig(loadConfig(env)) });
      const child = Bun.spawn([process.execPath, CHILD, "child", backend, backend === "sqlite" ? path : PG_URL, schema], {
        env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "inherit",
      });
      const out = new LineReader(child.stdout);
      try {
        const s = await newSignal(store, [hooks.url]);
        const outbox = createOutbox({ store: store.signals, clock: systemClock });
        const t = systemClock.now();
        for (let i = 0; i < N; i++) await outbox.fire(s, firing(s, t + i));
        await out.waitForLine(/^ready$/, 20_000);
        local.start();
        const done = async () => (await store.signals.listDeliveries(s.userId, s.id, { limit: 1, offset: 0 })).total === N &&
          (await store.signals.listDeliveries(s.userId, s.id, { limit: N, offset: 0 })).rows.every((d) => d.status === "delivered");
        await waitFor(`all ${N} deliveries delivered`, done, { timeoutMs: 30_000 });
        child.kill("SIGTERM");
        const childStats = JSON.parse((await out.waitForLine(/^stats /, 10_000)).slice(6)) as { delivered: number; lostClaims: number };
        await local.stop();

        const ids = hooks.hits.map((h) => h.id);
        expect(ids).toHaveLength(N);
        expect(new Set(ids).size).toBe(N);
        expect(peak).toBeGreaterThanOrEqual(8);
        expect(local.stats().delivered + childStats.delivered).toBe(N);
        expect(local.stats().delivered).toBeGreaterThan(0);
        expect(childStats.delivered).toBeGreaterThan(0);
        expect(local.stats().lostClaims + childStats.lostClaims).toBe(0);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
        await local.stop(0);
        for (const release of held) release();
        hooks.stop();
        await store.close();
      }
    }, 60_000);
  });
});
