/**
 * The /api/v1/signals routes over real HTTP, a real SQLite store and the identity runtime:
 * validation paths, owner scoping, secrets never returned, the plan's signal limit, PATCH,
 * DELETE, pagination, test events, backtest bounds, and auth by JWT and by API key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../../lib/clock";
import { createLiveMarkets, type MarketInfo } from "../../../market/live";
import { startIdentityApp, type IdentityApp } from "../../../../test/support/identity";

const clock = new ManualClock(Date.UTC(2026, 2, 10, 12));
const MARKET: MarketInfo = {
  venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200,
};
/** A public address literal: passes the SSRF policy without a DNS lookup. */
const HOOK = "https://93.184.215.14/hook";
const SECRET = "a-very-secret-webhook-key-42";

let h: IdentityApp;
let alice: Awaited<ReturnType<IdentityApp["register"]>>;
let bob: Awaited<ReturnType<IdentityApp["register"]>>;

const jwt = (u: { token: string }) => ({ authorization: `Bearer ${u.token}` });
const key = (u: { apiKey: string }) => ({ "x-api-key": u.apiKey });
const body = (over: Record<string, unknown> = {}) => ({
  name: "ETH above 4000", market_id: 0,
  rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: 4000 }], logic: "AND" },
  delivery_channels: [{ type: "webhook", url: HOOK, secret: SECRET }], cooldown_secs: 300, ...over,
});
const create = (u: { token: string }, over: Record<string, unknown> = {}) => h.call("POST", "/api/v1/signals", { headers: jwt(u), body: body(over) });

beforeAll(async () => {
  h = await startIdentityApp({ clock, marketData: true });
  await createLiveMarkets(h.cache).putMarkets("lighter", [MARKET]);
  alice = await h.register();
  bob = await h.register();
  await h.identity.admin.setPlan(alice.userId, "growth", { via: "cli" });
});
afterAll(() => h?.close());

describe("create and read", () => {
  test("by JWT: 201 with the signal, defaults applied, and the secret only as a 4-character hint", async () => {
    const r = await create(alice, { cooldown_secs: undefined, enabled: undefined });
    expect(r.status).toBe(201);
    const s = r.body.data as Record<string, unknown>;
    expect(s).toMatchObject({ name: "ETH above 4000", market_id: 0, cooldown_secs: 60, enabled: true, last_fired_at: null });
    expect(String(s.id)).toMatch(/^sig_/);
    expect(s.delivery_channels).toEqual([{ type: "webhook", url: HOOK, disabled_at: null }]);
    const got = await h.call("GET", `/api/v1/signals/${s.id}`, { headers: jwt(alice) });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(s);
    for (const text of [JSON.stringify(r.body), JSON.stringify(got.body)]) expect(text).not.toContain(SECRET);
  });

  test("by API key: the same routes answer for the key's account", async () => {
    const r = await h.call("POST", "/api/v1/signals", { headers: key(alice), body: body({ name: "by key" }) });
    expect(r.status).toBe(201);
    const list = await h.call("GET", "/api/v1/signals?limit=200", { headers: key(alice) });
    expect((list.body.data.signals as Array<{ id: string }>).map((s) => s.id)).toContain(r.body.data.id as string);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
  });

  test("the secret is in no log line either", async () => {
    await h.flushLogs();
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(h.logLines.filter((l) => l.includes(SECRET))).toEqual([]);
  });

  test("without credentials: 401", async () => {
    expect((await h.call("GET", "/api/v1/signals")).status).toBe(401);
    expect((await h.call("POST", "/api/v1/signals", { body: body() })).status).toBe(401);
  });
});

describe("validation names the offending path", () => {
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ["unknown field", { rule_definition: { conditions: [{ field: "price", op: "gt", value: 1 }], logic: "AND" } }, 400, "rule_definition.conditions.0.field"],
    ["unknown op", { rule_definition: { conditions: [{ field: "trade_price", op: "above", value: 1 }], logic: "AND" } }, 400, "rule_definition.conditions.0.op"],
    ["value not a decimal", { rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: "1e5" }], logic: "AND" } }, 400, "rule_definition.conditions.0.value"],
    ["second condition's value", { rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: 1 }, { field: "trade_size", op: "lt", value: "abc" }], logic: "OR" } }, 400, "rule_definition.conditions.1.value"],
    ["no conditions", { rule_definition: { conditions: [], logic: "AND" } }, 400, "rule_definition.conditions"],
    ["bad logic", { rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "XOR" } }, 400, "rule_definition.logic"],
    ["short secret", { delivery_channels: [{ type: "webhook", url: HOOK, secret: "short" }] }, 400, "delivery_channels.0.secret"],
    ["no channel", { delivery_channels: [] }, 400, "delivery_channels"],
    ["loopback URL", { delivery_channels: [{ type: "webhook", url: "https://127.0.0.1/hook", secret: SECRET }] }, 400, "delivery_channels.0.url"],
    ["credentials in the URL", { delivery_channels: [{ type: "webhook", url: HOOK, secret: SECRET }, { type: "webhook", url: "https://u:p@93.184.215.14/", secret: SECRET }] }, 400, "delivery_channels.1.url"],
    ["plain http", { delivery_channels: [{ type: "webhook", url: "http://93.184.215.14/hook", secret: SECRET }] }, 400, "delivery_channels.0.url"],
    ["cooldown too long", { cooldown_secs: 86_401 }, 400, "cooldown_secs"],
    ["unknown market", { market_id: 99 }, 404, "market_id"],
  ];
  for (const [what, over, status, field] of cases) {
    test(`${what} → ${status} naming ${field}`, async () => {
      const before = (await h.call("GET", "/api/v1/signals", { headers: jwt(alice) })).body.meta.total;
      const r = await create(alice, over);
      expect(r.status).toBe(status);
      expect(r.body.success).toBe(false);
      expect(r.body.data.details?.field).toBe(field);
      expect((await h.call("GET", "/api/v1/signals", { headers: jwt(alice) })).body.meta.total).toBe(before);
    });
  }
});

describe("owner scoping", () => {
  test("another account's signal is 404 on every route, and is left untouched", async () => {
    const id = (await create(alice)).body.data.id as string;
    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/api/v1/signals/${id}`], ["PATCH", `/api/v1/signals/${id}`, { name: "mine now" }], ["DELETE", `/api/v1/signals/${id}`],
      ["GET", `/api/v1/signals/${id}/deliveries`], ["POST", `/api/v1/signals/${id}/test`], ["GET", `/api/v1/signals/${id}/backtest?start=${clock.now() - 3_600_000}`],
    ];
    for (const [method, path, b] of routes) {
      const r = await h.call(method, path, { headers: jwt(bob), body: b });
      expect([method, path, r.status, r.body.data.code]).toEqual([method, path, 404, "not_found"]);
    }
    const still = await h.call("GET", `/api/v1/signals/${id}`, { headers: jwt(alice) });
    expect(still.body.data.name).toBe("ETH above 4000");
    expect((await h.call("GET", "/api/v1/signals", { headers: jwt(bob) })).body.meta.total).toBe(0);
  });
});

describe("PATCH and DELETE", () => {
  test("PATCH changes only what it names and revalidates it", async () => {
    const s = (await create(alice)).body.data as { id: string; updated_at: number };
    clock.advance(1_000);
    const bad = await h.call("PATCH", `/api/v1/signals/${s.id}`, { headers: jwt(alice), body: { rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: "x" }], logic: "AND" } } });
    expect(bad.status).toBe(400);
    expect(bad.body.data.details?.field).toBe("rule_definition.conditions.0.value");
    const badUrl = await h.call("PATCH", `/api/v1/signals/${s.id}`, { headers: jwt(alice), body: { delivery_channels: [{ type: "webhook", url: "https://10.0.0.1/", secret: SECRET }] } });
    expect(badUrl.body.data.details?.field).toBe("delivery_channels.0.url");
    const ok = await h.call("PATCH", `/api/v1/signals/${s.id}`, {
      headers: jwt(alice), body: { name: "renamed", enabled: false, delivery_channels: [{ type: "webhook", url: HOOK + "2", secret: "another-secret-value-WXYZ" }] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ name: "renamed", enabled: false, cooldown_secs: 300, rule_definition: { conditions: [{ field: "trade_price", op: "gt", value: 4000 }], logic: "AND" } });
    expect(ok.body.data.delivery_channels).toEqual([{ type: "webhook", url: HOOK + "2", disabled_at: null }]);
    expect(ok.body.data.updated_at as number).toBeGreaterThan(s.updated_at);
  });

  test("DELETE removes it: 200, then 404, and the list no longer counts it", async () => {
    const id = (await create(alice)).body.data.id as string;
    const total = (await h.call("GET", "/api/v1/signals", { headers: jwt(alice) })).body.meta.total as number;
    const del = await h.call("DELETE", `/api/v1/signals/${id}`, { headers: jwt(alice) });
    expect([del.status, del.body.data]).toEqual([200, { id, deleted: true }]);
    expect((await h.call("GET", `/api/v1/signals/${id}`, { headers: jwt(alice) })).status).toBe(404);
    expect((await h.call("DELETE", `/api/v1/signals/${id}`, { headers: jwt(alice) })).status).toBe(404);
    expect((await h.call("GET", "/api/v1/signals", { headers: jwt(alice) })).body.meta.total).toBe(total - 1);
  });
});

describe("pagination", () => {
  test("limit and offset page through every signal; meta.total counts all", async () => {
    const total = (await h.call("GET", "/api/v1/signals", { headers: jwt(alice) })).body.meta.total as number;
    expect(total).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    for (let offset = 0; offset < total; offset += 2) {
      const r = await h.call("GET", `/api/v1/signals?limit=2&offset=${offset}`, { headers: jwt(alice) });
      expect(r.body.meta).toMatchObject({ total, limit: 2, offset });
      seen.push(...(r.body.data.signals as Array<{ id: string }>).map((s) => s.id));
    }
    expect(new Set(seen).size).toBe(total);
    expect((await h.call("GET", "/api/v1/signals?limit=0", { headers: jwt(alice) })).status).toBe(400);
  });
});

describe("plan limit", () => {
  test("Free allows 3 signals: the 4th is 403 with the limit; deleting one makes room", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await create(bob);
      expect(r.status).toBe(201);
      ids.push(r.body.data.id as string);
    }
    const over = await create(bob);
    expect(over.status).toBe(403);
    expect(over.body.data.code).toBe("forbidden");
    expect(over.body.data.details).toMatchObject({ reason: "signal_limit", limit: 3, plan: "free" });
    await h.call("DELETE", `/api/v1/signals/${ids[0]}`, { headers: jwt(bob) });
    expect((await create(bob)).status).toBe(201);
  });

  test("creates racing at the Free limit: exactly 3 are 201, the rest 403 signal_limit", async () => {
    const carol = await h.register();
    const results = await Promise.all(Array.from({ length: 8 }, () => create(carol)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    for (const r of refused) expect(r.body.data.details).toMatchObject({ reason: "signal_limit", limit: 3 });
    expect((await h.call("GET", "/api/v1/signals", { headers: jwt(carol) })).body.meta).toMatchObject({ total: 3 });
  });
});

describe("deliveries, test events and backtest bounds", () => {
  test("POST …/test queues one test delivery per channel, listed under …/deliveries", async () => {
    const id = (await create(alice, { delivery_channels: [{ type: "webhook", url: HOOK, secret: SECRET }, { type: "webhook", url: HOOK + "b", secret: SECRET }] })).body.data.id as string;
    const r = await h.call("POST", `/api/v1/signals/${id}/test`, { headers: jwt(alice) });
    expect(r.status).toBe(202);
    const ids = r.body.data.delivery_ids as string[];
    expect(ids).toHaveLength(2);
    const list = await h.call("GET", `/api/v1/signals/${id}/deliveries`, { headers: jwt(alice) });
    expect(list.body.meta.total).toBe(2);
    const rows = list.body.data.deliveries as Array<{ id: string; test: boolean; status: string; url: string; payload: { type: string; data: { test: boolean } }; attempt_history: unknown[] }>;
    expect(rows.map((d) => d.id).sort()).toEqual([...ids].sort());
    for (const d of rows) expect([d.test, d.status, d.payload.type, d.payload.data.test, d.attempt_history]).toEqual([true, "pending", "signal.test", true, []]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
  });

  test("a backtest range longer than 7 days, or inverted, is 400 naming the limit", async () => {
    const id = (await create(alice)).body.data.id as string;
    const now = clock.now();
    const long = await h.call("GET", `/api/v1/signals/${id}/backtest?start=${now - 8 * 86_400_000}&end=${now}`, { headers: jwt(alice) });
    expect(long.status).toBe(400);
    expect(long.body.data.details).toMatchObject({ field: "start", max_range_ms: 7 * 86_400_000 });
    const inverted = await h.call("GET", `/api/v1/signals/${id}/backtest?start=${now}&end=${now - 1}`, { headers: jwt(alice) });
    expect(inverted.status).toBe(400);
    const unsaved = await h.call("POST", "/api/v1/signals/backtest", {
      headers: jwt(alice), body: { market_id: 0, rule_definition: body().rule_definition, start: now - 8 * 86_400_000, end: now },
    });
    expect(unsaved.body.data.details).toMatchObject({ in: "body", field: "start", max_range_ms: 7 * 86_400_000 });
  });

  test("a backtest over an empty store: zero firings, not an error", async () => {
    const id = (await create(alice)).body.data.id as string;
    const r = await h.call("GET", `/api/v1/signals/${id}/backtest?start=${clock.now() - 3_600_000}`, { headers: key(alice) });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ market_id: 0, count: 0, firings: [], truncated: false });
  });
});
