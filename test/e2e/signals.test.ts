/**
 * Signals end to end, against the real service process with its embedded simulator:
 * - a signal whose rule the simulator's trades satisfy fires, and a local receiver gets a webhook
 *   that the npm `standardwebhooks` package verifies (raw-secret mode), with the simple sha256
 *   header matching too, and the delivery shows as delivered under the same id;
 * - backtests (stored and unsaved rules) equal a recomputation from the trades GET /trades/by-time
 *   returns for the same range;
 * - SIGKILL after the firing is committed to the outbox but before it is sent (the worker's first
 *   claim is held back by WEBHOOK_START_DELAY_MS): after a restart on the same DATA_DIR the
 *   receiver gets it, once, with exactly the recorded webhook-id.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { rmSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../support/api-key";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { getData, until } from "../support/sim-world";

const SECRET = "e2e-signal-secret-ünïcode-0123456789";

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A local webhook receiver that records every request and answers 200. */
function startReceiver() {
  const got: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response("ok");
    },
  });
  return { got, url: `http://127.0.0.1:${server.port}/hook`, stop: () => server.stop(true) };
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  test: boolean;
  payload: { type: string; data: { values: Record<string, string>; fired_at: number } };
  attempt_history: Array<{ attempt: number; http_status: number | null; outcome: string }>;
}

async function call(base: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method, headers: { "x-api-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> & { id?: string } } };
}

const deliveries = (base: string, key: string, id: string) => getData<{ deliveries: Delivery[] }>(base, `/api/v1/signals/${id}/deliveries`, key).then((d) => d.deliveries);

const signalBody = (url: string, rule: unknown, cooldown: number) => ({
  name: "e2e", market_id: 0, rule_definition: rule, delivery_channels: [{ type: "webhook", url, secret: SECRET }], cooldown_secs: cooldown,
});

const serviceEnv = (dir: string, extra: Record<string, string> = {}) => ({
  DATA_DIR: dir, ADMIN_TOKEN: TEST_ADMIN_TOKEN, LIGHTER_MARKETS: "0", SIM_RATE: "100", LOG_LEVEL: "info",
  WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_ALLOW_HTTP: "true", ...extra,
});

async function startNode(procs: ServiceProcess[], env: Record<string, string>): Promise<string> {
  const p = spawnService(env);
  procs.push(p);
  return `http://127.0.0.1:${await p.port()}`;
}

/** The market is live once its book is served (signals need it in the venue's market list). */
const marketLive = (base: string, key: string) => until("market 0 live", () => getData(base, "/api/v1/orderbook/0", key).then(() => true), 30_000);

describe("signals against a real service", () => {
  const dir = tempDir("signals-e2e");
  const procs: ServiceProcess[] = [];
  const receiver = startReceiver();
  let base = "";
  let key = "";
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a firing reaches a local receiver, signed so that standardwebhooks verifies it", async () => {
    base = await startNode(procs, serviceEnv(dir));
    key = await provisionApiKey(base);
    await marketLive(base, key);

    // Act: any trade satisfies the rule; the cooldown keeps it to one firing.
    const created = await call(base, key, "POST", "/api/v1/signals", signalBody(receiver.url, { conditions: [{ field: "trade_size", op: "gt", value: 0 }], logic: "AND" }, 3600));
    expect(created.status).toBe(201);
    const id = created.body.data.id!;
    const req = await until("the webhook", () => receiver.got.find((r) => r.body.includes(id)), 30_000);

    // Assert: both signatures, the payload, and the recorded delivery.
    const wh = new Webhook(new TextEncoder().encode(SECRET), { format: "raw" });
    const event = wh.verify(req.body, req.headers) as { type: string; data: { signal_id: string; test: boolean; values: Record<string, string> } };
    expect([event.type, event.data.signal_id, event.data.test]).toEqual(["signal.fired", id, false]);
    expect(Number(event.data.values.trade_size)).toBeGreaterThan(0);
    expect(req.headers["x-hyperlight-signature"]).toBe("sha256=" + createHmac("sha256", SECRET).update(req.body).digest("hex"));
    const tampered = req.body.replace(/}$/, ' }');
    expect(() => wh.verify(tampered, req.headers)).toThrow();
    const [d] = await until("the delivery recorded as delivered", async () => {
      const list = await deliveries(base, key, id);
      return list.length === 1 && list[0]!.status === "delivered" ? list : undefined;
    });
    expect(d!.id).toBe(req.headers["webhook-id"]!);
    expect(d!.attempt_history).toMatchObject([{ attempt: 1, http_status: 200, outcome: "delivered" }]);
    expect(JSON.parse(req.body)).toEqual(d!.payload);
  }, 60_000);

  test("POST …/test sends a signed test event", async () => {
    const created = await call(base, key, "POST", "/api/v1/signals", signalBody(receiver.url, { conditions: [{ field: "trade_price", op: "lt", value: 0 }], logic: "OR" }, 60));
    const id = created.body.data.id!;
    const sent = await call(base, key, "POST", `/api/v1/signals/${id}/test`);
    expect(sent.status).toBe(202);
    const [deliveryId] = sent.body.data.delivery_ids as string[];
    const req = await until("the test event", () => receiver.got.find((r) => r.headers["webhook-id"] === deliveryId), 30_000);
    const event = new Webhook(new TextEncoder().encode(SECRET), { format: "raw" }).verify(req.body, req.headers) as { type: string; data: { test: boolean } };
    expect([event.type, event.data.test]).toEqual(["signal.test", true]);
  }, 60_000);

  test("backtests equal a recomputation from the stored trades of the same range", async () => {
    interface WireTrade { trade_id: number; price: string; size: string; timestamp: number }
    // Arrange: a closed range with enough stored trades.
    const start = Date.now() - 1_000;
    await until("trades to accumulate", async () => {
      const t = await getData<{ trades: WireTrade[] }>(base, `/api/v1/trades/by-time?market_id=0&start=${start}&limit=1000`, key);
      // Enough trades over enough time for several 1 s cooldowns.
      return t.trades.length >= 60 && t.trades.at(-1)!.timestamp - t.trades[0]!.timestamp >= 4_000;
    }, 60_000);
    const end = Date.now() - 2_000;
    const inRange: WireTrade[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await getData<{ trades: WireTrade[] }>(base, `/api/v1/trades/by-time?market_id=0&start=${start - 20_000}&end=${end}&limit=1000&offset=${offset}`, key);
      inRange.push(...page.trades);
      if (page.trades.length < 1000) break;
    }
    expect(inRange.length).toBeGreaterThan(20);
    const threshold = inRange[Math.floor(inRange.length / 2)]!.price;

    // Expected: crosses_above fires where previous ≤ v < current, except within 1 s (its cooldown) of its last firing.
    const v = Number(threshold);
    const crosses: WireTrade[] = [];
    inRange.forEach((t, i) => {
      const crossed = i > 0 && Number(inRange[i - 1]!.price) <= v && Number(t.price) > v;
      if (crossed && (crosses.length === 0 || t.timestamp >= crosses.at(-1)!.timestamp + 1_000)) crosses.push(t);
    });
    // …and gte on size with a 1 s cooldown fires on the first qualifying trade after each cooldown.
    const sizeV = inRange.map((t) => t.size).sort((a, b) => Number(a) - Number(b))[Math.floor(inRange.length / 3)]!;
    const sized: WireTrade[] = [];
    for (const t of inRange) if (Number(t.size) >= Number(sizeV) && (sized.length === 0 || t.timestamp >= sized.at(-1)!.timestamp + 1_000)) sized.push(t);

    expect(crosses.length).toBeGreaterThan(0);
    expect(sized.length).toBeGreaterThan(1);

    // Act
    const saved = await call(base, key, "POST", "/api/v1/signals", signalBody(receiver.url, { conditions: [{ field: "trade_price", op: "crosses_above", value: threshold }], logic: "AND" }, 1));
    const bt = await call(base, key, "GET", `/api/v1/signals/${saved.body.data.id}/backtest?start=${start - 20_000}&end=${end}`);
    const unsaved = await call(base, key, "POST", "/api/v1/signals/backtest", {
      market_id: 0, rule_definition: { conditions: [{ field: "trade_size", op: "gte", value: sizeV }], logic: "AND" }, cooldown_secs: 1, start: start - 20_000, end,
    });

    // Assert
    expect(bt.status).toBe(200);
    const got = bt.body.data as { count: number; firings: Array<{ ts: number; values: Record<string, string> }> };
    expect(got.firings.map((f) => [f.ts, Number(f.values.trade_price)])).toEqual(crosses.map((t) => [t.timestamp, Number(t.price)]));
    expect(got.count).toBe(crosses.length);
    expect(unsaved.status).toBe(200);
    const got2 = unsaved.body.data as { count: number; firings: Array<{ ts: number; values: Record<string, string> }> };
    expect(got2.firings.map((f) => [f.ts, Number(f.values.trade_size)])).toEqual(sized.map((t) => [t.timestamp, Number(t.size)]));
    expect(got2.count).toBe(sized.length);

    // Dry run: the same firings, sent as test events through the outbox, paced.
    const dry = await call(base, key, "GET", `/api/v1/signals/${saved.body.data.id}/backtest?start=${start - 20_000}&end=${end}&deliver=dry_run&pace_ms=20`);
    const ids = (dry.body.data.dry_run as { delivery_ids: string[] }).delivery_ids;
    expect(ids).toHaveLength(Math.min(crosses.length, 100));
    const sent = await until("every dry-run event", () => {
      const byId = new Map(receiver.got.map((r) => [r.headers["webhook-id"], r]));
      return ids.every((i) => byId.has(i)) ? ids.map((i) => JSON.parse(byId.get(i)!.body) as { type: string; data: { fired_at: number; test: boolean } }) : undefined;
    }, 30_000);
    expect(sent.map((e) => [e.type, e.data.test, e.data.fired_at])).toEqual(crosses.slice(0, 100).map((t) => ["signal.test", true, t.timestamp]));
  }, 90_000);
});

describe("SIGKILL between the outbox write and the send", () => {
  const dir = tempDir("signals-kill");
  const procs: ServiceProcess[] = [];
  const receiver = startReceiver();
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the committed firing is delivered after a restart, once, with the recorded webhook-id", async () => {
    // Arrange: a node whose delivery worker never gets to claim.
    const base = await startNode(procs, serviceEnv(dir, { WEBHOOK_START_DELAY_MS: "600000" }));
    const key = await provisionApiKey(base);
    await marketLive(base, key);
    const created = await call(base, key, "POST", "/api/v1/signals", signalBody(receiver.url, { conditions: [{ field: "trade_size", op: "gt", value: 0 }], logic: "AND" }, 3600));
    const id = created.body.data.id!;
    const [recorded] = await until("the firing committed to the outbox", async () => {
      const list = await deliveries(base, key, id);
      return list.length > 0 ? list : undefined;
    }, 30_000);
    expect(recorded!.status).toBe("pending");
    expect(receiver.got).toEqual([]);

    // Act: kill -9, then a node with an immediate worker on the same DATA_DIR.
    const first = procs[0]!;
    first.kill("SIGKILL");
    await first.exited;
    const base2 = await startNode(procs, serviceEnv(dir));

    // Assert: delivered with the id recorded before the kill, and nothing else sent for it.
    const req = await until("the delivery after the restart", () => receiver.got.find((r) => r.body.includes(id)), 30_000);
    expect(req.headers["webhook-id"]).toBe(recorded!.id);
    new Webhook(new TextEncoder().encode(SECRET), { format: "raw" }).verify(req.body, req.headers);
    await until("recorded as delivered", async () => (await deliveries(base2, key, id)).every((d) => d.status === "delivered") || undefined);
    const all = await deliveries(base2, key, id);
    expect(all.map((d) => d.id)).toEqual([recorded!.id]);
    expect(receiver.got.filter((r) => r.body.includes(id)).map((r) => r.headers["webhook-id"])).toEqual([recorded!.id]);
    // A graceful stop (signals runtime, worker, pipeline, store, in that order) exits cleanly.
    const second = procs[1]!;
    second.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);
});
