/**
 * Signals across nodes, with real processes on PostgreSQL and Redis: a signal created, changed and
 * deleted through a ROLE=api node (which evaluates and delivers nothing itself) reaches the ingest
 * leader through the store. The leader's SignalActors fire, its worker delivers a webhook that
 * `standardwebhooks` verifies, and its /metrics follow the changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { provisionApiKey, TEST_ADMIN_TOKEN } from "../support/api-key";
import { spawnService, tempDir, type ServiceProcess } from "../support/process";
import { hasPostgres, hasRedis, PG_URL, REDIS_URL, uniqueName } from "../support/services";
import { getData, until } from "../support/sim-world";

const ELECTED = /"msg":"ingest leader elected"/;
const SECRET = "multinode-signal-secret-0123456789";

describe.skipIf(!hasPostgres || !hasRedis)("signals on an api node and the ingest leader (PostgreSQL + Redis)", () => {
  const database = uniqueName("hl_sig").toLowerCase();
  const pgUrl = new URL(PG_URL);
  pgUrl.pathname = `/${database}`;
  // A Redis database of its own: the live market list and key caches are not shared with other suites.
  const redisUrl = `${REDIS_URL.replace(/\/\d*$/, "")}/13`;
  const procs: ServiceProcess[] = [];
  const dirs: string[] = [];
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  const got: Array<{ headers: Record<string, string>; body: string }> = [];
  const receiver = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    async fetch(req) {
      got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response("ok");
    },
  });

  const start = (role: string) => {
    const dir = tempDir(`signals-${role}`);
    dirs.push(dir);
    const p = spawnService({
      ROLE: role, DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl, DATA_DIR: dir, ADMIN_TOKEN: TEST_ADMIN_TOKEN, LIGHTER_MARKETS: "0", SIM_RATE: "100",
      WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_ALLOW_HTTP: "true",
    });
    procs.push(p);
    return p;
  };
  const gauge = async (base: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(await (await fetch(`${base}/metrics`)).text())?.[1]);

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    receiver.stop(true);
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("CRUD on the api node reaches the leader's engine; the leader fires and delivers", async () => {
    // Arrange: the leader first (it migrates and ingests), then an api node on the same store.
    const leader = start("all");
    await leader.waitFor(ELECTED, 30_000);
    const leaderBase = `http://127.0.0.1:${await leader.port()}`;
    const api = start("api");
    const apiBase = `http://127.0.0.1:${await api.port()}`;
    const key = await provisionApiKey(leaderBase);
    await until("market 0 listed on the api node", () => getData(apiBase, "/api/v1/orderbook/0", key).then(() => true), 30_000);
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(apiBase + path, { method, headers: { "x-api-key": key, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, data: ((await res.json()) as { data: Record<string, unknown> }).data };
    };

    // Act: create through the api node.
    const created = await send("POST", "/api/v1/signals", {
      name: "multinode", market_id: 0, rule_definition: { conditions: [{ field: "trade_size", op: "gt", value: 0 }], logic: "AND" },
      delivery_channels: [{ type: "webhook", url: `http://127.0.0.1:${receiver.port}/hook`, secret: SECRET }], cooldown_secs: 3600,
    });
    expect(created.status).toBe(201);
    const id = created.data.id as string;

    // Assert: the leader loads it (the api node never evaluates), fires, and delivers.
    await until("loaded on the leader", async () => (await gauge(leaderBase, "hl_signals_active")) === 1 || undefined, 15_000);
    expect(await gauge(apiBase, "hl_signals_active")).toBe(0);
    const req = await until("the webhook", () => got.find((r) => r.body.includes(id)), 30_000);
    new Webhook(new TextEncoder().encode(SECRET), { format: "raw" }).verify(req.body, req.headers);
    const deliveries = await until("delivered, as the api node reads it", async () => {
      const d = await getData<{ deliveries: Array<{ id: string; status: string }> }>(apiBase, `/api/v1/signals/${id}/deliveries`, key);
      return d.deliveries[0]?.status === "delivered" ? d.deliveries : undefined;
    });
    expect(deliveries.map((d) => d.id)).toEqual([req.headers["webhook-id"]!]);

    // Act + assert: disabling and deleting on the api node stop it on the leader.
    expect((await send("PATCH", `/api/v1/signals/${id}`, { enabled: false })).status).toBe(200);
    await until("disabled on the leader", async () => (await gauge(leaderBase, "hl_signals_active")) === 0 || undefined, 15_000);
    expect((await send("PATCH", `/api/v1/signals/${id}`, { enabled: true })).status).toBe(200);
    await until("enabled again on the leader", async () => (await gauge(leaderBase, "hl_signals_active")) === 1 || undefined, 15_000);
    expect((await send("DELETE", `/api/v1/signals/${id}`)).status).toBe(200);
    await until("deleted on the leader", async () => (await gauge(leaderBase, "hl_signals_active")) === 0 || undefined, 15_000);
    // One firing in all: the cooldown was carried over when the signal came back.
    expect(got.filter((r) => r.body.includes(id))).toHaveLength(1);
  }, 120_000);
});
